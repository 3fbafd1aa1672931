//! Startup: settings → database (migrated) → first admin and demo data → HTTP server.

use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpServer;
use secrecy::{ExposeSecret, SecretString};

use crate::api::{AppState, HttpSettings, build_app, observe::Metrics};
use crate::app::bootstrap;
use crate::app::limits::Limits;
use crate::auth::{HashingGate, TokenIssuer};
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::domain::limits::{Allowance, Limit};
use crate::domain::templates::Templates;
use crate::notify::dispatcher::{Dispatcher, DispatcherSettings};
use crate::scheduler::{Job, Scheduler};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Database(#[from] crate::db::pool::StartupDbError),
    #[error(transparent)]
    Migration(#[from] crate::db::MigrationError),
    #[error("database: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("cannot get a database connection: {0}")]
    Pool(#[from] crate::db::PoolError),
    #[error("bootstrap failed: {0}")]
    Bootstrap(#[from] crate::app::AppError),
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error(transparent)]
    DbThreads(#[from] crate::db::connection_threads::StartError),
    #[error("cannot serve on {bind}: {source}")]
    Bind {
        bind: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Sms(#[from] crate::notify::gateway::SmsConfigError),
    #[error("file store: {0}")]
    FileStore(#[from] crate::storage::StoreError),
    #[error("SMS templates: {0}")]
    Templates(String),
}

/// Connections beyond `MARDOM_DB_POOL_SIZE` for what runs beside the HTTP handlers (the
/// dispatchers, the scheduler, start-up), which share them in arrival order: the handlers'
/// database threads each keep a connection of their own.
pub const BACKGROUND_CONNECTIONS: u32 = 4;

/// Opens the pool (`MARDOM_DB_POOL_SIZE` connections for the HTTP handlers and
/// `BACKGROUND_CONNECTIONS` more) and applies pending migrations.
pub fn open_database(settings: &Settings) -> Result<DbPool, StartError> {
    let pool = db::connect_pool(
        &settings.database,
        settings.pool_size.saturating_add(BACKGROUND_CONNECTIONS),
        settings.db_lock_wait,
    )?;
    let applied = db::run_migrations(&mut *pool.get()?)?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "applied database migrations");
    }
    Ok(pool)
}

/// Seals what an earlier version stored in the clear, once, before anything is served
/// (under the startup lock: instances started together do it once).
pub fn seal_plaintext(pool: &DbPool, vault: &crate::vault::Vault) -> Result<(), StartError> {
    let mut conn = pool.get()?;
    let sealed = db::under_startup_lock(&mut conn, |conn| {
        crate::app::sealing::seal_plaintext(conn, vault).map_err(StartError::from)
    })?;
    if sealed.total() > 0 {
        tracing::info!(
            ?sealed,
            "sealed identities stored in the clear by an earlier version"
        );
    }
    Ok(())
}

/// Creates the first admin (printing a generated password once) and, with `MARDOM_DEMO=1`,
/// the demo units and users.
pub fn bootstrap(settings: &Settings, pool: &DbPool) -> Result<(), StartError> {
    let mut conn = pool.get()?;
    // Under the startup lock: instances started together create one first admin, not one each
    // (the others would die on the username's unique index).
    db::under_startup_lock(&mut conn, |conn| bootstrap_under_lock(settings, conn))
}

fn bootstrap_under_lock(
    settings: &Settings,
    conn: &mut db::DbConnection,
) -> Result<(), StartError> {
    let password = settings
        .admin_password
        .as_ref()
        .map(|p| p.expose_secret().to_owned());
    if let Some(generated) =
        bootstrap::ensure_first_admin(conn, &settings.admin_username, password.as_deref())?
    {
        // Printed, not logged: log files are kept and shipped; this is shown once to whoever
        // started the server.
        eprintln!(
            "\n  First admin account created.\n  username: {}\n  password: {generated}\n  Change it after signing in; it is not shown again.\n",
            settings.admin_username
        );
    }
    if settings.demo {
        bootstrap::seed_demo(conn)?;
        tracing::info!(
            "demo units and users are present (password: {})",
            bootstrap::DEMO_PASSWORD
        );
    }
    Ok(())
}

/// The shared state for a pool and settings, with the token-signing secret resolved by
/// `Settings::resolve_jwt_secret` (before anything touched the database).
pub fn app_state(
    settings: &Settings,
    secret: &SecretString,
    vault: Arc<crate::vault::Vault>,
    pool: DbPool,
) -> Result<AppState, StartError> {
    let store = crate::app::store::Store::start(
        pool,
        usize::try_from(settings.pool_size).unwrap_or(usize::MAX),
    )?;
    let metrics = Metrics::new()?;
    metrics.register(store.stage_histograms())?;
    Ok(AppState {
        store,
        tokens: Arc::new(
            TokenIssuer::new(secret.expose_secret().as_bytes(), settings.token_lifetime)
                .map_err(|e| crate::app::AppError::Internal(e.to_string()))?,
        ),
        metrics: Arc::new(metrics),
        limits: Arc::new(limits(settings, secret, !settings.database.is_sqlite())?),
        trust_forwarded_for: settings.trust_forwarded_for,
        hashing: Arc::new(HashingGate::new(
            settings.sign_in_hash_concurrency,
            Duration::from_secs(10),
        )),
        deadlines: Arc::new(deadline_rules(settings, Clock::system(), vault)),
        files: Arc::new(files(settings)?),
        sms: Arc::new(crate::api::state::SmsRuntime {
            gateway: crate::notify::gateway::from_settings(&settings.sms)?,
            callback_secret: settings.sms.callback_secret.clone(),
        }),
        citizens: Arc::new(crate::app::citizen_door::Door::new(
            secret.expose_secret().as_bytes(),
            crate::auth::CitizenTokens::new(
                secret.expose_secret().as_bytes(),
                Duration::from_secs(60 * u64::from(settings.citizen_token_minutes)),
            )
            .map_err(|e| crate::app::AppError::Internal(e.to_string()))?,
        )),
        wake_dispatcher: Arc::new(tokio::sync::Notify::new()),
        reveal_reason: settings.reveal_reason,
        online_requires_verified_mobile: settings.online_requires_verified_mobile,
        webhook_allow: settings.webhooks.allow.clone(),
    })
}

/// The store of file contents the settings choose, with the attachment limits.
pub fn files(settings: &Settings) -> Result<crate::app::attachments::Files, StartError> {
    Ok(crate::app::attachments::Files {
        store: crate::storage::open(&settings.file_store)?,
        limits: settings.attachments.clone(),
        upload_ttl: chrono::Duration::minutes(i64::from(settings.upload_ttl_minutes)),
    })
}

/// The abuse limits with their configured allowances, counted in the database when
/// `in_database` (PostgreSQL: shared by every instance), in memory otherwise (SQLite).
pub fn limits(
    settings: &Settings,
    secret: &SecretString,
    in_database: bool,
) -> Result<Limits, StartError> {
    let hour = Duration::from_secs(3600);
    let minute = Duration::from_secs(60);
    let allowances = [
        (
            Limit::SubmissionsPerClient,
            Allowance::new(settings.submissions_per_client_hour, hour),
        ),
        (
            Limit::SubmissionsPerMobile,
            Allowance::new(settings.submissions_per_mobile_day, 24 * hour),
        ),
        (
            Limit::LookupsPerClient,
            Allowance::new(settings.lookups_per_client_minute, minute),
        ),
        (
            Limit::ProofsPerMobile,
            Allowance::new(settings.lookups_per_client_minute, minute),
        ),
        (
            Limit::SignInFailuresPerUsername,
            Allowance::new(settings.sign_in_max_failures, settings.sign_in_window),
        ),
        (
            Limit::SignInFailuresPerAddress,
            Allowance::new(
                settings.sign_in_max_failures_per_address,
                settings.sign_in_window,
            ),
        ),
        (
            Limit::CitizenMessagesPerRequest,
            Allowance::new(settings.citizen_messages_per_request_day, 24 * hour),
        ),
        (
            Limit::ConversationSmsPerRequest,
            Allowance::new(settings.conversation_sms_per_request_day, 24 * hour),
        ),
        (
            Limit::UploadsPerClient,
            Allowance::new(settings.uploads_per_client_hour, hour),
        ),
        (
            Limit::CodesPerMobile,
            Allowance::new(settings.codes_per_mobile_hour, hour),
        ),
        (
            Limit::CodesPerClient,
            Allowance::new(settings.codes_per_client_hour, hour),
        ),
        (
            Limit::SubmissionsPerPortal,
            Allowance::new(settings.portal_submissions_per_hour, hour),
        ),
        (
            Limit::MeetingRequestsPerMobile,
            Allowance::new(
                settings.meeting_requests_per_mobile,
                24 * hour * settings.meeting_requests_window_days.max(1),
            ),
        ),
    ];
    Ok(Limits::new(
        allowances,
        in_database,
        secret.expose_secret().as_bytes(),
    )?)
}

pub fn http_settings(settings: &Settings) -> HttpSettings {
    HttpSettings {
        body_limit: settings.body_limit,
        cors_origins: settings.cors_origins.clone(),
    }
}

/// The SMS texts: the built-in ones signed with the Center's name, with the overrides of
/// `MARDOM_SMS_TEMPLATES_FILE` checked now (a typo fails the start, not a send).
pub fn templates(settings: &Settings) -> Result<Templates, StartError> {
    let templates = Templates::new(&settings.center_name);
    let Some(path) = &settings.sms_templates_file else {
        return Ok(templates);
    };
    let text = std::fs::read_to_string(path)?;
    let overrides =
        Templates::parse_overrides(&text).map_err(|e| StartError::Templates(e.to_string()))?;
    templates
        .with_overrides(overrides)
        .map_err(|e| StartError::Templates(e.to_string()))
}

/// A dispatcher on `pool` with the configured gateway and texts.
pub fn dispatcher(
    settings: &Settings,
    pool: DbPool,
    vault: Arc<crate::vault::Vault>,
) -> Result<Dispatcher, StartError> {
    Ok(Dispatcher::new(
        pool,
        crate::notify::gateway::from_settings(&settings.sms)?,
        Arc::new(templates(settings)?),
        vault,
        DispatcherSettings {
            per_recipient_cap: settings.sms_per_mobile_hour,
            // The setting is per hour whatever the default window becomes.
            cap_window: std::time::Duration::from_secs(3600),
            ..DispatcherSettings::default()
        },
    ))
}

/// A webhook dispatcher on `pool` with the configured client, retries and allowlist.
pub fn webhook_dispatcher(
    settings: &Settings,
    pool: DbPool,
    vault: Arc<crate::vault::Vault>,
) -> Result<crate::notify::webhook_dispatcher::WebhookDispatcher, StartError> {
    let config = &settings.webhooks;
    let sender = crate::notify::webhook::Sender::new(config.allow.clone(), config.timeout)
        .map_err(|e| crate::app::AppError::Internal(format!("webhook client: {e}")))?;
    Ok(crate::notify::webhook_dispatcher::WebhookDispatcher::new(
        pool,
        sender,
        vault,
        crate::notify::webhook_dispatcher::WebhookSettings {
            // The lease outlasts a whole send (connect and answer) with room to record it.
            lease: config.timeout * 2 + Duration::from_secs(5),
            max_attempts: config.max_attempts,
            backoff: config.backoff,
            disable_after: config.disable_after,
            ..Default::default()
        },
    ))
}

/// The deadline rules the settings give, at `clock`.
pub fn deadline_rules(
    settings: &Settings,
    clock: Clock,
    vault: Arc<crate::vault::Vault>,
) -> crate::app::deadlines::Rules {
    crate::app::deadlines::Rules {
        calendar: settings.calendar.clone(),
        policies: settings.deadline_policies.clone(),
        objection_window: settings.objection_window,
        clock,
        vault,
    }
}

/// The periodic jobs every instance runs (`scheduler`), on `pool` at the rules' clock.
pub fn scheduler(
    settings: &Settings,
    pool: DbPool,
    files: Arc<crate::app::attachments::Files>,
    rules: crate::app::deadlines::SharedRules,
) -> Scheduler {
    let clock = rules.clock.clone();
    let rules_for_retention = rules.clone();
    let sweep = Job {
        name: "sweep-uploads",
        every: chrono::Duration::minutes(5),
        run: Arc::new(move |conn, now| crate::app::attachments::sweep(conn, &files, now)),
    };
    let watch = Job {
        name: "watch-deadlines",
        every: chrono::Duration::minutes(1),
        run: Arc::new(move |conn, now| crate::app::deadlines::watch(conn, &rules, now)),
    };
    let lead = chrono::Duration::hours(i64::from(settings.meeting_reminder_hours));
    let meetings = Job {
        name: "remind-meetings",
        every: chrono::Duration::minutes(1),
        run: Arc::new(move |conn, now| crate::app::meeting_reminders::remind(conn, lead, now)),
    };
    let mut jobs = vec![sweep, watch, meetings];
    if let Some(retention) = settings.retention {
        jobs.push(Job {
            name: "retention",
            every: chrono::Duration::hours(1),
            run: Arc::new(move |conn, now| {
                crate::app::retention::sweep(conn, (&rules_for_retention, &retention), now)
                    .map(|swept| swept.announced.len() + swept.erased.len())
            }),
        });
    }
    Scheduler::new(pool, clock, jobs)
}

/// Runs the SMS dispatcher and the scheduler alone until Ctrl-C or SIGTERM.
pub async fn work(settings: Settings) -> Result<(), StartError> {
    let vault = Arc::new(settings.resolve_vault()?);
    let pool = open_database(&settings)?;
    seal_plaintext(&pool, &vault)?;
    let files = Arc::new(files(&settings)?);
    let dispatcher = dispatcher(&settings, pool.clone(), vault.clone())?;
    tracing::info!(worker = dispatcher.worker(), provider = %settings.sms.provider, "dispatching SMS");
    let webhooks = webhook_dispatcher(&settings, pool.clone(), vault.clone())?;
    let (stop_webhooks, webhooks_stopped) = tokio::sync::oneshot::channel::<()>();
    let hooking = tokio::spawn(async move {
        webhooks
            .run(async {
                let _ = webhooks_stopped.await;
            })
            .await;
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let rules = Arc::new(deadline_rules(&settings, Clock::system(), vault));
    let scheduler = Arc::new(scheduler(&settings, pool, files, rules));
    let scheduling = tokio::spawn(scheduler.run(async {
        let _ = stopped.await;
    }));
    dispatcher.run(shutdown_signal()).await;
    let _ = stop.send(());
    let _ = stop_webhooks.send(());
    let _ = scheduling.await;
    let _ = hooking.await;
    tracing::info!("dispatcher stopped");
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs the server until it is stopped.
pub async fn serve(settings: Settings) -> Result<(), StartError> {
    // Refuse a bad configuration before the database is touched: a first admin created (and its
    // generated password printed) by a start that then fails would be lost to the operator.
    let secret = settings.resolve_jwt_secret()?;
    let vault = Arc::new(settings.resolve_vault()?);
    let pool = open_database(&settings)?;
    seal_plaintext(&pool, &vault)?;
    bootstrap(&settings, &pool)?;
    let dispatcher = settings
        .dispatcher_in_serve
        .then(|| dispatcher(&settings, pool.clone(), vault.clone()))
        .transpose()?;
    let webhooks = settings
        .dispatcher_in_serve
        .then(|| webhook_dispatcher(&settings, pool.clone(), vault.clone()))
        .transpose()?;
    let mut state = app_state(&settings, &secret, vault, pool.clone())?;
    if let Some(dispatcher) = &dispatcher {
        state.wake_dispatcher = dispatcher.waker();
    }
    let (stop_scheduler, scheduler_stopped) = tokio::sync::oneshot::channel::<()>();
    let scheduler = Arc::new(scheduler(
        &settings,
        pool,
        state.files.clone(),
        state.deadlines.clone(),
    ));
    let scheduling = actix_web::rt::spawn(scheduler.run(async {
        let _ = scheduler_stopped.await;
    }));
    let http = http_settings(&settings);
    let server = HttpServer::new(move || build_app(state.clone(), http.clone()))
        .bind(&settings.bind)
        .map_err(|source| StartError::Bind {
            bind: settings.bind.clone(),
            source,
        })?;
    tracing::info!(
        bind = %settings.bind,
        database = if settings.database.is_sqlite() { "sqlite" } else { "postgres" },
        "serving; Swagger UI at /swagger-ui/"
    );
    // The dispatcher stops after the server: what it has in flight is finished first.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let dispatching = dispatcher.map(|dispatcher| {
        actix_web::rt::spawn(async move {
            dispatcher
                .run(async {
                    let _ = stopped.await;
                })
                .await;
        })
    });
    let (stop_webhooks, webhooks_stopped) = tokio::sync::oneshot::channel::<()>();
    let hooking = webhooks.map(|webhooks| {
        actix_web::rt::spawn(async move {
            webhooks
                .run(async {
                    let _ = webhooks_stopped.await;
                })
                .await;
        })
    });
    let served = server.run().await;
    let _ = stop.send(());
    let _ = stop_webhooks.send(());
    if let Some(hooking) = hooking {
        let _ = hooking.await;
    }
    let _ = stop_scheduler.send(());
    let _ = scheduling.await;
    if let Some(dispatching) = dispatching {
        let _ = dispatching.await;
    }
    served?;
    Ok(())
}
