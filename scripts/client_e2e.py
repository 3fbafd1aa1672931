#!/usr/bin/env python3
"""The whole desk process through a client generated from openapi/openapi.json.

No hand-written HTTP: every call goes through the package openapi-python-client made from the
committed document (`mardom_client`), as a portal or frontend team would use it. Run against a
served instance:

    scripts/client_e2e.py http://127.0.0.1:18080 <admin password>

It takes a complaint from online submission (with a photo uploaded first and an Idempotency-Key,
retried) through lookup, classification with If-Match taken from the ETag, the proposed
anonymised text, referral, the release of the photo to the unit, the unit's download,
acknowledgement and answer, acceptance and closing; then a meeting request scheduled, held with
no action; then reads the notifications. Every step checks the answer.
"""

import datetime
import io
import os
import sys
import time
import uuid

from mardom_client import AuthenticatedClient, Client
from mardom_client.api.attachments import desk_attachments, desk_download, public_upload, release_attachment, unit_attachments, unit_download
from mardom_client.api.auth import token
from mardom_client.api.meetings import calendar, outcome, schedule
from mardom_client.api.notifications import list_notifications
from mardom_client.api.public import lookup_request, submit_request
from mardom_client.api.referrals import accept, acknowledge, answer, get_referral, list_referrals
from mardom_client.api.requests import anonymised_text, classify, close, get_request, list_requests, refer
from mardom_client.api.units import create_unit
from mardom_client.api.users import create_user
from mardom_client.models import (
    AnswerBody,
    AttachmentRelease,
    CitizenRequest,
    ClassifyBody,
    CloseBody,
    NewUnitBody,
    NewUserBody,
    OnlineSubmission,
    OutcomeBody,
    ReferBody,
    RequestKind,
    Role,
    SlotBody,
    Status,
    TokenRequest,
    UnitKind,
    UploadForm,
)
from mardom_client.types import File

PHOTO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "photo-with-gps.jpg")

CALLS = {"n": 0}


def call(endpoint, expect, **kwargs):
    """One generated call; its status must be `expect`. Returns the detailed response."""
    CALLS["n"] += 1
    response = endpoint.sync_detailed(**kwargs)
    if response.status_code != expect:
        raise SystemExit(
            f"{endpoint.__name__}: expected {expect}, got {response.status_code}: {response.content!r}"
        )
    return response


def check(condition, message):
    if not condition:
        raise SystemExit(f"check failed: {message}")


def signed_in(base, username, password):
    reply = call(token, 200, client=Client(base_url=base), body=TokenRequest(username=username, password=password))
    return AuthenticatedClient(base_url=base, token=reply.parsed.access_token)


def staff(base, admin, username, role, unit=None):
    password = f"{username}-e2e-password"
    call(
        create_user,
        201,
        client=admin,
        body=NewUserBody(username=username, display_name="کاربر آزمون", password=password, role=role, unit_id=unit),
    )
    return signed_in(base, username, password)


def main(base, admin_password):
    public = Client(base_url=base)
    admin = signed_in(base, "admin", admin_password)
    suffix = uuid.uuid4().hex[:8]
    unit = call(create_unit, 201, client=admin, body=NewUnitBody(name=f"واحد پذیرش {suffix}", kind=UnitKind.UNIT)).parsed
    reviewer = staff(base, admin, f"reviewer-{suffix}", Role.REVIEWER)
    head = staff(base, admin, f"head-{suffix}", Role.HEAD)
    unit_staff = staff(base, admin, f"unit-{suffix}", Role.UNIT_STAFF, unit.id)
    setup_calls = CALLS["n"]

    # --- a complaint, from submission to closure ---
    mobile = "0912" + str(uuid.uuid4().int)[:7]
    with open(PHOTO, "rb") as photo_file:
        photo = photo_file.read()
    uploaded = call(
        public_upload, 201, client=public, body=UploadForm(file=File(payload=io.BytesIO(photo), file_name="IMG_0042.jpg", mime_type="image/jpeg"))
    ).parsed
    check(uploaded.content_type == "image/jpeg" and uploaded.size < len(photo), f"the photo is kept without its metadata: {uploaded}")
    citizen = OnlineSubmission(
        name="مریم حسینی",
        mobile=mobile,
        text="از برخورد کارکنان واحد پذیرش شکایت دارم؛ شماره‌ی من " + mobile + " است",
        proposed_kind=RequestKind.COMPLAINT,
        attachments=[uploaded.id],
    )
    key = str(uuid.uuid4())
    first = call(submit_request, 201, client=public, body=citizen, idempotency_key=key)
    code = first.parsed.tracking_code
    again = call(submit_request, 201, client=public, body=citizen, idempotency_key=key)
    check(again.parsed.tracking_code == code, "a retry with the same key gets the same tracking code")
    check(again.headers.get("idempotent-replayed") == "true", "the retry says it is a replay")
    seen = call(lookup_request, 200, client=public, tracking_code=code).parsed
    check(seen.status == Status.REGISTERED, f"looked up as registered: {seen.status}")
    complaint_calls = 3  # upload, submission and lookup, as the citizen makes them

    listed = call(list_requests, 200, client=reviewer, status=Status.REGISTERED, q="برخورد کارکنان").parsed
    request_id = next(r.id for r in listed.items if r.tracking_code == code)
    read = call(get_request, 200, client=reviewer, id=request_id)
    check("classify" in [a.value for a in read.parsed.allowed_actions], "classify is offered")
    classified = call(
        classify, 200, client=reviewer, id=request_id, body=ClassifyBody(kind=RequestKind.COMPLAINT), if_match=read.headers["etag"]
    )
    check(classified.parsed.status == Status.IN_REVIEW, "classified")
    proposal = call(anonymised_text, 200, client=reviewer, id=request_id).parsed.text
    check(mobile not in proposal and "[شماره تماس]" in proposal, f"the proposal hides the number: {proposal}")
    referred = call(
        refer, 200, client=reviewer, id=request_id, body=ReferBody(unit_id=unit.id, text=proposal), if_match=classified.headers["etag"]
    ).parsed
    check(referred.status == Status.REFERRED, "referred")
    referral_id = referred.referrals[0].id
    complaint_calls += 4  # read, classify, proposal, refer

    files = call(desk_attachments, 200, client=reviewer, id=request_id).parsed
    check([f.id for f in files.items] == [uploaded.id], "the desk sees the photo")
    served = call(desk_download, 200, client=reviewer, id=request_id, attachment_id=uploaded.id)
    check(served.headers["content-disposition"].startswith("attachment;"), "downloaded as an attachment")
    check(b"SERIAL-4711-XYZ" not in served.content and b"GPS" not in served.content, "no metadata served")
    check(call(unit_attachments, 200, client=unit_staff, id=referral_id).parsed.items == [], "unreleased: the unit sees nothing")
    call(unit_download, 404, client=unit_staff, id=referral_id, attachment_id=uploaded.id)
    call(release_attachment, 200, client=reviewer, id=request_id, attachment_id=uploaded.id, body=AttachmentRelease(referral_id=referral_id))
    unit_served = call(unit_download, 200, client=unit_staff, id=referral_id, attachment_id=uploaded.id)
    check(unit_served.content == served.content, "the unit gets the same photo once released")
    complaint_calls += 6  # the photo: list, download, release; the unit: list, 404, download

    inbox = call(list_referrals, 200, client=unit_staff).parsed
    check([r.id for r in inbox.items] == [referral_id], "the unit sees its referral")
    check(mobile not in inbox.items[0].text, "and not the citizen's number")
    acked = call(acknowledge, 200, client=unit_staff, id=referral_id, if_match=f'"{inbox.items[0].version}"')
    call(answer, 200, client=unit_staff, id=referral_id, body=AnswerBody(answer="با کارکنان گفت‌وگو شد و رفتار اصلاح شد"), if_match=acked.headers["etag"])
    complaint_calls += 3  # the unit: inbox, acknowledge, answer

    current = call(get_referral, 200, client=reviewer, id=referral_id)
    call(accept, 200, client=reviewer, id=referral_id, if_match=current.headers["etag"])
    before_close = call(get_request, 200, client=reviewer, id=request_id)
    check([a.value for a in before_close.parsed.allowed_actions] == ["refer", "close"], "close is offered once accepted")
    closed = call(
        close, 200, client=reviewer, id=request_id, body=CloseBody(summary="پاسخ واحد به متقاضی اعلام شد"), if_match=before_close.headers["etag"]
    ).parsed
    check((closed.status, closed.resolution.value) == (Status.CLOSED, "resolved"), "closed as resolved")
    complaint_calls += 4  # the desk: referral, accept, read, close

    # --- a meeting request: scheduled, held, no further action ---
    meeting_citizen = CitizenRequest(
        name="علی کریمی", mobile="0935" + str(uuid.uuid4().int)[:7], text="درخواست ملاقات با ریاست مرکز درباره‌ی پرداخت مطالبات",
        proposed_kind=RequestKind.MEETING,
    )
    meeting_code = call(submit_request, 201, client=public, body=meeting_citizen, idempotency_key=str(uuid.uuid4())).parsed.tracking_code
    listed = call(list_requests, 200, client=reviewer, status=Status.REGISTERED, kind=RequestKind.MEETING).parsed
    listed = listed if listed.items else call(list_requests, 200, client=reviewer, status=Status.REGISTERED).parsed
    meeting_request = next(r.id for r in listed.items if r.tracking_code == meeting_code)
    call(classify, 200, client=reviewer, id=meeting_request, body=ClassifyBody(kind=RequestKind.MEETING))
    # A meeting starts in the future and its outcome waits for the start: a few seconds ahead.
    starts_at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=4)
    scheduled = call(
        schedule, 200, client=reviewer, id=meeting_request, body=SlotBody(starts_at=starts_at, duration_minutes=15, place="دفتر ریاست")
    ).parsed
    check(scheduled.meeting is not None and scheduled.meeting.status.value == "scheduled", "scheduled")
    day = call(calendar, 200, client=head, request_id=meeting_request).parsed
    check([m.id for m in day.items] == [scheduled.meeting.id], "on the head's calendar")
    time.sleep(max(0.0, (starts_at - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) + 1)
    held = call(outcome, 200, client=head, id=meeting_request, body=OutcomeBody(held=True, notes="توضیح داده شد")).parsed
    check((held.status, held.resolution.value) == (Status.CLOSED, "meeting_no_action"), "held, no action")

    # --- the notifications the two requests sent ---
    sent = call(list_notifications, 200, client=reviewer, request_id=request_id).parsed
    templates = sorted(n.template for n in sent.items)
    check(templates == ["referred", "resolved", "tracking_code_issued"], f"the complaint's SMS: {templates}")
    sent = call(list_notifications, 200, client=reviewer, request_id=meeting_request).parsed
    templates = sorted(n.template for n in sent.items)
    check(templates == ["meeting_no_action", "meeting_scheduled", "tracking_code_issued"], f"the meeting's SMS: {templates}")
    print(
        f"client e2e ok: {CALLS['n']} generated calls ({setup_calls} of setup); "
        f"the complaint branch took {complaint_calls} calls from submission to closure"
    )


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1].rstrip("/"), sys.argv[2])
