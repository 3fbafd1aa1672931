//! What a citizen does without an account: submit a request (idempotently), look it up by
//! tracking code, and withdraw or rate it with the mobile number it was filed with. Each one
//! counts against its abuse limits (`app::limits`) first, except the replay of a submission,
//! which is answered before any limit and never counts.

use chrono::Duration;
use sha2::{Digest, Sha256};

use crate::db::idempotency::{self as keys, IdempotencyRow};
use crate::db::public_view::{self, PublicView};
use crate::db::requests as repo;
use crate::db::{self, DbConnection, write_transaction};
use crate::domain::ids::{AttachmentId, PortalId, RequestId};
use crate::domain::lifecycle::Command;
use crate::domain::limits::Limit;
use crate::domain::phone::MobileNumber;
use crate::domain::request::RequestKind;
use crate::domain::tracking_code::{TrackingCode, TrackingCodeError};
use crate::domain::{FieldError, parse_field};
use crate::vault::{Field, Vault};

use super::attachments::{self, Files, Target, Uploader};
use super::deadlines::Rules;
use super::limits::{Limits, Slot};
use super::requests::{
    self, Event, KeyClaim, ParsedRequest, Registrar, Request, RequestInput, RequestWithHistory,
};
use super::{AppError, AppResult};

/// How long a submission's `Idempotency-Key` is remembered.
pub const KEY_LIFETIME_HOURS: i64 = 24;
const SCOPE: &str = "public_request";

/// Who files an online submission: a citizen from a client address, or a portal by its key.
#[derive(Debug, Clone)]
pub enum Submitter {
    Citizen { client: String },
    Portal(PortalId),
}

impl Submitter {
    /// The per-source limit it is counted against: the address's, or the portal's own (a
    /// portal files for many citizens from one address).
    fn limit(&self) -> (Limit, &str) {
        match self {
            Submitter::Citizen { client } => (Limit::SubmissionsPerClient, client),
            Submitter::Portal(portal) => (Limit::SubmissionsPerPortal, portal.as_str()),
        }
    }

    /// Where its idempotency keys live: one portal's keys never meet another's, nor a
    /// citizen's.
    fn scope(&self) -> String {
        match self {
            Submitter::Citizen { .. } => SCOPE.to_owned(),
            Submitter::Portal(portal) => format!("portal_request:{portal}"),
        }
    }

    fn registrar(&self) -> Registrar {
        match self {
            Submitter::Citizen { .. } => Registrar::Citizen,
            Submitter::Portal(portal) => Registrar::Portal(portal.clone()),
        }
    }
}

/// The answer to a submission: the body to send, and whether it is the replay of an earlier one.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub body: String,
    pub replayed: bool,
}

/// Parses a submission; separated so that the caller can rate-limit on the parsed mobile.
pub fn parse_submission(input: &RequestInput) -> AppResult<ParsedRequest> {
    requests::parse(input)
}

/// Registers an online request from `client`, counted against the submissions per client
/// address and per mobile number. With an idempotency key, the first answer is stored with the
/// request in one transaction and replayed to every retry of the same submission; the same
/// key with a different submission is refused. `render` makes the response body.
///
/// The limits are counted before the write, each in one atomic step, so N concurrent
/// submissions for one number file exactly the allowance. What turns out not to be a new
/// request gives its places back: a twin that got the first one's answer gives back both; one
/// that wrote nothing (refused, failed) gives back the mobile number's, whose allowance is for
/// SMS actually sent, and keeps the address's, which counts attempts.
pub fn submit(
    conn: &mut DbConnection,
    (limits, files, rules): (&Limits, &Files, &Rules),
    submitter: &Submitter,
    input: &ParsedRequest,
    key: Option<&str>,
    render: &dyn Fn(&RequestWithHistory) -> String,
) -> AppResult<Submitted> {
    if matches!(submitter, Submitter::Portal(_)) && !input.attachments.is_empty() {
        return Err(AppError::invalid(
            "attachments",
            "not_for_portals",
            "a portal's submission carries no files (uploads belong to a citizen's own session)",
        ));
    }
    let (limit, counted_as) = submitter.limit();
    let client_slot = limits.hit(conn, limit, counted_as)?;
    let mobile_slot = limits.hit(conn, Limit::SubmissionsPerMobile, input.mobile.as_str())?;
    let meeting_slot = match input.proposed_kind {
        Some(RequestKind::Meeting) => {
            match limits.hit(conn, Limit::MeetingRequestsPerMobile, input.mobile.as_str()) {
                Ok(slot) => Some(slot),
                Err(refused) => {
                    give_back(conn, limits, &[mobile_slot]);
                    return Err(refused);
                }
            }
        }
        _ => None,
    };
    let submitted = submit_counted(conn, (files, rules), submitter, input, key, render);
    let mut mobile_slots = vec![mobile_slot];
    mobile_slots.extend(meeting_slot);
    match &submitted {
        Ok(fresh) if !fresh.replayed => {}
        Ok(_) => {
            mobile_slots.push(client_slot);
            give_back(conn, limits, &mobile_slots);
        }
        Err(_) => give_back(conn, limits, &mobile_slots),
    }
    submitted
}

/// Gives places back after the answer is decided: a failure to do so is logged (the place
/// stays taken until its window ends), never put in the answer's way.
fn give_back(conn: &mut DbConnection, limits: &Limits, slots: &[Slot]) {
    for slot in slots {
        if let Err(error) = limits.release(conn, slot) {
            tracing::warn!(%error, "could not give an abuse-limit place back");
        }
    }
}

fn submit_counted(
    conn: &mut DbConnection,
    (files, rules): (&Files, &Rules),
    submitter: &Submitter,
    input: &ParsedRequest,
    key: Option<&str>,
    render: &dyn Fn(&RequestWithHistory) -> String,
) -> AppResult<Submitted> {
    let registrar = submitter.registrar();
    let Some(key) = key else {
        let body = attaching(conn, files, input, |conn| {
            let registered = requests::register_in(conn, rules, input, &registrar)?;
            Ok((render(&registered), registered.request.id))
        })
        .map_err(Keyed::into_app)?;
        return Ok(Submitted {
            body,
            replayed: false,
        });
    };
    let fingerprint = fingerprint(input);
    // Two passes at most: the second only after an expired claim on this key was cleared.
    for _ in 0..2 {
        let registered = attaching(conn, files, input, |conn| {
            register_with_key(conn, rules, submitter, input, key, &fingerprint, render)
        });
        match registered {
            Err(Keyed::Taken) => {}
            Err(Keyed::App(error)) => return Err(error),
            Ok(body) => {
                return Ok(Submitted {
                    body,
                    replayed: false,
                });
            }
        }
        // The key was taken: by this very submission earlier (replay its answer), by another
        // one (refuse), or by one so old that its claim expired (clear it and register).
        if let Some(stored) = stored_answer(conn, submitter, input, key)? {
            return Ok(stored);
        }
        let now = db::now();
        let scope = submitter.scope();
        write_transaction(conn, |conn| keys::delete_expired(conn, &scope, key, now))?;
    }
    Err(key_in_use())
}

/// The stored answer to an earlier submission under `key`, if it is this same submission (a
/// replay); a refusal if the key belongs to a different one; `None` if no live claim holds it.
/// Read alone, before any limit is counted, so that a replay never counts against one.
pub fn stored_answer(
    conn: &mut DbConnection,
    submitter: &Submitter,
    input: &ParsedRequest,
    key: &str,
) -> AppResult<Option<Submitted>> {
    match keys::find(conn, &submitter.scope(), key, db::now())? {
        Some(stored) if stored.fingerprint != fingerprint(input) => Err(FieldError::new(
            "Idempotency-Key",
            "key_reused",
            "this Idempotency-Key was used for a different submission; use a new key for a new request",
        )
        .into()),
        Some(stored) => Ok(Some(Submitted {
            body: stored.response_body,
            replayed: true,
        })),
        None => Ok(None),
    }
}

/// Why a keyed registration wrote nothing.
enum Keyed {
    /// Another submission holds the key.
    Taken,
    App(AppError),
}

impl Keyed {
    fn into_app(self) -> AppError {
        match self {
            Keyed::Taken => key_in_use(),
            Keyed::App(error) => error,
        }
    }
}

impl From<AppError> for Keyed {
    fn from(error: AppError) -> Self {
        Keyed::App(error)
    }
}

impl From<diesel::result::Error> for Keyed {
    fn from(error: diesel::result::Error) -> Self {
        Keyed::App(error.into())
    }
}

/// Runs `register` and attaches the submission's uploads to the request it registered, in one
/// transaction when there are any: an attach that fails (an unknown upload, a limit) rolls the
/// request, its SMS and its idempotency claim back, so a corrected retry under the same key is
/// a first submission again. Without uploads, the registration runs as it always did.
fn attaching<T>(
    conn: &mut DbConnection,
    files: &Files,
    input: &ParsedRequest,
    register: impl FnOnce(&mut DbConnection) -> Result<(T, RequestId), Keyed>,
) -> Result<T, Keyed> {
    if input.attachments.is_empty() {
        return register(conn).map(|(done, _)| done);
    }
    write_transaction(conn, |conn| {
        let (done, request_id) = register(conn)?;
        let target = Target {
            request_id: &request_id,
            message_id: None,
            referral_id: None,
        };
        attachments::attach(conn, files, &input.attachments, Uploader::Citizen, target)?;
        Ok(done)
    })
}

/// Registers the request and stores its answer under the key, all or nothing. A twin submitted
/// at the same moment waits on the first one's claim (up to the lock wait,
/// `MARDOM_DB_LOCK_WAIT_MS`) until it commits, then finds the key taken and writes nothing, so
/// one key never makes two requests.
fn register_with_key(
    conn: &mut DbConnection,
    rules: &Rules,
    submitter: &Submitter,
    input: &ParsedRequest,
    key: &str,
    fingerprint: &str,
    render: &dyn Fn(&RequestWithHistory) -> String,
) -> Result<(String, RequestId), Keyed> {
    let claim = |registered: &RequestWithHistory| {
        let now = db::now();
        IdempotencyRow {
            scope: submitter.scope(),
            idempotency_key: key.to_owned(),
            fingerprint: fingerprint.to_owned(),
            response_status: 201,
            response_body: render(registered),
            created_at: now,
            expires_at: now + Duration::hours(KEY_LIFETIME_HOURS),
        }
    };
    match requests::register_claiming(conn, rules, input, &submitter.registrar(), Some(&claim)) {
        Ok((registered, KeyClaim::Claimed(claim))) => {
            Ok((claim.response_body, registered.request.id))
        }
        Ok((_, KeyClaim::Busy)) => Err(Keyed::App(key_in_use())),
        Ok((_, KeyClaim::Taken)) => Err(Keyed::Taken),
        Ok((_, KeyClaim::Unkeyed)) => Err(Keyed::App(AppError::Internal(
            "a keyed registration made no claim".to_owned(),
        ))),
        Err(error) => Err(Keyed::App(error)),
    }
}

fn key_in_use() -> AppError {
    AppError::conflict(
        "idempotency-key-in-use",
        "a submission with this Idempotency-Key is still being processed; retry in a moment",
    )
}

/// What identifies "the same submission": the parsed, normalised values, so that a retry that
/// differs only in spelling (digits, spaces) is still the same.
fn fingerprint(input: &ParsedRequest) -> String {
    let mut canonical = serde_json::json!([
        input.name.as_str(),
        input.mobile.as_str(),
        input.national_id.as_ref().map(|n| n.as_str()),
        input.email.as_ref().map(|e| e.as_str()),
        input.text.as_str(),
        input.proposed_kind.map(|k| k.as_str()),
        input.subject.map(|s| s.as_str()),
        input.subject_unit_id,
    ]);
    // Only when there are files: a submission without them keeps the fingerprint it had before
    // attachments existed, so a key stored by an older release still replays after an upgrade.
    if let (false, Some(values)) = (input.attachments.is_empty(), canonical.as_array_mut()) {
        values.push(serde_json::json!(sorted(&input.attachments)));
    }
    let digest = Sha256::digest(canonical.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Attachment ids in one order: the same files listed in another order are the same submission.
fn sorted(ids: &[AttachmentId]) -> Vec<&str> {
    let mut ids: Vec<&str> = ids.iter().map(AttachmentId::as_str).collect();
    ids.sort_unstable();
    ids
}

/// Parses a tracking code from a path, with a hint when only its check digit is wrong.
pub fn parse_code(raw: &str) -> AppResult<TrackingCode> {
    TrackingCode::parse(raw).map_err(|error| match error {
        TrackingCodeError::CheckDigit => AppError::Invalid(vec![FieldError::new(
            "tracking_code",
            "check_digit",
            error.to_string(),
        )]),
        other => AppError::Invalid(vec![FieldError::new(
            "tracking_code",
            "format",
            other.to_string(),
        )]),
    })
}

/// The request behind a tracking code (as typed: `raw_code`) with its public history, for
/// `client`, counted against its lookups (malformed codes too: guessing is what is limited).
pub fn lookup(
    conn: &mut DbConnection,
    (limits, rules): (&Limits, &Rules),
    client: &str,
    raw_code: &str,
) -> AppResult<RequestWithHistory> {
    limits.hit(conn, Limit::LookupsPerClient, client)?;
    let code = parse_code(raw_code)?;
    let view =
        public_view::by_tracking_code(conn, code.as_str())?.ok_or(AppError::NotFound("request"))?;
    public_record(view, rules)
}

/// The public record of the request `id` as it stands now, in the caller's transaction: what
/// a citizen's command answers with.
pub(crate) fn record_of(
    conn: &mut DbConnection,
    id: &RequestId,
    rules: &Rules,
) -> AppResult<RequestWithHistory> {
    let row = repo::find(conn, id)?.ok_or(AppError::NotFound("request"))?;
    public_record(public_view::of_request(conn, row)?, rules)
}

/// A request with what the citizen may see of its progress: the public history, the units it
/// went to (by name, each once), a scheduled meeting's time, and until when its outcome may be
/// objected to.
fn public_record(view: PublicView, rules: &Rules) -> AppResult<RequestWithHistory> {
    let mut referred_to = Vec::new();
    for name in view.unit_names {
        if !referred_to.contains(&name) {
            referred_to.push(name);
        }
    }
    let request = Request::from(view.request);
    let history: Vec<Event> = view
        .events
        .into_iter()
        .map(|row| Ok(Event::try_from(row)?))
        .collect::<AppResult<_>>()?;
    let facts = crate::domain::objection::Facts {
        status: request.status,
        resolution: request.resolution,
        closed_at: request.closed_at,
        objected_before: history
            .iter()
            .any(|event| event.action == super::state::OBJECTED),
    };
    let standing = crate::domain::objection::standing(
        facts,
        rules.objection_window,
        &rules.calendar,
        rules.now(),
    );
    Ok(RequestWithHistory {
        request,
        history,
        referred_to,
        meeting_at: view.meeting_at,
        objection_until: standing.open_until(),
    })
}

/// Counts a proof of ownership (tracking code + mobile number) against the client's lookups and
/// the mobile number's proofs, and parses the code.
pub(crate) fn count_proof(
    conn: &mut DbConnection,
    limits: &Limits,
    client: &str,
    raw_code: &str,
    mobile: &str,
) -> AppResult<TrackingCode> {
    limits.hit(conn, Limit::LookupsPerClient, client)?;
    let code = parse_code(raw_code)?;
    if let Ok(mobile) = MobileNumber::parse(mobile) {
        limits.hit(conn, Limit::ProofsPerMobile, mobile.as_str())?;
    }
    Ok(code)
}

/// Withdraws a request for the citizen who filed it: the mobile number must be the one the
/// request was filed with, and the request still open.
pub fn withdraw(
    conn: &mut DbConnection,
    (limits, rules): (&Limits, &super::deadlines::SharedRules),
    client: &str,
    raw_code: &str,
    mobile: &str,
) -> AppResult<RequestWithHistory> {
    let code = &count_proof(conn, limits, client, raw_code, mobile)?;
    let mobile = parse_field("mobile", MobileNumber::parse(mobile))?;
    write_transaction(conn, |conn| {
        let row = owned_request(conn, &rules.vault, code, &mobile)?;
        super::handling::decide_and_commit(
            conn,
            &row,
            &super::handling::Acting::citizen(rules.clone()),
            Command::Withdraw,
            |_, _, _, _| Ok(super::handling::Effects::none()),
        )?;
        record_of(conn, &row.id, rules)
    })
}

/// The conversation of the citizen's request, for the citizen who proves it is theirs (the
/// tracking code and the mobile it was filed with), counted like any proof of ownership.
pub fn conversation(
    conn: &mut DbConnection,
    proof: (&Limits, &Vault),
    client: &str,
    raw_code: &str,
    mobile: &str,
) -> AppResult<Vec<super::conversation::CitizenMessage>> {
    let row = proven_request(conn, proof, client, raw_code, mobile)?;
    super::conversation::for_citizen(conn, &row)
}

/// The request behind a proof of ownership, counted like every proof.
fn proven_request(
    conn: &mut DbConnection,
    (limits, vault): (&Limits, &Vault),
    client: &str,
    raw_code: &str,
    mobile: &str,
) -> AppResult<crate::db::requests::RequestRow> {
    let code = &count_proof(conn, limits, client, raw_code, mobile)?;
    let mobile = parse_field("mobile", MobileNumber::parse(mobile))?;
    owned_request(conn, vault, code, &mobile)
}

/// The files of the citizen's request that the citizen reads: their own, and those staff sent
/// them with a message (proof of ownership as for the conversation).
pub fn attachments(
    conn: &mut DbConnection,
    proof: (&Limits, &Vault),
    client: &str,
    (raw_code, mobile): (&str, &str),
) -> AppResult<Vec<super::attachments::Attachment>> {
    let request = proven_request(conn, proof, client, raw_code, mobile)?;
    super::attachments::readable(
        conn,
        super::attachments::Reading::Citizen { request: &request },
    )
}

/// One of those files, with its bytes.
pub fn attachment(
    conn: &mut DbConnection,
    (limits, files, vault): (&Limits, &super::attachments::Files, &Vault),
    client: &str,
    (raw_code, mobile): (&str, &str),
    id: &crate::domain::ids::AttachmentId,
) -> AppResult<(super::attachments::Attachment, Vec<u8>)> {
    let request = proven_request(conn, (limits, vault), client, raw_code, mobile)?;
    let reading = super::attachments::Reading::Citizen { request: &request };
    super::attachments::download(conn, files, reading, id)
}

/// The citizen's reply on their own request (see `conversation::citizen_reply`).
pub fn reply(
    conn: &mut DbConnection,
    (limits, files, rules): (&Limits, &Files, &Rules),
    client: &str,
    (raw_code, mobile): (&str, &str),
    message: (&str, &[AttachmentId]),
) -> AppResult<super::conversation::CitizenMessage> {
    let code = &count_proof(conn, limits, client, raw_code, mobile)?;
    let mobile = parse_field("mobile", MobileNumber::parse(mobile))?;
    write_transaction(conn, |conn| {
        let row = owned_request(conn, &rules.vault, code, &mobile)?;
        super::conversation::citizen_reply(conn, (limits, files, rules), &row, message)
    })
}

/// The request behind `code` if `mobile` is the number it was filed with (404 without it, 403
/// with another number): the citizen's proof of ownership, for withdrawal and rating.
pub(crate) fn owned_request(
    conn: &mut DbConnection,
    vault: &Vault,
    code: &TrackingCode,
    mobile: &MobileNumber,
) -> AppResult<crate::db::requests::RequestRow> {
    let row =
        repo::find_by_tracking_code(conn, code.as_str())?.ok_or(AppError::NotFound("request"))?;
    // Compared by blind index: the proof never needs the stored number opened.
    let index = vault.index(Field::Mobile, mobile.as_str());
    if crate::db::requests::mobile_index(conn, &row.id)?.as_deref() != Some(index.as_str()) {
        return Err(AppError::Forbidden(
            "this is not the mobile number the request was filed with",
        ));
    }
    Ok(row)
}

/// A citizen's rating of how their request was handled.
#[derive(Debug, Clone)]
pub struct RatingInput {
    pub mobile: String,
    pub score: i32,
    pub comment: Option<String>,
}

impl RatingInput {
    /// The mobile number and the comment (normalised, empty is none), every bad field named.
    fn parsed(&self) -> AppResult<(MobileNumber, Option<String>)> {
        let mut errors = Vec::new();
        let mobile = crate::domain::keep(
            &mut errors,
            parse_field("mobile", MobileNumber::parse(&self.mobile)),
        );
        if !(1..=5).contains(&self.score) {
            errors.push(FieldError::new(
                "score",
                "range",
                "a rating is a whole number from 1 to 5",
            ));
        }
        let comment = self
            .comment
            .as_deref()
            .map(crate::domain::text::normalise_text)
            .filter(|c| !c.is_empty());
        if comment.as_ref().is_some_and(|c| c.chars().count() > 1000) {
            errors.push(FieldError::new(
                "comment",
                "length",
                "a comment has at most 1000 characters",
            ));
        }
        match mobile.filter(|_| errors.is_empty()) {
            Some(mobile) => Ok((mobile, comment)),
            None => Err(AppError::Invalid(errors)),
        }
    }
}

/// Rates a closed request, once, for the citizen who filed it.
pub fn rate(
    conn: &mut DbConnection,
    (limits, rules): (&Limits, &Rules),
    client: &str,
    raw_code: &str,
    input: RatingInput,
) -> AppResult<RequestWithHistory> {
    let code = &count_proof(conn, limits, client, raw_code, &input.mobile)?;
    let (mobile, comment) = input.parsed()?;
    write_transaction(conn, |conn| {
        let row = owned_request(conn, &rules.vault, code, &mobile)?;
        if row.status != crate::domain::request::Status::Closed {
            return Err(AppError::conflict(
                "not-closed",
                "a request can be rated once it is closed",
            ));
        }
        crate::db::ratings::insert(
            conn,
            &crate::db::ratings::RatingRow {
                request_id: row.id.clone(),
                score: input.score,
                comment,
                created_at: rules.now(),
            },
        )
        .map_err(|e| {
            if db::is_unique_violation(&e) {
                AppError::conflict("already-rated", "this request has been rated already")
            } else {
                e.into()
            }
        })?;
        public_record(public_view::of_request(conn, row)?, rules)
    })
}
