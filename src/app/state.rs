//! What the lifecycle reads of a stored request: its status and kind, and the facts beside them
//! that some commands wait for (every referral accepted; the scheduled meeting's start; where a
//! closed request stands for an objection). Read in the command's transaction before deciding,
//! and again for `allowed_actions` in every answer, so that the buttons a client shows are the
//! commands `lifecycle::apply` would accept. Times are the deadlines' clock's (`Rules::now`),
//! which only tests move.

use crate::db::DbConnection;
use crate::db::meetings as meeting_repo;
use crate::db::referrals as referral_repo;
use crate::db::requests as repo;
use crate::domain::lifecycle::{MeetingStart, State};
use crate::domain::objection::{self, Standing};
use crate::domain::referral::ReferralStatus;
use crate::domain::request::Status;

use super::AppResult;
use super::deadlines::Rules;
use super::requests::Request;

/// The history action of an objection: what makes a second one 409.
pub const OBJECTED: &str = "objected";

pub fn of(conn: &mut DbConnection, request: &Request, rules: &Rules) -> AppResult<State> {
    let now = rules.now();
    let all_referrals_accepted = match request.status {
        // Only these statuses have a command that waits for the referrals.
        Status::Referred | Status::FollowUp => referral_repo::for_request(conn, &request.id)?
            .iter()
            .all(|referral| referral.status == ReferralStatus::Accepted),
        _ => true,
    };
    let meeting = match request.status {
        Status::MeetingScheduled => meeting_repo::scheduled_for(conn, &request.id)?.map(|m| {
            if m.starts_at > now {
                MeetingStart::Ahead(m.starts_at)
            } else {
                MeetingStart::Passed
            }
        }),
        _ => None,
    };
    Ok(State {
        status: request.status,
        kind: request.kind,
        all_referrals_accepted,
        meeting,
        objection: objection_standing(conn, request, rules)?,
    })
}

/// Where `request` stands for the citizen's objection now (read only for a closed request).
pub fn objection_standing(
    conn: &mut DbConnection,
    request: &Request,
    rules: &Rules,
) -> AppResult<Standing> {
    if request.status != Status::Closed {
        return Ok(Standing::NoOutcome);
    }
    let facts = objection::Facts {
        status: request.status,
        resolution: request.resolution,
        closed_at: request.closed_at,
        objected_before: repo::has_event(conn, &request.id, OBJECTED)?,
    };
    Ok(objection::standing(
        facts,
        rules.objection_window,
        &rules.calendar,
        rules.now(),
    ))
}
