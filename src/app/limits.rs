//! Every abuse limit in one place: submissions per client and per mobile number, lookups,
//! proofs of ownership, sign-in failures per username and per address.
//!
//! A hit checks and counts in one step (`domain::limits::decide`), so N concurrent requests
//! admit exactly the limit. Where the counters live depends on the backend:
//! - **PostgreSQL** (production, any number of instances): in the database (`db::counters`, an
//!   atomic upsert on an unlogged table), so a limit holds across instances and restarts.
//! - **SQLite** (one instance by design): in this process's memory, under one lock. Counting in
//!   the file would make every lookup a write transaction with a synced commit, queued behind
//!   every submission (RELIABILITY.md has the figures); the price is that a restart of the one
//!   instance forgets the counts.
//!
//! Keys are stored as a keyed hash (HMAC-SHA-256 under the server's signing secret, which every
//! instance shares), so the counters hold no address, mobile number or username.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDateTime;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::db::{self, DbConnection, counters};
use crate::domain::limits::{Allowance, Decision, Limit, Window, decide};

use super::{AppError, AppResult};

/// The database store sweeps ended windows once every this many hits on an instance.
const SWEEP_EVERY: u64 = 10_000;
/// Below this many live keys the memory store sweeps nothing.
const MEMORY_SWEEP_FLOOR: usize = 100_000;

pub struct Limits {
    allowances: HashMap<Limit, Allowance>,
    store: Store,
    key: Hmac<Sha256>,
    hits: AtomicU64,
}

enum Store {
    Memory(Mutex<Memory>),
    Database,
}

struct Memory {
    windows: HashMap<(Limit, String), Window>,
    /// The size at which ended windows are next swept out; it doubles with what a sweep keeps,
    /// so sweeping costs O(1) per hit however many keys are live.
    sweep_at: usize,
}

/// An admitted hit, which can be given back (`Limits::release`).
#[derive(Debug, Clone)]
pub struct Slot {
    limit: Limit,
    key: String,
    /// `None` when the limit is off (nothing was counted).
    ends: Option<NaiveDateTime>,
}

impl Limits {
    /// The limits with their allowances (a limit not named is off), counting in the database
    /// when `in_database`, in memory otherwise; `secret` keys the stored hashes.
    pub fn new(
        allowances: impl IntoIterator<Item = (Limit, Allowance)>,
        in_database: bool,
        secret: &[u8],
    ) -> AppResult<Self> {
        Ok(Self {
            allowances: allowances.into_iter().collect(),
            store: if in_database {
                Store::Database
            } else {
                Store::Memory(Mutex::new(Memory {
                    windows: HashMap::new(),
                    sweep_at: MEMORY_SWEEP_FLOOR,
                }))
            },
            key: Hmac::new_from_slice(secret).map_err(|e| AppError::Internal(e.to_string()))?,
            hits: AtomicU64::new(0),
        })
    }

    pub fn allowance(&self, limit: Limit) -> Allowance {
        self.allowances
            .get(&limit)
            .copied()
            .unwrap_or(Allowance::OFF)
    }

    /// Counts one hit of `limit` for `key`, or refuses it (`AppError::Limited`, with how long
    /// to wait) when the key's window is full.
    pub fn hit(&self, conn: &mut DbConnection, limit: Limit, key: &str) -> AppResult<Slot> {
        let allowance = self.allowance(limit);
        let key = self.hashed(limit, key);
        if allowance.is_off() {
            return Ok(Slot {
                limit,
                key,
                ends: None,
            });
        }
        let now = db::now();
        let decision = match &self.store {
            Store::Memory(memory) => lock(memory).hit(limit, &key, now, allowance),
            Store::Database => self.hit_database(conn, limit, &key, now, allowance)?,
        };
        match decision {
            Decision::Admit(window) => Ok(Slot {
                limit,
                key,
                ends: Some(window.ends),
            }),
            Decision::Refuse { retry_after } => Err(AppError::Limited { limit, retry_after }),
        }
    }

    fn hit_database(
        &self,
        conn: &mut DbConnection,
        limit: Limit,
        key: &str,
        now: NaiveDateTime,
        allowance: Allowance,
    ) -> AppResult<Decision> {
        if self.hits.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            let swept = counters::sweep(conn, now)?;
            tracing::debug!(swept, "swept ended abuse-limit windows");
        }
        // What a fresh window would be, as the pure rule says.
        let Decision::Admit(fresh) = decide(None, now, allowance) else {
            return Ok(decide(None, now, allowance));
        };
        Ok(
            match counters::hit(conn, limit.scope(), key, now, fresh.ends, allowance.max)? {
                Ok(window) => Decision::Admit(window),
                Err(ends) => Decision::Refuse {
                    retry_after: (ends - now).to_std().unwrap_or_default(),
                },
            },
        )
    }

    /// Gives an admitted hit back: the request it let through turned out not to count (a twin
    /// submission answered with the first one's answer, a sign-in that succeeded).
    pub fn release(&self, conn: &mut DbConnection, slot: &Slot) -> AppResult<()> {
        let Some(ends) = slot.ends else {
            return Ok(());
        };
        match &self.store {
            Store::Memory(memory) => {
                let mut memory = lock(memory);
                if let Some(window) = memory.windows.get_mut(&(slot.limit, slot.key.clone())) {
                    *window = window.released(ends);
                }
            }
            Store::Database => counters::release(conn, slot.limit.scope(), &slot.key, ends)?,
        }
        Ok(())
    }

    /// Forgets every hit of `limit` for `key`.
    pub fn clear(&self, conn: &mut DbConnection, limit: Limit, key: &str) -> AppResult<()> {
        if self.allowance(limit).is_off() {
            return Ok(());
        }
        let key = self.hashed(limit, key);
        match &self.store {
            Store::Memory(memory) => {
                lock(memory).windows.remove(&(limit, key));
            }
            Store::Database => counters::clear(conn, limit.scope(), &key)?,
        }
        Ok(())
    }

    fn hashed(&self, limit: Limit, key: &str) -> String {
        let mut mac = self.key.clone();
        mac.update(limit.scope().as_bytes());
        mac.update(&[0]);
        mac.update(key.as_bytes());
        let digest = mac.finalize().into_bytes();
        // 128 bits: no two keys of one limit meet in practice, and half the index size.
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }
}

impl Memory {
    fn hit(
        &mut self,
        limit: Limit,
        key: &str,
        now: NaiveDateTime,
        allowance: Allowance,
    ) -> Decision {
        if self.windows.len() >= self.sweep_at {
            self.windows.retain(|_, window| window.ends > now);
            self.sweep_at = (self.windows.len() * 2).max(MEMORY_SWEEP_FLOOR);
        }
        let slot = (limit, key.to_owned());
        let decision = decide(self.windows.get(&slot).copied(), now, allowance);
        if let Decision::Admit(window) = decision {
            self.windows.insert(slot, window);
        }
        decision
    }
}

fn lock(memory: &Mutex<Memory>) -> std::sync::MutexGuard<'_, Memory> {
    // Only counters live behind this lock; after a panic they are still usable.
    memory
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn memory_limits(max: u32) -> Limits {
        Limits::new(
            [(
                Limit::LookupsPerClient,
                Allowance::new(max, Duration::from_secs(60)),
            )],
            false,
            b"test secret",
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The memory store never touches the connection; any will do, and none is opened.
    fn with_limits(max: u32, test: impl FnOnce(&Limits, &mut Memory)) {
        let limits = memory_limits(max);
        let Store::Memory(memory) = &limits.store else {
            panic!("memory store expected");
        };
        let mut memory = lock(memory);
        let mut scratch = Memory {
            windows: std::mem::take(&mut memory.windows),
            sweep_at: memory.sweep_at,
        };
        drop(memory);
        test(&limits, &mut scratch);
    }

    #[test]
    fn memory_hits_admit_exactly_the_allowance_from_many_threads() {
        let limits = memory_limits(5);
        let Store::Memory(memory) = &limits.store else {
            panic!("memory store expected");
        };
        let admitted = AtomicU64::new(0);
        std::thread::scope(|scope| {
            for _ in 0..40 {
                scope.spawn(|| {
                    let now = db::now();
                    let key = limits.hashed(Limit::LookupsPerClient, "203.0.113.7");
                    if let Decision::Admit(_) = lock(memory).hit(
                        Limit::LookupsPerClient,
                        &key,
                        now,
                        limits.allowance(Limit::LookupsPerClient),
                    ) {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        assert_eq!(admitted.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn keys_are_hashed_per_limit_and_hold_no_value() {
        with_limits(1, |limits, _| {
            let a = limits.hashed(Limit::LookupsPerClient, "+989121234567");
            let b = limits.hashed(Limit::ProofsPerMobile, "+989121234567");
            assert_ne!(a, b);
            assert_eq!(a.len(), 32);
            assert!(!a.contains("9121234567"));
        });
    }

    #[test]
    fn unnamed_limits_are_off() {
        with_limits(1, |limits, _| {
            assert!(limits.allowance(Limit::SubmissionsPerMobile).is_off());
        });
    }

    #[test]
    fn the_memory_sweep_keeps_live_windows() {
        with_limits(1, |limits, memory| {
            let allowance = limits.allowance(Limit::LookupsPerClient);
            let now = db::now();
            for i in 0..MEMORY_SWEEP_FLOOR + 10 {
                memory.hit(Limit::LookupsPerClient, &i.to_string(), now, allowance);
            }
            assert_eq!(memory.windows.len(), MEMORY_SWEEP_FLOOR + 10);
            assert_eq!(memory.sweep_at, MEMORY_SWEEP_FLOOR * 2);
            assert!(matches!(
                memory.hit(Limit::LookupsPerClient, "5", now, allowance),
                Decision::Refuse { .. }
            ));
        });
    }
}
