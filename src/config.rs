//! Settings, read once from environment variables. Every variable is documented in the README's
//! configuration table with its default; keep the two in step.

use std::path::Path;
use std::time::Duration;

use rand::distr::{Alphanumeric, SampleString};
use secrecy::{ExposeSecret, SecretString};

use crate::db::Backend;
use crate::private_files::write_private;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/mardom.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// The shortest JWT secret accepted: 32 bytes, the strength of HS256's key.
pub const MIN_SECRET_LEN: usize = 32;

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: Backend,
    pub bind: String,
    pub jwt_secret: Option<SecretString>,
    /// The keys identities are sealed with (`MARDOM_IDENTITY_KEYS`), the one new values use
    /// (`MARDOM_IDENTITY_KEY_ID`, default the first listed), and the blind index's key.
    pub identity_keys: Option<SecretString>,
    pub identity_key_id: Option<String>,
    pub blind_index_key: Option<SecretString>,
    pub token_lifetime: Duration,
    pub admin_username: String,
    pub admin_password: Option<SecretString>,
    pub demo: bool,
    pub cors_origins: Vec<String>,
    pub pool_size: u32,
    /// How long a PostgreSQL statement waits for a lock another transaction holds.
    pub db_lock_wait: Duration,
    pub body_limit: usize,
    pub sign_in_max_failures: u32,
    pub sign_in_window: Duration,
    /// Failed sign-ins from one client address per `sign_in_window`.
    pub sign_in_max_failures_per_address: u32,
    /// Password checks run at once (the rest wait their turn).
    pub sign_in_hash_concurrency: usize,
    /// Online submissions per client address per hour.
    pub submissions_per_client_hour: u32,
    /// Public lookups and withdrawals per client address per minute.
    pub lookups_per_client_minute: u32,
    /// Online submissions per mobile number per day (each one costs an SMS).
    pub submissions_per_mobile_day: u32,
    /// A citizen's messages per request per day.
    pub citizen_messages_per_request_day: u32,
    /// "A message is waiting" SMS per request's conversation per day.
    pub conversation_sms_per_request_day: u32,
    /// Count public requests against the first `X-Forwarded-For` address.
    pub trust_forwarded_for: bool,
    /// The working-day calendar deadlines are counted on.
    pub calendar: crate::domain::calendar::WorkingCalendar,
    /// How long each piece of work may take (`MARDOM_DEADLINES`).
    pub deadline_policies: crate::domain::deadline::Policies,
    /// How long after a closing the citizen may object (`MARDOM_OBJECTION_WINDOW`, `10d`).
    pub objection_window: crate::domain::calendar::Span,
    /// Hours before a meeting its reminder SMS goes out; 0 sends none.
    pub meeting_reminder_hours: u32,
    /// Online meeting requests per mobile number per window (`off`: no limit).
    pub meeting_requests_per_mobile: u32,
    /// That window, in days.
    pub meeting_requests_window_days: u32,
    /// The SMS provider and its account.
    pub sms: crate::notify::gateway::SmsSettings,
    /// The Center's name, as the SMS texts sign it.
    pub center_name: String,
    /// A file of `template=text` lines overriding the built-in SMS texts.
    pub sms_templates_file: Option<String>,
    /// Whether `serve` runs the SMS dispatcher too (`mardom worker` runs it alone).
    pub dispatcher_in_serve: bool,
    /// SMS to one number per hour before further ones are held.
    pub sms_per_mobile_hour: u32,
    /// Files per request, bytes per file and together, and the accepted types.
    pub attachments: crate::domain::attachment::AttachmentLimits,
    /// Minutes an upload waits to be attached before it is deleted.
    pub upload_ttl_minutes: u32,
    /// Public uploads per client address per hour.
    pub uploads_per_client_hour: u32,
    /// One-time codes per mobile number per hour.
    pub codes_per_mobile_hour: u32,
    /// One-time codes per client address per hour.
    pub codes_per_client_hour: u32,
    /// How long a citizen's token lasts, in minutes.
    pub citizen_token_minutes: u32,
    /// Where file contents are kept.
    pub file_store: crate::storage::StoreSettings,
    /// Whether revealing an identity needs a reason (`MARDOM_REVEAL_REASON`: `optional`, the
    /// default, or `required`).
    pub reveal_reason: crate::domain::reveal::ReasonPolicy,
    /// How long a closed request keeps its citizen's identity and text
    /// (`MARDOM_RETENTION_MONTHS`, 24; `off`: forever), and how long before its end the citizen
    /// is told (`MARDOM_RETENTION_NOTICE_DAYS`, 30).
    pub retention: Option<crate::domain::retention::Retention>,
    /// Online submissions need a citizen's token of the submitted number
    /// (`MARDOM_ONLINE_REQUIRES_VERIFIED_MOBILE`, off by default): the answer to SMS pumping.
    pub online_requires_verified_mobile: bool,
    /// Webhooks: the addresses beyond the public internet they may reach
    /// (`MARDOM_WEBHOOK_ALLOW`), the client's timeout, the retries and when a failing
    /// subscription is disabled.
    pub webhooks: WebhookConfig,
    /// Submissions per portal per hour (`MARDOM_PORTAL_SUBMISSIONS_PER_HOUR`, 600; `off`).
    pub portal_submissions_per_hour: u32,
}

/// The webhooks' settings.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub allow: crate::domain::webhook::target::Allowlist,
    pub timeout: std::time::Duration,
    pub max_attempts: i32,
    pub backoff: std::time::Duration,
    pub disable_after: i32,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error(
        "{0} must be set when running on PostgreSQL (see the README's configuration table; `mardom new-key` prints a key)"
    )]
    SecretRequired(&'static str),
    #[error(transparent)]
    Sms(#[from] crate::notify::gateway::SmsConfigError),
    #[error("cannot read or write the generated secret at {path}: {source}")]
    SecretFile {
        path: String,
        source: std::io::Error,
    },
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads settings through `lookup`, so that tests can supply their own environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars { lookup };
        Ok(Self {
            database: Backend::from_url(&vars.text_or("DATABASE_URL", DEFAULT_DATABASE_URL)),
            bind: vars.text_or("MARDOM_BIND", DEFAULT_BIND),
            jwt_secret: vars.text("MARDOM_JWT_SECRET").map(SecretString::from),
            identity_keys: vars.text("MARDOM_IDENTITY_KEYS").map(SecretString::from),
            identity_key_id: vars.text("MARDOM_IDENTITY_KEY_ID"),
            blind_index_key: vars.text("MARDOM_BLIND_INDEX_KEY").map(SecretString::from),
            token_lifetime: Duration::from_secs(
                60 * vars.number("MARDOM_TOKEN_TTL_MINUTES", 480)?.max(1),
            ),
            admin_username: vars.text_or("MARDOM_ADMIN_USERNAME", "admin"),
            admin_password: vars.text("MARDOM_ADMIN_PASSWORD").map(SecretString::from),
            demo: vars.flag("MARDOM_DEMO"),
            cors_origins: vars.list("MARDOM_CORS_ORIGINS"),
            pool_size: vars
                .limit("MARDOM_DB_POOL_SIZE", default_pool_size())?
                .max(1),
            db_lock_wait: Duration::from_millis(
                vars.number(
                    "MARDOM_DB_LOCK_WAIT_MS",
                    u64::try_from(crate::db::DEFAULT_LOCK_WAIT.as_millis()).unwrap_or(5000),
                )?
                // 0 would be PostgreSQL's "wait for ever".
                .max(1),
            ),
            body_limit: vars.size("MARDOM_BODY_LIMIT_BYTES", 64 * 1024)?,
            sign_in_max_failures: vars.limit("MARDOM_SIGNIN_MAX_FAILURES", 5)?,
            sign_in_window: Duration::from_secs(vars.number("MARDOM_SIGNIN_WINDOW_SECONDS", 900)?),
            sign_in_max_failures_per_address: vars
                .rate("MARDOM_SIGNIN_MAX_FAILURES_PER_ADDRESS", 20)?,
            sign_in_hash_concurrency: vars
                .size(
                    "MARDOM_SIGNIN_HASH_CONCURRENCY",
                    crate::auth::HashingGate::default_concurrency() as u64,
                )?
                .max(1),
            submissions_per_client_hour: vars.rate("MARDOM_SUBMISSIONS_PER_CLIENT_HOUR", 20)?,
            lookups_per_client_minute: vars.rate("MARDOM_LOOKUPS_PER_CLIENT_MINUTE", 60)?,
            submissions_per_mobile_day: vars.rate("MARDOM_SUBMISSIONS_PER_MOBILE_DAY", 5)?,
            citizen_messages_per_request_day: vars
                .rate("MARDOM_CITIZEN_MESSAGES_PER_REQUEST_DAY", 10)?,
            conversation_sms_per_request_day: vars
                .rate("MARDOM_CONVERSATION_SMS_PER_REQUEST_DAY", 5)?,
            trust_forwarded_for: vars.flag("MARDOM_TRUST_FORWARDED_FOR"),
            calendar: working_calendar(&vars)?,
            deadline_policies: crate::domain::deadline::Policies::parse(
                &vars.text("MARDOM_DEADLINES").unwrap_or_default(),
            )
            .map_err(|e| ConfigError::Invalid {
                name: "MARDOM_DEADLINES",
                reason: e.to_string(),
            })?,
            objection_window: objection_window(vars.text("MARDOM_OBJECTION_WINDOW"))?,
            meeting_reminder_hours: vars.limit("MARDOM_MEETING_REMINDER_HOURS", 24)?,
            meeting_requests_per_mobile: vars.rate("MARDOM_MEETING_REQUESTS_PER_MOBILE", 2)?,
            meeting_requests_window_days: vars.limit("MARDOM_MEETING_REQUESTS_WINDOW_DAYS", 30)?,
            sms: crate::notify::gateway::SmsSettings::from_lookup(&vars.lookup)?,
            center_name: vars
                .text("MARDOM_CENTER_NAME")
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "ارتباطات مردمی".to_owned()),
            sms_templates_file: vars.text("MARDOM_SMS_TEMPLATES_FILE"),
            sms_per_mobile_hour: vars.limit("MARDOM_SMS_PER_MOBILE_HOUR", 10)?,
            attachments: attachment_limits(&vars)?,
            upload_ttl_minutes: vars.limit("MARDOM_UPLOAD_TTL_MINUTES", 60)?.max(1),
            uploads_per_client_hour: vars.rate("MARDOM_UPLOADS_PER_CLIENT_HOUR", 30)?,
            codes_per_mobile_hour: vars.rate("MARDOM_CODES_PER_MOBILE_HOUR", 5)?,
            codes_per_client_hour: vars.rate("MARDOM_CODES_PER_CLIENT_HOUR", 20)?,
            citizen_token_minutes: vars.limit("MARDOM_CITIZEN_TOKEN_MINUTES", 15)?,
            online_requires_verified_mobile: vars.flag("MARDOM_ONLINE_REQUIRES_VERIFIED_MOBILE"),
            retention: match vars
                .text("MARDOM_RETENTION_MONTHS")
                .as_deref()
                .map(str::trim)
            {
                Some("off") => None,
                _ => Some(crate::domain::retention::Retention {
                    keep: chrono::Months::new(vars.limit("MARDOM_RETENTION_MONTHS", 24)?.max(1)),
                    notice: chrono::TimeDelta::days(i64::from(
                        vars.limit("MARDOM_RETENTION_NOTICE_DAYS", 30)?,
                    )),
                }),
            },
            reveal_reason: match vars.text_or("MARDOM_REVEAL_REASON", "optional").trim() {
                "optional" => crate::domain::reveal::ReasonPolicy::Optional,
                "required" => crate::domain::reveal::ReasonPolicy::Required,
                other => {
                    return Err(ConfigError::Invalid {
                        name: "MARDOM_REVEAL_REASON",
                        reason: format!("expected optional or required, got {other:?}"),
                    });
                }
            },
            file_store: file_store(&vars)?,
            webhooks: webhook_config(&vars)?,
            portal_submissions_per_hour: vars.rate("MARDOM_PORTAL_SUBMISSIONS_PER_HOUR", 600)?,
            dispatcher_in_serve: !vars
                .text("MARDOM_DISPATCHER")
                .is_some_and(|v| matches!(v.trim(), "off" | "0" | "false" | "no")),
        })
    }

    /// The secret that signs tokens. On SQLite, when none is configured, one is generated once and
    /// kept beside the database file (so tokens survive restarts); on PostgreSQL, instances must
    /// share one, so it has to be configured.
    pub fn resolve_jwt_secret(&self) -> Result<SecretString, ConfigError> {
        if let Some(secret) = &self.jwt_secret {
            return check_secret_length(secret.clone());
        }
        let secret = self.stored_or_generated("MARDOM_JWT_SECRET", "jwt-secret", || {
            Alphanumeric.sample_string(&mut rand::rng(), 64)
        })?;
        check_secret_length(secret)
    }

    /// The vault identities are sealed in. Like the JWT secret: configured, or on SQLite
    /// generated once beside the database (one key, `k1`, and the blind index key); on
    /// PostgreSQL every instance must hold the same keys, so they have to be configured.
    pub fn resolve_vault(&self) -> Result<crate::vault::Vault, ConfigError> {
        use crate::vault::{generate_key, key_text, parse_index_key, parse_keyring};
        let invalid = |name: &'static str| {
            move |e: crate::vault::KeyringError| ConfigError::Invalid {
                name,
                reason: e.to_string(),
            }
        };
        let keyring = match &self.identity_keys {
            Some(keys) => keys.clone(),
            None => self.stored_or_generated("MARDOM_IDENTITY_KEYS", "identity-keys", || {
                format!("k1:{}", key_text(&generate_key()))
            })?,
        };
        let keys =
            parse_keyring(keyring.expose_secret()).map_err(invalid("MARDOM_IDENTITY_KEYS"))?;
        let index_key = match &self.blind_index_key {
            Some(key) => key.clone(),
            None => {
                self.stored_or_generated("MARDOM_BLIND_INDEX_KEY", "blind-index-key", || {
                    key_text(&generate_key())
                })?
            }
        };
        let index_key = parse_index_key(index_key.expose_secret())
            .map_err(invalid("MARDOM_BLIND_INDEX_KEY"))?;
        let current = match &self.identity_key_id {
            Some(id) => id.clone(),
            None => keys.first().map(|(id, _)| id.clone()).unwrap_or_default(),
        };
        crate::vault::Vault::new(&keys, &current, &index_key)
            .map_err(invalid("MARDOM_IDENTITY_KEY_ID"))
    }

    /// The secret kept in `file` beside the SQLite database, made by `generate` the first time.
    /// On PostgreSQL there is no such file: `variable` must be set.
    fn stored_or_generated(
        &self,
        variable: &'static str,
        file: &str,
        generate: impl FnOnce() -> String,
    ) -> Result<SecretString, ConfigError> {
        let folder = match &self.database {
            Backend::Postgres(_) => return Err(ConfigError::SecretRequired(variable)),
            Backend::Sqlite(_) => self.database.sqlite_folder().unwrap_or(Path::new(".")),
        };
        let path = folder.join(file);
        let io_error = |source| ConfigError::SecretFile {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(stored) => Ok(SecretString::from(stored.trim().to_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = generate();
                write_private(&path, &secret).map_err(io_error)?;
                tracing::warn!(
                    path = %path.display(),
                    "{variable} is not set: generated one and stored it beside the database"
                );
                Ok(SecretString::from(secret))
            }
            Err(e) => Err(io_error(e)),
        }
    }
}

/// The variables, read by kind.
struct Vars<L: Fn(&str) -> Option<String>> {
    lookup: L,
}

impl<L: Fn(&str) -> Option<String>> Vars<L> {
    fn text(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
    }

    fn text_or(&self, name: &str, default: &str) -> String {
        self.text(name).unwrap_or_else(|| default.to_owned())
    }

    /// A size or count held in a `usize`.
    fn size(&self, name: &'static str, default: u64) -> Result<usize, ConfigError> {
        Ok(usize::try_from(self.number(name, default)?).unwrap_or(usize::MAX))
    }

    fn number(&self, name: &'static str, default: u64) -> Result<u64, ConfigError> {
        match self.text(name) {
            None => Ok(default),
            Some(raw) => raw.trim().parse().map_err(|_| ConfigError::Invalid {
                name,
                reason: format!("expected a whole number, got {raw:?}"),
            }),
        }
    }

    fn millis(&self, name: &'static str, default: u64) -> Result<std::time::Duration, ConfigError> {
        Ok(std::time::Duration::from_millis(
            self.number(name, default)?,
        ))
    }

    fn flag(&self, name: &str) -> bool {
        self.text(name)
            .is_some_and(|v| matches!(v.trim(), "1" | "true" | "yes" | "on"))
    }

    fn limit(&self, name: &'static str, default: u64) -> Result<u32, ConfigError> {
        Ok(u32::try_from(self.number(name, default)?).unwrap_or(u32::MAX))
    }

    /// A limit that may be switched off (benchmarks, or a proxy that limits instead).
    fn rate(&self, name: &'static str, default: u64) -> Result<u32, ConfigError> {
        match self.text(name) {
            Some(raw) if raw.trim() == "off" => Ok(u32::MAX),
            _ => self.limit(name, default),
        }
    }

    /// A comma-separated list, blanks dropped.
    fn list(&self, name: &str) -> Vec<String> {
        self.text(name)
            .map(|v| {
                v.split(',')
                    .map(|o| o.trim().to_owned())
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `MARDOM_OBJECTION_WINDOW`: a span such as `10d` (the default) or `48h`.
fn objection_window(text: Option<String>) -> Result<crate::domain::calendar::Span, ConfigError> {
    let Some(text) = text else {
        return Ok(crate::domain::objection::DEFAULT_WINDOW);
    };
    crate::domain::calendar::Span::parse(&text).ok_or(ConfigError::Invalid {
        name: "MARDOM_OBJECTION_WINDOW",
        reason: format!("{text:?} is not a span such as 10d (working days) or 48h"),
    })
}

/// The working-day calendar: `MARDOM_DAYS_OFF` (weekday names, `friday` by default) and the
/// lunar holidays of `MARDOM_HOLIDAYS_FILE` (the shipped file by default), read and checked
/// now so that a bad line stops the start.
fn working_calendar<L: Fn(&str) -> Option<String>>(
    vars: &Vars<L>,
) -> Result<crate::domain::calendar::WorkingCalendar, ConfigError> {
    use crate::domain::calendar::{HolidayFile, WorkingCalendar, holidays};
    let mut days_off = std::collections::HashSet::new();
    let names = vars.list("MARDOM_DAYS_OFF");
    for name in if names.is_empty() {
        vec!["friday".to_owned()]
    } else {
        names
    } {
        let day: chrono::Weekday = name.parse().map_err(|_| ConfigError::Invalid {
            name: "MARDOM_DAYS_OFF",
            reason: format!("{name:?} is not a weekday (saturday … friday)"),
        })?;
        days_off.insert(day);
    }
    let text = match vars.text("MARDOM_HOLIDAYS_FILE") {
        None => holidays::SHIPPED.to_owned(),
        Some(path) => std::fs::read_to_string(&path).map_err(|e| ConfigError::Invalid {
            name: "MARDOM_HOLIDAYS_FILE",
            reason: format!("cannot read {path}: {e}"),
        })?,
    };
    let invalid = |name, reason: String| ConfigError::Invalid { name, reason };
    let file =
        HolidayFile::parse(&text).map_err(|e| invalid("MARDOM_HOLIDAYS_FILE", e.to_string()))?;
    WorkingCalendar::new(days_off, &file).map_err(|e| invalid("MARDOM_DAYS_OFF", e.to_string()))
}

/// The attachment limits: each setting defaults to `AttachmentLimits::default()`'s value.
fn attachment_limits<L: Fn(&str) -> Option<String>>(
    vars: &Vars<L>,
) -> Result<crate::domain::attachment::AttachmentLimits, ConfigError> {
    use crate::domain::attachment::{AttachmentLimits, FileType};
    let default = AttachmentLimits::default();
    let allowed = match vars.text("MARDOM_ATTACHMENT_TYPES") {
        None => default.allowed.clone(),
        Some(raw) => raw
            .split(',')
            .filter(|label| !label.trim().is_empty())
            .map(|label| {
                FileType::parse(label).ok_or_else(|| ConfigError::Invalid {
                    name: "MARDOM_ATTACHMENT_TYPES",
                    reason: format!("{label:?} is none of jpeg, png, webp, pdf"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(AttachmentLimits {
        max_files_per_request: vars.limit(
            "MARDOM_ATTACHMENTS_PER_REQUEST",
            u64::from(default.max_files_per_request),
        )?,
        max_bytes_per_file: vars
            .number("MARDOM_ATTACHMENT_MAX_BYTES", default.max_bytes_per_file)?,
        max_total_bytes: vars.number(
            "MARDOM_ATTACHMENTS_MAX_TOTAL_BYTES",
            default.max_total_bytes,
        )?,
        allowed,
    })
}

/// `MARDOM_FILE_STORE`: `database` (the default) or `s3`.
fn file_store<L: Fn(&str) -> Option<String>>(
    vars: &Vars<L>,
) -> Result<crate::storage::StoreSettings, ConfigError> {
    match vars.text("MARDOM_FILE_STORE").as_deref().map(str::trim) {
        None | Some("database") => Ok(crate::storage::StoreSettings::Database),
        Some("s3") => {
            let required = |name: &'static str| {
                vars.text(name).ok_or(ConfigError::Invalid {
                    name,
                    reason: "required with MARDOM_FILE_STORE=s3".to_owned(),
                })
            };
            Ok(crate::storage::StoreSettings::ObjectStore(
                crate::storage::ObjectStoreSettings {
                    endpoint: required("MARDOM_S3_ENDPOINT")?,
                    bucket: required("MARDOM_S3_BUCKET")?,
                    region: vars.text_or("MARDOM_S3_REGION", "us-east-1"),
                    access_key_id: required("MARDOM_S3_ACCESS_KEY_ID")?,
                    secret_access_key: SecretString::from(required("MARDOM_S3_SECRET_ACCESS_KEY")?),
                    prefix: vars.text("MARDOM_S3_PREFIX").unwrap_or_default(),
                },
            ))
        }
        Some(other) => Err(ConfigError::Invalid {
            name: "MARDOM_FILE_STORE",
            reason: format!("expected database or s3, got {other:?}"),
        }),
    }
}

fn check_secret_length(secret: SecretString) -> Result<SecretString, ConfigError> {
    if secret.expose_secret().len() < MIN_SECRET_LEN {
        return Err(ConfigError::Invalid {
            name: "MARDOM_JWT_SECRET",
            reason: format!("it must have at least {MIN_SECRET_LEN} bytes"),
        });
    }
    Ok(secret)
}

fn webhook_config<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<WebhookConfig, ConfigError> {
    let allow = crate::domain::webhook::target::Allowlist::parse(
        &vars.text("MARDOM_WEBHOOK_ALLOW").unwrap_or_default(),
    )
    .map_err(|reason| ConfigError::Invalid {
        name: "MARDOM_WEBHOOK_ALLOW",
        reason,
    })?;
    let count = |name: &'static str, default: u64| -> Result<i32, ConfigError> {
        Ok(i32::try_from(vars.limit(name, default)?.max(1)).unwrap_or(i32::MAX))
    };
    Ok(WebhookConfig {
        allow,
        timeout: vars.millis("MARDOM_WEBHOOK_TIMEOUT_MS", 10_000)?,
        max_attempts: count("MARDOM_WEBHOOK_MAX_ATTEMPTS", 8)?,
        backoff: vars.millis("MARDOM_WEBHOOK_BACKOFF_MS", 10_000)?,
        disable_after: count("MARDOM_WEBHOOK_DISABLE_AFTER", 20)?,
    })
}

/// Database connections (and threads) for the HTTP handlers when `MARDOM_DB_POOL_SIZE` is not
/// set: two per core the server may use. On this 2-core machine 4 connections answered more
/// lookups and submissions, with a shorter p99, than 10 (PostgreSQL 14,927 against 13,337
/// lookups/s, p99 6.3 against 9.4 ms; SQLite as many lookups with 20 MiB less memory): more
/// threads than that only wait for a core (BENCHMARKS.md).
fn default_pool_size() -> u64 {
    std::thread::available_parallelism()
        .map_or(1, |cores| u64::try_from(cores.get()).unwrap_or(u64::MAX))
        .saturating_mul(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The `MARDOM_*` names a source file reads, outside its tests.
    fn variables_read(source: &str) -> Vec<String> {
        let code = source.split("#[cfg(test)]").next().unwrap_or_default();
        code.split('"')
            .skip(1)
            .step_by(2)
            .filter(|literal| {
                literal.starts_with("MARDOM_")
                    && literal[7..]
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn every_variable_the_configuration_reads_is_in_the_readme_table() {
        let readme = include_str!("../README.md");
        let table: Vec<&str> = readme.lines().filter(|l| l.starts_with("| `")).collect();
        let sources = [
            include_str!("config.rs"),
            include_str!("notify/gateway.rs"),
            include_str!("main.rs"),
        ];
        let read: Vec<String> = sources.iter().flat_map(|s| variables_read(s)).collect();
        assert!(read.len() > 20, "the scan found the variables: {read:?}");
        let missing: Vec<&String> = read
            .iter()
            .filter(|name| !table.iter().any(|row| row.contains(&format!("`{name}`"))))
            .collect();
        assert!(
            missing.is_empty(),
            "not in the README's configuration table: {missing:?}"
        );
    }

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_run_on_embedded_sqlite_on_localhost() {
        let s = settings(&[]).map_err(|e| e.to_string());
        let s = s
            .as_ref()
            .map(|s| (s.database.clone(), s.bind.clone(), s.demo));
        assert_eq!(
            s,
            Ok((
                Backend::Sqlite("data/mardom.db".into()),
                "127.0.0.1:8080".into(),
                false
            ))
        );
    }

    #[test]
    fn postgres_requires_a_configured_secret() {
        let s = settings(&[("DATABASE_URL", "postgres://x@localhost/db")]);
        assert!(matches!(
            s.map(|s| s.resolve_jwt_secret()),
            Ok(Err(ConfigError::SecretRequired("MARDOM_JWT_SECRET")))
        ));
    }

    #[test]
    fn a_short_secret_is_refused() {
        let s = settings(&[("MARDOM_JWT_SECRET", "short")]);
        assert!(matches!(
            s.map(|s| s.resolve_jwt_secret()),
            Ok(Err(ConfigError::Invalid { .. }))
        ));
    }

    #[test]
    fn a_generated_secret_is_kept_and_reused() {
        let dir = tempfile::tempdir().ok();
        let folder = dir
            .as_ref()
            .map(|d| d.path().to_path_buf())
            .unwrap_or_default();
        let url = format!("sqlite://{}/m.db", folder.display());
        let first = settings(&[("DATABASE_URL", &url)]).and_then(|s| s.resolve_jwt_secret());
        let second = settings(&[("DATABASE_URL", &url)]).and_then(|s| s.resolve_jwt_secret());
        let (Ok(first), Ok(second)) = (first, second) else {
            panic!("secret not generated")
        };
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert!(first.expose_secret().len() >= MIN_SECRET_LEN);
    }

    #[test]
    fn the_lock_wait_is_five_seconds_unless_set_and_never_zero() {
        let wait = |vars: &[(&str, &str)]| settings(vars).map(|s| s.db_lock_wait).ok();
        assert_eq!(wait(&[]), Some(Duration::from_secs(5)));
        assert_eq!(
            wait(&[("MARDOM_DB_LOCK_WAIT_MS", "250")]),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            wait(&[("MARDOM_DB_LOCK_WAIT_MS", "0")]),
            Some(Duration::from_millis(1))
        );
    }

    #[test]
    fn bad_numbers_are_named() {
        let s = settings(&[("MARDOM_DB_POOL_SIZE", "ten")]);
        assert!(s.is_err_and(|e| e.to_string().contains("MARDOM_DB_POOL_SIZE")));
    }

    #[test]
    fn public_rate_limits_can_be_switched_off() {
        let Ok(s) = settings(&[
            ("MARDOM_SUBMISSIONS_PER_CLIENT_HOUR", "off"),
            ("MARDOM_LOOKUPS_PER_CLIENT_MINUTE", "7"),
        ]) else {
            panic!("settings refused")
        };
        assert_eq!(s.submissions_per_client_hour, u32::MAX);
        assert_eq!(s.lookups_per_client_minute, 7);
        assert_eq!(s.submissions_per_mobile_day, 5);
        assert!(settings(&[("MARDOM_SIGNIN_MAX_FAILURES", "off")]).is_err());
    }
}
