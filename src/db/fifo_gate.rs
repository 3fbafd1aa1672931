//! A gate that lets at most N holders through at once and admits the others in arrival order.
//!
//! Two places need one. SQLite admits one writer at a time; left to itself, a writer that finds
//! the database locked sleeps in its busy handler for 1, 2, 5 … up to 100 ms between tries: the
//! lock is often free while every waiter sleeps, and an unlucky writer keeps losing to
//! newcomers. Under a burst of submissions that made the 99th percentile about a second
//! (BENCHMARKS.md). And the connection pool (r2d2) hands a returned connection to whichever
//! thread asks first, not to the one that waited longest: with 32 lookups sharing 10
//! connections some waited 240 ms while the median was 6 ms. Behind a gate with one permit per
//! connection (or one for SQLite's writer), waiters sleep on a condition variable and are woken,
//! oldest first, the moment a holder leaves.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The SQLite writers of this process: one at a time. One gate per process, not per database
/// file: a served process opens one database; the tests, which open many at once, only see
/// their writes taken in turn.
pub static SQLITE_WRITERS: LazyLock<Arc<FifoGate>> = LazyLock::new(|| FifoGate::new(1));

pub struct FifoGate {
    state: Mutex<GateState>,
    turn: Condvar,
}

struct GateState {
    free: usize,
    waiting: VecDeque<u64>,
    next_ticket: u64,
}

/// A holder's place inside; the next waiter is admitted when it is dropped.
#[must_use = "the place is given up when the pass is dropped"]
pub struct Pass {
    gate: Arc<FifoGate>,
}

/// Waited `patience` without being admitted.
#[derive(Debug, thiserror::Error)]
#[error("no turn within {0:?}: the database is busy")]
pub struct NoTurn(pub Duration);

impl FifoGate {
    pub fn new(permits: usize) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(GateState {
                free: permits,
                waiting: VecDeque::new(),
                next_ticket: 0,
            }),
            turn: Condvar::new(),
        })
    }

    /// Waits until a place is free and every waiter that arrived earlier has been admitted, at
    /// most `patience`.
    pub fn enter(self: &Arc<Self>, patience: Duration) -> Result<Pass, NoTurn> {
        let mut state = self.lock();
        if state.free > 0 && state.waiting.is_empty() {
            state.free -= 1;
            return Ok(Pass { gate: self.clone() });
        }
        let ticket = state.next_ticket;
        state.next_ticket = state.next_ticket.wrapping_add(1);
        state.waiting.push_back(ticket);
        let deadline = Instant::now() + patience;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                state.waiting.retain(|&t| t != ticket);
                // The waiter behind may now be first in line with a place free.
                self.turn.notify_all();
                return Err(NoTurn(patience));
            }
            state = self
                .turn
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            if state.free > 0 && state.waiting.front() == Some(&ticket) {
                state.waiting.pop_front();
                state.free -= 1;
                // With several places free, the next in line may enter too.
                self.turn.notify_all();
                return Ok(Pass { gate: self.clone() });
            }
        }
    }

    /// The state is a few integers that every step leaves consistent, so a thread that panicked
    /// while holding the mutex cannot have left it half-changed: poisoning is ignored.
    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        self.gate.lock().free += 1;
        self.gate.turn.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiters_are_admitted_in_arrival_order() {
        let gate = FifoGate::new(1);
        let order = Arc::new(Mutex::new(Vec::new()));
        let first = gate.enter(Duration::from_secs(5)).unwrap();
        let mut waiters = Vec::new();
        for n in 0..6 {
            let (gate_, order) = (gate.clone(), order.clone());
            waiters.push(std::thread::spawn(move || {
                let _pass = gate_.enter(Duration::from_secs(5)).unwrap();
                order.lock().unwrap().push(n);
            }));
            // Each waiter is in line before the next one arrives.
            while gate.lock().waiting.len() < n + 1 {
                std::thread::yield_now();
            }
        }
        drop(first);
        for waiter in waiters {
            waiter.join().unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn as_many_holders_as_places_are_inside_at_once() {
        let gate = FifoGate::new(2);
        let a = gate.enter(Duration::from_millis(10)).unwrap();
        let b = gate.enter(Duration::from_millis(10)).unwrap();
        assert!(gate.enter(Duration::from_millis(20)).is_err(), "full");
        drop(a);
        let c = gate.enter(Duration::from_millis(10)).unwrap();
        drop((b, c));
        assert_eq!(gate.lock().free, 2);
    }

    #[test]
    fn a_waiter_gives_up_after_its_patience_and_leaves_the_line() {
        let gate = FifoGate::new(1);
        let held = gate.enter(Duration::from_secs(1)).unwrap();
        let started = Instant::now();
        let refused = gate.enter(Duration::from_millis(50));
        assert!(refused.is_err());
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert!(gate.lock().waiting.is_empty(), "it left the line");
        drop(held);
        assert!(gate.enter(Duration::from_millis(10)).is_ok());
    }
}
