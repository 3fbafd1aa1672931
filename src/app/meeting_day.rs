//! The day of the meetings: the desk checks a citizen in by tracking code (their meeting must
//! be today, Tehran's today), and the head's day view lists today's meetings with who has
//! arrived.

use chrono::NaiveDateTime;

use crate::db::meetings as repo;
use crate::db::{DbConnection, requests as request_repo, write_transaction};
use crate::domain::calendar::{day_start, tehran_day};
use crate::domain::ids::UserId;
use crate::domain::request::ActorKind;
use crate::domain::tracking_code::TrackingCode;
use crate::domain::{Role, parse_field};

use super::meetings::Meeting;
use super::{AppError, AppResult};

/// Who checks citizens in: the front desk and the desk.
pub const CHECKERS: &[Role] = &[Role::Intake, Role::Reviewer, Role::Admin];

/// A meeting of the day, with the citizen's arrival if recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingOfTheDay {
    pub meeting: Meeting,
    pub arrived_at: Option<NaiveDateTime>,
}

/// Records that the citizen of the request with `code` has arrived for today's meeting.
/// 404 for an unknown code or a request with no scheduled meeting; 409 `not-today` for a
/// meeting on another day. A second check-in answers the first arrival.
pub fn check_in(
    conn: &mut DbConnection,
    by: &UserId,
    code: &str,
    now: NaiveDateTime,
) -> AppResult<MeetingOfTheDay> {
    let code = parse_field("tracking_code", TrackingCode::parse(code))?;
    write_transaction(conn, |conn| {
        let request = request_repo::find_by_tracking_code(conn, code.as_str())?
            .ok_or(AppError::NotFound("request"))?;
        let meeting = repo::scheduled_for(conn, &request.id)?
            .ok_or(AppError::NotFound("scheduled meeting"))?;
        if tehran_day(meeting.starts_at) != tehran_day(now) {
            return Err(AppError::conflict(
                "not-today",
                "this request's meeting is on another day",
            ));
        }
        let (arrived_at, first) = repo::record_arrival(conn, &meeting.id, by, now)?;
        if first {
            super::history::record(
                conn,
                &request.id,
                super::history::Entry::beside(request.status, "meeting_arrived"),
                (ActorKind::Staff, Some(by.clone())),
                serde_json::json!({"meeting": meeting.id}),
                now,
            )?;
        }
        Ok(MeetingOfTheDay {
            meeting: Meeting::from(meeting),
            arrived_at: Some(arrived_at),
        })
    })
}

/// Today's meetings (Tehran's today at `now`), by start time, with their arrivals.
pub fn today(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<Vec<MeetingOfTheDay>> {
    let day = tehran_day(now);
    let from = day_start(day);
    let to = day_start(day.succ_opt().unwrap_or(day));
    let rows = repo::calendar(conn, from, to)?;
    let ids: Vec<_> = rows.iter().map(|m| m.id.clone()).collect();
    let arrivals = repo::arrivals(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| MeetingOfTheDay {
            arrived_at: arrivals.get(&row.id).copied(),
            meeting: Meeting::from(row),
        })
        .collect())
}
