//! The abuse limits' counters in PostgreSQL (`abuse_counters`), shared by every instance.
//!
//! A hit is one statement: an upsert that opens, counts in or refuses the key's window exactly
//! as `domain::limits::decide` does, under the row's lock, so concurrent hits from any number
//! of instances are admitted one at a time and exactly `max` get through. SQLite counts in
//! memory instead (`app::limits`); these functions are only called on PostgreSQL.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};

use super::DbConnection;
use super::schema::abuse_counters;
use crate::domain::limits::Window;

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Integer)]
    hits: i32,
    #[diesel(sql_type = Timestamp)]
    window_ends: NaiveDateTime,
}

/// Counts a hit on `key` of `scope` if its window has room (`max` hits; a fresh window ends at
/// `fresh_ends`). `Ok(window)` when admitted; `Err(ends)` when the window ending `ends` is full.
pub fn hit(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    now: NaiveDateTime,
    fresh_ends: NaiveDateTime,
    max: u32,
) -> QueryResult<Result<Window, NaiveDateTime>> {
    // The WHERE of DO UPDATE leaves a full window untouched (a refused hit is not counted), but
    // the conflicting row is locked either way, so the decision is taken one hit at a time.
    let admitted: Option<Counted> = diesel::sql_query(
        "INSERT INTO abuse_counters AS c (scope, key, hits, window_ends) VALUES ($1, $2, 1, $4) \
         ON CONFLICT (scope, key) DO UPDATE SET \
           hits = CASE WHEN c.window_ends <= $3 THEN 1 ELSE c.hits + 1 END, \
           window_ends = CASE WHEN c.window_ends <= $3 THEN EXCLUDED.window_ends ELSE c.window_ends END \
         WHERE c.window_ends <= $3 OR c.hits < $5 \
         RETURNING hits, window_ends",
    )
    .bind::<Text, _>(scope)
    .bind::<Text, _>(key)
    .bind::<Timestamp, _>(now)
    .bind::<Timestamp, _>(fresh_ends)
    .bind::<Integer, _>(i32::try_from(max).unwrap_or(i32::MAX))
    .get_result(conn)
    .optional()?;
    if let Some(counted) = admitted {
        return Ok(Ok(Window {
            hits: u32::try_from(counted.hits).unwrap_or(0),
            ends: counted.window_ends,
        }));
    }
    let ends = abuse_counters::table
        .find((scope, key))
        .select(abuse_counters::window_ends)
        .first(conn)
        .optional()?;
    // Gone between the two statements (swept): the window is over, so the wait is none.
    Ok(Err(ends.unwrap_or(now)))
}

/// Gives back one admitted hit of the window ending `ends` (a later window is left alone).
pub fn release(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    ends: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        abuse_counters::table
            .find((scope, key))
            .filter(abuse_counters::window_ends.eq(ends))
            .filter(abuse_counters::hits.gt(0)),
    )
    .set(abuse_counters::hits.eq(abuse_counters::hits - 1))
    .execute(conn)
    .map(drop)
}

/// Forgets `key`'s counter (a successful sign-in clears its username's failures).
pub fn clear(conn: &mut DbConnection, scope: &str, key: &str) -> QueryResult<()> {
    diesel::delete(abuse_counters::table.find((scope, key)))
        .execute(conn)
        .map(drop)
}

/// Deletes the counters whose windows ended before `now`; returns how many.
pub fn sweep(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(abuse_counters::table.filter(abuse_counters::window_ends.lt(now))).execute(conn)
}
