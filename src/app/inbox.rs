//! The staff inbox (`GET /api/v1/me/notifications`): what the deadlines told a member of staff,
//! newest first, each read or unread. A member reads and marks only their own lines; another's
//! is "not found". Every line is written through [`deliver`], which also sends it by SMS to a
//! member who gave a mobile number.

use chrono::NaiveDateTime;

use crate::db::inbox::{self as repo, StaffNotificationRow};
use crate::db::{DbConnection, write_transaction};
use crate::domain::StaffUser;
use crate::domain::ids::{ReferralId, RequestId, StaffNotificationId};

use super::page::{Page, PageRequest};
use super::{AppError, AppResult};

/// One line of the inbox. A unit member's carries no request id (the row has none).
#[derive(Debug, Clone, PartialEq)]
pub struct StaffNotification {
    pub id: StaffNotificationId,
    pub topic: String,
    pub message: String,
    pub request_id: Option<RequestId>,
    pub referral_id: Option<ReferralId>,
    pub details: serde_json::Value,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
}

impl From<StaffNotificationRow> for StaffNotification {
    fn from(row: StaffNotificationRow) -> Self {
        StaffNotification {
            details: serde_json::from_str(&row.details).unwrap_or(serde_json::Value::Null),
            id: row.id,
            topic: row.topic,
            message: row.message,
            request_id: row.request_id,
            referral_id: row.referral_id,
            created_at: row.created_at,
            read_at: row.read_at,
        }
    }
}

/// Writes one inbox line in the caller's transaction and, when its member is active and gave a
/// mobile number, the same line as an SMS (`staff_notice`) through the outbox, so that both are
/// written or neither. The SMS names no request (`request_id` null): it is not the citizen's
/// message, and a unit's staff never get the way back to the request. The outbox holds every
/// recipient sealed, a member of staff's as well.
pub(crate) fn deliver(
    conn: &mut DbConnection,
    vault: &crate::vault::Vault,
    line: &StaffNotificationRow,
) -> AppResult<()> {
    repo::insert(conn, line)?;
    if let Some(mobile) = crate::db::users::mobile_of(conn, &line.user_id)? {
        let params = serde_json::json!({ "notice": line.message }).to_string();
        let sms = crate::db::notifications::NotificationRow::pending(
            None,
            crate::domain::lifecycle::Template::StaffNotice,
            &vault.seal(crate::vault::Field::Mobile, &mobile),
            params,
            // The outbox runs on the system clock (the dispatcher's), whatever the deadlines' says.
            crate::db::now(),
        );
        crate::db::notifications::insert(conn, &sms)?;
    }
    Ok(())
}

/// One page of `staff`'s inbox and how many of all their lines are unread.
pub fn list(
    conn: &mut DbConnection,
    staff: &StaffUser,
    unread_only: bool,
    page: &PageRequest,
) -> AppResult<(Page<StaffNotification>, i64)> {
    let items = page.fetch(
        |after, limit| repo::page(conn, &staff.id, unread_only, after, limit),
        StaffNotification::from,
    )?;
    Ok((items, repo::unread(conn, &staff.id)?))
}

/// Marks one of `staff`'s lines read (`read`) or unread again.
pub fn mark(
    conn: &mut DbConnection,
    staff: &StaffUser,
    id: &StaffNotificationId,
    read: bool,
    now: NaiveDateTime,
) -> AppResult<StaffNotification> {
    write_transaction(conn, |conn| {
        repo::mark(conn, &staff.id, id, read.then_some(now))?
            .map(StaffNotification::from)
            .ok_or(AppError::NotFound("notification"))
    })
}

/// Marks every unread line of `staff`'s read; returns how many.
pub fn mark_all(
    conn: &mut DbConnection,
    staff: &StaffUser,
    now: NaiveDateTime,
) -> AppResult<usize> {
    write_transaction(conn, |conn| Ok(repo::mark_all(conn, &staff.id, now)?))
}
