//! Queries on `notifications`, the outbox.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::notifications;
use crate::domain::ids::{NotificationId, RequestId};
use crate::domain::lifecycle::Template;
use crate::domain::notification::NotificationStatus;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = notifications)]
#[diesel(treat_none_as_default_value = false)]
pub struct NotificationRow {
    pub id: NotificationId,
    pub request_id: Option<RequestId>,
    pub template: Template,
    pub recipient: String,
    pub params: String,
    pub status: NotificationStatus,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
    /// The worker holding the lease, while `locked_until` is in the future.
    pub claimed_by: Option<String>,
}

impl NotificationRow {
    /// A message due now, not yet tried.
    /// `recipient` is the number sealed (`vault::Field::Mobile`): the outbox holds no number
    /// in the clear, and the dispatcher opens it when it sends.
    pub fn pending(
        request_id: Option<RequestId>,
        template: Template,
        recipient: &str,
        params: String,
        at: NaiveDateTime,
    ) -> Self {
        Self {
            id: NotificationId::generate(),
            request_id,
            template,
            recipient: recipient.to_owned(),
            params,
            status: NotificationStatus::Pending,
            attempts: 0,
            next_attempt_at: at,
            locked_until: None,
            provider_message_id: None,
            last_error: None,
            created_at: at,
            updated_at: at,
            sent_at: None,
            delivered_at: None,
            claimed_by: None,
        }
    }
}

pub fn insert(conn: &mut DbConnection, row: &NotificationRow) -> QueryResult<()> {
    diesel::insert_into(notifications::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn for_request(
    conn: &mut DbConnection,
    request_id: &RequestId,
) -> QueryResult<Vec<NotificationRow>> {
    notifications::table
        .filter(notifications::request_id.eq(request_id))
        .select(NotificationRow::as_select())
        .order((notifications::created_at.asc(), notifications::id.asc()))
        .load(conn)
}

/// Which notifications a listing returns; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct NotificationFilter {
    pub status: Option<NotificationStatus>,
    pub template: Option<Template>,
    pub request_id: Option<RequestId>,
    pub created_from: Option<NaiveDateTime>,
    pub created_before: Option<NaiveDateTime>,
    /// Keyset cursor: only notifications strictly older than this (time, id).
    pub before: Option<(NaiveDateTime, String)>,
}

pub fn find(conn: &mut DbConnection, id: &NotificationId) -> QueryResult<Option<NotificationRow>> {
    notifications::table
        .find(id)
        .select(NotificationRow::as_select())
        .first(conn)
        .optional()
}

/// One page, newest first.
pub fn list(
    conn: &mut DbConnection,
    filter: &NotificationFilter,
    limit: i64,
) -> QueryResult<Vec<NotificationRow>> {
    let mut query = notifications::table
        .select(NotificationRow::as_select())
        .into_boxed();
    if let Some(status) = &filter.status {
        query = query.filter(notifications::status.eq(*status));
    }
    if let Some(template) = &filter.template {
        query = query.filter(notifications::template.eq(*template));
    }
    if let Some(request) = &filter.request_id {
        query = query.filter(notifications::request_id.eq(request.clone()));
    }
    if let Some(from) = filter.created_from {
        query = query.filter(notifications::created_at.ge(from));
    }
    if let Some(before) = filter.created_before {
        query = query.filter(notifications::created_at.lt(before));
    }
    if let Some((at, id)) = &filter.before {
        query = query.filter(
            notifications::created_at
                .lt(*at)
                .or(notifications::created_at
                    .eq(*at)
                    .and(notifications::id.lt(id.clone()))),
        );
    }
    query
        .order((notifications::created_at.desc(), notifications::id.desc()))
        .limit(limit)
        .load(conn)
}
