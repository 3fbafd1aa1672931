//! The read-only queries behind the scorecard (`domain::scorecard`): the referrals made in a
//! period, the history events of their steps, their deadlines, the ratings of their requests,
//! and the period's requests for the weekly count. Plain portable SQL; the judging is done by
//! the caller on the rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{deadlines, ratings, referrals, request_events, requests, units};
use super::stats::Period;
use crate::domain::deadline::DeadlineKind;
use crate::domain::ids::{ReferralId, RequestId, UnitId};
use crate::domain::referral::{ReferralStatus, Step};
use crate::domain::request::{Channel, RequestKind};

/// A referral made in the period, as the scorecard reads it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = referrals)]
pub struct PeriodReferral {
    pub id: ReferralId,
    pub request_id: RequestId,
    pub reference: String,
    pub unit_id: UnitId,
    pub status: ReferralStatus,
    pub due_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// A deadline of one of the period's referrals.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = deadlines)]
pub struct ReferralDeadline {
    pub referral_id: Option<ReferralId>,
    pub kind: DeadlineKind,
    pub started_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub paused_since: Option<NaiveDateTime>,
    pub met_at: Option<NaiveDateTime>,
}

/// A step of a referral as the request's history holds it: the referral is named in `details`
/// by its reference.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = request_events)]
pub struct StepEvent {
    pub request_id: RequestId,
    pub action: String,
    pub at: NaiveDateTime,
    pub details: String,
}

/// The steps the scorecard counts.
pub const STEPS: [Step; 3] = [Step::Acknowledge, Step::Answer, Step::Return];

pub fn referrals(conn: &mut DbConnection, period: Period) -> QueryResult<Vec<PeriodReferral>> {
    referrals::table
        .filter(referrals::created_at.ge(period.from))
        .filter(referrals::created_at.lt(period.before))
        .order((referrals::created_at.asc(), referrals::id.asc()))
        .select(PeriodReferral::as_select())
        .load(conn)
}

/// The acknowledgements, answers and returns in the history of the requests referred in the
/// period, oldest first.
pub fn step_events(conn: &mut DbConnection, period: Period) -> QueryResult<Vec<StepEvent>> {
    let actions: Vec<&str> = STEPS.iter().map(|step| step.history_action()).collect();
    request_events::table
        .filter(request_events::request_id.eq_any(referred_in(period)))
        .filter(request_events::action.eq_any(actions))
        .order((request_events::request_id.asc(), request_events::seq.asc()))
        .select(StepEvent::as_select())
        .load(conn)
}

/// Every deadline of the period's referrals, oldest first.
pub fn deadlines(conn: &mut DbConnection, period: Period) -> QueryResult<Vec<ReferralDeadline>> {
    let made = referrals::table
        .filter(referrals::created_at.ge(period.from))
        .filter(referrals::created_at.lt(period.before))
        .select(referrals::id);
    deadlines::table
        .filter(deadlines::referral_id.eq_any(made.nullable()))
        .order((deadlines::started_at.asc(), deadlines::id.asc()))
        .select(ReferralDeadline::as_select())
        .load(conn)
}

/// (request, score) of the rated requests referred in the period.
pub fn ratings(conn: &mut DbConnection, period: Period) -> QueryResult<Vec<(RequestId, i32)>> {
    ratings::table
        .filter(ratings::request_id.eq_any(referred_in(period)))
        .select((ratings::request_id, ratings::score))
        .load(conn)
}

/// (created, kind, channel) of the requests created in the period.
pub fn requests(
    conn: &mut DbConnection,
    period: Period,
) -> QueryResult<Vec<(NaiveDateTime, Option<RequestKind>, Channel)>> {
    requests::table
        .filter(requests::created_at.ge(period.from))
        .filter(requests::created_at.lt(period.before))
        .select((requests::created_at, requests::kind, requests::channel))
        .load(conn)
}

/// Every unit, active or not: (id, name, active).
pub fn units(conn: &mut DbConnection) -> QueryResult<Vec<(UnitId, String, bool)>> {
    units::table
        .select((units::id, units::name, units::active))
        .load(conn)
}

/// The query of the requests with a referral made in the period, as a subselect.
type ReferredIn = diesel::dsl::Select<
    diesel::dsl::Filter<MadeFrom, diesel::dsl::Lt<referrals::created_at, NaiveDateTime>>,
    referrals::request_id,
>;
type MadeFrom =
    diesel::dsl::Filter<referrals::table, diesel::dsl::GtEq<referrals::created_at, NaiveDateTime>>;

/// The requests with a referral made in the period.
fn referred_in(period: Period) -> ReferredIn {
    referrals::table
        .filter(referrals::created_at.ge(period.from))
        .filter(referrals::created_at.lt(period.before))
        .select(referrals::request_id)
}
