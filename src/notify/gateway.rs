//! The seam between the dispatcher and SMS providers. It owns the `Gateway` trait and the words
//! providers answer a send in (`SendOutcome`; what they say of a message afterwards,
//! `DeliveryStatus` and `DeliveryReport`, is the domain's and re-exported), the SMS settings read
//! from the environment, the choice of provider (`from_settings`), and the HTTP plumbing every
//! provider over `reqwest` shares: one client configuration and one reading of transport errors.
//!
//! A further provider (sms.ir, Ghasedak, …) is one file with a `NAME`, a `from_settings` and a
//! `Gateway` impl, plus one line in `from_settings` here. Its account needs no new settings code:
//! `MARDOM_<PROVIDER>_API_KEY`, `_SENDER` and `_BASE_URL` are read for whichever provider is
//! configured (`ProviderAccount`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use super::{http, kavenegar, log};

pub use crate::domain::delivery::{DeliveryReport, DeliveryStatus};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One SMS to hand to a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingSms {
    /// The notification's id: sent as the idempotency key (Kavenegar's `localid`), so that a
    /// provider that supports it never sends one notification twice.
    pub id: String,
    /// E.164, `+989…`.
    pub to: String,
    pub text: String,
    /// For a one-time code (`citizen_code`), its digits: a provider with a template API for
    /// codes (Kavenegar's verify lookup) sends them through it instead of `text`.
    pub one_time_code: Option<String>,
}

/// What became of one send. The dispatcher retries `Transient`, fails `Permanent` at once, and
/// asks `Gateway::status` before sending an `Unknown` one again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The provider took the message (which is not yet delivery).
    Accepted { provider_id: Option<String> },
    /// The provider certainly did not take it and may later: no connection, a timeout before
    /// the request was sent, 5xx, 429.
    Transient(String),
    /// The provider refused it and would refuse it again: invalid number, other 4xx.
    Permanent(String),
    /// The request left but no answer came back (a timeout after sending, a connection dropped
    /// mid-answer): the provider may or may not have it.
    Unknown(String),
}

pub trait Gateway: Send + Sync {
    fn name(&self) -> &'static str;

    fn send<'a>(&'a self, sms: &'a OutgoingSms) -> BoxFuture<'a, SendOutcome>;

    /// What the provider knows of a message, by our id (and its id when known).
    fn status<'a>(
        &'a self,
        notification_id: &'a str,
        provider_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<DeliveryStatus, String>>;

    /// Parses a delivery-report callback body/query for this provider (form or JSON as the
    /// provider sends it).
    fn parse_report(&self, query: &str, body: &[u8]) -> Result<Vec<DeliveryReport>, String>;
}

/// Picks and builds the configured provider.
pub fn from_settings(settings: &SmsSettings) -> Result<Arc<dyn Gateway>, SmsConfigError> {
    type Build = fn(&SmsSettings) -> Result<Arc<dyn Gateway>, SmsConfigError>;
    // One line per provider.
    let providers: &[(&str, Build)] = &[
        (log::NAME, log::from_settings),
        (http::NAME, http::from_settings),
        (kavenegar::NAME, kavenegar::from_settings),
    ];
    match providers
        .iter()
        .find(|(name, _)| *name == settings.provider)
    {
        Some((_, build)) => build(settings),
        None => Err(SmsConfigError::UnknownProvider {
            given: settings.provider.clone(),
            known: providers
                .iter()
                .map(|(name, _)| *name)
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

pub const DEFAULT_PROVIDER: &str = "log";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// SMS settings, read from the environment:
///
/// | variable | meaning |
/// |---|---|
/// | `MARDOM_SMS_PROVIDER` | `log` (default), `http` or `kavenegar` |
/// | `MARDOM_SMS_TIMEOUT_MS` | one provider call, connecting included (default 10000) |
/// | `MARDOM_SMS_HTTP_URL` | `http`: where to POST (required) |
/// | `MARDOM_SMS_HTTP_TOKEN` | `http`: bearer token (secret, optional) |
/// | `MARDOM_<PROVIDER>_API_KEY` | the provider's key (secret), e.g. `MARDOM_KAVENEGAR_API_KEY` |
/// | `MARDOM_<PROVIDER>_SENDER` | the line number to send from (optional) |
/// | `MARDOM_<PROVIDER>_BASE_URL` | where its API is (default: the provider's public one) |
/// | `MARDOM_SMS_CALLBACK_SECRET` | checked by the delivery-report endpoint (secret, optional) |
///
/// `Debug` shows no secret: keys and tokens print as `[REDACTED]`, and so do the credentials
/// and query of a URL (webhook URLs often carry a token there).
#[derive(Clone)]
pub struct SmsSettings {
    /// Lower case, as matched against the providers' `NAME`s.
    pub provider: String,
    pub timeout: Duration,
    pub callback_secret: Option<SecretString>,
    pub http_url: Option<String>,
    pub http_token: Option<SecretString>,
    /// The configured provider's account.
    pub account: ProviderAccount,
}

/// A provider's account, read from `MARDOM_<PROVIDER>_…` for the configured provider only, so
/// that a new provider needs no settings code of its own.
#[derive(Clone, Default)]
pub struct ProviderAccount {
    pub api_key: Option<SecretString>,
    pub sender: Option<String>,
    pub base_url: Option<String>,
    /// The provider's template for one-time codes (`MARDOM_KAVENEGAR_OTP_TEMPLATE`), if any.
    pub otp_template: Option<String>,
}

impl ProviderAccount {
    /// The variable that holds `field` (`API_KEY`, `SENDER`, `BASE_URL`) for `provider`:
    /// `MARDOM_KAVENEGAR_API_KEY`; `sms.ir` gives `MARDOM_SMS_IR_…`.
    pub fn var(provider: &str, field: &str) -> String {
        let provider: String = provider
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        format!("MARDOM_{provider}_{field}")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SmsConfigError {
    #[error("MARDOM_SMS_PROVIDER={given:?} is not a known SMS provider (known: {known})")]
    UnknownProvider { given: String, known: String },
    #[error("{name} must be set to send SMS through {provider}")]
    Missing {
        name: String,
        provider: &'static str,
    },
    #[error("{name} is not valid: {reason}")]
    Invalid { name: String, reason: String },
    #[error("cannot set up the HTTP client for SMS: {0}")]
    Client(String),
}

impl SmsSettings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, SmsConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so that tests can supply their own environment. Blank
    /// values count as unset. Whether the chosen provider has what it needs is checked by
    /// `from_settings`, which knows the providers.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SmsConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let provider = get("MARDOM_SMS_PROVIDER")
            .unwrap_or_else(|| DEFAULT_PROVIDER.to_owned())
            .to_lowercase();
        let timeout = match get("MARDOM_SMS_TIMEOUT_MS") {
            None => DEFAULT_TIMEOUT,
            Some(raw) => match raw.parse::<u64>() {
                Ok(ms) if ms > 0 => Duration::from_millis(ms),
                _ => {
                    return Err(SmsConfigError::Invalid {
                        name: "MARDOM_SMS_TIMEOUT_MS".to_owned(),
                        reason: format!("expected a positive whole number, got {raw:?}"),
                    });
                }
            },
        };
        let account = ProviderAccount {
            api_key: get(&ProviderAccount::var(&provider, "API_KEY")).map(SecretString::from),
            sender: get(&ProviderAccount::var(&provider, "SENDER")),
            base_url: get(&ProviderAccount::var(&provider, "BASE_URL")),
            otp_template: get(&ProviderAccount::var(&provider, "OTP_TEMPLATE")),
        };
        Ok(Self {
            timeout,
            callback_secret: get("MARDOM_SMS_CALLBACK_SECRET").map(SecretString::from),
            http_url: get("MARDOM_SMS_HTTP_URL"),
            http_token: get("MARDOM_SMS_HTTP_TOKEN").map(SecretString::from),
            account,
            provider,
        })
    }
}

impl fmt::Debug for SmsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsSettings")
            .field("provider", &self.provider)
            .field("timeout", &self.timeout)
            .field(
                "callback_secret",
                &self.callback_secret.as_ref().map(|_| REDACTED),
            )
            .field("http_url", &self.http_url.as_deref().map(redact_url))
            .field("http_token", &self.http_token.as_ref().map(|_| REDACTED))
            .field("account", &self.account)
            .finish()
    }
}

impl fmt::Debug for ProviderAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderAccount")
            .field("api_key", &self.api_key.as_ref().map(|_| REDACTED))
            .field("sender", &self.sender)
            .field("base_url", &self.base_url.as_deref().map(redact_url))
            .finish()
    }
}

const REDACTED: &str = "[REDACTED]";

/// A URL fit for logs: user, password and query replaced.
fn redact_url(raw: &str) -> String {
    let Ok(mut url) = reqwest::Url::parse(raw) else {
        // Unparsable, so we cannot tell where a secret would be in it.
        return "[unparsable URL]".to_owned();
    };
    if !url.username().is_empty() || url.password().is_some() {
        let _ = url.set_username("");
        let _ = url.set_password(None);
        return format!("[credentials]@{url}", url = redact_query(url));
    }
    redact_query(url)
}

fn redact_query(mut url: reqwest::Url) -> String {
    if url.query().is_some() {
        url.set_query(Some(REDACTED));
    }
    url.to_string()
}

/// Parses a configured base URL: http or https, and one that paths can be appended to.
pub fn parse_base_url(name: &str, raw: &str) -> Result<reqwest::Url, SmsConfigError> {
    let invalid = |reason: String| SmsConfigError::Invalid {
        name: name.to_owned(),
        reason,
    };
    let url = reqwest::Url::parse(raw).map_err(|e| invalid(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(invalid("expected an http:// or https:// URL".to_owned()));
    }
    Ok(url)
}

/// The client every provider uses. `timeout` bounds a whole call; connecting gets half of it, so
/// that a provider we cannot reach is told apart (a connect error: `Transient`) from one that
/// took our request and went quiet (a timeout: `Unknown`). Redirects are not followed: a POST
/// silently turned into a GET elsewhere is not a send.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, SmsConfigError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout / 2)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("mardom/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| SmsConfigError::Client(describe(e)))
}

/// Reads an error from `reqwest` that came before any HTTP status.
pub fn transport_outcome(error: reqwest::Error) -> SendOutcome {
    // A connect error (a connect timeout included) means no byte of the request left.
    if error.is_connect() {
        return SendOutcome::Transient(format!("cannot reach the provider: {}", describe(error)));
    }
    // Failing to build the request also sends nothing.
    if error.is_builder() {
        return SendOutcome::Transient(format!("cannot build the request: {}", describe(error)));
    }
    // Anything else happened once the request may have been on the wire: a timeout, a
    // connection reset or closed before the answer, an unreadable answer. `reqwest` cannot tell
    // how far it got, so the provider has to be asked before sending again.
    if error.is_timeout() {
        return SendOutcome::Unknown(format!(
            "no answer from the provider in time: {}",
            describe(error)
        ));
    }
    SendOutcome::Unknown(format!(
        "the request may have reached the provider: {}",
        describe(error)
    ))
}

/// Reads an HTTP error status: 408, 429 and 5xx may pass; any other refusal will not.
pub fn status_outcome(status: reqwest::StatusCode, body: &str) -> SendOutcome {
    let message = format!("HTTP {status}{}", snippet(body));
    if status.is_server_error()
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        || status == reqwest::StatusCode::REQUEST_TIMEOUT
    {
        SendOutcome::Transient(message)
    } else {
        SendOutcome::Permanent(message)
    }
}

/// An error and its causes on one line, without the request's URL (it may carry a key).
pub fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // hyper and reqwest repeat their cause in their own message now and then.
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The start of a response body, on one line, for an error message: `": <body>"`, or nothing.
pub fn snippet(body: &str) -> String {
    const MAX_CHARS: usize = 200;
    let line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.is_empty() {
        return String::new();
    }
    match line.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!(": {}…", &line[..cut]),
        None => format!(": {line}"),
    }
}

/// An id in a provider's JSON, which some send as a number and some as a string.
pub fn id_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Settings from a list of variables, for the providers' tests.
#[cfg(test)]
pub(crate) fn settings(vars: &[(&str, &str)]) -> Result<SmsSettings, SmsConfigError> {
    let map: std::collections::HashMap<&str, &str> = vars.iter().copied().collect();
    SmsSettings::from_lookup(|name| map.get(name).map(|v| (*v).to_owned()))
}

/// A local address nothing listens on, for the providers' tests.
#[cfg(test)]
pub(crate) fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn defaults_to_the_log_provider_with_a_ten_second_timeout() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.provider, "log");
        assert_eq!(s.timeout, Duration::from_secs(10));
        assert!(s.callback_secret.is_none() && s.http_url.is_none());
        assert_eq!(from_settings(&s).unwrap().name(), "log");
    }

    #[test]
    fn reads_every_variable() {
        let s = settings(&[
            ("MARDOM_SMS_PROVIDER", " Kavenegar "),
            ("MARDOM_SMS_TIMEOUT_MS", "2500"),
            ("MARDOM_KAVENEGAR_API_KEY", "k-123"),
            ("MARDOM_KAVENEGAR_SENDER", "10004346"),
            ("MARDOM_KAVENEGAR_BASE_URL", "http://127.0.0.1:9/"),
            ("MARDOM_SMS_CALLBACK_SECRET", "cb"),
            ("MARDOM_SMS_HTTP_URL", "https://example.org/sms"),
            ("MARDOM_SMS_HTTP_TOKEN", "tok"),
        ])
        .unwrap();
        assert_eq!(s.provider, "kavenegar");
        assert_eq!(s.timeout, Duration::from_millis(2500));
        assert_eq!(
            s.account.api_key.as_ref().map(|k| k.expose_secret()),
            Some("k-123")
        );
        assert_eq!(s.account.sender.as_deref(), Some("10004346"));
        assert_eq!(s.account.base_url.as_deref(), Some("http://127.0.0.1:9/"));
        assert_eq!(
            s.callback_secret.as_ref().map(|k| k.expose_secret()),
            Some("cb")
        );
        assert_eq!(s.http_url.as_deref(), Some("https://example.org/sms"));
        assert_eq!(
            s.http_token.as_ref().map(|k| k.expose_secret()),
            Some("tok")
        );
    }

    #[test]
    fn a_provider_account_is_named_after_the_provider() {
        assert_eq!(
            ProviderAccount::var("kavenegar", "API_KEY"),
            "MARDOM_KAVENEGAR_API_KEY"
        );
        assert_eq!(
            ProviderAccount::var("sms.ir", "SENDER"),
            "MARDOM_SMS_IR_SENDER"
        );
        // Only the configured provider's account is read.
        let s = settings(&[
            ("MARDOM_SMS_PROVIDER", "http"),
            ("MARDOM_KAVENEGAR_API_KEY", "k"),
        ])
        .unwrap();
        assert!(s.account.api_key.is_none());
    }

    #[test]
    fn a_bad_timeout_is_named() {
        for raw in ["soon", "0", "-5"] {
            let e = settings(&[("MARDOM_SMS_TIMEOUT_MS", raw)]).unwrap_err();
            assert!(e.to_string().contains("MARDOM_SMS_TIMEOUT_MS"), "{e}");
        }
    }

    #[test]
    fn debug_hides_every_secret() {
        let s = settings(&[
            ("MARDOM_SMS_PROVIDER", "kavenegar"),
            ("MARDOM_KAVENEGAR_API_KEY", "KEY-SECRET-1"),
            (
                "MARDOM_KAVENEGAR_BASE_URL",
                "https://u:PASS-SECRET-2@example.org/x",
            ),
            ("MARDOM_SMS_CALLBACK_SECRET", "CB-SECRET-3"),
            (
                "MARDOM_SMS_HTTP_URL",
                "https://example.org/sms?token=Q-SECRET-4",
            ),
            ("MARDOM_SMS_HTTP_TOKEN", "TOKEN-SECRET-5"),
        ])
        .unwrap();
        let shown = format!("{s:?} {s:#?}");
        for secret in [
            "KEY-SECRET-1",
            "PASS-SECRET-2",
            "CB-SECRET-3",
            "Q-SECRET-4",
            "TOKEN-SECRET-5",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        // Still useful: what is set, and where.
        assert!(shown.contains("kavenegar") && shown.contains("example.org/sms"));
        assert!(shown.contains(REDACTED));
    }

    #[test]
    fn from_settings_names_what_is_missing_or_unknown() {
        let unknown = from_settings(&settings(&[("MARDOM_SMS_PROVIDER", "pigeon")]).unwrap())
            .err()
            .unwrap();
        assert!(matches!(unknown, SmsConfigError::UnknownProvider { .. }));
        assert!(
            unknown.to_string().contains("log, http, kavenegar"),
            "{unknown}"
        );

        let http = from_settings(&settings(&[("MARDOM_SMS_PROVIDER", "http")]).unwrap())
            .err()
            .unwrap();
        assert!(http.to_string().contains("MARDOM_SMS_HTTP_URL"), "{http}");

        let kave = from_settings(&settings(&[("MARDOM_SMS_PROVIDER", "kavenegar")]).unwrap())
            .err()
            .unwrap();
        assert!(
            kave.to_string().contains("MARDOM_KAVENEGAR_API_KEY"),
            "{kave}"
        );

        let bad_url = from_settings(
            &settings(&[
                ("MARDOM_SMS_PROVIDER", "http"),
                ("MARDOM_SMS_HTTP_URL", "ftp://example.org"),
            ])
            .unwrap(),
        )
        .err()
        .unwrap();
        assert!(
            matches!(bad_url, SmsConfigError::Invalid { .. }),
            "{bad_url}"
        );
    }

    #[test]
    fn from_settings_builds_each_provider() {
        for (vars, name) in [
            (
                vec![
                    ("MARDOM_SMS_PROVIDER", "http"),
                    ("MARDOM_SMS_HTTP_URL", "https://example.org/sms"),
                ],
                "http",
            ),
            (
                vec![
                    ("MARDOM_SMS_PROVIDER", "kavenegar"),
                    ("MARDOM_KAVENEGAR_API_KEY", "k"),
                ],
                "kavenegar",
            ),
        ] {
            assert_eq!(
                from_settings(&settings(&vars).unwrap()).unwrap().name(),
                name
            );
        }
    }

    #[test]
    fn status_codes_split_into_transient_and_permanent() {
        use reqwest::StatusCode;
        for code in [500, 502, 503, 504, 429, 408] {
            let status = StatusCode::from_u16(code).unwrap();
            assert!(
                matches!(status_outcome(status, ""), SendOutcome::Transient(_)),
                "{code}"
            );
        }
        for code in [400, 401, 403, 404, 410, 422, 301] {
            let status = StatusCode::from_u16(code).unwrap();
            assert!(
                matches!(status_outcome(status, ""), SendOutcome::Permanent(_)),
                "{code}"
            );
        }
    }

    /// The client speaks TLS (the scheme is not refused before connecting): the first byte a
    /// server gets from it is a TLS handshake record.
    #[actix_web::test]
    async fn https_speaks_tls() {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut first = [0u8; 1];
            stream.read_exact(&mut first).unwrap();
            first[0]
        });
        let client = http_client(Duration::from_millis(500)).unwrap();
        let outcome = match client
            .get(format!("https://127.0.0.1:{port}/"))
            .send()
            .await
        {
            Ok(response) => panic!("no TLS server here, yet {response:?}"),
            Err(error) => transport_outcome(error),
        };
        const HANDSHAKE: u8 = 0x16;
        assert_eq!(server.join().unwrap(), HANDSHAKE);
        // The handshake never finished: nothing was sent.
        assert!(matches!(outcome, SendOutcome::Transient(_)), "{outcome:?}");
    }

    #[test]
    fn a_snippet_is_one_short_line() {
        assert_eq!(snippet("  "), "");
        assert_eq!(snippet("bad\n  number "), ": bad number");
        let long = "ش".repeat(500);
        let cut = snippet(&long);
        assert_eq!(cut.chars().count(), 2 + 200 + 1);
    }
}
