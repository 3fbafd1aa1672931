//! The queue SQLite write transactions of this process wait in, in arrival order.
//!
//! SQLite admits one writer at a time. Left to itself, a writer that finds the database locked
//! sleeps in its busy handler for 1, 2, 5 … up to 100 ms between tries: the lock is often free
//! while every waiter sleeps, and an unlucky writer keeps losing to newcomers. Under a burst of
//! submissions that made the 99th percentile about a second (BENCHMARKS.md). Here writers wait
//! on a condition variable instead and are woken, oldest first, the moment the writer before them
//! commits, so they meet SQLite's lock only when another *process* holds it.
//!
//! There is one queue per process, not one per database file: a served process opens one
//! database; the tests, which open many at once, only see their writes taken in turn.

use std::collections::VecDeque;
use std::sync::{Condvar, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The process's SQLite writers.
pub static SQLITE_WRITERS: LazyLock<WriterQueue> = LazyLock::new(WriterQueue::default);

#[derive(Default)]
pub struct WriterQueue {
    state: Mutex<QueueState>,
    turn: Condvar,
}

#[derive(Default)]
struct QueueState {
    writing: bool,
    waiting: VecDeque<u64>,
    next_ticket: u64,
}

/// A writer's turn; the next writer's begins when it is dropped.
#[must_use = "the turn ends when the guard is dropped"]
pub struct Turn<'a> {
    queue: &'a WriterQueue,
}

/// Waited `patience` without getting a turn.
#[derive(Debug, thiserror::Error)]
#[error("database is locked: no turn to write within {0:?}")]
pub struct NoTurn(pub Duration);

impl WriterQueue {
    /// Waits until every writer that arrived earlier has finished, at most `patience`.
    pub fn wait_turn(&self, patience: Duration) -> Result<Turn<'_>, NoTurn> {
        let mut state = self.lock();
        if !state.writing && state.waiting.is_empty() {
            state.writing = true;
            return Ok(Turn { queue: self });
        }
        let ticket = state.next_ticket;
        state.next_ticket = state.next_ticket.wrapping_add(1);
        state.waiting.push_back(ticket);
        let deadline = Instant::now() + patience;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                state.waiting.retain(|&t| t != ticket);
                // The writer behind may now be first in line with the lock free.
                self.turn.notify_all();
                return Err(NoTurn(patience));
            }
            state = self
                .turn
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            if !state.writing && state.waiting.front() == Some(&ticket) {
                state.waiting.pop_front();
                state.writing = true;
                return Ok(Turn { queue: self });
            }
        }
    }

    /// The state is a few integers that every step leaves consistent, so a thread that panicked
    /// while holding the mutex cannot have left it half-changed: poisoning is ignored.
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.queue.lock().writing = false;
        self.queue.turn.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn writers_take_turns_in_arrival_order() {
        let queue = Arc::new(WriterQueue::default());
        let order = Arc::new(Mutex::new(Vec::new()));
        let first = queue.wait_turn(Duration::from_secs(5)).unwrap();
        let mut writers = Vec::new();
        for n in 0..6 {
            let (line, order) = (queue.clone(), order.clone());
            writers.push(std::thread::spawn(move || {
                let _turn = line.wait_turn(Duration::from_secs(5)).unwrap();
                order.lock().unwrap().push(n);
            }));
            // Each writer is in line before the next one arrives.
            while queue.lock().waiting.len() < n + 1 {
                std::thread::yield_now();
            }
        }
        drop(first);
        for writer in writers {
            writer.join().unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_writer_gives_up_after_its_patience_and_leaves_the_line() {
        let queue = WriterQueue::default();
        let held = queue.wait_turn(Duration::from_secs(1)).unwrap();
        let started = Instant::now();
        let refused = queue.wait_turn(Duration::from_millis(50));
        assert!(refused.is_err());
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert!(queue.lock().waiting.is_empty(), "it left the line");
        drop(held);
        assert!(queue.wait_turn(Duration::from_millis(10)).is_ok());
    }
}
