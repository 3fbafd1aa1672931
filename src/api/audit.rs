//! Revealing an identity (`POST /requests/{id}/reveal`) and the audit log every reveal writes
//! (`GET /audit`, admins). Staff views carry the identity masked; this is the one way to read it
//! in full, and it is a POST because it changes something: the record of who read what.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::cursor;
use super::error::{ApiError, Problem};
use super::json::ValidJson;
use super::list_query::{ListQuery, PageParams};
use super::requests::IdentityView;
use super::staff::Staff;
use super::state::AppState;
use super::views::utc;
use crate::app::audit::{self, AuditEvent, RevealInput};
use crate::domain::Role;
use crate::domain::ids::{RequestId, UserId};
use crate::domain::reveal::IdentityField;

/// What to reveal, and why.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"fields": ["mobile"], "reason": "تماس تلفنی برای هماهنگی ملاقات"}))]
pub struct RevealBody {
    /// `identity` (every field, the default) or some of `name`, `mobile`, `national_id`,
    /// `email`.
    #[serde(default)]
    pub fields: Vec<String>,
    /// Why; required when the Center's configuration says so (`MARDOM_REVEAL_REASON=required`),
    /// at most 500 characters. Kept in the audit log.
    pub reason: Option<String>,
}

/// The identity with the revealed fields in full, and the record the reveal left.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "citizen": {"name": "ع. ر.", "mobile": "+989123456789", "national_id": null, "email": null},
    "revealed": ["mobile"], "audit_event_id": "8d3e0c7a-2f4b-4a1e-9c5d-6b7a8e9f0a12",
    "at": "2026-12-03T09:15:00Z"
}))]
pub struct RevealedView {
    pub citizen: IdentityView,
    /// The fields shown in full (those asked for that the identity has).
    pub revealed: Vec<IdentityField>,
    #[schema(format = Uuid)]
    pub audit_event_id: String,
    pub at: DateTime<Utc>,
}

/// One event of the audit log.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "8d3e0c7a-2f4b-4a1e-9c5d-6b7a8e9f0a12", "at": "2026-12-03T09:15:00Z",
    "actor_id": "5f0c2f7e-4a8e-4d4b-9a57-1c1b2f0e9a11", "actor_role": "reviewer",
    "action": "identity_revealed", "request_id": "7b0a4f4e-3c1d-4e59-8a0b-5a8c2d9e1f37",
    "fields": ["name", "mobile"], "reason": "تماس برای پیگیری"
}))]
pub struct AuditEventView {
    #[schema(format = Uuid)]
    pub id: String,
    pub at: DateTime<Utc>,
    #[schema(format = Uuid)]
    pub actor_id: String,
    /// The role the account had when it acted.
    pub actor_role: Role,
    /// `identity_revealed`.
    pub action: String,
    #[schema(format = Uuid)]
    pub request_id: Option<String>,
    pub fields: Vec<IdentityField>,
    pub reason: Option<String>,
}

impl From<AuditEvent> for AuditEventView {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id,
            at: utc(e.at),
            actor_id: e.actor_id.into(),
            actor_role: e.actor_role,
            action: e.action,
            request_id: e.request_id.map(Into::into),
            fields: e.fields,
            reason: e.reason,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEventView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only the events on this request.
    pub request_id: Option<Uuid>,
    /// Only the events of this member of staff.
    pub actor_id: Option<Uuid>,
    /// At or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

/// Reveal a citizen's identity: the reviewers, the head, admins, and the intake expert or
/// operator who registered the request. Every reveal is recorded (who, when, which fields,
/// the reason) in the audit log, and the citizen sees when and by which role it was read.
#[utoipa::path(
    tag = "audit", security(("bearer" = [])), request_body = RevealBody,
    params(("id" = Uuid, Path, description = "The request's id")),
    responses(
        (status = 200, description = "The identity, the fields asked for in full", body = RevealedView),
        (status = 403, description = "Your role may not reveal, or (intake, operator) you did not register this request", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`identity-erased`: the retention period ended and the identity is gone", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown field, or a reason missing (when required) or too long", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/requests/{id}/reveal")]
pub async fn reveal(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<RevealBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, user) = (RequestId::from(id.into_inner()), staff.user().clone());
    // Who may, before what they sent is looked at.
    if !matches!(user.role, Role::Reviewer | Role::Head | Role::Admin) {
        let (who, which) = (user.clone(), id.clone());
        state
            .db(move |conn| audit::may_reveal(conn, &who, &which))
            .await?;
    }
    let body = body.into_inner()?;
    let input = RevealInput {
        fields: body.fields,
        reason: body.reason,
    };
    let (rules, policy) = (state.deadlines.clone(), state.reveal_reason);
    let revealed = state
        .db(move |conn| audit::reveal(conn, (&rules, policy), &user, &id, &input))
        .await?;
    Ok(HttpResponse::Ok().json(RevealedView {
        citizen: revealed.identity.into(),
        revealed: revealed.event.fields.clone(),
        audit_event_id: revealed.event.id.clone(),
        at: utc(revealed.event.at),
    }))
}

/// The audit log, newest first (admins).
#[utoipa::path(
    tag = "audit", security(("bearer" = [])), params(AuditQuery, PageParams),
    responses((status = 200, description = "One page of the audit log", body = AuditPage))
)]
#[get("/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    staff: Staff,
    query: ListQuery<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    staff.require(&[Role::Admin])?;
    let (query, page) = query.into_parts()?;
    let filter = audit::AuditQuery {
        request_id: query.request_id.map(RequestId::from),
        actor_id: query.actor_id.map(UserId::from),
        from: query.from.map(|t| t.naive_utc()),
        to: query.to.map(|t| t.naive_utc()),
    };
    let page = state
        .db(move |conn| audit::list(conn, filter, &page))
        .await?;
    Ok(HttpResponse::Ok().json(AuditPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next.as_ref().map(cursor::encode),
    }))
}
