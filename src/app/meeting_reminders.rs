//! The reminder SMS before a meeting: a scheduler job (`remind-meetings`) sends each
//! scheduled meeting's citizen one reminder `lead` before it starts, in the transaction that
//! claims it (`meeting_reminders`), so instances racing on one meeting send it once. A meeting
//! scheduled (or moved) nearer than `lead` to its start gets none: the scheduling SMS itself
//! was sent that close to it.

use chrono::{Duration, NaiveDateTime};

use crate::db::meetings as repo;
use crate::db::notifications::{self as outbox, NotificationRow};
use crate::db::{DbConnection, requests as request_repo, write_transaction};
use crate::domain::lifecycle::Template;

use super::{AppError, AppResult};

/// Sends the reminders due at `now`; returns how many.
pub fn remind(conn: &mut DbConnection, lead: Duration, now: NaiveDateTime) -> AppResult<usize> {
    if lead <= Duration::zero() {
        return Ok(0);
    }
    let mut sent = 0;
    for meeting in repo::scheduled_between(conn, now, now + lead)? {
        // Scheduled (or moved) closer than the lead: the citizen has just been told.
        if meeting.starts_at - meeting.updated_at < lead {
            continue;
        }
        let written = write_transaction(conn, |conn| {
            // Still scheduled at that time? A cancel or a move since the list was read wins.
            let current = repo::scheduled_for(conn, &meeting.request_id)?;
            if current.is_none_or(|m| m.id != meeting.id || m.starts_at != meeting.starts_at) {
                return Ok(false);
            }
            if !repo::claim_reminder(conn, &meeting.id, meeting.starts_at, now)? {
                return Ok::<_, AppError>(false);
            }
            let request = request_repo::find(conn, &meeting.request_id)?
                .ok_or_else(|| AppError::Internal("a meeting's request went missing".to_owned()))?;
            let recipient = super::requests::recipient(conn, &request.id)?;
            let mut params = super::meetings::time_params(meeting.starts_at, &meeting.place);
            params["tracking_code"] = serde_json::json!(request.tracking_code);
            outbox::insert(
                conn,
                &NotificationRow::pending(
                    Some(request.id.clone()),
                    Template::MeetingReminder,
                    &recipient,
                    params.to_string(),
                    now,
                ),
            )?;
            Ok(true)
        })?;
        sent += usize::from(written);
    }
    Ok(sent)
}
