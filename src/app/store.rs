//! The database as the HTTP layer holds it: a pool it cannot query, only hand a use case to.
//! `api` names no Diesel type and no `db` module; what a use case receives is `Conn`, and
//! taking a connection (and failing to, in time) is decided here once.

use crate::db::{DbConnection, DbPool};

use super::{AppError, AppResult};

/// The connection every use case runs on.
pub type Conn = DbConnection;

/// The pool behind the handlers.
#[derive(Clone)]
pub struct Store(DbPool);

impl Store {
    pub fn new(pool: DbPool) -> Self {
        Store(pool)
    }

    /// Runs `use_case` on a pooled connection, blocking the calling thread (callers are on the
    /// blocking pool). A pool that cannot give a connection in time is `Unavailable` (503),
    /// not an internal error.
    pub fn run<T>(&self, use_case: impl FnOnce(&mut Conn) -> AppResult<T>) -> AppResult<T> {
        let mut conn = self
            .0
            .get()
            .map_err(|e| AppError::Unavailable(e.to_string()))?;
        use_case(&mut conn)
    }
}
