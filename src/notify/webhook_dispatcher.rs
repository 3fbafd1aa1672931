//! The webhook dispatcher: takes due deliveries from `webhook_deliveries` under a lease,
//! sends each signed (`webhook`), and records the outcome: delivered on a 2xx, otherwise
//! retried with the SMS dispatcher's backoff until the attempts are spent, then failed. A
//! subscription failing `disable_after` attempts in a row is disabled and its portal told
//! (`webhook.disabled` to its other subscriptions that ask for it), in the same transaction.
//!
//! The discipline is the SMS outbox's: a claim is exclusive (SKIP LOCKED on PostgreSQL, one
//! writer on SQLite) and every write after it is guarded by the claim, so two dispatchers on
//! one database never both send one delivery while its lease holds. The lease outlasts a
//! send's whole timeout, so it needs no heartbeat; a worker killed mid-send leaves the
//! delivery to be taken over when the lease runs out, and sent again with the same
//! `webhook-id`, which the receiver dedupes by (a receiver cannot be asked, as an SMS
//! provider can, whether it already has a message).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use super::dispatcher::backoff;
use super::webhook::{Answer, Sender};
use crate::db::webhooks::{self as outbox, Claimed, DeliveryRow, Outcome, SubscriptionRow};
use crate::db::{self, DbConnection, DbPool};
use crate::domain::webhook::EventType;
use crate::domain::webhook::payload::{Disabled, DisabledWebhook};
use crate::vault::{Field, Vault};

/// How the webhook dispatcher paces itself.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub batch: i64,
    pub concurrency: usize,
    /// How long a claim holds: longer than a send can take (the client's timeout).
    pub lease: Duration,
    pub max_attempts: i32,
    /// The first retry's delay; each further one doubles (with jitter), up to an hour.
    pub backoff: Duration,
    pub idle: Duration,
    /// Failed attempts in a row after which a subscription is disabled.
    pub disable_after: i32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            batch: 50,
            concurrency: 16,
            lease: Duration::from_secs(30),
            max_attempts: 8,
            backoff: Duration::from_secs(10),
            idle: Duration::from_secs(1),
            disable_after: 20,
        }
    }
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub claimed: usize,
    pub delivered: usize,
    pub retried: usize,
    pub failed: usize,
    /// Subscriptions this pass disabled.
    pub disabled: usize,
}

pub struct WebhookDispatcher {
    pool: DbPool,
    sender: Sender,
    vault: Arc<Vault>,
    settings: WebhookSettings,
    worker: String,
}

impl WebhookDispatcher {
    pub fn new(pool: DbPool, sender: Sender, vault: Arc<Vault>, settings: WebhookSettings) -> Self {
        Self {
            pool,
            sender,
            vault,
            settings,
            worker: format!("webhooks-{}", uuid::Uuid::new_v4().simple()),
        }
    }

    /// Runs until `stop` resolves; a pass under way finishes its sends first.
    pub async fn run(&self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            let busy = match self.run_once().await {
                Ok(pass) => pass.claimed > 0,
                Err(error) => {
                    tracing::warn!(%error, "webhook pass failed; retrying");
                    false
                }
            };
            if busy {
                continue;
            }
            tokio::select! {
                biased;
                () = &mut stop => return,
                () = tokio::time::sleep(self.settings.idle) => {}
            }
        }
    }

    /// Claims one batch and sends it.
    pub async fn run_once(&self) -> Result<Pass, String> {
        let now = db::now();
        let until = now + chrono::Duration::from_std(self.settings.lease).unwrap_or_default();
        let (worker, limit) = (self.worker.clone(), self.settings.batch);
        let claimed = self
            .blocking(move |conn| outbox::claim(conn, &worker, now, until, limit))
            .await?;
        let mut pass = Pass {
            claimed: claimed.len(),
            ..Pass::default()
        };
        let recorded: Vec<(Outcome, bool)> = futures_util::stream::iter(claimed)
            .map(|claim| async move {
                let outcome = self.attempt(&claim).await;
                let disabled = self.record(&claim.delivery.id, &outcome).await;
                (outcome, disabled)
            })
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect()
            .await;
        for (outcome, disabled) in recorded {
            match outcome {
                Outcome::Delivered { .. } => pass.delivered += 1,
                Outcome::RetryAt { .. } => pass.retried += 1,
                Outcome::Failed { .. } => pass.failed += 1,
            }
            pass.disabled += usize::from(disabled);
        }
        Ok(pass)
    }

    async fn attempt(&self, claim: &Claimed) -> Outcome {
        let row = &claim.delivery;
        let secret = match self.vault.open(Field::WebhookSecret, &claim.secret) {
            Ok(secret) => secret,
            Err(error) => return self.retry_or_fail(row, format!("secret: {error}"), None),
        };
        match self
            .sender
            .send(&claim.url, &secret, &row.id, &row.payload)
            .await
        {
            Answer::Accepted(code) => Outcome::Delivered {
                code: i32::from(code),
            },
            Answer::Refused { code, excerpt } => self.retry_or_fail(
                row,
                format!("HTTP {code}: {}", excerpt.trim()),
                Some(i32::from(code)),
            ),
            Answer::NoAnswer(error) => self.retry_or_fail(row, error, None),
        }
    }

    fn retry_or_fail(&self, row: &DeliveryRow, error: String, code: Option<i32>) -> Outcome {
        if row.attempts >= self.settings.max_attempts {
            return Outcome::Failed {
                error: format!("gave up after {} attempts: {error}", row.attempts),
                code,
            };
        }
        Outcome::RetryAt {
            at: db::now() + backoff(self.settings.backoff, row.attempts),
            error,
            code,
        }
    }

    /// Records an outcome; true if it disabled the subscription.
    async fn record(&self, id: &str, outcome: &Outcome) -> bool {
        let (id, outcome, worker) = (id.to_owned(), outcome.clone(), self.worker.clone());
        let disable_after = self.settings.disable_after;
        let logged = id.clone();
        let recorded = self
            .blocking(move |conn| {
                outbox::record(
                    conn,
                    &id,
                    &worker,
                    &outcome,
                    db::now(),
                    disable_after,
                    &told,
                )
            })
            .await;
        match recorded {
            Ok(recorded) if !recorded.recorded => {
                tracing::warn!(delivery = %logged, "lease lost before recording; the new owner decides");
                false
            }
            Ok(recorded) => {
                if let Some(row) = &recorded.disabled {
                    tracing::warn!(subscription = %row.id, reason = ?row.disabled_reason, "webhook subscription disabled");
                }
                recorded.disabled.is_some()
            }
            Err(error) => {
                tracing::warn!(delivery = %logged, %error, "cannot record a webhook outcome");
                false
            }
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut DbConnection) -> diesel::QueryResult<T> + Send + 'static,
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

/// The `webhook.disabled` deliveries telling a portal that `disabled` was: one to each of its
/// other active subscriptions asking for it.
fn told(
    conn: &mut DbConnection,
    disabled: &SubscriptionRow,
) -> diesel::QueryResult<Vec<DeliveryRow>> {
    let now = db::now();
    let body = DisabledWebhook {
        event_type: EventType::WebhookDisabled,
        timestamp: now.and_utc(),
        data: Disabled {
            subscription_id: disabled.id.to_string(),
            url: disabled.url.clone(),
            failures: disabled.failures,
            reason: disabled.disabled_reason.clone().unwrap_or_default(),
        },
    };
    let payload = serde_json::to_string(&body).unwrap_or_default();
    let listening = outbox::subscriptions(conn, Some(&disabled.portal_id))?
        .into_iter()
        .filter(|s| {
            s.active
                && s.id != disabled.id
                && crate::domain::webhook::types_from_stored(&s.events)
                    .contains(&EventType::WebhookDisabled)
        });
    Ok(listening
        .map(|s| DeliveryRow::pending(s.id, EventType::WebhookDisabled, None, payload.clone(), now))
        .collect())
}
