//! What every handler shares: the pool, the token issuer, the abuse limits, the gate that
//! bounds password hashing, and the metrics.

use std::sync::Arc;

use super::error::ApiError;
use super::observe::Metrics;
use crate::app::AppResult;
use crate::app::limits::Limits;
use crate::app::store::{Conn, Store};
use crate::auth::{HashingGate, TokenIssuer};

#[derive(Clone)]
pub struct AppState {
    /// The database, as use cases reach it.
    pub store: Store,
    pub tokens: Arc<TokenIssuer>,
    pub metrics: Arc<Metrics>,
    /// Every abuse limit (`app::limits`).
    pub limits: Arc<Limits>,
    /// Count public requests against the first `X-Forwarded-For` address (`api::client`).
    pub trust_forwarded_for: bool,
    /// Bounds the password checks of sign-in.
    pub hashing: Arc<HashingGate>,
    /// The working-day calendar, the deadline policies and the clock deadlines are decided at
    /// (moved only by tests).
    pub deadlines: crate::app::deadlines::SharedRules,
    /// Attached files: their store, limits, and upload lifetime.
    pub files: Arc<crate::app::attachments::Files>,
    /// The SMS provider, for its delivery reports.
    pub sms: Arc<SmsRuntime>,
    /// The citizen's door: their tokens and the key one-time codes are hashed under.
    pub citizens: Arc<crate::app::citizen_door::Door>,
    /// Wakes this process's dispatcher at once (a one-time code should not wait for its next
    /// pass); without a dispatcher in this process, nobody listens and the worker's next pass
    /// (a second at most) sends it.
    pub wake_dispatcher: Arc<tokio::sync::Notify>,
    /// Whether a reveal of an identity must give a reason (`MARDOM_REVEAL_REASON`).
    pub reveal_reason: crate::domain::reveal::ReasonPolicy,
    /// Online submissions need the citizen's token of the submitted number.
    pub online_requires_verified_mobile: bool,
    /// What webhook targets may be beyond the public internet (`MARDOM_WEBHOOK_ALLOW`).
    pub webhook_allow: crate::domain::webhook::target::Allowlist,
}

impl AppState {
    /// The vault identities are sealed in (held with the rules every use case takes).
    pub fn vault(&self) -> Arc<crate::vault::Vault> {
        self.deadlines.vault.clone()
    }
}

/// The configured SMS gateway and the secret its delivery-report callbacks must present.
pub struct SmsRuntime {
    pub gateway: Arc<dyn crate::notify::gateway::Gateway>,
    pub callback_secret: Option<secrecy::SecretString>,
}

impl SmsRuntime {
    /// Whether a callback presented the configured secret. Compared in constant time, so the
    /// answer's timing tells nothing about how much of a guess was right. Without a configured
    /// secret no callback is accepted.
    pub fn callback_secret_matches(&self, offered: Option<&str>) -> bool {
        use secrecy::ExposeSecret;
        let (Some(expected), Some(offered)) = (&self.callback_secret, offered) else {
            return false;
        };
        let (a, b) = (expected.expose_secret().as_bytes(), offered.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl AppState {
    /// Runs a use case on the database threads (`app::store`). No connection in time is a
    /// 503, not a 500.
    pub async fn db<T, F>(&self, use_case: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut Conn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.store.run(use_case).await.map_err(ApiError::from)
    }
}
