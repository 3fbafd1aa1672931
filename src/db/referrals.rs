//! Queries on `referrals`. The functions a unit's inbox uses select `UnitReferralRow`, a row
//! without `request_id`: the column that leads back to the citizen is never read for them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{referrals, units};
use crate::domain::ids::{ReferralId, RequestId, UnitId, UserId};
use crate::domain::referral::{ReferralReason, ReferralStatus};
use crate::domain::request::{RequestKind, Subject};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = referrals)]
#[diesel(treat_none_as_default_value = false)]
pub struct ReferralRow {
    pub id: ReferralId,
    pub request_id: RequestId,
    pub reference: String,
    pub unit_id: UnitId,
    pub reason: ReferralReason,
    pub kind: Option<RequestKind>,
    pub subject: Option<Subject>,
    pub body: String,
    pub due_at: NaiveDateTime,
    pub status: ReferralStatus,
    pub answer: Option<String>,
    pub return_reason: Option<String>,
    pub version: i32,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A referral as its unit may see it: everything but the way back to the request.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = referrals)]
pub struct UnitReferralRow {
    pub id: ReferralId,
    pub reference: String,
    pub unit_id: UnitId,
    pub reason: ReferralReason,
    pub kind: Option<RequestKind>,
    pub subject: Option<Subject>,
    pub body: String,
    pub due_at: NaiveDateTime,
    pub status: ReferralStatus,
    pub answer: Option<String>,
    pub return_reason: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Which referrals an inbox lists; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct ReferralFilter {
    /// Only this unit's (always set for unit staff).
    pub unit_id: Option<UnitId>,
    /// Only this request's (never set for unit staff).
    pub request_id: Option<RequestId>,
    pub status: Option<ReferralStatus>,
    /// Past due and not yet answered (at this time).
    pub overdue_at: Option<NaiveDateTime>,
    pub due_from: Option<NaiveDateTime>,
    pub due_before: Option<NaiveDateTime>,
    /// Keyset cursor: only referrals strictly older than this (time, id).
    pub before: Option<(NaiveDateTime, String)>,
}

/// The statuses in which a referral is still the unit's to handle (`is_unanswered`, which a
/// test holds equal).
pub const UNANSWERED: [ReferralStatus; 3] = [
    ReferralStatus::Open,
    ReferralStatus::Acknowledged,
    ReferralStatus::Returned,
];

pub fn insert(conn: &mut DbConnection, row: &ReferralRow) -> QueryResult<()> {
    diesel::insert_into(referrals::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn reference_exists(conn: &mut DbConnection, reference: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        referrals::table.filter(referrals::reference.eq(reference)),
    ))
    .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: &ReferralId) -> QueryResult<Option<ReferralRow>> {
    referrals::table
        .find(id)
        .select(ReferralRow::as_select())
        .first(conn)
        .optional()
}

/// One referral as a unit sees it, only if it belongs to `unit_id`.
pub fn find_for_unit(
    conn: &mut DbConnection,
    id: &ReferralId,
    unit_id: &UnitId,
) -> QueryResult<Option<UnitReferralRow>> {
    referrals::table
        .find(id)
        .filter(referrals::unit_id.eq(unit_id))
        .select(UnitReferralRow::as_select())
        .first(conn)
        .optional()
}

/// The names of the units a request was referred to, oldest referral first (one query: the
/// public lookup's hot path).
pub fn unit_names_for_request(
    conn: &mut DbConnection,
    request_id: &RequestId,
) -> QueryResult<Vec<String>> {
    referrals::table
        .inner_join(units::table)
        .filter(referrals::request_id.eq(request_id))
        .select(units::name)
        .order((referrals::created_at.asc(), referrals::id.asc()))
        .load(conn)
}

pub fn for_request(
    conn: &mut DbConnection,
    request_id: &RequestId,
) -> QueryResult<Vec<ReferralRow>> {
    referrals::table
        .filter(referrals::request_id.eq(request_id))
        .select(ReferralRow::as_select())
        .order((referrals::created_at.asc(), referrals::id.asc()))
        .load(conn)
}

/// One page of an inbox, newest first, in the unit's view.
pub fn list(
    conn: &mut DbConnection,
    filter: &ReferralFilter,
    limit: i64,
) -> QueryResult<Vec<UnitReferralRow>> {
    let mut query = referrals::table
        .select(UnitReferralRow::as_select())
        .into_boxed();
    if let Some(unit) = &filter.unit_id {
        query = query.filter(referrals::unit_id.eq(unit.clone()));
    }
    if let Some(request) = &filter.request_id {
        query = query.filter(referrals::request_id.eq(request.clone()));
    }
    if let Some(status) = &filter.status {
        query = query.filter(referrals::status.eq(*status));
    }
    if let Some(now) = filter.overdue_at {
        // Not one whose clock is paused (the unit waits for the citizen) since before its due
        // time: the flag of `app::referrals` says the same from the conversation.
        let paused = super::schema::deadlines::table
            .filter(super::schema::deadlines::referral_id.eq(referrals::id.nullable()))
            .filter(super::schema::deadlines::met_at.is_null())
            .filter(super::schema::deadlines::paused_since.lt(referrals::due_at.nullable()));
        query = query
            .filter(diesel::dsl::not(diesel::dsl::exists(paused)))
            .filter(referrals::due_at.lt(now))
            .filter(referrals::status.eq_any(UNANSWERED));
    }
    if let Some(from) = filter.due_from {
        query = query.filter(referrals::due_at.ge(from));
    }
    if let Some(before) = filter.due_before {
        query = query.filter(referrals::due_at.lt(before));
    }
    if let Some((at, id)) = &filter.before {
        query = query.filter(
            referrals::created_at.lt(*at).or(referrals::created_at
                .eq(*at)
                .and(referrals::id.lt(id.clone()))),
        );
    }
    query
        .order((referrals::created_at.desc(), referrals::id.desc()))
        .limit(limit)
        .load(conn)
}

/// Moves a referral on if nobody changed it since `version`; false on a concurrent change.
pub fn update_step(
    conn: &mut DbConnection,
    id: &ReferralId,
    version: i32,
    status: ReferralStatus,
    answer: Option<&str>,
    return_reason: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        referrals::table
            .filter(referrals::id.eq(id))
            .filter(referrals::version.eq(version)),
    )
    .set((
        referrals::status.eq(status),
        referrals::answer.eq(answer),
        referrals::return_reason.eq(return_reason),
        referrals::version.eq(version + 1),
        referrals::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Moves a referral's due time (an extension, a pause that ended), guarded by the version read
/// when `version` is given.
pub fn set_due(
    conn: &mut DbConnection,
    id: &ReferralId,
    version: Option<i32>,
    due_at: NaiveDateTime,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let changes = (
        referrals::due_at.eq(due_at),
        referrals::version.eq(referrals::version + 1),
        referrals::updated_at.eq(at),
    );
    let target = referrals::table.filter(referrals::id.eq(id));
    let updated = match version {
        Some(version) => diesel::update(target.filter(referrals::version.eq(version)))
            .set(changes)
            .execute(conn)?,
        None => diesel::update(target).set(changes).execute(conn)?,
    };
    Ok(updated == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unanswered_is_the_domain_s_set() {
        let domain: Vec<ReferralStatus> = ReferralStatus::ALL
            .iter()
            .copied()
            .filter(|s| s.is_unanswered())
            .collect();
        assert_eq!(domain, UNANSWERED);
    }
}
