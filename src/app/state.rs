//! What the lifecycle reads of a stored request: its status and kind, and the two facts beside
//! them that some commands wait for (every referral accepted; the scheduled meeting's start).
//! Read in the command's transaction before deciding, and again for `allowed_actions` in every
//! answer, so that the buttons a client shows are the commands `lifecycle::apply` would accept.

use crate::db::meetings as meeting_repo;
use crate::db::referrals as referral_repo;
use crate::db::{self, DbConnection};
use crate::domain::lifecycle::{MeetingStart, State};
use crate::domain::referral::ReferralStatus;
use crate::domain::request::Status;

use super::AppResult;
use super::requests::Request;

pub fn of(conn: &mut DbConnection, request: &Request) -> AppResult<State> {
    let all_referrals_accepted = match request.status {
        // Only these statuses have a command that waits for the referrals.
        Status::Referred | Status::FollowUp => referral_repo::for_request(conn, &request.id)?
            .iter()
            .all(|referral| referral.status == ReferralStatus::Accepted),
        _ => true,
    };
    let meeting = match request.status {
        Status::MeetingScheduled => meeting_repo::scheduled_for(conn, &request.id)?.map(|m| {
            if m.starts_at > db::now() {
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
    })
}
