//! The database: one connection type over SQLite and PostgreSQL, the pool, migrations and the
//! write transaction every use case runs in. Nothing here knows about HTTP.

pub mod attachments;
pub mod audit;
pub mod citizen_codes;
pub mod connection_threads;
pub mod contacts;
pub mod counters;
pub mod deadlines;
pub mod fifo_gate;
pub mod file_contents;
pub mod idempotency;
pub mod inbox;
pub mod jobs;
pub mod meetings;
pub mod messages;
pub mod notifications;
pub mod outbox;
pub mod pool;
pub mod portals;
pub mod prepared;
pub mod public_view;
pub mod ratings;
pub mod referrals;
pub mod registration;
pub mod requests;
pub mod retention;
pub mod schema;
pub mod scorecard;
pub mod sealing;
pub mod sms_charges;
pub mod sqlite_writers;
pub mod stats;
mod typed;
pub mod units;
pub mod users;
pub mod webhooks;

use diesel::connection::SimpleConnection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use pool::{Backend, DbPool, PoolError, connect_pool};

/// One connection to either backend. Queries written against `schema.rs` run on both; where the
/// SQL must differ, match on the variant.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The PostgreSQL advisory lock that starting up holds ("mardom" in ASCII): one per database.
const STARTUP_LOCK: i64 = 0x6d61_7264_6f6d;

/// Runs `f` holding the database's startup lock on PostgreSQL (a session advisory lock,
/// waited for as long as it takes), so that instances and workers starting at the same moment
/// migrate and create the first admin one at a time: the first does the work, the others find
/// it done. SQLite is one instance by design: `f` runs as it is.
pub fn under_startup_lock<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    if let DbConnection::Postgresql(c) = conn {
        // The session's lock wait is kept aside in a variable of our own and given back after,
        // so that the pool's setting (`MARDOM_DB_LOCK_WAIT_MS`) need not be known here.
        c.batch_execute(&format!(
            "SELECT set_config('mardom.lock_wait', current_setting('lock_timeout'), false); \
             SET lock_timeout = 0; SELECT pg_advisory_lock({STARTUP_LOCK})"
        ))?;
    }
    let done = f(conn);
    if let DbConnection::Postgresql(c) = conn {
        // Released whatever happened (a failed start closes the connection, which would too).
        c.batch_execute(&format!(
            "SELECT pg_advisory_unlock({STARTUP_LOCK}); \
             SELECT set_config('lock_timeout', current_setting('mardom.lock_wait'), false)"
        ))?;
    }
    done
}

/// Applies every pending migration of the connection's backend; returns the versions applied.
///
/// Under the startup lock (`under_startup_lock`): any number of instances and workers may start
/// at once on PostgreSQL; one migrates while the others wait, then find nothing left to do.
/// Without it two of them would create the same tables at the same moment and one would die on
/// `duplicate key … pg_type` or "relation already exists". The lock is taken with no
/// `lock_timeout`, so a migration also waits for the row and table locks it needs however long
/// that takes: a schema change must not fail because a request was being written.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, MigrationError> {
    under_startup_lock(conn, |conn| {
        let applied = match conn {
            DbConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        };
        applied
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|e| MigrationError(e.to_string()))
    })
}

#[derive(Debug, thiserror::Error)]
#[error("migration failed: {0}")]
pub struct MigrationError(String);

impl From<diesel::result::Error> for MigrationError {
    fn from(error: diesel::result::Error) -> Self {
        MigrationError(error.to_string())
    }
}

/// Runs `f` in a transaction that holds the write lock from its first statement.
///
/// On SQLite a plain (deferred) transaction that reads before it writes fails at once with
/// SQLITE_BUSY when another writer got in between, whatever the busy timeout; `BEGIN IMMEDIATE`
/// takes the write lock up front, so writers queue instead of failing; they queue first in
/// their pool's line (`sqlite_writers`), in arrival order, and meet SQLite's busy timeout only
/// when another process writes.
/// On PostgreSQL this is an ordinary transaction (guarded updates do the rest) whose statements
/// wait at most the pool's lock wait for a row lock (a session setting, see `pool`).
/// Runs `f` in the caller's transaction if one is open, otherwise in a write transaction of
/// its own: for the few writes that are both a use case's step and a step of their own.
pub fn in_write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let depth = match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
        }
        DbConnection::Postgresql(c) => {
            AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
        }
    }
    .map_err(E::from)?;
    match depth {
        Some(_) => f(conn),
        None => write_transaction(conn, f),
    }
}

pub fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let _turn = match conn {
        DbConnection::Sqlite(c) => {
            // A connection that no pool opened has no line: it meets other writers in
            // SQLite's busy handler only.
            let turn = match sqlite_writers::of(c) {
                Some(line) => Some(line.enter(pool::SQLITE_BUSY_TIMEOUT).map_err(|no_turn| {
                    diesel::result::Error::DatabaseError(
                        diesel::result::DatabaseErrorKind::Unknown,
                        Box::new(format!("database is locked: {no_turn}")),
                    )
                })?),
                None => None,
            };
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
            turn
        }
        DbConnection::Postgresql(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN")?;
            None
        }
    };
    match f(conn) {
        Ok(value) => {
            DbConnection::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => {
            DbConnection::rollback_transaction(conn)?;
            Err(error)
        }
    }
}

/// Whether the database answers a trivial query.
pub fn ping(conn: &mut DbConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT 1").execute(conn).map(|_| ())
}

/// True when a Diesel error is a unique-constraint violation (on either backend).
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// True when a statement gave up waiting for a lock another transaction holds: SQLite's busy
/// timeout, or PostgreSQL's `lock_timeout` (see `pool`).
pub fn is_lock_timeout(error: &diesel::result::Error) -> bool {
    match error {
        diesel::result::Error::DatabaseError(_, info) => {
            let message = info.message();
            message.contains("database is locked") || message.contains("lock timeout")
        }
        _ => false,
    }
}

/// How long a PostgreSQL write waits for a row lock another transaction holds unless
/// `MARDOM_DB_LOCK_WAIT_MS` says otherwise (SQLite's writers wait for the busy timeout of
/// `pool`).
pub const DEFAULT_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// True when a Diesel error is a foreign-key violation (on either backend).
pub fn is_foreign_key_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            _
        )
    )
}

/// A stored value the program cannot read back (an enum text no version of it wrote).
#[derive(Debug, thiserror::Error)]
#[error("unreadable value {value:?} in {column}")]
pub struct CorruptRow {
    column: &'static str,
    value: String,
}

impl CorruptRow {
    pub fn new(column: &'static str, value: &str) -> Self {
        Self {
            column,
            value: value.to_owned(),
        }
    }
}

/// The current time as stored: UTC, truncated to microseconds so that both backends read back
/// exactly what was written.
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    chrono::DurationRound::duration_trunc(now, chrono::Duration::microseconds(1)).unwrap_or(now)
}

/// The backend type of `DbConnection`, for functions that return boxed queries.
pub type DbBackend = <DbConnection as diesel::Connection>::Backend;

/// A new random identifier (UUID v4, stored as text).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A digest of every migration file (computed by `build.rs`): equal digests, equal schemas.
pub const MIGRATIONS_DIGEST: &str = env!("MARDOM_MIGRATIONS_DIGEST");
