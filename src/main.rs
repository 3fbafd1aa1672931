//! The `mardom` binary: see `mardom --help`.

use clap::Parser;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let settings_json = std::env::var("MARDOM_LOG_FORMAT").is_ok_and(|v| v == "json");
    mardom::telemetry::init(settings_json);
    match mardom::cli::run(mardom::cli::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mardom: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
