//! The desk's commands on a request (`requests` tag): classify, refer, thank, close, and the
//! proposed anonymised text for a referral. Reviewers and admins give them. Each answers with
//! the request's detail and its version as `ETag`; send `If-Match` to refuse a stale change.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::error::{ApiError, Problem};
use super::json::ValidJson;
use super::requests::RequestDetailView;
use super::staff::Staff;
use super::state::AppState;
use super::versioning::if_match;
use crate::app::AppResult;
use crate::app::handling::{self, Caller, Classification, NewReferral};
use crate::app::requests::RequestDetail;
use crate::app::store::Conn;
use crate::domain::Role;
use crate::domain::ids::RequestId;
use crate::domain::lifecycle::{Action, Actor};
use crate::domain::request::{RequestKind, Subject};

/// What review decides a request is.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "complaint", "subject": "unit", "subject_unit_id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10"}))]
pub struct ClassifyBody {
    pub kind: RequestKind,
    /// For feedback kinds: whom it is about.
    pub subject: Option<Subject>,
    /// The unit it is about, where known; requires `subject`.
    pub subject_unit_id: Option<Uuid>,
}

// The body of `refer` and of `redirect` (`api::meetings`), which hand a request to a unit alike
// (a plain comment: the `///` below is the schema's description in the document).
/// A referral: the unit, the anonymised text (see `GET …/anonymised-text`) and the due date.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "unit_id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10",
    "text": "شکایت از برخورد نامناسب کارکنان واحد پذیرش با [نام] در تاریخ ۵ آذر",
    "due_at": "2026-12-07T12:00:00+03:30"
}))]
pub struct ReferBody {
    pub unit_id: Uuid,
    /// The text the unit will read, 10 to 4000 characters; refused (422, `identifies_citizen`,
    /// with where each one stands) while it still contains the citizen's name, a mobile or
    /// landline number, a national ID, an email, or a tracking code (any of the citizen's
    /// requests', or any twelve-digit number whose check digit holds).
    #[schema(min_length = 10, max_length = 4000)]
    pub text: String,
    /// When the unit should answer by; 7 days from now when absent (configurable).
    pub due_at: Option<DateTime<Utc>>,
}

impl From<ReferBody> for NewReferral {
    fn from(body: ReferBody) -> Self {
        Self {
            unit_id: body.unit_id.into(),
            text: body.text,
            due_at: body.due_at.map(|t| t.naive_utc()),
        }
    }
}

/// How a request was resolved, for the record.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"summary": "واحد پذیرش عذرخواهی کرد و آموزش کارکنان را برگزار کرد"}))]
pub struct CloseBody {
    #[schema(min_length = 10, max_length = 4000)]
    pub summary: String,
}

/// The server's proposal of a text for the unit.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"text": "شکایت [نام] از برخورد کارکنان؛ شماره تماس [شماره تماس]"}))]
pub struct AnonymisedText {
    /// The request's text with the citizen's name parts, phone numbers, national IDs, emails
    /// and tracking codes replaced by markers such as «[نام]» and «[کد رهگیری]». Review and
    /// edit before referring.
    pub text: String,
}

/// The caller of a command on a request, refused (403) first if their role may never give
/// `action` (the lifecycle's rule, `Action::allowed`): before the body is read or the request
/// looked up, so a role without the right learns nothing from a 404, 412 or 422.
pub(crate) fn caller(
    (req, state, staff): (&HttpRequest, &AppState, &Staff),
    action: Action,
) -> Result<Caller, ApiError> {
    if !action.allowed(Actor::Staff(staff.user().role)) {
        return Err(ApiError::forbidden());
    }
    Ok(Caller {
        staff: staff.user().clone(),
        if_match: if_match(req)?,
        rules: state.deadlines.clone(),
    })
}

/// The request's detail with its `ETag` (`conditional`): the answer of a command, or of a read
/// (`read`), which is 304 when its `If-None-Match` names the tag.
pub(crate) fn answered(
    read: Option<&HttpRequest>,
    detail: RequestDetail,
) -> Result<HttpResponse, ApiError> {
    let version = detail.request.version;
    super::conditional::json(read, Some(version), &RequestDetailView::from(detail))
}

/// One command on a request at the HTTP edge, in the order every command follows: the role and
/// `If-Match` (`caller`), then what the body says (`input`, already parsed but judged only
/// now, so that a role without the right hears 403 whatever it sent), then the use case on the
/// pool, answered with the request's detail and its new `ETag`.
pub(crate) async fn command<I: Send + 'static>(
    (req, state, staff): (&HttpRequest, &AppState, &Staff),
    action: Action,
    id: web::Path<Uuid>,
    input: Result<I, ApiError>,
    use_case: impl FnOnce(&mut Conn, &RequestId, &Caller, I) -> AppResult<RequestDetail>
    + Send
    + 'static,
) -> Result<HttpResponse, ApiError> {
    let caller = caller((req, state, staff), action)?;
    let input = input?;
    let id = RequestId::from(id.into_inner());
    let detail = state
        .db(move |conn| use_case(conn, &id, &caller, input))
        .await?;
    answered(None, detail)
}

/// Classify a request (`registered` → `in_review`; reclassify while `in_review`).
#[utoipa::path(
    tag = "requests", security(("bearer" = [])), request_body = ClassifyBody,
    params(("id" = Uuid, Path, description = "The request's id")),
    responses(
        (status = 200, description = "Classified; `ETag` is the new version", body = RequestDetailView),
        (status = 409, description = "Not possible in this status (`transition-not-allowed`, naming what is) or a concurrent change", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/requests/{id}/classify")]
pub async fn classify(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<ClassifyBody>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner().map(|body| Classification {
        kind: body.kind,
        subject: body.subject,
        subject_unit_id: body.subject_unit_id.map(Into::into),
    });
    command(
        (&req, &state, &staff),
        Action::Classify,
        id,
        input,
        handling::classify,
    )
    .await
}

/// Refer a feedback request to a unit with an anonymised text (`in_review` → `referred`; SMS).
///
/// A request about several units goes to each: refer again while it is `referred`, one call per
/// unit, each with its own text and due date (the citizen is told of each unit by SMS). A unit
/// that still has an unfinished referral of the request is refused (409 `already-referred`).
/// The request closes once every referral is accepted; the answer's `referrals` and
/// `allowed_actions` show where each stands.
#[utoipa::path(
    tag = "requests", security(("bearer" = [])), request_body = ReferBody,
    params(("id" = Uuid, Path, description = "The request's id")),
    responses(
        (status = 200, description = "Referred; the referral is in the unit's inbox", body = RequestDetailView),
        (status = 409, description = "Not possible in this status or kind (`transition-not-allowed`), the unit already has an unfinished referral of it (`already-referred`), or a concurrent change", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/requests/{id}/refer")]
pub async fn refer(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<ReferBody>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner().map(NewReferral::from);
    command(
        (&req, &state, &staff),
        Action::Refer,
        id,
        input,
        handling::refer,
    )
    .await
}

/// Thank the citizen and close a feedback request that needs no action (SMS).
#[utoipa::path(
    tag = "requests", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The request's id")),
    responses(
        (status = 200, description = "Closed with resolution `thanked`", body = RequestDetailView),
        (status = 409, description = "Not possible in this status or kind, or a concurrent change", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/requests/{id}/thank")]
pub async fn thank(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    command(
        (&req, &state, &staff),
        Action::Thank,
        id,
        Ok(()),
        |conn, id, caller, ()| handling::thank(conn, id, caller),
    )
    .await
}

/// Close a referred or followed-up request as resolved, once every referral is accepted (SMS).
#[utoipa::path(
    tag = "requests", security(("bearer" = [])), request_body = CloseBody,
    params(("id" = Uuid, Path, description = "The request's id")),
    responses(
        (status = 200, description = "Closed with resolution `resolved`", body = RequestDetailView),
        (status = 409, description = "Not possible in this status, a referral is not accepted yet (`referrals-open`), or a concurrent change", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/requests/{id}/close")]
pub async fn close(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<CloseBody>,
) -> Result<HttpResponse, ApiError> {
    let summary = body.into_inner().map(|body| body.summary);
    command(
        (&req, &state, &staff),
        Action::Close,
        id,
        summary,
        |conn, id, caller, summary| handling::close(conn, id, caller, &summary),
    )
    .await
}

/// The proposed anonymised text of a request, for a referral (reviewer, admin).
#[utoipa::path(
    tag = "requests", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The request's id")),
    responses(
        (status = 200, description = "The proposal", body = AnonymisedText),
        (status = 404, description = "No such request", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/requests/{id}/anonymised-text")]
pub async fn anonymised_text(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    staff.require(&[Role::Reviewer, Role::Admin])?;
    let (id, vault) = (RequestId::from(id.into_inner()), state.vault());
    let text = state
        .db(move |conn| handling::proposed_text(conn, &vault, &id))
        .await?;
    Ok(HttpResponse::Ok().json(AnonymisedText { text }))
}
