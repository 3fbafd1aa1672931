//! Readiness: whether the service can serve, which is whether its database answers.

use crate::db::{self, DbConnection};

use super::{AppError, AppResult};

/// Asks the database the cheapest question; any failure means "not ready" (503), not a bug.
pub fn ready(conn: &mut DbConnection) -> AppResult<()> {
    db::ping(conn).map_err(|e| AppError::Unavailable(e.to_string()))
}
