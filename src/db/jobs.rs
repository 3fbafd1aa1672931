//! The scheduler's job rows (`scheduled_jobs`): make sure a job has one, take its lease when it
//! is due, and hand it back with the next due time. Every step is one guarded statement, so two
//! instances asking at the same moment cannot both win.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::scheduled_jobs;

/// Adds the row of a job the first time any instance schedules it, first due at `due_at`; a
/// row already there (another instance's, or an earlier run's) is kept as it is.
pub fn ensure(conn: &mut DbConnection, name: &str, due_at: NaiveDateTime) -> QueryResult<()> {
    let query = diesel::insert_into(scheduled_jobs::table)
        .values((
            scheduled_jobs::name.eq(name),
            scheduled_jobs::due_at.eq(due_at),
            scheduled_jobs::runs.eq(0i64),
        ))
        .on_conflict(scheduled_jobs::name)
        .do_nothing();
    // As in `idempotency::claim`: the multi-backend connection has no ON CONFLICT.
    match conn {
        DbConnection::Postgresql(c) => query.execute(c)?,
        DbConnection::Sqlite(c) => query.execute(c)?,
    };
    Ok(())
}

/// Takes the lease of `name` for `worker` until `lease_until` if the job is due at `now` and no
/// other lease is live. True when this worker has it.
pub fn claim(
    conn: &mut DbConnection,
    name: &str,
    worker: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> QueryResult<bool> {
    let taken = diesel::update(
        scheduled_jobs::table
            .filter(scheduled_jobs::name.eq(name))
            .filter(scheduled_jobs::due_at.le(now))
            .filter(
                scheduled_jobs::lease_until
                    .is_null()
                    .or(scheduled_jobs::lease_until.lt(now)),
            ),
    )
    .set((
        scheduled_jobs::leased_by.eq(worker),
        scheduled_jobs::lease_until.eq(lease_until),
        scheduled_jobs::last_started_at.eq(now),
    ))
    .execute(conn)?;
    Ok(taken == 1)
}

/// Hands the job back after a run: next due at `next_due`, with what the run did. Only the
/// lease's holder can: a worker whose lease expired and was taken over changes nothing.
pub fn finish(
    conn: &mut DbConnection,
    name: &str,
    worker: &str,
    next_due: NaiveDateTime,
    finished_at: NaiveDateTime,
    outcome: &str,
) -> QueryResult<bool> {
    let done = diesel::update(
        scheduled_jobs::table
            .filter(scheduled_jobs::name.eq(name))
            .filter(scheduled_jobs::leased_by.eq(worker)),
    )
    .set((
        scheduled_jobs::due_at.eq(next_due),
        scheduled_jobs::leased_by.eq(None::<String>),
        scheduled_jobs::lease_until.eq(None::<NaiveDateTime>),
        scheduled_jobs::last_finished_at.eq(finished_at),
        scheduled_jobs::last_outcome.eq(outcome),
        scheduled_jobs::runs.eq(scheduled_jobs::runs + 1i64),
    ))
    .execute(conn)?;
    Ok(done == 1)
}

/// How many times `name` has run to its end, across instances (0 for a job never scheduled).
pub fn runs(conn: &mut DbConnection, name: &str) -> QueryResult<i64> {
    Ok(scheduled_jobs::table
        .filter(scheduled_jobs::name.eq(name))
        .select(scheduled_jobs::runs)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}
