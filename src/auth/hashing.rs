//! Bounds the password hashing so that a flood of sign-ins cannot starve the other endpoints.
//!
//! Hashes run on `concurrency` dedicated threads (one per core but one, by default) at the lowest
//! scheduling priority (`SCHED_IDLE` on Linux), never while a database connection is
//! held (the caller's job: see `app::sign_in`). A sign-in waits for its turn asynchronously, for
//! at most `wait`; on a machine busy hashing, a lookup still gets a core at once. Measured in
//! RELIABILITY.md (*Sign-in cannot stall the server*).

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, oneshot};

type Job = Box<dyn FnOnce() + Send>;

pub struct HashingGate {
    permits: Semaphore,
    jobs: Mutex<mpsc::Sender<Job>>,
    concurrency: usize,
    /// How long a sign-in may wait for its turn before it is told to retry.
    wait: Duration,
}

/// No turn came within the wait, or the hashing threads are gone: the server is busy hashing.
#[derive(Debug, thiserror::Error)]
#[error("password checks are queued past {0:?}")]
pub struct Busy(pub Duration);

/// How much lower than the server's threads the hashing threads run (a `nice` increment).
const LOWER_PRIORITY_BY: i32 = 19;

impl HashingGate {
    pub fn new(concurrency: usize, wait: Duration) -> Self {
        let concurrency = concurrency.max(1);
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..concurrency {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("mardom-hash-{n}"))
                .spawn(move || {
                    lower_own_priority();
                    loop {
                        // One waiting thread at a time holds the lock, released before the job.
                        let job = match receiver.lock() {
                            Ok(jobs) => jobs.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return, // the gate was dropped
                        }
                    }
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a password-hashing thread");
            }
        }
        Self {
            permits: Semaphore::new(concurrency),
            jobs: Mutex::new(sender),
            concurrency,
            wait,
        }
    }

    /// One hashing thread per core but one, so that a core is always left to the other
    /// endpoints (one on a single-core machine).
    pub fn default_concurrency() -> usize {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get().saturating_sub(1))
            .max(1)
    }

    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Runs `work` (a hash or a verification) on a hashing thread when a turn is free.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let busy = || Busy(self.wait);
        let _turn = tokio::time::timeout(self.wait, self.permits.acquire())
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())?;
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        self.jobs
            .lock()
            .map_err(|_| busy())?
            .send(job)
            .map_err(|_| busy())?;
        result.await.map_err(|_| busy())
    }
}

/// Lowers the calling thread's priority as far as it goes: Linux's `SCHED_IDLE` policy (it runs
/// when a core has nothing else to run, and yields at once when a request's thread wakes) and the
/// highest nice value; on Linux both apply to the calling thread alone, and lowering one's own
/// priority needs no privilege. Measured beside 64 concurrent sign-ins on 2 cores (debug build):
/// the lookups' p99 ratio to idle went from 2.98 (nice 19 alone) to 1.84 on SQLite, and sign-ins
/// still went through at 66 per second. The price: on a machine whose cores are never idle a
/// sign-in waits its 10 s and answers 503 — the citizen's requests come first. Elsewhere the
/// threads keep the normal priority (the bound on their number still holds).
fn lower_own_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: the calls take plain integers and a pointer to a local that outlives them.
        let lowered = unsafe {
            let idle = libc::sched_param { sched_priority: 0 };
            let current = libc::getpriority(libc::PRIO_PROCESS, 0);
            libc::sched_setscheduler(0, libc::SCHED_IDLE, &idle)
                | libc::setpriority(libc::PRIO_PROCESS, 0, current + LOWER_PRIORITY_BY)
        };
        if lowered != 0 {
            tracing::warn!("the password-hashing thread keeps the normal priority");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn no_more_than_the_concurrency_run_at_once() {
        let gate = Arc::new(HashingGate::new(2, Duration::from_secs(10)));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (gate, running, most) = (gate.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    gate.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                })
            })
            .collect();
        for task in tasks {
            assert!(task.await.is_ok_and(|r| r.is_ok()));
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_turn_that_does_not_come_in_time_is_busy() {
        let gate = Arc::new(HashingGate::new(1, Duration::from_millis(30)));
        let slow = {
            let gate = gate.clone();
            tokio::spawn(async move {
                gate.run(|| std::thread::sleep(Duration::from_millis(200)))
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(gate.run(|| ()).await.is_err());
        assert!(slow.await.is_ok_and(|r| r.is_ok()));
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn the_hashing_threads_run_at_a_lower_priority() {
        let gate = HashingGate::new(1, Duration::from_secs(10));
        // SAFETY: as in `lower_own_priority`.
        let ours = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        let theirs = gate
            .run(|| unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) })
            .await
            .unwrap_or(ours);
        assert_eq!(theirs, (ours + LOWER_PRIORITY_BY).min(19));
        // SAFETY: as above.
        let policy = gate
            .run(|| unsafe { libc::sched_getscheduler(0) })
            .await
            .unwrap_or(-1);
        assert_eq!(policy, libc::SCHED_IDLE);
    }
}
