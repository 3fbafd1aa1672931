//! The one periodic job runner: the upload sweep, the deadline watch and the meeting
//! reminders all run on it, in `serve` and in `mardom worker`, on as many instances as are
//! deployed.
//!
//! Each job has a row in `scheduled_jobs` (`db::jobs`). A tick reads the clock once and, for
//! each job that is due, takes its lease with a guarded update: one instance wins, the others
//! skip it, so a job runs once per period across instances. A lease left by an instance that
//! died mid-run expires (`LEASE`) and another takes the job over. The lease saves work, it
//! is not what keeps effects single: every job's writes are guarded on their own (a reminder
//! moves its deadline's stage from the one it read), so a run repeated after a crash, or two
//! runs racing past an expired lease, send nothing twice.
//!
//! Time comes from a `Clock`, never from the system directly, so that tests tick a scheduler
//! through a simulated week without sleeping.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;

use crate::app::{AppError, AppResult};
use crate::clock::Clock;
use crate::db::{DbConnection, DbPool, jobs};

/// What a job does in one run at an instant: a count of what it did (for the log and the
/// job's row), or why it failed.
pub type JobRun = Arc<dyn Fn(&mut DbConnection, NaiveDateTime) -> AppResult<usize> + Send + Sync>;

/// One periodic job.
#[derive(Clone)]
pub struct Job {
    /// Its row's name in `scheduled_jobs`: stable across releases.
    pub name: &'static str,
    /// How long after a run starts the next is due.
    pub every: chrono::Duration,
    pub run: JobRun,
}

/// How long a run may hold its job before another instance may take the job over.
pub const LEASE: chrono::Duration = chrono::Duration::minutes(10);

/// How often an instance looks for due jobs. Jobs are due every minute at the most, so a few
/// seconds' lateness is nothing.
pub const POLL: Duration = Duration::from_secs(10);

/// One job's run in a tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub job: &'static str,
    pub outcome: Result<usize, String>,
}

/// The jobs of one instance, on its pool, at its clock.
pub struct Scheduler {
    pool: DbPool,
    clock: Clock,
    worker: String,
    jobs: Vec<Job>,
}

impl Scheduler {
    pub fn new(pool: DbPool, clock: Clock, jobs: Vec<Job>) -> Self {
        Scheduler {
            pool,
            clock,
            worker: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            jobs,
        }
    }

    /// One pass: every due job whose lease this instance takes runs once, at the clock's
    /// instant. A job that fails is reported in its `Ran` and tried again a period later; a
    /// database that fails stops the pass.
    pub fn tick(&self) -> AppResult<Vec<Ran>> {
        let mut conn = self
            .pool
            .get()
            .map_err(|e| AppError::Unavailable(e.to_string()))?;
        let mut ran = Vec::new();
        for job in &self.jobs {
            let now = self.clock.now();
            jobs::ensure(&mut conn, job.name, now)?;
            if !jobs::claim(&mut conn, job.name, &self.worker, now, now + LEASE)? {
                continue;
            }
            let outcome = (job.run)(&mut conn, now).map_err(|e| e.to_string());
            let summary = match &outcome {
                Ok(done) => format!("done {done}"),
                Err(error) => format!("failed: {error}"),
            };
            jobs::finish(
                &mut conn,
                job.name,
                &self.worker,
                now + job.every,
                self.clock.now(),
                &summary,
            )?;
            ran.push(Ran {
                job: job.name,
                outcome,
            });
        }
        Ok(ran)
    }

    /// Ticks every `POLL` until `stop` completes, off the async workers (Diesel blocks).
    pub async fn run(self: Arc<Self>, stop: impl Future<Output = ()>) {
        let mut ticks = tokio::time::interval(POLL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = ticks.tick() => {}
            }
            let scheduler = self.clone();
            match tokio::task::spawn_blocking(move || scheduler.tick()).await {
                Ok(Ok(ran)) => log(&ran),
                Ok(Err(error)) => tracing::warn!(%error, "the scheduler's pass failed; retrying"),
                Err(error) => tracing::warn!(%error, "the scheduler's pass stopped; retrying"),
            }
        }
    }
}

fn log(ran: &[Ran]) {
    for run in ran {
        match &run.outcome {
            Ok(0) => {}
            Ok(done) => tracing::info!(job = run.job, done, "scheduled job ran"),
            Err(error) => tracing::warn!(job = run.job, %error, "scheduled job failed"),
        }
    }
}
