//! The staff inbox under `/me/notifications`: reminders and escalations of the deadlines,
//! each member's own.

use actix_web::{HttpResponse, get, patch, post, web};
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
use super::views::utc;
use crate::app::inbox::{self, StaffNotification};
use crate::domain::ids::StaffNotificationId;

/// One line of a member's inbox.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "3c1f5a8e-2b7d-4f0e-9a61-0c2d7e4b9f13", "topic": "deadline_reminder",
    "message": "یادآوری: مهلت پاسخ ارجاع R-40571392 پایان ۱۲ آذر ۱۴۰۵ به پایان می‌رسد.",
    "request_id": null, "referral_id": "9f2c4e1a-7b3d-4c5e-8a1f-2d6b0e9c7a54",
    "details": {"kind": "answer", "stage": "reminded", "due_at": "2026-12-03T20:30:00+00:00",
                "referral_id": "9f2c4e1a-7b3d-4c5e-8a1f-2d6b0e9c7a54", "reference": "R-40571392"},
    "created_at": "2026-12-02T20:31:00Z", "read_at": null
}))]
pub struct StaffNotificationView {
    #[schema(format = Uuid)]
    pub id: String,
    /// `deadline_reminder` (due soon), `deadline_overdue` (past due: the desk and the unit's
    /// deputy office hear), `deadline_escalated` (long past due: the head hears).
    pub topic: String,
    /// The line to show, in Persian.
    pub message: String,
    /// The request it is about; never given to a unit's staff.
    #[schema(format = Uuid)]
    pub request_id: Option<String>,
    /// The referral it is about, for a unit's work.
    #[schema(format = Uuid)]
    pub referral_id: Option<String>,
    /// What a client links with: `kind` (`classify`, `acknowledge`, `answer`, `schedule`),
    /// `stage`, `due_at`, `referral_id`, `reference`, and `request_id` for the desk.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
    /// When it was marked read; `null` while unread.
    pub read_at: Option<DateTime<Utc>>,
}

impl From<StaffNotification> for StaffNotificationView {
    fn from(n: StaffNotification) -> Self {
        Self {
            id: n.id.into(),
            topic: n.topic,
            message: n.message,
            request_id: n.request_id.map(Into::into),
            referral_id: n.referral_id.map(Into::into),
            details: n.details,
            created_at: utc(n.created_at),
            read_at: n.read_at.map(utc),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InboxPage {
    pub items: Vec<StaffNotificationView>,
    pub next_cursor: Option<String>,
    /// How many of all the member's lines are unread (for a badge).
    pub unread: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// `true`: only the unread lines.
    pub unread: Option<bool>,
}

/// Read or unread.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"read": true}))]
pub struct MarkBody {
    pub read: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MarkedAll {
    /// How many lines were unread and now are read.
    pub marked: usize,
}

/// The caller's inbox, newest first (every staff role).
#[utoipa::path(
    tag = "inbox", security(("bearer" = [])), params(InboxQuery, PageParams),
    responses((status = 200, description = "One page of the caller's inbox", body = InboxPage))
)]
#[get("/me/notifications")]
pub async fn list_inbox(
    state: web::Data<AppState>,
    staff: Staff,
    query: ListQuery<InboxQuery>,
) -> Result<HttpResponse, ApiError> {
    let (query, page) = query.into_parts()?;
    let user = staff.user().clone();
    let unread_only = query.unread.unwrap_or(false);
    let (page, unread) = state
        .db(move |conn| inbox::list(conn, &user, unread_only, &page))
        .await?;
    Ok(HttpResponse::Ok().json(InboxPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next.as_ref().map(cursor::encode),
        unread,
    }))
}

/// Mark one line of the caller's inbox read or unread.
#[utoipa::path(
    tag = "inbox", security(("bearer" = [])), request_body = MarkBody,
    params(("id" = Uuid, Path, description = "The line's id")),
    responses(
        (status = 200, description = "Marked", body = StaffNotificationView),
        (status = 404, description = "No such line in the caller's inbox", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/me/notifications/{id}")]
pub async fn mark_notification(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<MarkBody>,
) -> Result<HttpResponse, ApiError> {
    let read = body.into_inner()?.read;
    let id = StaffNotificationId::from(id.into_inner());
    let (user, now) = (staff.user().clone(), state.deadlines.now());
    let marked = state
        .db(move |conn| inbox::mark(conn, &user, &id, read, now))
        .await?;
    Ok(HttpResponse::Ok().json(StaffNotificationView::from(marked)))
}

/// Mark every unread line of the caller's inbox read.
#[utoipa::path(
    tag = "inbox", security(("bearer" = [])),
    responses((status = 200, description = "Marked", body = MarkedAll))
)]
#[post("/me/notifications/read-all")]
pub async fn mark_all_read(
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, ApiError> {
    let (user, now) = (staff.user().clone(), state.deadlines.now());
    let marked = state
        .db(move |conn| inbox::mark_all(conn, &user, now))
        .await?;
    Ok(HttpResponse::Ok().json(MarkedAll { marked }))
}
