//! The dispatcher's side of `notifications`: claim due messages under a lease, and record what
//! became of them. Every write after the claim is guarded by the claim (`claimed_by` and a
//! live status), so a worker whose lease expired and was taken over cannot overwrite the
//! outcome the new owner recorded.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::notifications::NotificationRow;
use super::schema::notifications;
use super::{DbConnection, write_transaction};

#[derive(QueryableByName)]
struct ClaimedId {
    #[diesel(sql_type = Text)]
    id: String,
}

/// Claims up to `limit` pending messages that are due and not leased by a live worker, for
/// `worker` until `lease_until`; counts the attempt. PostgreSQL skips rows another worker is
/// claiming at this moment (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time, so the
/// same statement under `BEGIN IMMEDIATE` cannot hand one row to two workers.
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<NotificationRow>> {
    let lock = match conn {
        DbConnection::Postgresql(_) => "FOR UPDATE SKIP LOCKED",
        DbConnection::Sqlite(_) => "",
    };
    let sql = format!(
        "UPDATE notifications SET claimed_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3 \
         WHERE id IN (SELECT id FROM notifications \
                      WHERE status = 'pending' AND next_attempt_at <= $3 \
                        AND (locked_until IS NULL OR locked_until < $3) \
                      ORDER BY next_attempt_at, id LIMIT $4 {lock}) \
         RETURNING id"
    );
    write_transaction(conn, |conn| {
        let ids: Vec<ClaimedId> = diesel::sql_query(sql)
            .bind::<Text, _>(worker)
            .bind::<Timestamp, _>(lease_until)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .load(conn)?;
        let ids: Vec<String> = ids.into_iter().map(|c| c.id).collect();
        notifications::table
            .filter(notifications::id.eq_any(&ids))
            .select(NotificationRow::as_select())
            .order((
                notifications::next_attempt_at.asc(),
                notifications::id.asc(),
            ))
            .load(conn)
    })
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// Not sent: the recipient had their hourly share; tried again `at`, the attempt not counted.
    Held {
        at: NaiveDateTime,
        reason: String,
    },
    Sent {
        provider_id: Option<String>,
    },
    Delivered {
        provider_id: Option<String>,
    },
    RetryAt {
        at: NaiveDateTime,
        error: String,
    },
    Failed {
        error: String,
    },
}

/// Records an attempt's outcome if `worker` still holds the message; false when it lost it.
pub fn record(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    outcome: &Recorded,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let target = notifications::table
        .filter(notifications::id.eq(id))
        .filter(notifications::claimed_by.eq(worker))
        .filter(notifications::status.eq("pending"));
    let release = (
        notifications::locked_until.eq(None::<NaiveDateTime>),
        notifications::claimed_by.eq(None::<String>),
        notifications::updated_at.eq(now),
    );
    let updated = match outcome {
        Recorded::Sent { provider_id } => diesel::update(target)
            .set((
                release,
                notifications::status.eq("sent"),
                notifications::provider_message_id.eq(provider_id),
                notifications::sent_at.eq(now),
                notifications::last_error.eq(None::<String>),
            ))
            .execute(conn)?,
        Recorded::Delivered { provider_id } => diesel::update(target)
            .set((
                release,
                notifications::status.eq("delivered"),
                notifications::provider_message_id.eq(provider_id),
                notifications::sent_at.eq(now),
                notifications::delivered_at.eq(now),
                notifications::last_error.eq(None::<String>),
            ))
            .execute(conn)?,
        Recorded::Held { at, reason } => diesel::update(target)
            .set((
                release,
                notifications::next_attempt_at.eq(at),
                notifications::attempts.eq(notifications::attempts - 1),
                notifications::last_error.eq(reason),
            ))
            .execute(conn)?,
        Recorded::RetryAt { at, error } => diesel::update(target)
            .set((
                release,
                notifications::next_attempt_at.eq(at),
                notifications::last_error.eq(error),
            ))
            .execute(conn)?,
        Recorded::Failed { error } => diesel::update(target)
            .set((
                release,
                notifications::status.eq("failed"),
                notifications::last_error.eq(error),
            ))
            .execute(conn)?,
    };
    Ok(updated == 1)
}

/// Messages handed to the provider but not yet final, oldest first: for the status poll.
pub fn awaiting_report(
    conn: &mut DbConnection,
    sent_before: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<NotificationRow>> {
    notifications::table
        .filter(notifications::status.eq("sent"))
        .filter(notifications::sent_at.lt(sent_before))
        .select(NotificationRow::as_select())
        .order((notifications::sent_at.asc(), notifications::id.asc()))
        .limit(limit)
        .load(conn)
}

/// A final delivery status from a report or a poll. Only a `sent` (or still `pending`) message
/// moves; a repeated report finds it final already and changes nothing. Returns whether it moved.
pub fn settle(
    conn: &mut DbConnection,
    id: &str,
    status: &str,
    error: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let delivered_at = (status == "delivered").then_some(now);
    let updated = diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::status.eq_any(["sent", "pending"])),
    )
    .set((
        notifications::status.eq(status),
        notifications::delivered_at.eq(delivered_at),
        notifications::last_error.eq(error),
        notifications::locked_until.eq(None::<NaiveDateTime>),
        notifications::claimed_by.eq(None::<String>),
        notifications::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// The id of the message a provider knows by `provider_id`.
pub fn by_provider_id(conn: &mut DbConnection, provider_id: &str) -> QueryResult<Option<String>> {
    notifications::table
        .filter(notifications::provider_message_id.eq(provider_id))
        .select(notifications::id)
        .first(conn)
        .optional()
}

/// Puts a failed message back in the queue with a fresh attempt budget (same id, so the
/// provider still sees the same idempotency key).
pub fn retry(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::status.eq_any(["failed", "undelivered"])),
    )
    .set((
        notifications::status.eq("pending"),
        notifications::attempts.eq(0),
        notifications::next_attempt_at.eq(now),
        notifications::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// How many messages each of `recipients` was sent since `since` (sent, delivered or not).
pub fn sent_since(
    conn: &mut DbConnection,
    recipients: &[String],
    since: NaiveDateTime,
) -> QueryResult<Vec<(String, i64)>> {
    notifications::table
        .filter(notifications::recipient.eq_any(recipients))
        .filter(notifications::status.eq_any(["sent", "delivered", "undelivered"]))
        .filter(notifications::sent_at.gt(since))
        .group_by(notifications::recipient)
        .select((notifications::recipient, diesel::dsl::count_star()))
        .load(conn)
}
