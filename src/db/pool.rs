//! The connection pool. The backend is chosen from the URL's scheme, not by trial: diesel's
//! `MultiConnection::establish` tries each backend in turn and hides the real error (a wrong
//! password reads "invalid connection url", a typo silently creates a SQLite file).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use diesel::r2d2::{self, R2D2Connection};
use diesel::{Connection, RunQueryDsl};

use super::DbConnection;
use super::fifo_gate::{FifoGate, NoTurn, Pass};
use super::sqlite_writers;

/// The connection pool, behind a gate with one place per connection that admits callers in
/// arrival order (`fifo_gate`): r2d2 alone hands a returned connection to whichever thread asks
/// first, so under load a few callers waited hundreds of milliseconds while others went
/// straight through.
#[derive(Clone)]
pub struct DbPool {
    pool: r2d2::Pool<ConnectionManager>,
    gate: Arc<FifoGate>,
}

/// A pooled connection and the caller's place at the gate. Fields drop in order: the connection
/// goes back to the pool before the next caller is admitted.
pub struct PooledDb {
    conn: r2d2::PooledConnection<ConnectionManager>,
    _place: Pass,
}

impl std::ops::Deref for PooledDb {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for PooledDb {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// How long a caller waits for a connection before its request answers 503.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);

impl DbPool {
    /// A connection, once every caller that asked earlier has one, within `CHECKOUT_TIMEOUT`.
    pub fn get(&self) -> Result<PooledDb, PoolError> {
        let place = self.gate.enter(CHECKOUT_TIMEOUT)?;
        let conn = self.pool.get()?;
        Ok(PooledDb {
            conn,
            _place: place,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("no database connection free: {0}")]
    Busy(#[from] NoTurn),
    #[error(transparent)]
    Pool(#[from] r2d2::PoolError),
    #[error("no database connection free for {0:?}: the database is busy")]
    Queued(Duration),
}

/// Which database a URL points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Postgres(String),
    /// A file path; the `sqlite://` prefix, if any, is removed.
    Sqlite(PathBuf),
}

impl Backend {
    /// `postgres://` or `postgresql://` selects PostgreSQL; `sqlite://PATH`, `file:PATH` or a
    /// bare path selects SQLite.
    pub fn from_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres(url.to_owned())
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .or_else(|| url.strip_prefix("file:"))
                .unwrap_or(url);
            Backend::Sqlite(PathBuf::from(path))
        }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Backend::Sqlite(_))
    }

    /// The SQLite file's folder, where the embedded install keeps its generated secrets.
    pub fn sqlite_folder(&self) -> Option<&Path> {
        match self {
            Backend::Sqlite(path) => path.parent(),
            Backend::Postgres(_) => None,
        }
    }
}

/// SQLite durability and concurrency settings, applied to every new connection.
///
/// `synchronous = FULL` in WAL mode syncs the log on every commit, so a committed request
/// survives a power cut, not only a process crash: a 2xx is a promise (PRODUCT rule 4).
/// `busy_timeout` lets writers queue rather than fail while another one commits.
/// The busy timeout comes first: switching to WAL needs a lock, and a connection opened while
/// another one recovers the database after a crash must wait for it rather than fail at once.
/// `cache_size` is 1 MiB per connection instead of SQLite's 2 MiB: ten pooled connections
/// filled their caches under load and took the server to 67–69 MiB (BENCHMARKS.md); the
/// operating system caches the file's pages anyway.
fn sqlite_pragmas() -> String {
    format!(
        "PRAGMA busy_timeout = {}; \
         PRAGMA journal_mode = WAL; \
         PRAGMA synchronous = FULL; \
         PRAGMA foreign_keys = ON; \
         PRAGMA cache_size = -1024;",
        SQLITE_BUSY_TIMEOUT.as_millis()
    )
}

/// How long a SQLite writer waits for its turn (in its pool's line, then for another process's
/// write lock) before the write answers 503.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// PostgreSQL settings for every new connection.
///
/// `lock_timeout`: a statement waits at most `lock_wait` (`MARDOM_DB_LOCK_WAIT_MS`, 5 s by
/// default) for a lock another transaction holds; a write that waits longer answers 503
/// (`AppError::Unavailable`), or 409 for a submission whose idempotency key a twin still holds,
/// rather than queueing forever. Set for the session, not per transaction, so that a write that
/// is one statement needs no transaction around it (see `db::registration`). In milliseconds,
/// at least 1: PostgreSQL reads 0 as "wait for ever".
///
/// `random_page_cost`, unless the database's administrator set one: the default of 4 models
/// spinning disks. It makes a random heap read look so dear that PostgreSQL reads a filtered
/// staff list (`status = … AND channel = …` newest first) through the creation-time index,
/// skipping every newer request of another status, instead of through the status index: 91 ms
/// instead of 0.9 ms at a million requests, where the newest rows are all newly registered.
/// 1.1 is the usual value for SSD storage.
fn postgres_session(lock_wait: Duration) -> String {
    format!(
        "SET lock_timeout = '{}ms'; \
         SELECT set_config('random_page_cost', '1.1', false) \
         FROM pg_settings WHERE name = 'random_page_cost' AND source = 'default'",
        lock_wait.as_millis().max(1)
    )
}

/// Opens the connections of one pool. Clones share the pool's line of SQLite writers.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    backend: Backend,
    /// How long a PostgreSQL statement waits for a lock (`postgres_session`).
    lock_wait: Duration,
    /// This pool's SQLite writers, one at a time (`sqlite_writers`); unused on PostgreSQL.
    sqlite_writers: Arc<FifoGate>,
}

impl ConnectionManager {
    pub fn new(backend: Backend, lock_wait: Duration) -> Self {
        Self {
            backend,
            lock_wait,
            sqlite_writers: FifoGate::new(1),
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        match &self.backend {
            Backend::Postgres(url) => {
                let mut conn = diesel::PgConnection::establish(url)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                diesel::connection::SimpleConnection::batch_execute(
                    &mut conn,
                    &postgres_session(self.lock_wait),
                )
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConnection::Postgresql(conn))
            }
            Backend::Sqlite(path) => {
                let path = path.to_string_lossy();
                let mut conn = diesel::SqliteConnection::establish(&path)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                diesel::connection::SimpleConnection::batch_execute(&mut conn, &sqlite_pragmas())
                    .map_err(diesel::r2d2::Error::QueryError)?;
                sqlite_writers::attach(&mut conn, self.sqlite_writers.clone());
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

/// Opens a pool of `size` connections, creating the SQLite file and its folder private to the
/// service's account when needed (SQLite gives the `-wal` and `-shm` files the database
/// file's permissions), and
/// checks that one connection can be made (so a bad URL fails at start, with the driver's words).
/// On PostgreSQL a statement waits at most `lock_wait` for a lock (`postgres_session`).
pub fn connect_pool(
    backend: &Backend,
    size: u32,
    lock_wait: Duration,
) -> Result<DbPool, StartupDbError> {
    if let Backend::Sqlite(path) = backend {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            crate::private_files::create_private_dir(folder)
                .map_err(|e| StartupDbError::Folder(folder.into(), e))?;
        }
        if !path.exists() {
            crate::private_files::write_private(path, "")
                .map_err(|e| StartupDbError::Folder(path.clone(), e))?;
        }
    }
    let manager = ConnectionManager::new(backend.clone(), lock_wait);
    // Fail fast with the real cause instead of r2d2's generic timeout.
    let mut probe = r2d2::ManageConnection::connect(&manager).map_err(StartupDbError::Connect)?;
    diesel::sql_query("SELECT 1")
        .execute(&mut probe)
        .map_err(|e| StartupDbError::Connect(diesel::r2d2::Error::QueryError(e)))?;
    drop(probe);
    let pool = r2d2::Pool::builder()
        .max_size(size)
        // r2d2 pings every connection it hands out: one more round trip on every request, a
        // sixth of a public lookup. A connection the database dropped fails its first query
        // instead, diesel marks it broken (`has_broken`) and the pool replaces it; that one
        // call answers 503 and, like any failed call, is safe to retry (submissions carry an
        // Idempotency-Key, and a transaction that failed was not committed).
        .test_on_check_out(false)
        .connection_timeout(CHECKOUT_TIMEOUT)
        .build(manager)
        .map_err(StartupDbError::Pool)?;
    Ok(DbPool {
        pool,
        gate: FifoGate::new(usize::try_from(size).unwrap_or(usize::MAX)),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum StartupDbError {
    #[error("cannot create the database file or its folder {0}: {1}")]
    Folder(PathBuf, std::io::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(diesel::r2d2::Error),
    #[error("cannot build the connection pool: {0}")]
    Pool(r2d2::PoolError),
}
