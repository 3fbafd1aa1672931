//! Sending one webhook: signed per the Standard Webhooks specification, over a client that
//! reaches public addresses only (or allowlisted ones), follows no redirect, uses no proxy,
//! and reads at most a few KiB of any answer.
//!
//! Signature: `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`,
//! the key being the secret shown at subscription with its `whsec_` prefix removed and
//! base64-decoded; `webhook-id` is the delivery's id (the same on every attempt, so receivers
//! dedupe), `webhook-timestamp` the attempt's Unix time in seconds (receivers refuse old ones).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::webhook::target::{Allowlist, check};

/// The signature header's value for one attempt.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    let key = STANDARD
        .decode(encoded)
        .map_err(|e| format!("the signing secret is not base64: {e}"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| format!("signing key: {e}"))?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The receiver answered 2xx.
    Accepted(u16),
    /// It answered something else; the first bytes of its body, for the log.
    Refused { code: u16, excerpt: String },
    /// No answer: refused target, connection, timeout.
    NoAnswer(String),
}

/// How much of an answer is read (and kept in the delivery log).
pub const READ_LIMIT: usize = 4096;

/// The webhook client.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    allow: Allowlist,
}

impl Sender {
    pub fn new(allow: Allowlist, timeout: Duration) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("mardom-webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(Guarded {
                allow: allow.clone(),
            }))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { client, allow })
    }

    /// Posts `body` to `url`, signed with `secret`.
    pub async fn send(&self, url: &str, secret: &str, id: &str, body: &str) -> Answer {
        let target = match crate::domain::webhook::target::TargetUrl::parse(url) {
            Ok(target) => target,
            Err(error) => return Answer::NoAnswer(format!("target: {error}")),
        };
        // A literal address is never resolved, so it is checked here; names are checked by
        // the resolver on every connection.
        if let Some(ip) = target.literal_address()
            && let Err(refused) = check(ip, &self.allow)
        {
            return Answer::NoAnswer(format!("refused: {refused}"));
        }
        let timestamp = chrono::Utc::now().timestamp();
        let signature = match sign(secret, id, timestamp, body) {
            Ok(signature) => signature,
            Err(error) => return Answer::NoAnswer(error),
        };
        let sent = self
            .client
            .post(target.url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body.to_owned())
            .send()
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(error) => return Answer::NoAnswer(describe(&error)),
        };
        let code = response.status().as_u16();
        if response.status().is_success() {
            return Answer::Accepted(code);
        }
        let mut excerpt = Vec::new();
        while excerpt.len() < READ_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                _ => break,
            }
        }
        excerpt.truncate(READ_LIMIT);
        Answer::Refused {
            code,
            excerpt: String::from_utf8_lossy(&excerpt).into_owned(),
        }
    }
}

/// reqwest's error with its causes (a refused address is a cause of the connect error).
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Resolves a host name and keeps only the addresses a webhook may reach; none left is an
/// error, so no connection is attempted.
struct Guarded {
    allow: Allowlist,
}

impl reqwest::dns::Resolve for Guarded {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refusals = Vec::new();
            let kept: Vec<SocketAddr> = found
                .into_iter()
                .filter(|address| match check(address.ip(), &allow) {
                    Ok(()) => true,
                    Err(refused) => {
                        refusals.push(refused.to_string());
                        false
                    }
                })
                .collect();
            if kept.is_empty() {
                let why = match refusals.is_empty() {
                    true => "no address".to_owned(),
                    false => refusals.join("; "),
                };
                return Err(format!("refused: {host} resolves to {why}").into());
            }
            let addresses: reqwest::dns::Addrs = Box::new(kept.into_iter());
            Ok(addresses)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification's reference libraries.
    #[test]
    fn the_signature_is_the_specifications() {
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_secret_that_is_not_base64_is_an_error_not_a_panic() {
        assert!(sign("whsec_!!!", "msg_1", 1, "{}").is_err());
    }
}
