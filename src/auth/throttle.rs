//! Slows password guessing: after `max_failures` failed sign-ins for one username within
//! `window`, further attempts for it are refused until the window has passed.
//!
//! Kept in memory, per API instance: with N instances an attacker gets at most N × the limit,
//! which still turns millions of guesses into a handful. A success clears the count.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct SignInThrottle {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl SignInThrottle {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(retry_after)` while the username is locked out.
    pub fn check(&self, username: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut failures = self.lock();
        match failures.get(username) {
            Some(&(count, first)) if now.duration_since(first) < self.window => {
                if count >= self.max_failures {
                    Err(self.window.saturating_sub(now.duration_since(first)))
                } else {
                    Ok(())
                }
            }
            Some(_) => {
                failures.remove(username);
                Ok(())
            }
            None => Ok(()),
        }
    }

    pub fn record_failure(&self, username: &str) {
        let now = Instant::now();
        let mut failures = self.lock();
        // Keep the map bounded: forget windows that have passed before adding another name.
        if failures.len() > 100_000 {
            failures.retain(|_, (_, first)| now.duration_since(*first) < self.window);
        }
        let entry = failures.entry(username.to_owned()).or_insert((0, now));
        if now.duration_since(entry.1) >= self.window {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    pub fn record_success(&self, username: &str) {
        self.lock().remove(username);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u32, Instant)>> {
        // A panic while holding this lock leaves only counters behind: keep using them.
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_limit_and_a_success_clears_it() {
        let throttle = SignInThrottle::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(throttle.check("reza").is_ok());
            throttle.record_failure("reza");
        }
        let retry = throttle.check("reza");
        assert!(retry.is_err_and(|d| d <= Duration::from_secs(60) && d > Duration::from_secs(50)));
        assert!(
            throttle.check("sara").is_ok(),
            "other usernames are not affected"
        );
        throttle.record_success("reza");
        assert!(throttle.check("reza").is_ok());
    }

    #[test]
    fn the_window_expires() {
        let throttle = SignInThrottle::new(1, Duration::from_millis(20));
        throttle.record_failure("reza");
        assert!(throttle.check("reza").is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(throttle.check("reza").is_ok());
    }
}
