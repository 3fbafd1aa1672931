//! `public`: what a citizen does without an account — submit a request, follow it by tracking
//! code, withdraw it. Nothing here ever returns a name, a mobile number, a national ID, an
//! email or the request's text: the views below have no field that could hold them.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::client::ClientAddress;
use super::error::{ApiError, Kind, Problem};
use super::json::ValidJson;
use super::requests::OnlineSubmission;
use super::state::AppState;
use super::views::utc;
use crate::app::public;
use crate::app::requests::{Event, RequestWithHistory};
use crate::domain::request::{Channel, RequestKind, Resolution, Status};

/// What anyone holding the tracking code may see. Holds no identity and no request text.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "tracking_code": "483920175523", "status": "registered", "resolution": null, "channel": "online",
    "kind": null, "proposed_kind": "meeting",
    "submitted_at": "2026-11-29T08:30:00Z", "updated_at": "2026-11-29T08:30:00Z", "closed_at": null,
    "history": [{"action": "registered", "status": "registered", "at": "2026-11-29T08:30:00Z"}],
    "referred_to": [], "meeting": null, "objection_until": null
}))]
pub struct PublicRequestView {
    /// 12 digits, the last a check digit.
    pub tracking_code: String,
    pub status: Status,
    /// How a closed request ended; null while open.
    pub resolution: Option<Resolution>,
    pub channel: Channel,
    /// The kind the desk set on review; null until then.
    pub kind: Option<RequestKind>,
    /// The kind the citizen proposed, if any.
    pub proposed_kind: Option<RequestKind>,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The public steps, oldest first; staff names and internal notes are not shown.
    pub history: Vec<PublicEvent>,
    /// The units handling it, by name (after a referral).
    pub referred_to: Vec<String>,
    /// The scheduled meeting with the head, if any.
    pub meeting: Option<PublicMeeting>,
    /// Until when the citizen may object to how the request ended
    /// (`POST …/objection`): set only while that is possible — closed with an outcome (not
    /// withdrawn), not objected to before, inside the window (`MARDOM_OBJECTION_WINDOW`
    /// working days from the closing, to the end of the last one in Tehran).
    pub objection_until: Option<DateTime<Utc>>,
}

/// When the citizen meets the head.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicMeeting {
    pub starts_at: DateTime<Utc>,
    /// The same instant as read in Tehran, with the Solar Hijri date.
    pub local: crate::domain::jalali::LocalTime,
}

/// One public step of a request's history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicEvent {
    /// What happened: `registered`, `withdrawn`, …
    pub action: String,
    /// The status the request had after it.
    pub status: Option<Status>,
    pub at: DateTime<Utc>,
}

impl From<&RequestWithHistory> for PublicRequestView {
    fn from(found: &RequestWithHistory) -> Self {
        let request = &found.request;
        Self {
            tracking_code: request.tracking_code.clone(),
            status: request.status,
            resolution: request.resolution,
            channel: request.channel,
            kind: request.kind,
            proposed_kind: request.proposed_kind,
            submitted_at: utc(request.created_at),
            updated_at: utc(request.updated_at),
            closed_at: request.closed_at.map(utc),
            history: found
                .history
                .iter()
                .filter(|e| e.public)
                .map(PublicEvent::from)
                .collect(),
            referred_to: found.referred_to.clone(),
            meeting: found.meeting_at.map(|at| PublicMeeting {
                starts_at: utc(at),
                local: crate::domain::jalali::local_time(utc(at)),
            }),
            objection_until: found.objection_until.map(utc),
        }
    }
}

impl From<&Event> for PublicEvent {
    fn from(event: &Event) -> Self {
        Self {
            action: event.action.clone(),
            status: event.to_status,
            at: utc(event.at),
        }
    }
}

/// Proof that the withdrawal comes from the citizen who filed the request.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mobile": "09121234567"}))]
pub struct Withdrawal {
    /// The mobile number the request was filed with, in any usual form.
    pub mobile: String,
}

/// The longest accepted `Idempotency-Key`.
const MAX_KEY_LEN: usize = 255;

pub(crate) fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_LEN && k.bytes().all(|b| b.is_ascii_graphic()))
        .map(|k| Some(k.to_owned()))
        .ok_or_else(|| {
            ApiError::new(
                Kind::BadParameter,
                format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} printable ASCII characters, e.g. a UUID"),
            )
        })
}

/// Submit a request online (no account needed).
///
/// Answers with the tracking code, which is also sent by SMS. Send an `Idempotency-Key`
/// (e.g. a UUID made once per submission) to retry safely: a retry with the same key and the
/// same content gets the first answer again (with `Idempotent-Replayed: true`) and never files a
/// second request or sends a second SMS; the same key with other content is refused (422).
/// Keys are remembered for 24 hours. A twin sent while the first is still being written waits
/// for it and gets its answer; after a few seconds' wait it gets 409 instead. Limited per
/// client address and per mobile number (429).
///
/// Files go first, each on its own (`POST /api/v1/public/uploads`), and are listed here by id
/// in `attachments`: the request and its files are stored together or not at all (an upload
/// that is unknown, someone else's, already attached or expired is 422 and nothing is filed).
///
/// A Center that turns on `MARDOM_ONLINE_REQUIRES_VERIFIED_MOBILE` (against SMS pumping)
/// accepts a submission only with the citizen's token (`POST /api/v1/public/otp`, then
/// `/otp/verify`) of the very number submitted: 401 without one, 403 for another number.
#[utoipa::path(
    tag = "public", request_body = OnlineSubmission, security((), ("citizen" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: 1 to 255 printable ASCII characters, e.g. a UUID", pattern = r"^[!-~]{1,255}$")),
    responses(
        (status = 201, description = "Registered; `Location` is the public lookup of the tracking code", body = PublicRequestView,
            headers(("Location" = String), ("Idempotent-Replayed" = String, description = "`true` when this is the stored answer to an earlier submission with the same key"))),
        (status = 401, description = "The Center requires a verified mobile number and no citizen's token was sent", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The citizen's token is of another number than the one submitted", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A submission with this Idempotency-Key is still being processed after a few seconds' wait (`idempotency-key-in-use`); retry", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many submissions from this address or for this mobile number; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/requests")]
pub async fn submit_request(
    req: HttpRequest,
    client: ClientAddress,
    state: web::Data<AppState>,
    body: ValidJson<OnlineSubmission>,
) -> Result<HttpResponse, ApiError> {
    let verified = match state.online_requires_verified_mobile {
        true => Some(super::citizen_door::citizen_token(&req, &state)?),
        false => None,
    };
    let key = idempotency_key(&req)?;
    let parsed = body
        .into_inner()
        .and_then(|body| Ok(public::parse_submission(&body.submission_input())?));
    if let (Some(token), Ok(parsed)) = (verified, &parsed) {
        let submitted = parsed.mobile.clone();
        let same = super::citizen_door::as_citizen(token, &state, move |_, _, holder| {
            Ok(*holder == submitted)
        })
        .await?;
        if !same {
            return Err(ApiError::new(
                Kind::Forbidden,
                "the citizen's token is of another mobile number than the one submitted",
            ));
        }
    }
    let by = public::Submitter::Citizen {
        client: client.0.clone(),
    };
    let submitted = submit_as(&state, by, parsed?, key).await?;
    created(submitted)
}

/// Files a parsed submission for `by`: a replay is answered first, before any limit is
/// counted, and never counts against one (a portal whose last submission of the day timed out
/// gets its tracking code back); then the submission. Shared with the portals' door.
pub(crate) async fn submit_as(
    state: &AppState,
    by: public::Submitter,
    parsed: crate::app::requests::ParsedRequest,
    key: Option<String>,
) -> Result<public::Submitted, ApiError> {
    if let Some(key) = &key {
        let (key, parsed, submitter) = (key.clone(), parsed.clone(), by.clone());
        let stored = state
            .db(move |conn| public::stored_answer(conn, &submitter, &parsed, &key))
            .await?;
        if let Some(stored) = stored {
            return Ok(stored);
        }
    }
    let (limits, files) = (state.limits.clone(), state.files.clone());
    let rules = state.deadlines.clone();
    state
        .db(move |conn| {
            public::submit(
                conn,
                (&limits, &files, &rules),
                &by,
                &parsed,
                key.as_deref(),
                &|registered| {
                    serde_json::to_string(&PublicRequestView::from(registered)).unwrap_or_default()
                },
            )
        })
        .await
}

/// The 201 of a submission, first answer or replay alike.
fn created(submitted: public::Submitted) -> Result<HttpResponse, ApiError> {
    let code = serde_json::from_str::<PublicRequestView>(&submitted.body)
        .map(|view| view.tracking_code)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/public/requests/{code}")))
        .insert_header(("Idempotent-Replayed", submitted.replayed.to_string()))
        .content_type("application/json")
        .body(submitted.body))
}

/// Follow a request by its tracking code (no account needed).
///
/// Shows status, kind, channel, dates and the public steps of the history; never the citizen's
/// identity or the request's text. A code with a wrong check digit is 422 (a typing mistake);
/// a well-formed code that no request has is 404. Limited per client address (429).
///
/// Answers with an `ETag`; a portal that polls sends it back as `If-None-Match` and gets
/// `304 Not Modified` without a body while nothing in the view has changed.
#[utoipa::path(
    tag = "public",
    params(
        ("tracking_code" = String, Path, description = "The 12-digit tracking code; Persian digits, spaces and dashes are accepted", example = "483920175523"),
        ("If-None-Match" = Option<String>, Header, description = "The `ETag` of an earlier lookup: 304 if the view is unchanged"),
    ),
    responses(
        (status = 200, description = "The request's public view", body = PublicRequestView),
        (status = 304, description = "Not modified: the `ETag` sent as `If-None-Match` is still current"),
        (status = 404, description = "No request has this code", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a tracking code, or its check digit is wrong (`errors[0].code` is `check_digit`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many lookups from this address; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/public/requests/{tracking_code}")]
pub async fn lookup_request(
    req: HttpRequest,
    client: ClientAddress,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (limits, rules) = (state.limits.clone(), state.deadlines.clone());
    let found = state
        .db(move |conn| public::lookup(conn, (&limits, &rules), &client.0, &code))
        .await?;
    super::conditional::json(Some(&req), None, &PublicRequestView::from(&found))
}

/// Withdraw a request (no account needed).
///
/// The citizen proves the request is theirs with the mobile number it was filed with. Only an
/// open request can be withdrawn (409 otherwise). Limited per client address (429), like lookups.
/// Withdrawing settles what hangs on the request: a scheduled meeting is cancelled (its slot
/// freed) and every referral not yet accepted is withdrawn from its unit.
#[utoipa::path(
    tag = "public", request_body = Withdrawal,
    params(("tracking_code" = String, Path, description = "The 12-digit tracking code", example = "483920175523")),
    responses(
        (status = 200, description = "Withdrawn: the request is closed with resolution `withdrawn`", body = PublicRequestView),
        (status = 403, description = "The mobile number is not the one the request was filed with", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No request has this code", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The request is closed already (`transition-not-allowed`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/requests/{tracking_code}/withdrawal")]
pub async fn withdraw_request(
    client: ClientAddress,
    state: web::Data<AppState>,
    code: web::Path<String>,
    body: ValidJson<Withdrawal>,
) -> Result<HttpResponse, ApiError> {
    let mobile = body.into_inner()?.mobile;
    let (limits, rules) = (state.limits.clone(), state.deadlines.clone());
    let withdrawn = state
        .db(move |conn| public::withdraw(conn, (&limits, &rules), &client.0, &code, &mobile))
        .await?;
    Ok(HttpResponse::Ok().json(PublicRequestView::from(&withdrawn)))
}

/// A rating of how a closed request was handled.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mobile": "09121234567", "score": 5, "comment": "سریع و محترمانه پاسخ دادند"}))]
pub struct RatingBody {
    /// The mobile number the request was filed with.
    pub mobile: String,
    /// 1 (poor) to 5 (excellent).
    #[schema(minimum = 1, maximum = 5)]
    pub score: i32,
    /// At most 1000 characters.
    #[schema(max_length = 1000)]
    pub comment: Option<String>,
}

/// Rate a closed request, once (no account needed; tracking code + mobile).
#[utoipa::path(
    tag = "public", request_body = RatingBody,
    params(("tracking_code" = String, Path, description = "The 12-digit tracking code", example = "483920175523")),
    responses(
        (status = 200, description = "Rated", body = PublicRequestView),
        (status = 403, description = "The mobile number is not the one the request was filed with", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No request has this code", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The request is not closed (`not-closed`) or was rated already (`already-rated`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/requests/{tracking_code}/rating")]
pub async fn rate_request(
    client: ClientAddress,
    state: web::Data<AppState>,
    code: web::Path<String>,
    body: ValidJson<RatingBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    let input = public::RatingInput {
        mobile: body.mobile,
        score: body.score,
        comment: body.comment,
    };
    let (limits, rules) = (state.limits.clone(), state.deadlines.clone());
    let rated = state
        .db(move |conn| public::rate(conn, (&limits, &rules), &client.0, &code, input))
        .await?;
    Ok(HttpResponse::Ok().json(PublicRequestView::from(&rated)))
}

/// The citizen's objection to how their request ended.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mobile": "09121234567", "text": "پاسخ واحد به موضوع شکایت من نپرداخته است"}))]
pub struct ObjectionBody {
    /// The mobile number the request was filed with.
    pub mobile: String,
    /// Why the citizen objects: 10 to 4000 characters. Staff read it in the history; the
    /// public view never shows it.
    #[schema(min_length = 10, max_length = 4000)]
    pub text: String,
}

/// Object to how a request ended, once (no account needed; tracking code + mobile).
///
/// A request closed with an outcome (any but a withdrawal) may be objected to once, until
/// `objection_until` in its public view (`MARDOM_OBJECTION_WINDOW` working days from the
/// closing, 10 by default). The request returns to review (`in_review`, its resolution cleared)
/// with the objection in its history (public as `objected`; its text for staff only), the desk
/// is owed a review again (the classification's deadline; a meeting request, a schedule), and
/// every active reviewer finds a line in their inbox. Limited per client address and per mobile
/// number (429), like every proof of ownership.
#[utoipa::path(
    tag = "public", request_body = ObjectionBody,
    params(("tracking_code" = String, Path, description = "The 12-digit tracking code", example = "483920175523")),
    responses(
        (status = 200, description = "Objected: the request is back in review", body = PublicRequestView),
        (status = 403, description = "The mobile number is not the one the request was filed with", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No request has this code", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The request is not closed with an outcome (`transition-not-allowed`), was objected to once already (`objected-already`), or its window ended (`objection-window-closed`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad mobile number or a text shorter than 10 or longer than 4000 characters", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address or for this number; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/requests/{tracking_code}/objection")]
pub async fn object_to_request(
    client: ClientAddress,
    state: web::Data<AppState>,
    code: web::Path<String>,
    body: ValidJson<ObjectionBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    let (limits, rules) = (state.limits.clone(), state.deadlines.clone());
    let objected = state
        .db(move |conn| {
            crate::app::objection::object(
                conn,
                (&limits, &rules),
                &client.0,
                (&code, &body.mobile),
                &body.text,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(PublicRequestView::from(&objected)))
}
