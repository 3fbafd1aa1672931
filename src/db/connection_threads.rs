//! Connections owned by threads of their own, fed from one first-in-first-out queue: how the
//! HTTP handlers reach the database.
//!
//! Before, each request went to the async runtime's blocking pool (`web::block`), which woke or
//! started one of up to hundreds of threads, which then queued at the pool's gate for one of the
//! ten connections. Under load, 32 lookups meant 32 blocking threads asleep at the gate, and a
//! connection handed back was reserved for the oldest of them, idle until the scheduler got round
//! to running that thread: on two cores shared with PostgreSQL and the load generator, that wait
//! was the p99 (BENCHMARKS.md, "The lookup tail"). Here there is one thread per connection; each
//! takes the oldest job the moment it is free, so jobs run in arrival order and no connection
//! waits for a particular thread to wake. This is the shape of TechEmpower's actix-diesel entry.
//!
//! A job that waited longer than `QUEUE_PATIENCE` is not run: its caller answers 503 rather than
//! act on a request its client has probably given up on. A job that panics loses its connection
//! (a transaction may be open on it) and the thread carries on with a fresh one.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::thread;
use std::time::{Duration, Instant};

use diesel::r2d2::R2D2Connection;
use prometheus::{HistogramOpts, HistogramVec};

use super::DbConnection;
use super::pool::{DbPool, PoolError, PooledDb};

/// How long a job may wait in the queue before it is refused.
pub const QUEUE_PATIENCE: Duration = Duration::from_secs(5);

/// What a job is given: its connection, or why there is none.
pub type Lease<'a> = Result<&'a mut DbConnection, PoolError>;

type Work = Box<dyn FnOnce(Lease<'_>) + Send>;

struct Job {
    queued: Instant,
    work: Work,
}

/// The queue and, through it, the threads; cloned into every HTTP worker. The threads end when
/// the last clone is dropped.
#[derive(Clone)]
pub struct ConnectionThreads {
    jobs: crossbeam_channel::Sender<Job>,
    stages: HistogramVec,
}

impl ConnectionThreads {
    /// Starts `threads` threads, each taking its connection from `pool` when it gets its first
    /// job and keeping it (the pool must leave room for whatever else uses it).
    pub fn start(pool: DbPool, threads: usize) -> Result<Self, StartError> {
        Self::start_with_patience(pool, threads, QUEUE_PATIENCE)
    }

    /// `start`, with jobs refused after waiting `patience` (tests wait less than 5 s).
    pub fn start_with_patience(
        pool: DbPool,
        threads: usize,
        patience: Duration,
    ) -> Result<Self, StartError> {
        let (jobs, queue) = crossbeam_channel::unbounded::<Job>();
        let stages = stage_histograms()?;
        for n in 0..threads.max(1) {
            let (queue, pool, stages) = (queue.clone(), pool.clone(), stages.clone());
            thread::Builder::new()
                .name(format!("db-{n}"))
                .spawn(move || serve(&queue, &pool, &stages, patience))?;
        }
        Ok(Self { jobs, stages })
    }

    /// Runs `work` on the next free connection, in arrival order, and hands back its result.
    /// `None` when no thread took the job (they are gone, or the job panicked).
    pub async fn run<T, F>(&self, work: F) -> Option<T>
    where
        F: FnOnce(Lease<'_>) -> T + Send + 'static,
        T: Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job = Job {
            queued: Instant::now(),
            work: Box::new(move |lease| {
                // The caller may have gone (its client hung up); the work is done regardless,
                // like a request the database finished after the client left.
                let _ = answer.send((work(lease), Instant::now()));
            }),
        };
        self.jobs.send(job).ok()?;
        let (result, done) = answered.await.ok()?;
        self.stages
            .with_label_values(&["resume"])
            .observe(done.elapsed().as_secs_f64());
        Some(result)
    }

    /// The per-stage latency histograms, for the metrics endpoint.
    pub fn stage_histograms(&self) -> HistogramVec {
        self.stages.clone()
    }
}

/// One thread's life: take the oldest job, give it the thread's connection, repeat until the
/// queue is closed.
fn serve(
    queue: &crossbeam_channel::Receiver<Job>,
    pool: &DbPool,
    stages: &HistogramVec,
    patience: Duration,
) {
    let mut held: Option<PooledDb> = None;
    while let Ok(job) = queue.recv() {
        let waited = job.queued.elapsed();
        stages
            .with_label_values(&["queue"])
            .observe(waited.as_secs_f64());
        if waited > patience {
            (job.work)(Err(PoolError::Queued(waited)));
            continue;
        }
        // A connection the database dropped is given back (the pool replaces it) before it
        // fails another job.
        if held.as_mut().is_some_and(|conn| conn.is_broken()) {
            held = None;
        }
        if held.is_none() {
            match pool.get() {
                Ok(conn) => held = Some(conn),
                Err(e) => {
                    (job.work)(Err(e));
                    continue;
                }
            }
        }
        let Some(conn) = held.as_mut() else { continue };
        let started = Instant::now();
        let finished = catch_unwind(AssertUnwindSafe(|| (job.work)(Ok(&mut **conn))));
        stages
            .with_label_values(&["work"])
            .observe(started.elapsed().as_secs_f64());
        if finished.is_err() {
            held = None;
        }
    }
}

/// The threads could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot start a database thread: {0}")]
    Thread(#[from] std::io::Error),
    #[error("cannot make the database stage histograms: {0}")]
    Metrics(#[from] prometheus::Error),
}

fn stage_histograms() -> Result<HistogramVec, prometheus::Error> {
    let opts = HistogramOpts::new(
        "mardom_db_stage_seconds",
        "Time a handler's database work spends in each stage: queue (waiting for a free \
         connection), work (on the connection), resume (from the work's end until the handler \
         runs again)",
    )
    .buckets(vec![
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
        1.0, 5.0,
    ]);
    HistogramVec::new(opts, &["stage"])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn threads(n: usize) -> ConnectionThreads {
        patient(n, QUEUE_PATIENCE)
    }

    fn patient(n: usize, patience: Duration) -> ConnectionThreads {
        let dir = std::env::temp_dir().join(format!("mardom-threads-{}", uuid::Uuid::new_v4()));
        let backend = super::super::Backend::Sqlite(dir.join("t.db"));
        let pool =
            super::super::connect_pool(&backend, 4, super::super::DEFAULT_LOCK_WAIT).expect("pool");
        ConnectionThreads::start_with_patience(pool, n, patience).expect("threads")
    }

    #[actix_web::test]
    async fn a_job_that_waited_past_its_patience_is_refused_not_run() {
        let threads = patient(1, Duration::from_millis(50));
        let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let slow = threads.run(|_| thread::sleep(Duration::from_millis(300)));
        let flag = ran.clone();
        let late = threads.run(move |lease| {
            let refused = matches!(lease, Err(PoolError::Queued(_)));
            if !refused {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            refused
        });
        let (_, refused) = futures_util::future::join(slow, late).await;
        assert_eq!(refused, Some(true), "the late job hears it waited too long");
        assert!(
            !ran.load(std::sync::atomic::Ordering::SeqCst),
            "and is not run"
        );
        assert_eq!(
            threads.run(|lease| lease.is_ok()).await,
            Some(true),
            "a fresh job runs"
        );
    }

    #[actix_web::test]
    async fn jobs_run_on_a_connection_and_answer() {
        let threads = threads(2);
        let answer = threads
            .run(|lease| lease.map(|conn| conn.is_broken()))
            .await;
        assert!(matches!(answer, Some(Ok(false))));
    }

    #[actix_web::test]
    async fn a_panicking_job_answers_none_and_the_threads_carry_on() {
        let threads = threads(1);
        let panicked: Option<()> = threads.run(|_| panic!("boom")).await;
        assert_eq!(panicked, None);
        assert_eq!(threads.run(|lease| lease.is_ok()).await, Some(true));
    }

    #[actix_web::test]
    async fn jobs_start_in_arrival_order() {
        let threads = threads(1);
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let runs = (0..20).map(|i| {
            let order = order.clone();
            threads.run(move |_| order.lock().map(|mut o| o.push(i)).is_ok())
        });
        futures_util::future::join_all(runs).await;
        let seen = order.lock().map(|o| o.clone()).unwrap_or_default();
        assert_eq!(seen, (0..20).collect::<Vec<_>>());
    }
}
