//! `file_contents`: the bytes of attached files, when the database is the store (the default:
//! one backup, and the content is written in the upload's own transaction). Keyed by the
//! SHA-256 of the bytes, so a file uploaded twice is kept once.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::file_contents;

/// Keeps `content` under `sha256` unless it is already there (same address, same bytes).
pub fn put(
    conn: &mut DbConnection,
    sha256: &str,
    content: &[u8],
    now: NaiveDateTime,
) -> QueryResult<()> {
    let query = diesel::insert_into(file_contents::table)
        .values((
            file_contents::sha256.eq(sha256),
            file_contents::content.eq(content),
            file_contents::created_at.eq(now),
        ))
        .on_conflict(file_contents::sha256)
        .do_nothing();
    // As in `idempotency::claim`: the multi-backend connection has no ON CONFLICT.
    match conn {
        DbConnection::Postgresql(c) => query.execute(c)?,
        DbConnection::Sqlite(c) => query.execute(c)?,
    };
    Ok(())
}

pub fn get(conn: &mut DbConnection, sha256: &str) -> QueryResult<Option<Vec<u8>>> {
    file_contents::table
        .find(sha256)
        .select(file_contents::content)
        .first(conn)
        .optional()
}

pub fn delete(conn: &mut DbConnection, sha256: &str) -> QueryResult<()> {
    diesel::delete(file_contents::table.find(sha256))
        .execute(conn)
        .map(|_| ())
}
