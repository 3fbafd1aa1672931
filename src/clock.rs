//! The time the deadline machinery reads: the system clock, shifted by an offset that only
//! tests move. Reminders, escalations, pauses and extensions are decided at `Clock::now`, so a
//! test walks a referral through a fortnight by advancing the clock instead of sleeping.
//! Production never moves it: every `Clock` there has offset zero.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{Duration, NaiveDateTime};

/// The system clock plus an offset, shared by every clone (one app and its scheduler move
/// together).
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_micros: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock, as stored (UTC, microseconds).
    pub fn system() -> Self {
        Clock::default()
    }

    /// Now, as this clock reads it.
    pub fn now(&self) -> NaiveDateTime {
        crate::db::now() + Duration::microseconds(self.offset_micros.load(Ordering::SeqCst))
    }

    /// Moves this clock (and every clone of it) forward by `by`. For tests.
    pub fn advance(&self, by: Duration) {
        let micros = by.num_microseconds().unwrap_or(i64::MAX);
        self.offset_micros.fetch_add(micros, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_move_together_and_the_system_clock_does_not_move() {
        let clock = Clock::system();
        let twin = clock.clone();
        let before = clock.now();
        twin.advance(Duration::days(3));
        let after = clock.now();
        assert!(after - before >= Duration::days(3));
        assert!(after - before < Duration::days(3) + Duration::minutes(1));
        assert!(Clock::system().now() < before + Duration::minutes(1));
    }
}
