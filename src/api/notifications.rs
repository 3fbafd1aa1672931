//! `notifications`: the SMS outbox for the desk (reviewer, admin) — list, read, retry a failed
//! one. Recipients and tracking codes are masked for every role but admin. (The providers'
//! delivery-report callback is `delivery_reports`.)

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::cursor;
use super::error::{ApiError, Kind, Problem};
use super::list_query::{ListQuery, PageParams};
use super::staff::Staff;
use super::state::AppState;
use super::views::utc;
use crate::app::notifications::{self, Notification, NotificationFilter};
use crate::domain::Role;
use crate::domain::ids::NotificationId;
use crate::domain::notification::NotificationStatus;

const READERS: &[Role] = &[Role::Reviewer, Role::Admin];

/// The longest template name a filter accepts (the `maxLength` the document declares).
const MAX_TEMPLATE_LEN: usize = 64;

/// One SMS in the outbox.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "3b2a1c0d-9e8f-4a7b-b6c5-d4e3f2a1b0c9", "request_id": "8b3f6a9e-1f0c-4b8e-9d2a-5c7e1a2b3c4d",
    "template": "tracking_code_issued", "recipient": "+98912***4567", "params": {"tracking_code": "************"},
    "status": "delivered", "attempts": 1, "next_attempt_at": "2026-11-29T08:30:00Z", "provider_message_id": "8792343",
    "last_error": null, "created_at": "2026-11-29T08:30:00Z", "sent_at": "2026-11-29T08:30:01Z", "delivered_at": "2026-11-29T08:30:09Z"
}))]
pub struct NotificationView {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub request_id: Option<String>,
    /// The template it is rendered from.
    pub template: String,
    /// E.164; masked (`+98912***4567`) for every role but admin.
    pub recipient: String,
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    pub status: NotificationStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id.into(),
            request_id: n.request_id.map(Into::into),
            template: n.template.as_str().to_owned(),
            recipient: n.recipient,
            params: n.params,
            status: n.status,
            attempts: n.attempts,
            next_attempt_at: utc(n.next_attempt_at),
            provider_message_id: n.provider_message_id,
            last_error: n.last_error,
            created_at: utc(n.created_at),
            sent_at: n.sent_at.map(utc),
            delivered_at: n.delivered_at.map(utc),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<NotificationView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    pub status: Option<NotificationStatus>,
    /// A template name, e.g. `tracking_code_issued`.
    #[param(max_length = 64)] // MAX_TEMPLATE_LEN
    pub template: Option<String>,
    pub request_id: Option<Uuid>,
    /// Created at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Created before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

fn unmasked(staff: &Staff) -> bool {
    staff.user().role == Role::Admin
}

/// List notifications, newest first (reviewer, admin).
#[utoipa::path(tag = "notifications", security(("bearer" = [])), params(NotificationQuery, PageParams), responses((status = 200, description = "One page of notifications", body = NotificationList)))]
#[get("/notifications")]
pub async fn list_notifications(
    state: web::Data<AppState>,
    staff: Staff,
    query: ListQuery<NotificationQuery>,
) -> Result<HttpResponse, ApiError> {
    staff.require(READERS)?;
    let (query, page) = query.into_parts()?;
    if query
        .template
        .as_ref()
        .is_some_and(|t| t.chars().count() > MAX_TEMPLATE_LEN)
    {
        return Err(ApiError::new(
            Kind::BadParameter,
            format!("template is at most {MAX_TEMPLATE_LEN} characters"),
        ));
    }
    let filter = NotificationFilter {
        status: query.status,
        template: query.template,
        request_id: query.request_id.map(Into::into),
        created_from: query.from.map(|t| t.naive_utc()),
        created_before: query.to.map(|t| t.naive_utc()),
    };
    let (unmasked, vault) = (unmasked(&staff), state.vault());
    let page = state
        .db(move |conn| notifications::list(conn, filter, &page, (&vault, unmasked)))
        .await?;
    Ok(HttpResponse::Ok().json(NotificationList {
        items: page.items.into_iter().map(NotificationView::from).collect(),
        next_cursor: page.next.as_ref().map(cursor::encode),
    }))
}

/// One notification (reviewer, admin).
#[utoipa::path(
    tag = "notifications", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The notification's id")),
    responses(
        (status = 200, description = "The notification", body = NotificationView),
        (status = 404, description = "No such notification", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/notifications/{id}")]
pub async fn get_notification(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    staff.require(READERS)?;
    let (id, unmasked, vault) = (
        NotificationId::from(id.into_inner()),
        unmasked(&staff),
        state.vault(),
    );
    let notification = state
        .db(move |conn| notifications::get(conn, &id, (&vault, unmasked)))
        .await?;
    Ok(HttpResponse::Ok().json(NotificationView::from(notification)))
}

/// Retry a failed or undelivered notification with a fresh attempt budget; the provider sees
/// the same id, so it can tell a retry from a new message (reviewer, admin).
#[utoipa::path(
    tag = "notifications", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The notification's id")),
    responses(
        (status = 200, description = "Queued again", body = NotificationView),
        (status = 404, description = "No such notification", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It has not failed (`not-failed`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/notifications/{id}/retry")]
pub async fn retry_notification(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    staff.require(READERS)?;
    let (id, unmasked, vault) = (
        NotificationId::from(id.into_inner()),
        unmasked(&staff),
        state.vault(),
    );
    let notification = state
        .db(move |conn| notifications::retry(conn, &id, (&vault, unmasked)))
        .await?;
    Ok(HttpResponse::Ok().json(NotificationView::from(notification)))
}
