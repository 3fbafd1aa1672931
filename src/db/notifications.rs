//! Queries on `notifications`, the outbox.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::notifications;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    pub id: String,
    pub request_id: Option<String>,
    pub template: String,
    pub recipient: String,
    pub params: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
}

impl NotificationRow {
    /// A message due now, not yet tried.
    pub fn pending(
        request_id: Option<String>,
        template: &str,
        recipient: &str,
        params: String,
        at: NaiveDateTime,
    ) -> Self {
        Self {
            id: super::new_id(),
            request_id,
            template: template.to_owned(),
            recipient: recipient.to_owned(),
            params,
            status: "pending".to_owned(),
            attempts: 0,
            next_attempt_at: at,
            locked_until: None,
            provider_message_id: None,
            last_error: None,
            created_at: at,
            updated_at: at,
            sent_at: None,
            delivered_at: None,
        }
    }
}

pub fn insert(conn: &mut DbConnection, row: &NotificationRow) -> QueryResult<()> {
    diesel::insert_into(notifications::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn for_request(conn: &mut DbConnection, request_id: &str) -> QueryResult<Vec<NotificationRow>> {
    notifications::table
        .filter(notifications::request_id.eq(request_id))
        .select(NotificationRow::as_select())
        .order((notifications::created_at.asc(), notifications::id.asc()))
        .load(conn)
}
