//! The periodic sweep of uploads never attached (`app::attachments::sweep`), run by `serve`
//! and by `mardom worker`. Each pass is safe beside another instance's (see the use case), so
//! every instance runs it; the deadlines issue's scheduler will take it over.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::app::attachments::{self, Files};
use crate::db::{self, DbPool};

/// How often the sweep runs: often enough that an expired upload lingers minutes, not hours.
pub const EVERY: Duration = Duration::from_secs(300);

/// Sweeps every `every` until `stop` completes. A pass that fails is logged and the next one
/// tries again.
pub async fn run(pool: DbPool, files: Arc<Files>, every: Duration, stop: impl Future<Output = ()>) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = ticks.tick() => {}
        }
        let (pool, files) = (pool.clone(), files.clone());
        let swept = tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            attachments::sweep(&mut conn, &files, db::now()).map_err(|e| e.to_string())
        })
        .await;
        match swept {
            Ok(Ok(0)) => {}
            Ok(Ok(deleted)) => tracing::info!(deleted, "swept uploads never attached"),
            Ok(Err(error)) => tracing::warn!(%error, "the upload sweep failed; retrying later"),
            Err(error) => tracing::warn!(%error, "the upload sweep stopped; retrying later"),
        }
    }
}
