//! Rate limits on the public, unauthenticated endpoints: per client address on submission and
//! lookup (to blunt scraping and tracking-code guessing), and per mobile number on submission
//! (each one costs an SMS). Counted in memory per instance, in fixed windows.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;

/// At most `max` events per key in each `window`; `max == u32::MAX` (the setting `off`) is no
/// limit at all and keeps no state.
#[derive(Debug)]
pub struct RateLimiter {
    max: u32,
    window: Duration,
    counts: Mutex<Counts>,
}

#[derive(Debug)]
struct Counts {
    by_key: HashMap<String, (u32, Instant)>,
    /// The size at which finished windows are next swept out. It doubles with what a sweep
    /// keeps, so that sweeping costs O(1) per event however many keys are live (a day's worth
    /// of distinct mobile numbers is live for a day).
    sweep_at: usize,
}

/// Below this many keys nothing is swept.
const SWEEP_FLOOR: usize = 100_000;

impl RateLimiter {
    pub fn new(max: u32, window: Duration) -> Self {
        Self {
            max,
            window,
            counts: Mutex::new(Counts {
                by_key: HashMap::new(),
                sweep_at: SWEEP_FLOOR,
            }),
        }
    }

    fn unlimited(&self) -> bool {
        self.max == u32::MAX
    }

    /// Counts one event for `key`, or says how long to wait when the window is full.
    pub fn hit(&self, key: &str) -> Result<(), Duration> {
        self.check(key)?;
        self.record(key);
        Ok(())
    }

    /// Whether one more event for `key` fits, without counting it.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        if self.unlimited() {
            return Ok(());
        }
        let now = Instant::now();
        match self.lock().by_key.get(key) {
            Some(&(count, start))
                if now.duration_since(start) < self.window && count >= self.max =>
            {
                Err(self.window.saturating_sub(now.duration_since(start)))
            }
            _ => Ok(()),
        }
    }

    /// Counts one event for `key`.
    pub fn record(&self, key: &str) {
        if self.unlimited() {
            return;
        }
        let now = Instant::now();
        let mut counts = self.lock();
        // Bounded memory: forget finished windows before the map grows large.
        if counts.by_key.len() >= counts.sweep_at {
            counts
                .by_key
                .retain(|_, (_, start)| now.duration_since(*start) < self.window);
            counts.sweep_at = (counts.by_key.len() * 2).max(SWEEP_FLOOR);
        }
        let entry = counts.by_key.entry(key.to_owned()).or_insert((0, now));
        if now.duration_since(entry.1) >= self.window {
            *entry = (0, now);
        }
        entry.0 = entry.0.saturating_add(1);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        // Only counters live behind this lock; after a panic they are still usable.
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The limits of the public endpoints.
#[derive(Debug)]
pub struct PublicLimits {
    pub submissions_per_client: RateLimiter,
    pub lookups_per_client: RateLimiter,
    pub submissions_per_mobile: RateLimiter,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
}

impl PublicLimits {
    /// The address to count a request against.
    pub fn client(&self, req: &HttpRequest) -> String {
        let forwarded = self
            .trust_forwarded_for
            .then(|| req.headers().get("x-forwarded-for"))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        match forwarded.or_else(|| req.peer_addr().map(|a| a.ip())) {
            Some(ip) => ip.to_string(),
            None => "unknown".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_until_the_window_passes() {
        let limiter = RateLimiter::new(2, Duration::from_millis(50));
        assert!(limiter.hit("a").is_ok());
        assert!(limiter.hit("a").is_ok());
        let wait = limiter.hit("a").unwrap_err();
        assert!(wait <= Duration::from_millis(50));
        assert!(limiter.hit("b").is_ok(), "keys are counted apart");
        std::thread::sleep(Duration::from_millis(60));
        assert!(limiter.hit("a").is_ok());
    }

    #[test]
    fn off_never_refuses_and_keeps_nothing() {
        let limiter = RateLimiter::new(u32::MAX, Duration::from_secs(60));
        for _ in 0..1000 {
            assert!(limiter.hit("a").is_ok());
        }
        assert!(limiter.lock().by_key.is_empty());
    }

    #[test]
    fn sweeping_keeps_live_windows_and_happens_rarely() {
        let limiter = RateLimiter::new(1, Duration::from_secs(3600));
        for i in 0..SWEEP_FLOOR + 10 {
            limiter.record(&i.to_string());
        }
        let counts = limiter.lock();
        assert_eq!(
            counts.by_key.len(),
            SWEEP_FLOOR + 10,
            "live windows are kept"
        );
        assert_eq!(
            counts.sweep_at,
            SWEEP_FLOOR * 2,
            "the next sweep waits for twice as many"
        );
        drop(counts);
        assert!(limiter.check("5").is_err(), "a kept window still counts");
    }

    #[test]
    fn check_does_not_count() {
        let limiter = RateLimiter::new(1, Duration::from_secs(60));
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_ok());
        limiter.record("a");
        assert!(limiter.check("a").is_err());
    }
}
