//! `auth`: staff sign-in and the current user.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::client::ClientAddress;
use super::error::{ApiError, Problem};
use super::json::ValidJson;
use super::staff::Staff;
use super::state::AppState;
use super::users::UserView;
use crate::app::AppError;
use crate::app::sign_in;

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "admin", "password": "a long pass phrase"}))]
pub struct TokenRequest {
    #[schema(max_length = 64)]
    #[validate(length(max = 64))]
    pub username: String,
    #[schema(max_length = 128, format = Password)]
    #[validate(length(max = 128))]
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiJ9.e30.signature", "token_type": "Bearer", "expires_in": 28800,
    "expires_at": "2026-11-28T16:30:00Z",
    "user": {"id": "5f0c2f7e-4a8e-4d4b-9a57-1c1b2f0e9a11", "username": "admin", "display_name": "مدیر سامانه",
             "role": "admin", "unit_id": null, "active": true, "mobile": null,
             "created_at": "2026-11-28T08:30:00Z", "updated_at": "2026-11-28T08:30:00Z"}
}))]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
    pub expires_at: DateTime<Utc>,
    pub user: UserView,
}

/// Sign in with a username and password; returns a bearer token.
///
/// Failed attempts are limited per username and per client address: past the limit the
/// attempt is refused with 429 and `Retry-After` before the password is checked. Password
/// checks are bounded (a few at once); a sign-in that finds them busy for a while gets 503 and
/// `Retry-After`.
#[utoipa::path(
    tag = "auth", request_body = TokenRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong username or password, or a deactivated account", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts for this username or from this address; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many sign-ins are being checked at this moment; retry after `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/token")]
pub async fn token(
    state: web::Data<AppState>,
    client: ClientAddress,
    body: ValidJson<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let TokenRequest { username, password } = body.into_inner()?;
    let limits = state.limits.clone();
    let attempt = state
        .db(move |conn| sign_in::begin(conn, &limits, &username, password, &client.0))
        .await?;
    // The hash runs with no connection held, a bounded number at once.
    let checked = state
        .hashing
        .run(move || attempt.verify())
        .await
        .map_err(|busy| ApiError::from(AppError::Unavailable(busy.to_string())))?;
    if !checked.verified() {
        return Err(AppError::InvalidCredentials.into());
    }
    let (limits, tokens) = (state.limits.clone(), state.tokens.clone());
    let signed = state
        .db(move |conn| sign_in::complete(conn, &limits, &tokens, checked))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(TokenResponse {
            access_token: signed.token.token,
            token_type: "Bearer".to_owned(),
            expires_in: signed.token.lifetime.as_secs(),
            expires_at: signed.token.expires_at,
            user: UserView::from(signed.user),
        }))
}

/// The signed-in account.
#[utoipa::path(tag = "auth", security(("bearer" = [])), responses((status = 200, description = "The account behind the token", body = UserView)))]
#[get("/me")]
pub async fn me(staff: Staff) -> HttpResponse {
    HttpResponse::Ok().json(UserView::from(staff.0))
}
