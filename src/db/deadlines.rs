//! Queries on `deadlines`. Every change is guarded on what it read (open, the stage it was
//! at, not paused), so two instances deciding on one deadline at once change it once.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::deadlines;
use crate::domain::deadline::{DeadlineKind, Stage};
use crate::domain::ids::{DeadlineId, ReferralId, RequestId, UnitId};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = deadlines)]
#[diesel(treat_none_as_default_value = false)]
pub struct DeadlineRow {
    pub id: DeadlineId,
    pub request_id: RequestId,
    pub referral_id: Option<ReferralId>,
    pub unit_id: Option<UnitId>,
    pub kind: DeadlineKind,
    pub started_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub stage: Stage,
    pub paused_since: Option<NaiveDateTime>,
    pub met_at: Option<NaiveDateTime>,
    pub extensions: i32,
    pub updated_at: NaiveDateTime,
}

/// Stores a new deadline unless the same work already has an open one (a double start is the
/// same deadline, not a second). True when it was written.
pub fn start(conn: &mut DbConnection, row: &DeadlineRow) -> QueryResult<bool> {
    let mut open = deadlines::table
        .filter(deadlines::request_id.eq(&row.request_id))
        .filter(deadlines::kind.eq(row.kind))
        .filter(deadlines::met_at.is_null())
        .into_boxed();
    open = match &row.referral_id {
        Some(referral) => open.filter(deadlines::referral_id.eq(referral)),
        None => open.filter(deadlines::referral_id.is_null()),
    };
    let exists: i64 = open.count().get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(deadlines::table)
        .values(row)
        .execute(conn)?;
    Ok(true)
}

/// Ends the open deadlines of a request's own work of `kinds` (`referral: None`), or of one
/// referral's. Returns how many it ended.
pub fn meet(
    conn: &mut DbConnection,
    request_id: &RequestId,
    referral: Option<&ReferralId>,
    kinds: &[DeadlineKind],
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let target = deadlines::table
        .filter(deadlines::request_id.eq(request_id))
        .filter(deadlines::kind.eq_any(kinds))
        .filter(deadlines::met_at.is_null())
        .into_boxed();
    let ids: Vec<DeadlineId> = match referral {
        Some(referral) => target.filter(deadlines::referral_id.eq(referral)),
        None => target.filter(deadlines::referral_id.is_null()),
    }
    .select(deadlines::id)
    .load(conn)?;
    diesel::update(deadlines::table.filter(deadlines::id.eq_any(&ids)))
        .filter(deadlines::met_at.is_null())
        .set((deadlines::met_at.eq(at), deadlines::updated_at.eq(at)))
        .execute(conn)
}

/// Ends every open deadline of a request, its referrals' included (the request closed).
pub fn meet_all(
    conn: &mut DbConnection,
    request_id: &RequestId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        deadlines::table
            .filter(deadlines::request_id.eq(request_id))
            .filter(deadlines::met_at.is_null()),
    )
    .set((deadlines::met_at.eq(at), deadlines::updated_at.eq(at)))
    .execute(conn)
}

/// The open deadlines of one referral.
pub fn open_of_referral(
    conn: &mut DbConnection,
    referral: &ReferralId,
) -> QueryResult<Vec<DeadlineRow>> {
    deadlines::table
        .filter(deadlines::referral_id.eq(referral))
        .filter(deadlines::met_at.is_null())
        .order(deadlines::kind.asc())
        .select(DeadlineRow::as_select())
        .load(conn)
}

/// Stops the clock of a referral's open deadlines that run (the unit asked the citizen).
pub fn pause(
    conn: &mut DbConnection,
    referral: &ReferralId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        deadlines::table
            .filter(deadlines::referral_id.eq(referral))
            .filter(deadlines::met_at.is_null())
            .filter(deadlines::paused_since.is_null()),
    )
    .set((deadlines::paused_since.eq(at), deadlines::updated_at.eq(at)))
    .execute(conn)
}

/// Starts a paused deadline's clock again with its new due time. False if it was not paused
/// since `paused_since` any more (someone resumed it meanwhile).
pub fn resume(
    conn: &mut DbConnection,
    id: &DeadlineId,
    paused_since: NaiveDateTime,
    due_at: NaiveDateTime,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        deadlines::table
            .filter(deadlines::id.eq(id))
            .filter(deadlines::paused_since.eq(paused_since)),
    )
    .set((
        deadlines::paused_since.eq(None::<NaiveDateTime>),
        deadlines::due_at.eq(due_at),
        deadlines::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Gives an open deadline a new due time, its stages to run again: an extension.
pub fn extend(
    conn: &mut DbConnection,
    id: &DeadlineId,
    due_at: NaiveDateTime,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        deadlines::table
            .filter(deadlines::id.eq(id))
            .filter(deadlines::met_at.is_null()),
    )
    .set((
        deadlines::due_at.eq(due_at),
        deadlines::stage.eq(Stage::Running),
        deadlines::extensions.eq(deadlines::extensions + 1),
        deadlines::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Open, running deadlines due to move a stage by `horizon` (their due time minus the longest
/// reminder lead), oldest first, at most `limit`. The rules decide which really move.
pub fn watched(
    conn: &mut DbConnection,
    horizon: NaiveDateTime,
    after: Option<&DeadlineId>,
    limit: i64,
) -> QueryResult<Vec<DeadlineRow>> {
    let mut query = deadlines::table
        .filter(deadlines::met_at.is_null())
        .filter(deadlines::paused_since.is_null())
        .filter(deadlines::stage.ne(Stage::Escalated))
        .filter(deadlines::due_at.le(horizon))
        .order(deadlines::id.asc())
        .limit(limit)
        .select(DeadlineRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(deadlines::id.gt(after));
    }
    query.load(conn)
}

/// Moves a deadline from the stage it was read at to the next; false if it moved, was met or
/// paused meanwhile (another instance announced it, or the work was done).
pub fn advance(
    conn: &mut DbConnection,
    id: &DeadlineId,
    from: Stage,
    to: Stage,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        deadlines::table
            .filter(deadlines::id.eq(id))
            .filter(deadlines::stage.eq(from))
            .filter(deadlines::met_at.is_null())
            .filter(deadlines::paused_since.is_null()),
    )
    .set((deadlines::stage.eq(to), deadlines::updated_at.eq(at)))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Open deadlines past due at `now` whose clock runs (one waiting for the citizen is not
/// late): of one unit's referrals, or of the desk's own work (`unit: None, desk_only`), or all.
pub fn overdue(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    unit: Option<&UnitId>,
    desk_only: bool,
) -> QueryResult<Vec<DeadlineRow>> {
    let mut query = deadlines::table
        .filter(deadlines::met_at.is_null())
        .filter(deadlines::paused_since.is_null())
        .filter(deadlines::due_at.lt(now))
        .order(deadlines::due_at.asc())
        .select(DeadlineRow::as_select())
        .into_boxed();
    if let Some(unit) = unit {
        query = query.filter(deadlines::unit_id.eq(unit));
    } else if desk_only {
        query = query.filter(deadlines::unit_id.is_null());
    }
    query.load(conn)
}

/// Since when the open deadlines of these referrals are paused (the unit waits for the
/// citizen), the earliest per referral.
pub fn paused_since(
    conn: &mut DbConnection,
    referrals: &[ReferralId],
) -> QueryResult<std::collections::HashMap<ReferralId, NaiveDateTime>> {
    let rows: Vec<(Option<ReferralId>, Option<NaiveDateTime>)> = deadlines::table
        .filter(deadlines::referral_id.eq_any(referrals))
        .filter(deadlines::met_at.is_null())
        .filter(deadlines::paused_since.is_not_null())
        .select((deadlines::referral_id, deadlines::paused_since))
        .load(conn)?;
    let mut paused = std::collections::HashMap::new();
    for (referral, since) in rows {
        if let (Some(referral), Some(since)) = (referral, since) {
            paused
                .entry(referral)
                .and_modify(|at: &mut NaiveDateTime| *at = (*at).min(since))
                .or_insert(since);
        }
    }
    Ok(paused)
}

/// Every deadline of a request, its referrals' included, oldest first.
pub fn of_request(
    conn: &mut DbConnection,
    request_id: &RequestId,
) -> QueryResult<Vec<DeadlineRow>> {
    deadlines::table
        .filter(deadlines::request_id.eq(request_id))
        .order((deadlines::started_at.asc(), deadlines::id.asc()))
        .select(DeadlineRow::as_select())
        .load(conn)
}
