//! Liveness and readiness for orchestrators and load balancers.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::state::AppState;
use crate::app::health;

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    /// Always `ok` when the answer is 200.
    pub status: &'static str,
}

/// The process is up and answering.
#[utoipa::path(tag = "operations", responses((status = 200, description = "The process answers", body = Health)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The process can serve: its database answers.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The database answers", body = Health))
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.db(health::ready).await?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}
