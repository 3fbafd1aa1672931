//! A gate that lets at most N holders through at once and admits the others in arrival order.
//!
//! Two places need one. SQLite admits one writer at a time; left to itself, a writer that finds
//! the database locked sleeps in its busy handler for 1, 2, 5 … up to 100 ms between tries: the
//! lock is often free while every waiter sleeps, and an unlucky writer keeps losing to
//! newcomers. Under a burst of submissions that made the 99th percentile about a second
//! (BENCHMARKS.md). And the connection pool (r2d2) hands a returned connection to whichever
//! thread asks first, not to the one that waited longest: with 32 lookups sharing 10
//! connections some waited 240 ms while the median was 6 ms. Behind a gate with one permit per
//! connection (or one for SQLite's writer), each waiter sleeps on a condition variable of its own
//! and only the oldest is woken, the moment a holder leaves: waking every waiter to find the
//! oldest cost more than the lookups they were waiting for.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

pub struct FifoGate {
    state: Mutex<GateState>,
}

struct GateState {
    free: usize,
    /// The waiters, oldest first, each with the condition variable it sleeps on.
    waiting: VecDeque<(u64, Arc<Condvar>)>,
    next_ticket: u64,
}

impl GateState {
    /// Wakes the oldest waiter if a place is free for it.
    fn wake_next(&self) {
        if self.free > 0
            && let Some((_, turn)) = self.waiting.front()
        {
            turn.notify_one();
        }
    }
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
        let turn = Arc::new(Condvar::new());
        state.waiting.push_back((ticket, turn.clone()));
        let deadline = Instant::now() + patience;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                state.waiting.retain(|(t, _)| *t != ticket);
                // The waiter behind may now be first in line with a place free.
                state.wake_next();
                return Err(NoTurn(patience));
            }
            state = turn
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            if state.free > 0 && state.waiting.front().is_some_and(|(t, _)| *t == ticket) {
                state.waiting.pop_front();
                state.free -= 1;
                // With several places free, the next in line may enter too.
                state.wake_next();
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

/// For the connection manager's `Debug`, which r2d2 requires: how many are inside and waiting.
impl std::fmt::Debug for FifoGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("FifoGate")
            .field("free", &state.free)
            .field("waiting", &state.waiting.len())
            .finish()
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        let mut state = self.gate.lock();
        state.free += 1;
        state.wake_next();
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
