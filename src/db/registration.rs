//! Writing a new request whole: the request, its citizen's identity, its first history event,
//! the messages it sends, the classification it is owed (its deadline) and, for a keyed submission, the idempotency key claimed with its
//! answer. All of it or nothing.
//!
//! On PostgreSQL this is one statement of data-modifying CTEs, atomic by itself, so a submission
//! costs one round trip instead of one per row plus BEGIN and COMMIT: each round trip costs the
//! server more CPU than the row it carries (BENCHMARKS.md). On SQLite, in-process, the rows are
//! written one by one in a write transaction (the caller's, if one is open).

use std::num::NonZeroU32;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

use super::DbConnection;
use super::deadlines::{self, DeadlineRow};
use super::idempotency::{self, IdempotencyRow};
use super::notifications::{self, NotificationRow};
use super::prepared::{Prepared, Statement};
use super::requests::{self, EventRow, IdentityRow, RequestRow};
use super::webhooks::{self, DeliveryRow};
use crate::domain::ids::PortalId;

/// The rows of one new request.
pub struct NewRegistration<'a> {
    pub request: &'a RequestRow,
    pub identity: &'a IdentityRow,
    pub event: &'a EventRow,
    pub messages: &'a [NotificationRow],
    /// The classification the request is owed.
    pub deadline: &'a DeadlineRow,
    /// The idempotency key to claim, with the answer to replay.
    pub claim: Option<&'a IdempotencyRow>,
    /// The portal that files it, if one does (`request_portals`).
    pub portal: Option<&'a PortalId>,
    /// The webhooks announcing it (`webhook_deliveries`).
    pub webhooks: &'a [DeliveryRow],
}

/// What writing a registration did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Everything was written (and the key, if any, claimed).
    Registered,
    /// Another request has this tracking code: nothing was written.
    CodeTaken,
    /// Another submission claimed the key: nothing was written.
    KeyTaken,
    /// Another submission still writing holds the key, past the lock wait
    /// (`MARDOM_DB_LOCK_WAIT_MS`): nothing was written.
    KeyBusy,
}

/// Writes a registration, all or nothing: inside the caller's transaction if one is open,
/// otherwise on its own. A tracking code or a key already taken writes nothing, so the caller
/// can draw another code, or replay the key's answer, without rolling back.
pub fn insert(conn: &mut DbConnection, new: &NewRegistration<'_>) -> QueryResult<Written> {
    match conn {
        DbConnection::Postgresql(c) => insert_postgres(c, new),
        DbConnection::Sqlite(c) => {
            let depth: Option<NonZeroU32> =
                AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()?;
            if depth.is_some() {
                insert_rows(conn, new)
            } else {
                super::write_transaction(conn, |conn| insert_rows(conn, new))
            }
        }
    }
}

/// Every row goes as JSON and `json_populate_record` turns it into the table's own row type, so
/// the columns line up by construction. The key is claimed only if the tracking code is free;
/// the request is written only if the code is free and the key (if any) was claimed; every
/// other row only if the request was. A key claimed by a transaction still in flight makes the
/// claim wait for it. (The code is checked against the statement's snapshot: a request with
/// the same code committed meanwhile fails the statement on the unique index, with nothing
/// written — two fresh draws of 9×10^10 values meeting within a millisecond.) Kept prepared
/// (`prepared`): parsing and planning seven CTEs on every submission cost PostgreSQL more than
/// the inserts did (BENCHMARKS.md).
struct PostgresInsert;

impl Statement for PostgresInsert {
    const PARTS: &'static [&'static str] = &[
        "WITH p AS (SELECT ",
        "::json AS request, ",
        "::json AS identity, ",
        "::json AS event, ",
        "::json AS messages, ",
        "::json AS deadline, ",
        "::json AS claim, ",
        "::json AS portal, ",
        "::json AS webhooks), \
         free AS (SELECT NOT EXISTS (SELECT FROM requests, p WHERE tracking_code = p.request->>'tracking_code') AS code), \
         k AS (INSERT INTO idempotency_keys \
               SELECT * FROM json_populate_record(NULL::idempotency_keys, (SELECT claim FROM p)) \
               WHERE (SELECT claim IS NOT NULL FROM p) AND (SELECT code FROM free) \
               ON CONFLICT (scope, idempotency_key) DO NOTHING RETURNING 1), \
         r AS (INSERT INTO requests SELECT * FROM json_populate_record(NULL::requests, (SELECT request FROM p)) \
               WHERE (SELECT code FROM free) AND ((SELECT claim IS NULL FROM p) OR EXISTS (SELECT FROM k)) RETURNING 1), \
         i AS (INSERT INTO request_identities \
               SELECT * FROM json_populate_record(NULL::request_identities, (SELECT identity FROM p)) WHERE EXISTS (SELECT FROM r)), \
         e AS (INSERT INTO request_events \
               SELECT * FROM json_populate_record(NULL::request_events, (SELECT event FROM p)) WHERE EXISTS (SELECT FROM r)), \
         n AS (INSERT INTO notifications \
               SELECT * FROM json_populate_recordset(NULL::notifications, (SELECT messages FROM p)) WHERE EXISTS (SELECT FROM r)), \
         d AS (INSERT INTO deadlines \
               SELECT * FROM json_populate_record(NULL::deadlines, (SELECT deadline FROM p)) WHERE EXISTS (SELECT FROM r)), \
         f AS (INSERT INTO request_portals \
               SELECT * FROM json_populate_record(NULL::request_portals, (SELECT portal FROM p)) \
               WHERE (SELECT portal IS NOT NULL FROM p) AND EXISTS (SELECT FROM r)), \
         w AS (INSERT INTO webhook_deliveries \
               SELECT * FROM json_populate_recordset(NULL::webhook_deliveries, (SELECT webhooks FROM p)) WHERE EXISTS (SELECT FROM r)) \
         SELECT (SELECT code FROM free), (SELECT count(*) FROM r)",
    ];
    type SqlType = (Bool, BigInt);
}

fn insert_postgres(conn: &mut PgConnection, new: &NewRegistration<'_>) -> QueryResult<Written> {
    let statement = Prepared::<PostgresInsert>::new(vec![
        Some(json(new.request)?),
        Some(json(new.identity)?),
        Some(json(new.event)?),
        Some(json(&new.messages)?),
        Some(json(new.deadline)?),
        new.claim.map(json).transpose()?,
        new.portal
            .map(|portal| {
                json(&serde_json::json!({"request_id": new.request.id, "portal_id": portal}))
            })
            .transpose()?,
        Some(json(&new.webhooks)?),
    ]);
    Ok(match statement.get_result::<(bool, i64)>(conn) {
        Ok((_, 1)) => Written::Registered,
        Ok((false, _)) => Written::CodeTaken,
        Ok(_) => Written::KeyTaken,
        // The only lock the statement can wait for is a key's.
        Err(error) if new.claim.is_some() && super::is_lock_timeout(&error) => Written::KeyBusy,
        Err(error) => return Err(error),
    })
}

/// The same, row by row, in the caller's write transaction (SQLite: writers take turns, so
/// nothing changes between the checks and the writes).
fn insert_rows(conn: &mut DbConnection, new: &NewRegistration<'_>) -> QueryResult<Written> {
    if requests::tracking_code_exists(conn, &new.request.tracking_code)? {
        return Ok(Written::CodeTaken);
    }
    if let Some(claim) = new.claim
        && !idempotency::claim(conn, claim)?
    {
        return Ok(Written::KeyTaken);
    }
    requests::insert(conn, new.request)?;
    requests::insert_identity(conn, new.identity)?;
    requests::insert_event(conn, new.event)?;
    for message in new.messages {
        notifications::insert(conn, message)?;
    }
    deadlines::start(conn, new.deadline)?;
    if let Some(portal) = new.portal {
        super::portals::record_filing(conn, &new.request.id, portal)?;
    }
    webhooks::insert_deliveries(conn, new.webhooks)?;
    Ok(Written::Registered)
}

fn json<T: serde::Serialize>(row: &T) -> QueryResult<String> {
    serde_json::to_string(row).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}
