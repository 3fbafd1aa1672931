//! The dispatcher's side of `notifications`: claim due messages under a lease (holding back the
//! ones over their number's SMS cap), renew the lease while the work goes on, give back what was
//! not started, and record what became of each. Every write after the claim is guarded by the
//! claim (`claimed_by` and a live status), so a worker whose lease expired and was taken over
//! cannot overwrite the outcome the new owner recorded, nor renew or release its messages.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};

use super::notifications::NotificationRow;
use super::schema::notifications;
use super::sms_charges::{self, Charge};
use super::{DbConnection, write_transaction};
use crate::domain::ids::NotificationId;
use crate::domain::notification::NotificationStatus;
use crate::domain::sms_cap::{self, Candidate, Cap, Decision};

/// What a claim took: the messages this worker now holds, and how many due ones the per-number
/// cap held back.
#[derive(Debug, Default)]
pub struct Claimed {
    pub rows: Vec<NotificationRow>,
    pub held: usize,
}

#[derive(QueryableByName)]
struct Due {
    #[diesel(sql_type = Text)]
    id: NotificationId,
    /// Sealed as loaded; the number's blind index once `claim` mapped it, which is what the
    /// cap counts and locks by (a sealed value differs each time it is sealed).
    #[diesel(sql_type = Text)]
    recipient: String,
}

/// The advisory lock class of the per-number cap (the second key is the number's hash): other
/// advisory locks in the database cannot meet it by accident.
const CAP_LOCK_CLASS: i32 = 0x534d_5343; // "SMSC"

/// Claims up to `limit` pending messages that are due and not leased by a live worker, for
/// `worker` until `lease_until`, counting the attempt; due messages over their number's `cap`
/// are not claimed but held (`next_attempt_at` moved to when a slot frees, the reason in
/// `last_error`, the attempt not counted). All in one transaction:
///
/// - PostgreSQL skips rows another worker is claiming at this moment (`FOR UPDATE SKIP
///   LOCKED`), then takes a transaction-scoped advisory lock per number of the batch, in key
///   order (so two claims never wait on each other in a cycle), and only then counts each
///   number's charges: a concurrent claim for the same number waits and, in READ COMMITTED,
///   counts the charges the first one committed, so two claims cannot both give the last slot;
/// - SQLite has one writer at a time: under `BEGIN IMMEDIATE` the whole claim is serialised.
///
/// `index_of` gives the blind index of a stored (sealed) recipient's number.
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
    cap: &Cap,
    index_of: &dyn Fn(&str) -> String,
) -> QueryResult<Claimed> {
    write_transaction(conn, |conn| {
        let mut due = due(conn, now, limit)?;
        for d in &mut due {
            d.recipient = index_of(&d.recipient);
        }
        if due.is_empty() {
            return Ok(Claimed::default());
        }
        let split = split_by_cap(conn, cap, now, &due)?;
        if !split.taken.is_empty() {
            diesel::update(notifications::table.filter(notifications::id.eq_any(&split.taken)))
                .set((
                    notifications::claimed_by.eq(worker),
                    notifications::locked_until.eq(lease_until),
                    notifications::attempts.eq(notifications::attempts + 1),
                    notifications::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        sms_charges::charge(conn, &split.charged)?;
        let mut held = 0;
        for (until, ids) in &split.held {
            held += ids.len();
            diesel::update(notifications::table.filter(notifications::id.eq_any(ids)))
                .set((
                    notifications::next_attempt_at.eq(until),
                    notifications::last_error.eq(cap.hold_reason(*until)),
                    notifications::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        let rows = notifications::table
            .filter(notifications::id.eq_any(&split.taken))
            .select(NotificationRow::as_select())
            .order((
                notifications::next_attempt_at.asc(),
                notifications::id.asc(),
            ))
            .load(conn)?;
        Ok(Claimed { rows, held })
    })
}

/// Up to `limit` pending messages due at `now` and not leased by a live worker, oldest first;
/// on PostgreSQL skipping (and locking) rows another claim holds.
fn due(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<Due>> {
    let lock = match conn {
        DbConnection::Postgresql(_) => "FOR UPDATE SKIP LOCKED",
        DbConnection::Sqlite(_) => "",
    };
    let pending = NotificationStatus::Pending;
    diesel::sql_query(format!(
        "SELECT id, recipient FROM notifications \
         WHERE status = '{pending}' AND next_attempt_at <= $1 \
           AND (locked_until IS NULL OR locked_until < $1) \
         ORDER BY next_attempt_at, id LIMIT $2 {lock}"
    ))
    .bind::<Timestamp, _>(now)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// What the cap makes of a claim's due messages.
#[derive(Default)]
struct Split {
    /// Claimed for sending now.
    taken: Vec<NotificationId>,
    /// The slots they take (a retry within its window keeps the one it has).
    charged: Vec<Charge>,
    /// Held until a slot frees, by that time.
    held: BTreeMap<NaiveDateTime, Vec<NotificationId>>,
}

/// Decides which due messages go and which the cap holds (`domain::sms_cap::split`), with each
/// number's charges counted under its lock.
fn split_by_cap(
    conn: &mut DbConnection,
    cap: &Cap,
    now: NaiveDateTime,
    due: &[Due],
) -> QueryResult<Split> {
    // Only a cap that limits needs the numbers' slots, and the locks that keep them exact;
    // without one, nothing is charged either.
    let charges = if cap.is_on() {
        let mut recipients: Vec<&str> = due.iter().map(|d| d.recipient.as_str()).collect();
        recipients.sort_unstable();
        recipients.dedup();
        serialise_per_recipient(conn, &recipients)?;
        sms_charges::since(conn, &recipients, cap.window_start(now))?
    } else {
        Vec::new()
    };
    let own: HashMap<&str, NaiveDateTime> = charges
        .iter()
        .map(|c| (c.notification_id.as_str(), c.charged_at))
        .collect();
    let slots: Vec<(&str, NaiveDateTime)> = charges
        .iter()
        .map(|c| (c.recipient_index.as_str(), c.charged_at))
        .collect();
    let candidates: Vec<Candidate<'_>> = due
        .iter()
        .map(|d| Candidate {
            recipient: &d.recipient,
            charged_at: own.get(d.id.as_str()).copied(),
        })
        .collect();
    let mut split = Split::default();
    for (d, decision) in due
        .iter()
        .zip(sms_cap::split(cap, now, &candidates, &slots))
    {
        match decision {
            Decision::Go { charge } => {
                split.taken.push(d.id.clone());
                if charge && cap.is_on() {
                    split.charged.push(Charge {
                        notification_id: d.id.clone(),
                        recipient_index: d.recipient.clone(),
                        charged_at: now,
                    });
                }
            }
            Decision::Hold { until } => split.held.entry(until).or_default().push(d.id.clone()),
        }
    }
    Ok(split)
}

/// PostgreSQL: takes the cap's transaction-scoped lock for each of `recipients`, in key order.
/// Sorting by key, not by number, matters: two numbers whose hashes collide share a lock, and
/// only one global order rules out a deadlock. SQLite needs nothing (one writer at a time).
fn serialise_per_recipient(conn: &mut DbConnection, recipients: &[&str]) -> QueryResult<()> {
    if matches!(conn, DbConnection::Sqlite(_)) {
        return Ok(());
    }
    let mut keys: Vec<i32> = recipients.iter().map(|r| lock_key(r)).collect();
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind::<Integer, _>(CAP_LOCK_CLASS)
            .bind::<Integer, _>(key)
            .execute(conn)?;
    }
    Ok(())
}

/// A number's lock key: FNV-1a folded to 32 bits, stable across builds and processes (std's
/// hasher is not), so that every dispatcher locks the same key for the same number.
fn lock_key(recipient: &str) -> i32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in recipient.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    i32::from_ne_bytes(hash.to_ne_bytes())
}

/// The messages `worker` still holds: claimed by it and not settled. Every write after the claim
/// (renew, release, record) is guarded by it, so a worker that lost a message to another writes
/// nothing over the new owner.
#[diesel::dsl::auto_type(no_type_alias)]
fn still_held_by<'a>(worker: &'a str) -> _ {
    let pending: NotificationStatus = NotificationStatus::Pending;
    notifications::claimed_by
        .eq(worker)
        .and(notifications::status.eq(pending))
}

/// Extends `worker`'s lease on those of `ids` it still holds to `until`; returns their ids. A
/// message it recorded, or lost to another worker after its lease ran out, is not among them.
/// Only the batch's own ids: a message of an earlier batch whose outcome could not be recorded
/// must be left to run out its lease and be taken over, not be kept forever by a busy worker.
pub fn renew(
    conn: &mut DbConnection,
    worker: &str,
    ids: &[NotificationId],
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Vec<NotificationId>> {
    diesel::update(
        notifications::table
            .filter(notifications::id.eq_any(ids))
            .filter(still_held_by(worker)),
    )
    .set((
        notifications::locked_until.eq(until),
        notifications::updated_at.eq(now),
    ))
    .returning(notifications::id)
    .get_results(conn)
}

/// Gives back messages `worker` claimed and did not start (it is stopping, or could not renew
/// its lease): free for any worker at once, the attempt not counted. Their slot of the cap stays
/// taken, so the worker that sends them within the window takes no second one. Returns how many
/// were given back.
pub fn release(
    conn: &mut DbConnection,
    worker: &str,
    ids: &[NotificationId],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::id.eq_any(ids))
            .filter(still_held_by(worker)),
    )
    .set((
        notifications::claimed_by.eq(None::<String>),
        notifications::locked_until.eq(None::<NaiveDateTime>),
        notifications::attempts.eq(notifications::attempts - 1),
        notifications::updated_at.eq(now),
    ))
    .execute(conn)
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    Sent { provider_id: Option<String> },
    Delivered { provider_id: Option<String> },
    RetryAt { at: NaiveDateTime, error: String },
    Failed { error: String },
}

/// Records an attempt's outcome if `worker` still holds the message; false when it lost it.
pub fn record(
    conn: &mut DbConnection,
    id: &NotificationId,
    worker: &str,
    outcome: &Recorded,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    super::in_write_transaction(conn, |conn| {
        let recorded = record_held(conn, id, worker, outcome, now)?;
        let status = match outcome {
            Recorded::Sent { .. } => Some(NotificationStatus::Sent),
            Recorded::Delivered { .. } => Some(NotificationStatus::Delivered),
            Recorded::Failed { .. } => Some(NotificationStatus::Failed),
            Recorded::RetryAt { .. } => None,
        };
        if let (true, Some(status)) = (recorded, status) {
            super::webhooks::announce_notification(conn, id, status, now)?;
        }
        Ok(recorded)
    })
}

/// The outcome's write itself (`record`, which announces it in the same transaction).
fn record_held(
    conn: &mut DbConnection,
    id: &NotificationId,
    worker: &str,
    outcome: &Recorded,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let target = notifications::table
        .filter(notifications::id.eq(id))
        .filter(still_held_by(worker));
    let release = (
        notifications::locked_until.eq(None::<NaiveDateTime>),
        notifications::claimed_by.eq(None::<String>),
        notifications::updated_at.eq(now),
    );
    let updated = match outcome {
        Recorded::Sent { provider_id } => diesel::update(target)
            .set((
                release,
                notifications::status.eq(NotificationStatus::Sent),
                notifications::provider_message_id.eq(provider_id),
                notifications::sent_at.eq(now),
                notifications::last_error.eq(None::<String>),
            ))
            .execute(conn)?,
        Recorded::Delivered { provider_id } => diesel::update(target)
            .set((
                release,
                notifications::status.eq(NotificationStatus::Delivered),
                notifications::provider_message_id.eq(provider_id),
                notifications::sent_at.eq(now),
                notifications::delivered_at.eq(now),
                notifications::last_error.eq(None::<String>),
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
                notifications::status.eq(NotificationStatus::Failed),
                notifications::last_error.eq(error),
            ))
            .execute(conn)?,
    };
    if updated == 1 && !matches!(outcome, Recorded::RetryAt { .. }) {
        forget_code(conn, id)?;
    }
    Ok(updated == 1)
}

/// A one-time code's digits are kept only until they are handed over (or given up): the code
/// itself is stored hashed, and its SMS row must not keep it in the clear.
fn forget_code(conn: &mut DbConnection, id: &NotificationId) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(
                notifications::template
                    .eq(crate::domain::lifecycle::Template::CitizenCode.as_str()),
            ),
    )
    .set(notifications::params.eq("{}"))
    .execute(conn)
}

/// Messages handed to the provider but not yet final, oldest first: for the status poll.
pub fn awaiting_report(
    conn: &mut DbConnection,
    sent_before: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<NotificationRow>> {
    notifications::table
        .filter(notifications::status.eq(NotificationStatus::Sent))
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
    id: &NotificationId,
    status: NotificationStatus,
    error: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    super::in_write_transaction(conn, |conn| {
        let moved = settle_one(conn, id, status, error, now)?;
        if moved {
            super::webhooks::announce_notification(conn, id, status, now)?;
        }
        Ok(moved)
    })
}

fn settle_one(
    conn: &mut DbConnection,
    id: &NotificationId,
    status: NotificationStatus,
    error: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let delivered_at = (status == NotificationStatus::Delivered).then_some(now);
    let updated = diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(
                notifications::status
                    .eq_any([NotificationStatus::Sent, NotificationStatus::Pending]),
            ),
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
pub fn by_provider_id(
    conn: &mut DbConnection,
    provider_id: &str,
) -> QueryResult<Option<NotificationId>> {
    notifications::table
        .filter(notifications::provider_message_id.eq(provider_id))
        .select(notifications::id)
        .first(conn)
        .optional()
}

/// Puts a failed message back in the queue with a fresh attempt budget (same id, so the
/// provider still sees the same idempotency key).
pub fn retry(
    conn: &mut DbConnection,
    id: &NotificationId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(
                notifications::status
                    .eq_any([NotificationStatus::Failed, NotificationStatus::Undelivered]),
            ),
    )
    .set((
        notifications::status.eq(NotificationStatus::Pending),
        notifications::attempts.eq(0),
        notifications::next_attempt_at.eq(now),
        notifications::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}
