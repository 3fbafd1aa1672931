//! The command line: `serve` (the default), `worker`, `migrate`, `create-user`, `openapi`,
//! `new-key` and `rotate-key` (the vault's keys).

use std::io::Read;

use clap::{Parser, Subcommand};
use rand::distr::{Alphanumeric, SampleString};

use crate::app::users::{self, NewUser};
use crate::config::Settings;
use crate::domain::Role;
use crate::server::{self, StartError};

#[derive(Debug, Parser)]
#[command(
    name = "mardom",
    version,
    about = "People's Communications desk API (ارتباطات مردمی)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations, create the first admin, and serve the API (the default).
    Serve,
    /// Run only the SMS dispatcher (for a deployment that sends from dedicated workers; set
    /// MARDOM_DISPATCHER=off on the API instances then). Stops on Ctrl-C / SIGTERM.
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create a staff account.
    CreateUser {
        #[arg(long)]
        username: String,
        /// admin, intake, operator, reviewer, head or unit_staff.
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
        /// Required for unit_staff.
        #[arg(long)]
        unit_id: Option<uuid::Uuid>,
        /// Read the password from standard input instead of generating and printing one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Print the OpenAPI document (JSON) and exit.
    Openapi,
    /// Print a new random key for MARDOM_IDENTITY_KEYS or MARDOM_BLIND_INDEX_KEY (base64 of
    /// 32 bytes) and exit.
    NewKey,
    /// Re-seal every stored identity under the current key (MARDOM_IDENTITY_KEY_ID), while
    /// instances keep serving; prints what it re-sealed. Every instance must already know the
    /// current key (README, "Rotating the identity key").
    RotateKey,
    /// Run the retention sweep once (the scheduler runs it hourly): announce the requests whose
    /// retention ends within the notice period, erase those announced and due. Prints what it
    /// did as JSON.
    Retention {
        /// List what the sweep would announce and erase, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("unknown role {0:?}; one of admin, intake, operator, reviewer, head, unit_staff")]
    Role(String),
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => Ok(server::serve(load_settings()?).await?),
        Command::Worker => Ok(server::work(load_settings()?).await?),
        Command::Migrate => {
            server::open_database(&load_settings()?)?;
            println!("database is up to date");
            Ok(())
        }
        Command::NewKey => {
            println!("{}", crate::vault::key_text(&crate::vault::generate_key()));
            Ok(())
        }
        Command::RotateKey => rotate_key(),
        Command::Retention { dry_run } => retention(dry_run),
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::api::openapi_document())?
            );
            Ok(())
        }
        Command::CreateUser {
            username,
            role,
            display_name,
            unit_id,
            password_stdin,
        } => {
            let role = Role::parse(&role).ok_or(CliError::Role(role))?;
            let (password, generated) = if password_stdin {
                let mut input = String::new();
                std::io::stdin().read_to_string(&mut input)?;
                (input.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (Alphanumeric.sample_string(&mut rand::rng(), 20), true)
            };
            let pool = server::open_database(&load_settings()?)?;
            let mut conn = pool.get().map_err(StartError::from)?;
            let input = NewUser {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                password: password.clone(),
                role,
                unit_id: unit_id.map(crate::domain::ids::UnitId::from),
                mobile: None,
            };
            let user =
                users::create(&mut conn, input).map_err(|e| CliError::Refused(describe(e)))?;
            println!(
                "created {} ({}) with id {}",
                user.username, user.role, user.id
            );
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
    }
}

fn load_settings() -> Result<Settings, StartError> {
    Ok(Settings::from_env()?)
}

fn describe(error: crate::app::AppError) -> String {
    match error {
        crate::app::AppError::Invalid(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// `mardom rotate-key`: re-seals what is not under the current key, printing what it did.
fn rotate_key() -> Result<(), CliError> {
    let settings = load_settings()?;
    let vault = settings.resolve_vault().map_err(StartError::from)?;
    let pool = server::open_database(&settings)?;
    let mut conn = pool.get().map_err(StartError::from)?;
    let done = crate::app::sealing::rotate(&mut conn, &vault)
        .map_err(|e| CliError::Refused(e.to_string()))?;
    println!(
        "{}",
        serde_json::json!({ "current_key": vault.current_key(), "resealed": done })
    );
    Ok(())
}

/// `mardom retention [--dry-run]`: one sweep (or its plan), printed as JSON.
fn retention(dry_run: bool) -> Result<(), CliError> {
    let settings = load_settings()?;
    let Some(retention) = settings.retention else {
        return Err(CliError::Refused(
            "retention is off (MARDOM_RETENTION_MONTHS=off)".to_owned(),
        ));
    };
    let vault = std::sync::Arc::new(settings.resolve_vault().map_err(StartError::from)?);
    let pool = server::open_database(&settings)?;
    let mut conn = pool.get().map_err(StartError::from)?;
    let rules = server::deadline_rules(&settings, crate::clock::Clock::system(), vault);
    let now = rules.now();
    let swept = if dry_run {
        crate::app::retention::plan(&mut conn, &retention, now)
    } else {
        crate::app::retention::sweep(&mut conn, (&rules, &retention), now)
    }
    .map_err(|e| CliError::Refused(e.to_string()))?;
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({ "dry_run": dry_run, "swept": swept }))?
    );
    Ok(())
}
