//! Startup: settings → database (migrated) → first admin and demo data → HTTP server.

use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpServer;
use secrecy::{ExposeSecret, SecretString};

use crate::api::rate_limit::{PublicLimits, RateLimiter};
use crate::api::{AppState, HttpSettings, build_app, observe::Metrics};
use crate::app::bootstrap;
use crate::auth::{SignInThrottle, TokenIssuer};
use crate::config::Settings;
use crate::db::{self, DbPool};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Database(#[from] crate::db::pool::StartupDbError),
    #[error(transparent)]
    Migration(#[from] crate::db::MigrationError),
    #[error("cannot get a database connection: {0}")]
    Pool(#[from] crate::db::PoolError),
    #[error("bootstrap failed: {0}")]
    Bootstrap(#[from] crate::app::AppError),
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("cannot serve on {bind}: {source}")]
    Bind {
        bind: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Opens the pool and applies pending migrations.
pub fn open_database(settings: &Settings) -> Result<DbPool, StartError> {
    let pool = db::connect_pool(&settings.database, settings.pool_size)?;
    let applied = db::run_migrations(&mut *pool.get()?)?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "applied database migrations");
    }
    Ok(pool)
}

/// Creates the first admin (printing a generated password once) and, with `MARDOM_DEMO=1`,
/// the demo units and users.
pub fn bootstrap(settings: &Settings, pool: &DbPool) -> Result<(), StartError> {
    let mut conn = pool.get()?;
    let password = settings
        .admin_password
        .as_ref()
        .map(|p| p.expose_secret().to_owned());
    if let Some(generated) =
        bootstrap::ensure_first_admin(&mut conn, &settings.admin_username, password.as_deref())?
    {
        // Printed, not logged: log files are kept and shipped; this is shown once to whoever
        // started the server.
        eprintln!(
            "\n  First admin account created.\n  username: {}\n  password: {generated}\n  Change it after signing in; it is not shown again.\n",
            settings.admin_username
        );
    }
    if settings.demo {
        bootstrap::seed_demo(&mut conn)?;
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
    pool: DbPool,
) -> Result<AppState, StartError> {
    Ok(AppState {
        pool,
        tokens: Arc::new(
            TokenIssuer::new(secret.expose_secret().as_bytes(), settings.token_lifetime)
                .map_err(|e| crate::app::AppError::Internal(e.to_string()))?,
        ),
        throttle: Arc::new(SignInThrottle::new(
            settings.sign_in_max_failures,
            settings.sign_in_window,
        )),
        metrics: Arc::new(Metrics::new()?),
        limits: Arc::new(PublicLimits {
            submissions_per_client: RateLimiter::new(
                settings.submissions_per_client_hour,
                Duration::from_secs(3600),
            ),
            lookups_per_client: RateLimiter::new(
                settings.lookups_per_client_minute,
                Duration::from_secs(60),
            ),
            submissions_per_mobile: RateLimiter::new(
                settings.submissions_per_mobile_day,
                Duration::from_secs(86_400),
            ),
            trust_forwarded_for: settings.trust_forwarded_for,
        }),
        referral_due_days: settings.referral_due_days,
    })
}

pub fn http_settings(settings: &Settings) -> HttpSettings {
    HttpSettings {
        body_limit: settings.body_limit,
        cors_origins: settings.cors_origins.clone(),
    }
}

/// Runs the server until it is stopped.
pub async fn serve(settings: Settings) -> Result<(), StartError> {
    // Refuse a bad configuration before the database is touched: a first admin created (and its
    // generated password printed) by a start that then fails would be lost to the operator.
    let secret = settings.resolve_jwt_secret()?;
    let pool = open_database(&settings)?;
    bootstrap(&settings, &pool)?;
    let state = app_state(&settings, &secret, pool)?;
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
    server.run().await?;
    Ok(())
}
