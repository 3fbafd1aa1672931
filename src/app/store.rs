//! The database as the HTTP layer holds it: a queue it cannot query, only hand a use case to.
//! `api` names no Diesel type and no `db` module; what a use case receives is `Conn`, and
//! taking a connection (and failing to, in time) is decided here once.

use crate::db::DbPool;
use crate::db::connection_threads::{self, ConnectionThreads};

use super::{AppError, AppResult};

/// The connection every use case runs on.
pub type Conn = crate::db::DbConnection;

/// The database threads behind the handlers (`db::connection_threads`).
#[derive(Clone)]
pub struct Store(ConnectionThreads);

impl Store {
    /// Starts `connections` database threads on `pool`, each keeping one of its connections.
    pub fn start(pool: DbPool, connections: usize) -> Result<Self, connection_threads::StartError> {
        ConnectionThreads::start(pool, connections).map(Store)
    }

    /// Runs `use_case` on the next free connection, off the async workers (Diesel blocks). No
    /// connection in time is `Unavailable` (503), not an internal error; a use case that
    /// panicked is an internal error.
    pub async fn run<T, F>(&self, use_case: F) -> AppResult<T>
    where
        F: FnOnce(&mut Conn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.0
            .run(move |lease| use_case(lease.map_err(|e| AppError::Unavailable(e.to_string()))?))
            .await
            .unwrap_or_else(|| {
                Err(AppError::Internal(
                    "the database work ended without an answer".into(),
                ))
            })
    }

    /// The per-stage latency histograms of the database threads, for `/metrics`.
    pub fn stage_histograms(&self) -> prometheus::HistogramVec {
        self.0.stage_histograms()
    }
}
