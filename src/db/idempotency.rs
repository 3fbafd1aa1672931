//! Queries on `idempotency_keys`: the first answer to a submission, kept for its retries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::idempotency_keys;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = idempotency_keys)]
#[diesel(treat_none_as_default_value = false)]
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

/// Claims a key, with its answer, unless it is already taken (live or expired); returns whether
/// it did. A claim by a transaction still in flight makes this wait for it (PostgreSQL; SQLite
/// writers are serialised anyway), so the answer is never "taken" by a twin that rolls back.
pub fn claim(conn: &mut DbConnection, row: &IdempotencyRow) -> QueryResult<bool> {
    // Both backends speak `ON CONFLICT DO NOTHING`; diesel's multi-backend type does not, so
    // the statement is run on the concrete connection.
    let query = diesel::insert_into(idempotency_keys::table)
        .values(row)
        .on_conflict((idempotency_keys::scope, idempotency_keys::idempotency_key))
        .do_nothing();
    let inserted = match conn {
        DbConnection::Postgresql(c) => query.execute(c)?,
        DbConnection::Sqlite(c) => query.execute(c)?,
    };
    Ok(inserted == 1)
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
