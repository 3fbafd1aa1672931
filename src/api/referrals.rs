//! `referrals`: a unit's inbox and the referral lifecycle. Unit staff see only their own unit's
//! referrals (another unit's is 404, like a missing one); the desk sees all. A referral never
//! carries the citizen's identity, the tracking code, the original text or the request's id.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::cursor;
use super::error::{ApiError, Problem};
use super::json::ValidJson;
use super::list_query::{ListQuery, PageParams};
use super::staff::Staff;
use super::state::AppState;
use super::versioning::{etag, if_match};
use super::views::utc;
use crate::app::referrals::{self, Referral, ReferralFilter, StepInput};
use crate::domain::Role;
use crate::domain::ids::{AttachmentId, ReferralId};
use crate::domain::referral::{ReferralReason, ReferralStatus, Step};
use crate::domain::request::{RequestKind, Subject};

/// A referral as its unit sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "reference": "R-04817263", "unit_id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10",
    "reason": "action_required", "kind": "complaint", "subject": "unit",
    "text": "شکایت از برخورد نامناسب کارکنان واحد پذیرش با [نام]", "due_at": "2026-12-06T08:30:00Z",
    "overdue": false, "awaiting_citizen": false, "awaiting_citizen_since": null,
    "replies_waiting_for_desk": 0, "status": "open", "answer": null, "return_reason": null, "version": 1,
    "created_at": "2026-11-29T08:30:00Z", "updated_at": "2026-11-29T08:30:00Z"
}))]
pub struct ReferralView {
    #[schema(format = Uuid)]
    pub id: String,
    /// The referral's own reference, for talking about it (not the tracking code).
    pub reference: String,
    #[schema(format = Uuid)]
    pub unit_id: String,
    pub reason: ReferralReason,
    pub kind: Option<RequestKind>,
    pub subject: Option<Subject>,
    /// The anonymised text the desk approved.
    pub text: String,
    pub due_at: DateTime<Utc>,
    /// Past due and not yet answered; false while the unit waits for the citizen on a question
    /// asked before the due time (the clock stands still).
    pub overdue: bool,
    /// The unit asked the citizen (`POST /referrals/{id}/messages`) and no answer has come yet.
    pub awaiting_citizen: bool,
    /// Since when: the first question the citizen has not answered.
    pub awaiting_citizen_since: Option<DateTime<Utc>>,
    /// The citizen's answers that wait for the desk to release them to the unit.
    pub replies_waiting_for_desk: i64,
    pub status: ReferralStatus,
    pub answer: Option<String>,
    /// Why the desk returned it for more work.
    pub return_reason: Option<String>,
    /// Also the `ETag`; send it as `If-Match`.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Referral> for ReferralView {
    fn from(r: Referral) -> Self {
        Self {
            overdue: r.overdue,
            awaiting_citizen: r.awaiting_citizen,
            awaiting_citizen_since: r.awaiting_citizen_since.map(utc),
            replies_waiting_for_desk: r.replies_waiting_for_desk,
            id: r.id.into(),
            reference: r.reference,
            unit_id: r.unit_id.into(),
            reason: r.reason,
            kind: r.kind,
            subject: r.subject,
            text: r.text,
            due_at: utc(r.due_at),
            status: r.status,
            answer: r.answer,
            return_reason: r.return_reason,
            version: r.version,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReferralList {
    pub items: Vec<ReferralView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReferralQuery {
    pub status: Option<ReferralStatus>,
    /// `true`: only referrals past due and not yet answered (not one waiting for the citizen
    /// since before its due time: its clock stands still).
    pub overdue: Option<bool>,
    /// Due at or after this time (RFC 3339).
    pub due_from: Option<DateTime<Utc>>,
    /// Due before this time (RFC 3339).
    pub due_to: Option<DateTime<Utc>>,
    /// Only this request's referrals (desk roles; unit staff, who never see request ids, get
    /// 403).
    pub request_id: Option<Uuid>,
}

/// The unit's answer.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"answer": "با کارمند مربوط گفت‌وگو شد و دوره‌ی آموزشی برگزار می‌شود"}))]
pub struct AnswerBody {
    #[schema(min_length = 10, max_length = 4000)]
    pub answer: String,
    /// Your uploads (`POST /api/v1/uploads`) that go with the answer, each listed once; the
    /// desk reads them with the request's attachments.
    #[schema(max_items = 20)]
    pub attachments: Option<Vec<Uuid>>,
}

/// Why the desk sends the answer back.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "پاسخ درباره‌ی زمان برگزاری دوره چیزی نمی‌گوید"}))]
pub struct ReturnBody {
    #[schema(min_length = 10, max_length = 4000)]
    pub reason: String,
}

/// Who has a referral inbox: a unit's staff (their unit's), and the desk (every unit's). Intake
/// and operators hand requests in; they follow none.
const INBOX: &[Role] = &[Role::UnitStaff, Role::Reviewer, Role::Head, Role::Admin];

/// The inbox: a unit's referrals (unit staff), or all (reviewer, head, admin), newest first.
#[utoipa::path(tag = "referrals", security(("bearer" = [])), params(ReferralQuery, PageParams), responses((status = 200, description = "One page of referrals", body = ReferralList)))]
#[get("/referrals")]
pub async fn list_referrals(
    state: web::Data<AppState>,
    staff: Staff,
    query: ListQuery<ReferralQuery>,
) -> Result<HttpResponse, ApiError> {
    staff.require(INBOX)?;
    let (query, page) = query.into_parts()?;
    let filter = ReferralFilter {
        request_id: query.request_id.map(Into::into),
        status: query.status,
        overdue: query.overdue.unwrap_or(false),
        due_from: query.due_from.map(|t| t.naive_utc()),
        due_before: query.due_to.map(|t| t.naive_utc()),
    };
    let user = staff.user().clone();
    let now = state.deadlines.now();
    let page = state
        .db(move |conn| referrals::list(conn, (&user, now), filter, &page))
        .await?;
    Ok(HttpResponse::Ok().json(ReferralList {
        items: page.items.into_iter().map(ReferralView::from).collect(),
        next_cursor: page.next.as_ref().map(cursor::encode),
    }))
}

/// One referral (its unit's staff, or the desk).
#[utoipa::path(
    tag = "referrals", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The referral; `ETag` is its version", body = ReferralView),
        (status = 404, description = "No such referral, or another unit's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/referrals/{id}")]
pub async fn get_referral(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    staff.require(INBOX)?;
    let id = id.into_inner().into();
    let user = staff.user().clone();
    let now = state.deadlines.now();
    let referral = state
        .db(move |conn| referrals::get(conn, &user, &id, now))
        .await?;
    Ok(answered(referral))
}

pub(crate) fn answered(referral: Referral) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(etag(referral.version))
        .json(ReferralView::from(referral))
}

async fn step(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    input: StepInput,
) -> Result<HttpResponse, ApiError> {
    // Authorisation before validation: a role that may not take the step hears 403 before
    // anything it sent (`If-Match` included) is judged.
    staff.require(input.step().roles())?;
    let version = if_match(req)?;
    let (files, user) = (state.files.clone(), staff.user().clone());
    let rules = state.deadlines.clone();
    let id = ReferralId::from(id);
    let referral = state
        .db(move |conn| referrals::step(conn, (&files, &rules), &user, (&id, version), input))
        .await?;
    Ok(answered(referral))
}

/// Acknowledge receipt (the unit's staff).
#[utoipa::path(
    tag = "referrals", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "Acknowledged", body = ReferralView),
    )
)]
#[post("/referrals/{id}/acknowledge")]
pub async fn acknowledge(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    step(
        &req,
        &state,
        &staff,
        id.into_inner(),
        StepInput::Acknowledge,
    )
    .await
}

/// Answer (the unit's staff).
#[utoipa::path(
    tag = "referrals", security(("bearer" = [])), request_body = AnswerBody,
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "Answered", body = ReferralView),
    )
)]
#[post("/referrals/{id}/answer")]
pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<AnswerBody>,
) -> Result<HttpResponse, ApiError> {
    // The role is checked before the body is read (the unit by the step itself).
    staff.require(Step::Answer.roles())?;
    step(&req, &state, &staff, id.into_inner(), {
        let AnswerBody {
            answer,
            attachments,
        } = body.into_inner()?;
        StepInput::Answer {
            text: answer,
            attachments: attachments
                .into_iter()
                .flatten()
                .map(AttachmentId::from)
                .collect(),
        }
    })
    .await
}

/// Accept the unit's answer (reviewer, admin).
#[utoipa::path(
    tag = "referrals", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "Accepted", body = ReferralView),
        (status = 404, description = "No such referral", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/referrals/{id}/accept")]
pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    step(&req, &state, &staff, id.into_inner(), StepInput::Accept).await
}

/// Return the answer to the unit for more work (reviewer, admin).
#[utoipa::path(
    tag = "referrals", security(("bearer" = [])), request_body = ReturnBody,
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "Returned to the unit", body = ReferralView),
        (status = 404, description = "No such referral", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/referrals/{id}/return")]
pub async fn return_referral(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<ReturnBody>,
) -> Result<HttpResponse, ApiError> {
    // The role is checked before the body is read (the unit by the step itself).
    staff.require(&[Role::Reviewer, Role::Admin])?;
    step(
        &req,
        &state,
        &staff,
        id.into_inner(),
        StepInput::Return(body.into_inner()?.reason),
    )
    .await
}
