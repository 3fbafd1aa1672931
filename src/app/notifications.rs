//! The outbox as the desk sees it: list and read notifications, and retry a failed one
//! (providers' delivery reports are applied in `delivery_reports`).

use chrono::NaiveDateTime;

use crate::db::notifications::{self as repo, NotificationRow};
use crate::db::outbox;
use crate::db::{self, DbConnection, write_transaction};
use crate::domain::ids::{NotificationId, RequestId};
use crate::domain::lifecycle::Template;
use crate::domain::notification::NotificationStatus;
use crate::vault::{Field, Vault};

use super::page::{Page, PageRequest};
use super::{AppError, AppResult};

/// A notification with the recipient as the caller may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: NotificationId,
    pub request_id: Option<RequestId>,
    pub template: Template,
    pub recipient: String,
    pub params: serde_json::Value,
    pub status: NotificationStatus,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
}

impl Notification {
    /// The recipient is opened only to be masked, for every role: the outbox is no way around
    /// a reveal.
    fn from_row(row: NotificationRow, vault: &Vault, unmasked: bool) -> Self {
        let mut params: serde_json::Value = serde_json::from_str(&row.params).unwrap_or_default();
        // The tracking code is the citizen's key to the public lookup: masked like the number.
        if !unmasked && let Some(code) = params.get_mut("tracking_code") {
            *code = serde_json::Value::String("************".to_owned());
        }
        Self {
            status: row.status,
            recipient: vault.open(Field::Mobile, &row.recipient).map_or_else(
                |_| "***".to_owned(),
                |to| crate::domain::masking::mobile(&to),
            ),
            id: row.id,
            request_id: row.request_id,
            template: row.template,
            params,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            provider_message_id: row.provider_message_id,
            last_error: row.last_error,
            created_at: row.created_at,
            sent_at: row.sent_at,
            delivered_at: row.delivered_at,
        }
    }
}

/// Which notifications a listing returns; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct NotificationFilter {
    pub status: Option<NotificationStatus>,
    pub template: Option<String>,
    pub request_id: Option<RequestId>,
    /// Created at or after.
    pub created_from: Option<NaiveDateTime>,
    /// Created before.
    pub created_before: Option<NaiveDateTime>,
}

/// One page of the outbox, newest first; recipients masked, tracking codes masked unless
/// `unmasked`.
pub fn list(
    conn: &mut DbConnection,
    filter: NotificationFilter,
    page: &PageRequest,
    (vault, unmasked): (&Vault, bool),
) -> AppResult<Page<Notification>> {
    // A name no template has matches no notification (as it always did), rather than being
    // refused: the filter is a search, not a command.
    let template = match filter.template.as_deref().map(Template::parse) {
        Some(None) => return Ok(Page::empty()),
        Some(Some(template)) => Some(template),
        None => None,
    };
    let load = |before, limit| {
        let filter = repo::NotificationFilter {
            status: filter.status,
            template,
            request_id: filter.request_id,
            created_from: filter.created_from,
            created_before: filter.created_before,
            before,
        };
        repo::list(conn, &filter, limit)
    };
    page.fetch(load, |row| Notification::from_row(row, vault, unmasked))
}

pub fn get(
    conn: &mut DbConnection,
    id: &NotificationId,
    (vault, unmasked): (&Vault, bool),
) -> AppResult<Notification> {
    let row = repo::find(conn, id)?.ok_or(AppError::NotFound("notification"))?;
    Ok(Notification::from_row(row, vault, unmasked))
}

/// Queues a failed or undelivered message again with a fresh attempt budget.
pub fn retry(
    conn: &mut DbConnection,
    id: &NotificationId,
    (vault, unmasked): (&Vault, bool),
) -> AppResult<Notification> {
    write_transaction(conn, |conn| {
        let row = repo::find(conn, id)?.ok_or(AppError::NotFound("notification"))?;
        if !outbox::retry(conn, id, db::now())? {
            return Err(AppError::conflict(
                "not-failed",
                format!(
                    "only a failed or undelivered notification is retried; this one is {}",
                    row.status
                ),
            ));
        }
        let row = repo::find(conn, id)?.ok_or(AppError::NotFound("notification"))?;
        Ok(Notification::from_row(row, vault, unmasked))
    })
}
