//! Queries on `idempotency_keys`: the first answer to a submission, kept for its retries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::idempotency_keys;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyRow {
    pub scope: String,
    pub idempotency_key: String,
    pub fingerprint: String,
    pub response_status: i32,
    pub response_body: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// The live record of a key (expired ones are as good as gone).
pub fn find(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<IdempotencyRow>> {
    idempotency_keys::table
        .find((scope, key))
        .filter(idempotency_keys::expires_at.gt(now))
        .select(IdempotencyRow::as_select())
        .first(conn)
        .optional()
}

/// Claims a key. Inserted first in its transaction, so that a concurrent twin blocks on the
/// primary key until this one commits (PostgreSQL) or waits for the write lock (SQLite).
pub fn insert(conn: &mut DbConnection, row: &IdempotencyRow) -> QueryResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Stores the answer once it is known, in the same transaction as the claim.
pub fn set_response(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    status: i32,
    body: &str,
) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find((scope, key)))
        .set((
            idempotency_keys::response_status.eq(status),
            idempotency_keys::response_body.eq(body),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Forgets this key if it has expired, so that it can be claimed afresh.
pub fn delete_expired(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        idempotency_keys::table
            .find((scope, key))
            .filter(idempotency_keys::expires_at.le(now)),
    )
    .execute(conn)
}
