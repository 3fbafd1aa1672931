//! Bounds the password hashing: at most `concurrency` argon2 verifications run at once, each on
//! the blocking pool, and never while a database connection is held (the caller's job: see
//! `app::sign_in`). A flood of sign-ins then queues here, asynchronously, instead of taking
//! every core and every pooled connection from the other endpoints.

use std::time::Duration;

use tokio::sync::Semaphore;

pub struct HashingGate {
    permits: Semaphore,
    concurrency: usize,
    /// How long a sign-in may wait for its turn before it is told to retry.
    wait: Duration,
}

/// No turn came within the wait: the server is busy hashing.
#[derive(Debug, thiserror::Error)]
#[error("password checks are queued past {0:?}")]
pub struct Busy(pub Duration);

impl HashingGate {
    pub fn new(concurrency: usize, wait: Duration) -> Self {
        let concurrency = concurrency.max(1);
        Self {
            permits: Semaphore::new(concurrency),
            concurrency,
            wait,
        }
    }

    /// One hashing turn per core but one, so that a core is always left to the other endpoints
    /// (one on a single-core machine).
    pub fn default_concurrency() -> usize {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get().saturating_sub(1))
            .max(1)
    }

    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Runs `work` (a hash or a verification) when a turn is free.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let _turn = tokio::time::timeout(self.wait, self.permits.acquire())
            .await
            .map_err(|_| Busy(self.wait))?
            .map_err(|_| Busy(self.wait))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| Busy(self.wait))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
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
}
