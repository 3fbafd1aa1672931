//! The dispatcher: takes due messages from the outbox under a lease, renders them, sends them
//! through the configured gateway with a bounded number in flight, and records each outcome as
//! it comes.
//!
//! What it promises:
//!
//! - **Never twice.** A claim is exclusive (`db::outbox::claim`). The lease is short and renewed
//!   by a heartbeat while the batch is in flight (`lease`), so however long the provider takes
//!   (up to `MARDOM_SMS_TIMEOUT_MS`) no other worker takes a message over from a live one; a
//!   worker that cannot renew stops starting sends. An attempt after the first asks the provider
//!   by our id whether it already has the message before sending again (a crash after sending, a
//!   timeout after the request left, a 5xx that was in fact accepted). A worker that lost its
//!   lease cannot record over the new owner.
//! - **Never lost, never long late.** A killed worker's messages are free when its lease runs
//!   out, a few seconds later (`DispatcherSettings::lease`). A worker told to stop finishes the
//!   sends in flight, records them, and gives the messages it had not started back at once.
//! - **The per-number cap holds across workers.** A message takes a slot of its number's window
//!   when it is claimed, in the claim's transaction, serialised per number (see
//!   `domain::sms_cap` and `db::outbox::claim`): however many dispatchers run, at most
//!   `per_recipient_cap` messages to one number are claimed in any `cap_window`; the others are
//!   held (pending, the reason in `last_error`) until a slot frees.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rand::Rng;

use super::gateway::{DeliveryStatus, Gateway, OutgoingSms, SendOutcome};
use super::lease::Lease;
use crate::db::notifications::NotificationRow;
use crate::db::outbox::{self, Recorded};
use crate::db::{self, DbPool};
use crate::domain::ids::NotificationId;
use crate::domain::sms_cap::Cap;
use crate::domain::templates::Templates;
use crate::vault::{Field, Vault};

/// How the dispatcher paces itself.
#[derive(Debug, Clone)]
pub struct DispatcherSettings {
    /// Messages claimed at once.
    pub batch: i64,
    /// Messages in flight at once.
    pub concurrency: usize,
    /// How long a claim holds without renewal: how long a killed worker's messages wait before
    /// another takes them over. Renewed every third of it while the batch is in flight, so it
    /// need not cover a send, only a few heartbeats of a slow database.
    pub lease: Duration,
    /// Attempts before a message that keeps failing transiently is given up as `failed`.
    pub max_attempts: i32,
    /// The first retry's delay; each further one doubles it (with jitter), up to an hour.
    pub backoff: Duration,
    /// How long to sleep when there is nothing due.
    pub idle: Duration,
    /// Messages `sent` longer ago than this are asked about (status poll).
    pub poll_after: Duration,
    /// At most this many SMS to one number per `cap_window`; more are held (pending, visible
    /// with the reason in `last_error`) and sent when a slot frees, so a flood of submissions
    /// for one number cannot run up the bill. 0: no cap.
    pub per_recipient_cap: u32,
    /// The window of the per-number cap (an hour; shorter in tests).
    pub cap_window: Duration,
}

impl Default for DispatcherSettings {
    fn default() -> Self {
        Self {
            batch: 50,
            concurrency: 16,
            // Heartbeats every 2.7 s: a renewal that stalls for PostgreSQL's whole lock wait
            // (5 s) still lands within the lease, and a killed worker's messages are taken over
            // within 9 s (the lease and one idle second), inside the 10 s promised.
            lease: Duration::from_secs(8),
            max_attempts: 8,
            backoff: Duration::from_secs(10),
            idle: Duration::from_secs(1),
            poll_after: Duration::from_secs(300),
            per_recipient_cap: 10,
            cap_window: Duration::from_secs(3600),
        }
    }
}

pub struct Dispatcher {
    pool: DbPool,
    gateway: Arc<dyn Gateway>,
    templates: Arc<Templates>,
    /// Opens the recipients (sealed in the outbox) and gives their blind index to the cap.
    vault: Arc<Vault>,
    settings: DispatcherSettings,
    /// This worker's name in `claimed_by`: unique per process and start.
    worker: String,
    /// Ends the idle wait early (`waker`).
    wake: Arc<tokio::sync::Notify>,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub claimed: usize,
    pub sent: usize,
    pub failed: usize,
    pub retried: usize,
    /// Due but held back by the per-number cap (not claimed).
    pub held: usize,
    /// Claimed but not started (stopping, or the lease could not be renewed): given back.
    pub released: usize,
}

impl Dispatcher {
    pub fn new(
        pool: DbPool,
        gateway: Arc<dyn Gateway>,
        templates: Arc<Templates>,
        vault: Arc<Vault>,
        settings: DispatcherSettings,
    ) -> Self {
        Self {
            pool,
            gateway,
            templates,
            vault,
            settings,
            worker: format!("worker-{}", uuid::Uuid::new_v4().simple()),
            wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// What wakes this dispatcher from its idle wait at once (a message that should not wait
    /// for the next pass: a one-time code).
    pub fn waker(&self) -> Arc<tokio::sync::Notify> {
        self.wake.clone()
    }

    /// Runs until `stop` resolves. A pass under way when it does starts no more sends: the
    /// ones in flight are finished and recorded, and the messages not started are given back
    /// at once, so a shutdown neither cuts a send in half nor leaves leases for another worker
    /// to wait out, nor keeps the process up sending a whole batch.
    pub async fn run(&self, stop: impl std::future::Future<Output = ()>) {
        use futures_util::FutureExt;
        tokio::pin!(stop);
        let stopping = AtomicBool::new(false);
        let mut last_poll = Instant::now();
        loop {
            if (&mut stop).now_or_never().is_some() {
                return;
            }
            let pass = self.pass(&stopping);
            tokio::pin!(pass);
            let result = tokio::select! {
                result = &mut pass => result,
                () = &mut stop => {
                    stopping.store(true, Ordering::SeqCst);
                    if let Err(error) = pass.await {
                        tracing::warn!(%error, "dispatcher pass failed while stopping");
                    }
                    return;
                }
            };
            match result {
                Ok(pass) if pass.claimed + pass.held > 0 => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "dispatcher pass failed; retrying"),
            }
            if last_poll.elapsed() >= Duration::from_secs(30) {
                last_poll = Instant::now();
                if let Err(error) = self.poll_statuses().await {
                    tracing::warn!(%error, "delivery status poll failed");
                }
            }
            tokio::select! {
                biased;
                () = &mut stop => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.settings.idle) => {}
            }
        }
    }

    /// Claims one batch and sends it.
    pub async fn run_once(&self) -> Result<Pass, String> {
        self.pass(&AtomicBool::new(false)).await
    }

    fn cap(&self) -> Cap {
        Cap {
            per_window: self.settings.per_recipient_cap,
            window: chrono::Duration::from_std(self.settings.cap_window)
                .unwrap_or(chrono::Duration::MAX),
        }
    }

    /// One batch: claim, send with the lease renewed while in flight, give back what was not
    /// started (`stopping` set, or the lease uncertain).
    async fn pass(&self, stopping: &AtomicBool) -> Result<Pass, String> {
        let taken = Instant::now();
        let now = db::now();
        let lease_until = now + chrono::Duration::from_std(self.settings.lease).unwrap_or_default();
        let (worker, limit, cap) = (self.worker.clone(), self.settings.batch, self.cap());
        let vault = self.vault.clone();
        let index_of = move |sealed: &str| match vault.open(Field::Mobile, sealed) {
            Ok(mobile) => vault.index(Field::Mobile, &mobile),
            // Not to be opened (a key missing): counted on its own; the send says why.
            Err(_) => sealed.to_owned(),
        };
        let claimed = self
            .blocking(move |conn| {
                outbox::claim(conn, &worker, now, lease_until, limit, &cap, &index_of)
            })
            .await?;
        let mut pass = Pass {
            claimed: claimed.rows.len(),
            held: claimed.held,
            ..Pass::default()
        };
        if claimed.rows.is_empty() {
            return Ok(pass);
        }
        let ids: Vec<NotificationId> = claimed.rows.iter().map(|r| r.id.clone()).collect();
        let lease = Lease::new(ids.iter().cloned(), taken, self.settings.lease);
        let unstarted = Mutex::new(Vec::new());
        let sends = futures_util::stream::iter(claimed.rows.iter())
            // Decided as each message's turn comes (the stream is pulled only when a send
            // slot frees), not when the batch was claimed.
            .filter(|row| {
                let go =
                    !stopping.load(Ordering::SeqCst) && lease.may_start(&row.id, Instant::now());
                if !go {
                    lock(&unstarted).push(row.id.clone());
                }
                std::future::ready(go)
            })
            .map(|row| async move {
                let outcome = self.attempt(row).await;
                self.record(&row.id, &outcome).await;
                outcome
            })
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect::<Vec<Recorded>>();
        let outcomes = tokio::select! {
            outcomes = sends => outcomes,
            never = self.heartbeat(&lease, &ids) => match never {},
        };
        for outcome in &outcomes {
            match outcome {
                Recorded::Sent { .. } | Recorded::Delivered { .. } => pass.sent += 1,
                Recorded::Failed { .. } => pass.failed += 1,
                Recorded::RetryAt { .. } => pass.retried += 1,
            }
        }
        let unstarted = std::mem::take(&mut *lock(&unstarted));
        if !unstarted.is_empty() {
            let worker = self.worker.clone();
            pass.released = self
                .blocking(move |conn| outbox::release(conn, &worker, &unstarted, db::now()))
                .await?;
        }
        Ok(pass)
    }

    /// Renews the batch's lease every third of it, for as long as the batch is in flight (the
    /// caller drops this when the sends are done). A failed renewal is logged and the lease
    /// left as it was: sends stop starting before it lapses.
    async fn heartbeat(&self, lease: &Lease, ids: &[NotificationId]) -> Infallible {
        loop {
            tokio::time::sleep(lease.heartbeat()).await;
            let written = Instant::now();
            let now = db::now();
            let until = now + chrono::Duration::from_std(self.settings.lease).unwrap_or_default();
            let (worker, ids) = (self.worker.clone(), ids.to_vec());
            match self
                .blocking(move |conn| outbox::renew(conn, &worker, &ids, now, until))
                .await
            {
                Ok(held) => lease.renewed(held, written),
                Err(error) => {
                    tracing::warn!(%error, worker = %self.worker, "cannot renew the lease; no new sends from this batch until it is renewed");
                }
            }
        }
    }

    /// Records one outcome if this worker still holds the message.
    async fn record(&self, id: &NotificationId, outcome: &Recorded) {
        let (owned, outcome, worker) = (id.to_owned(), outcome.clone(), self.worker.clone());
        let recorded = self
            .blocking(move |conn| outbox::record(conn, &owned, &worker, &outcome, db::now()))
            .await;
        match recorded {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(notification = %id, "lease lost before recording; the new owner decides");
            }
            // The message stays leased until the lease runs out; whoever takes it over asks the
            // provider by our id before sending again.
            Err(error) => tracing::warn!(notification = %id, %error, "cannot record an outcome"),
        }
    }

    /// One message: render, ask first if this is a repeat, send, classify the outcome.
    async fn attempt(&self, row: &NotificationRow) -> Recorded {
        let params: serde_json::Value = match serde_json::from_str(&row.params) {
            Ok(params) => params,
            Err(error) => {
                return Recorded::Failed {
                    error: format!("unreadable parameters: {error}"),
                };
            }
        };
        let rendered = match self.templates.render(row.template, &params) {
            Ok(rendered) => rendered,
            Err(error) => {
                return Recorded::Failed {
                    error: format!("cannot render: {error}"),
                };
            }
        };
        if row.attempts > 1 {
            // An earlier attempt may have reached the provider (crash after sending, timeout
            // after the request left, a 5xx that was accepted): ask before sending again.
            match self
                .gateway
                .status(row.id.as_str(), row.provider_message_id.as_deref())
                .await
            {
                Ok(DeliveryStatus::NotFound) => {}
                Ok(DeliveryStatus::Queued) => {
                    return Recorded::Sent {
                        provider_id: row.provider_message_id.clone(),
                    };
                }
                Ok(DeliveryStatus::Delivered) => {
                    return Recorded::Delivered {
                        provider_id: row.provider_message_id.clone(),
                    };
                }
                Ok(DeliveryStatus::Undelivered(error) | DeliveryStatus::Failed(error)) => {
                    return Recorded::Failed { error };
                }
                Err(error) => return self.retry_or_fail(row, format!("status check: {error}")),
            }
        }
        let to = match self.vault.open(Field::Mobile, &row.recipient) {
            Ok(to) => to,
            // A keyring without the key that sealed it is a configuration to fix, not a
            // message to give up at once: retried within the attempts' budget.
            Err(error) => return self.retry_or_fail(row, format!("recipient: {error}")),
        };
        let one_time_code = (row.template == crate::domain::lifecycle::Template::CitizenCode)
            .then(|| {
                params
                    .get("code")
                    .and_then(|c| c.as_str())
                    .map(str::to_owned)
            })
            .flatten();
        let sms = OutgoingSms {
            id: row.id.to_string(),
            to,
            text: rendered.text,
            one_time_code,
        };
        match self.gateway.send(&sms).await {
            SendOutcome::Accepted { provider_id } => Recorded::Sent { provider_id },
            SendOutcome::Permanent(error) => Recorded::Failed { error },
            SendOutcome::Transient(error) => self.retry_or_fail(row, error),
            SendOutcome::Unknown(error) => {
                self.retry_or_fail(row, format!("outcome unknown: {error}"))
            }
        }
    }

    /// Another attempt later (exponential backoff with jitter), or `failed` when the budget is
    /// spent.
    fn retry_or_fail(&self, row: &NotificationRow, error: String) -> Recorded {
        if row.attempts >= self.settings.max_attempts {
            return Recorded::Failed {
                error: format!("gave up after {} attempts: {error}", row.attempts),
            };
        }
        Recorded::RetryAt {
            at: db::now() + backoff(self.settings.backoff, row.attempts),
            error,
        }
    }

    /// Asks the provider about messages sent a while ago and not yet final.
    pub async fn poll_statuses(&self) -> Result<usize, String> {
        let before =
            db::now() - chrono::Duration::from_std(self.settings.poll_after).unwrap_or_default();
        let limit = self.settings.batch;
        let rows = self
            .blocking(move |conn| outbox::awaiting_report(conn, before, limit))
            .await?;
        let mut settled = 0;
        for row in rows {
            let status = self
                .gateway
                .status(row.id.as_str(), row.provider_message_id.as_deref())
                .await;
            let Some((status, error)) = status.ok().and_then(DeliveryStatus::settles) else {
                continue;
            };
            let id = row.id.clone();
            if self
                .blocking(move |conn| {
                    outbox::settle(conn, &id, status, error.as_deref(), db::now())
                })
                .await?
            {
                settled += 1;
            }
        }
        Ok(settled)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut db::DbConnection) -> diesel::QueryResult<T> + Send + 'static,
    ) -> Result<T, String> {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            work(&mut conn).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())?
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A list of ids, valid after any panic elsewhere.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The delay before attempt `attempts + 1`: `base × 2^(attempts-1)`, capped at an hour, with
/// ±25 % jitter so that a burst of failures does not retry in lockstep.
pub fn backoff(base: Duration, attempts: i32) -> chrono::Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(0);
    let delay = base
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(Duration::from_secs(3600));
    let jitter = rand::rng().random_range(0.75..1.25);
    chrono::Duration::from_std(delay.mul_f64(jitter))
        .unwrap_or_else(|_| chrono::Duration::seconds(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_secs(10);
        for (attempts, nominal) in [(1, 10.0), (2, 20.0), (3, 40.0), (4, 80.0)] {
            let got = backoff(base, attempts).num_milliseconds() as f64 / 1000.0;
            assert!(
                (nominal * 0.75..=nominal * 1.25).contains(&got),
                "{attempts}: {got}"
            );
        }
        assert!(backoff(base, 30).num_seconds() <= 4500);
    }
}
