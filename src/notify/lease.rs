//! What a worker knows about its lease on the batch it is sending: which messages it still
//! holds, and until when it can be sure of that.
//!
//! The claim leases the batch for a short time; a heartbeat renews it (`db::outbox::renew`)
//! every third of the lease while sends are in flight, so a slow provider never lets the lease
//! run out under a live worker, and a dead worker's messages are free a lease later. A message
//! is started only while the lease is certain for at least one more heartbeat: a worker whose
//! renewals fail (its database unreachable) stops starting sends, because another worker may
//! soon take those messages over.

use crate::domain::ids::NotificationId;
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The lease on one batch, shared by its sends and its heartbeat.
#[derive(Debug)]
pub struct Lease {
    duration: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    held: HashSet<NotificationId>,
    /// When the lease last written runs out, by this process's clock (measured from before the
    /// write, so never later than what the database holds).
    until: Instant,
}

impl Lease {
    /// A lease on `ids`, written at `taken` for `duration`.
    pub fn new(
        ids: impl IntoIterator<Item = NotificationId>,
        taken: Instant,
        duration: Duration,
    ) -> Self {
        Self {
            duration,
            state: Mutex::new(State {
                held: ids.into_iter().collect(),
                until: taken + duration,
            }),
        }
    }

    /// How often the heartbeat renews: three chances before the lease runs out.
    pub fn heartbeat(&self) -> Duration {
        (self.duration / 3).max(Duration::from_millis(10))
    }

    /// Whether `id` may be started at `now`: still held, and the lease good for one more
    /// heartbeat (so a send never starts on a lease that is about to lapse).
    pub fn may_start(&self, id: &NotificationId, now: Instant) -> bool {
        let state = self.lock();
        state.held.contains(id) && now + self.heartbeat() < state.until
    }

    /// A renewal written at `written` came back: these are the messages still held.
    pub fn renewed(&self, held: impl IntoIterator<Item = NotificationId>, written: Instant) {
        let mut state = self.lock();
        state.held = held.into_iter().collect();
        state.until = written + self.duration;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is two plain fields, valid after any panic elsewhere.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(ids: &[&str]) -> Vec<NotificationId> {
        ids.iter().map(|&id| id_of(id)).collect()
    }

    fn id_of(text: &str) -> NotificationId {
        NotificationId::stored(text.to_owned())
    }

    #[test]
    fn a_fresh_lease_lets_its_messages_start() {
        let t0 = Instant::now();
        let lease = Lease::new(ids(&["a", "b"]), t0, Duration::from_secs(3));
        assert!(lease.may_start(&id_of("a"), t0));
        assert!(!lease.may_start(&id_of("c"), t0), "not in the batch");
        assert!(lease.may_start(&id_of("b"), t0 + Duration::from_millis(1900)));
    }

    #[test]
    fn without_renewal_sends_stop_a_heartbeat_before_the_lease_lapses() {
        let t0 = Instant::now();
        let lease = Lease::new(ids(&["a"]), t0, Duration::from_secs(3));
        assert!(!lease.may_start(&id_of("a"), t0 + Duration::from_millis(2000)));
        assert!(!lease.may_start(&id_of("a"), t0 + Duration::from_secs(5)));
    }

    #[test]
    fn a_renewal_extends_the_lease_and_drops_what_was_lost() {
        let t0 = Instant::now();
        let lease = Lease::new(ids(&["a", "b"]), t0, Duration::from_secs(3));
        lease.renewed(ids(&["b"]), t0 + Duration::from_secs(1));
        assert!(
            !lease.may_start(&id_of("a"), t0 + Duration::from_secs(1)),
            "lost"
        );
        assert!(lease.may_start(&id_of("b"), t0 + Duration::from_millis(2900)));
        assert!(!lease.may_start(&id_of("b"), t0 + Duration::from_millis(3100)));
    }
}
