//! Deadlines at the HTTP edge: the desk extends a referral's answer (the citizen is told by
//! SMS), and the overdue lists of the desk and of each unit.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::error::{ApiError, Problem};
use super::json::ValidJson;
use super::staff::Staff;
use super::state::AppState;
use super::versioning::if_match;
use super::views::utc;
use crate::app::deadlines::{self, EXTENDERS, Extension, Overdue};
use crate::domain::Role;
use crate::domain::deadline::{DeadlineKind, Stage};
use crate::domain::ids::ReferralId;

/// More time for a unit to answer: a new due time, or a span added to the current one; and
/// why (kept for the desk; the citizen is told only the new date).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"by": "5d", "reason": "پاسخ نیازمند استعلام از معاونت درمان است"}))]
pub struct ExtendBody {
    /// The new due time (RFC 3339), after the current one. Give this or `by`.
    pub due_at: Option<DateTime<Utc>>,
    /// Working days (`5d`) or hours of working time (`12h`) added to the current due time
    /// (or to now, if it has passed). Give this or `due_at`.
    pub by: Option<String>,
    /// Why, for the desk's history (10 to 4000 characters); never sent to the citizen.
    #[schema(min_length = 10, max_length = 4000)]
    pub reason: String,
}

/// Extend a referral's answer (reviewer, admin; SMS to the citizen with the new Jalali date).
#[utoipa::path(
    tag = "referrals", security(("bearer" = [])), request_body = ExtendBody,
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "Extended; `due_at` is the new due time and the citizen's SMS is in the outbox", body = super::referrals::ReferralView),
        (status = 404, description = "No such referral", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The referral is answered, accepted or withdrawn (`not-extendable`), or changed meanwhile", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/referrals/{id}/extend")]
pub async fn extend_referral(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<ExtendBody>,
) -> Result<HttpResponse, ApiError> {
    staff.require(EXTENDERS)?;
    let version = if_match(&req)?;
    let body = body.into_inner()?;
    let extension = match (body.due_at, body.by) {
        (Some(due), None) => Extension::Until(due.naive_utc()),
        (None, Some(by)) => Extension::By(by),
        _ => {
            return Err(ApiError::from(crate::app::AppError::from(
                crate::domain::FieldError::new("due_at", "one_of", "give either due_at or by"),
            )));
        }
    };
    let (user, rules) = (staff.user().clone(), state.deadlines.clone());
    let id = ReferralId::from(id.into_inner());
    let reason = body.reason;
    let referral = state
        .db(move |conn| deadlines::extend(conn, &rules, &user, &id, (extension, &reason), version))
        .await?;
    Ok(super::referrals::answered(referral))
}

/// One overdue piece of work.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "5b0e2f4c-1a3d-4e6f-8b9a-7c2d1e0f3a45", "kind": "answer", "stage": "overdue",
    "started_at": "2026-11-20T06:30:00Z", "due_at": "2026-12-01T20:30:00Z", "extensions": 0,
    "request_id": null, "referral_id": "9f2c4e1a-7b3d-4c5e-8a1f-2d6b0e9c7a54",
    "reference": "R-40571392", "unit_id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10"
}))]
pub struct OverdueView {
    #[schema(format = Uuid)]
    pub id: String,
    pub kind: DeadlineKind,
    /// How far it has been announced: `overdue` (the desk and the deputy office were told),
    /// `escalated` (the head too); `running` or `reminded` when the watch has not passed yet.
    pub stage: Stage,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// How many times it was extended.
    pub extensions: i32,
    /// The request, for the desk; never given to a unit's staff.
    #[schema(format = Uuid)]
    pub request_id: Option<String>,
    #[schema(format = Uuid)]
    pub referral_id: Option<String>,
    pub reference: Option<String>,
    #[schema(format = Uuid)]
    pub unit_id: Option<String>,
}

impl From<Overdue> for OverdueView {
    fn from(o: Overdue) -> Self {
        Self {
            id: o.id.into(),
            kind: o.kind,
            stage: o.stage,
            started_at: utc(o.started_at),
            due_at: utc(o.due_at),
            extensions: o.extensions,
            request_id: o.request_id.map(Into::into),
            referral_id: o.referral_id.map(Into::into),
            reference: o.reference,
            unit_id: o.unit_id.map(Into::into),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OverdueList {
    pub items: Vec<OverdueView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    /// Only this unit's referrals (the desk; a unit's staff always get their own).
    pub unit_id: Option<Uuid>,
    /// `true`: only the desk's own work (classifying, scheduling).
    pub desk: Option<bool>,
}

/// Who has an overdue list: the desk, the head, and each unit for its own referrals.
const OVERDUE_READERS: &[Role] = &[Role::Reviewer, Role::Head, Role::Admin, Role::UnitStaff];

/// What is past due now and not done, oldest due first (paused work, waiting for the citizen,
/// is not late).
#[utoipa::path(
    tag = "referrals", security(("bearer" = [])), params(OverdueQuery),
    responses((status = 200, description = "The overdue work the caller may see", body = OverdueList))
)]
#[get("/deadlines/overdue")]
pub async fn list_overdue(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<OverdueQuery>,
) -> Result<HttpResponse, ApiError> {
    staff.require(OVERDUE_READERS)?;
    let query = query.into_inner();
    let (user, now) = (staff.user().clone(), state.deadlines.now());
    let scope = (query.unit_id.map(Into::into), query.desk.unwrap_or(false));
    let items = state
        .db(move |conn| deadlines::overdue(conn, &user, scope, now))
        .await?;
    Ok(HttpResponse::Ok().json(OverdueList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}
