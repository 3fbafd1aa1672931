//! The read-only queries behind the dashboard figures: grouped counts of requests, the times
//! from which handling times are computed, ratings, and the units' open referrals. Every query
//! is plain portable SQL (grouping, counting, comparing timestamps); durations and medians are
//! computed by the caller, because SQLite and PostgreSQL share no date arithmetic.

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, sum};
use diesel::prelude::*;

use super::DbConnection;
use super::referrals::UNANSWERED;
use super::schema::{ratings, referrals, request_events, requests, units};
use crate::domain::ids::UnitId;
use crate::domain::request::{Channel, RequestKind, Resolution, Status};

/// A half-open span of creation times, `[from, before)`, in stored (naive UTC) time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDateTime,
    pub before: NaiveDateTime,
}

/// How many requests of the period share one (kind, channel, status, resolution).
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct RequestCount {
    pub kind: Option<RequestKind>,
    pub channel: Channel,
    pub status: Status,
    pub resolution: Option<Resolution>,
    pub count: i64,
}

/// The requests created in the period, counted by (kind, channel, status, resolution); one
/// query, so that every breakdown is summed from the same snapshot.
pub fn request_counts(conn: &mut DbConnection, period: Period) -> QueryResult<Vec<RequestCount>> {
    requests::table
        .filter(requests::created_at.ge(period.from))
        .filter(requests::created_at.lt(period.before))
        .group_by((
            requests::kind,
            requests::channel,
            requests::status,
            requests::resolution,
        ))
        .select((
            requests::kind,
            requests::channel,
            requests::status,
            requests::resolution,
            count_star(),
        ))
        .load(conn)
}

/// (created, first event after registration) for the requests created in the period that have
/// one: event 1 is always the registration, so event 2 is the desk's first decision.
pub fn first_decisions(
    conn: &mut DbConnection,
    period: Period,
) -> QueryResult<Vec<(NaiveDateTime, NaiveDateTime)>> {
    requests::table
        .inner_join(request_events::table)
        .filter(requests::created_at.ge(period.from))
        .filter(requests::created_at.lt(period.before))
        .filter(request_events::seq.eq(2))
        .select((requests::created_at, request_events::at))
        .load(conn)
}

/// (created, closed) for the requests created in the period that are closed.
pub fn closures(
    conn: &mut DbConnection,
    period: Period,
) -> QueryResult<Vec<(NaiveDateTime, NaiveDateTime)>> {
    let rows: Vec<(NaiveDateTime, Option<NaiveDateTime>)> = requests::table
        .filter(requests::created_at.ge(period.from))
        .filter(requests::created_at.lt(period.before))
        .filter(requests::closed_at.is_not_null())
        .select((requests::created_at, requests::closed_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(created, closed)| closed.map(|closed| (created, closed)))
        .collect())
}

/// How many ratings the requests created in the period received, and the sum of their scores
/// (`None` when there are none).
pub fn ratings(conn: &mut DbConnection, period: Period) -> QueryResult<(i64, Option<i64>)> {
    ratings::table
        // No `joinable!` for ratings: the join is spelled out rather than widening the schema.
        .inner_join(requests::table.on(requests::id.eq(ratings::request_id)))
        .filter(requests::created_at.ge(period.from))
        .filter(requests::created_at.lt(period.before))
        .select((count_star(), sum(ratings::score)))
        .first(conn)
}

/// Per unit with any: (unit id, unit name, unanswered referrals). All referrals, whatever
/// their age: it is the current workload, not a figure of a period.
pub fn unanswered_by_unit(conn: &mut DbConnection) -> QueryResult<Vec<(UnitId, String, i64)>> {
    referrals::table
        .inner_join(units::table)
        .filter(referrals::status.eq_any(UNANSWERED))
        .group_by((units::id, units::name))
        .select((units::id, units::name, count_star()))
        .load(conn)
}

/// Per unit with any: (unit id, unanswered referrals past their due time at `now`).
pub fn overdue_by_unit(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Vec<(UnitId, i64)>> {
    referrals::table
        .filter(referrals::status.eq_any(UNANSWERED))
        .filter(referrals::due_at.lt(now))
        .group_by(referrals::unit_id)
        .select((referrals::unit_id, count_star()))
        .load(conn)
}
