//! The signed-in staff member behind a request: a bearer token that verifies, for an account
//! that still exists, is active and has not had its password reset since. Every secured
//! handler takes a `Staff` and states which roles it admits with `require`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::error::ApiError;
use super::state::AppState;
use crate::app::sign_in::current_user;
use crate::auth::TokenError;
use crate::domain::{Role, StaffUser};

#[derive(Debug, Clone)]
pub struct Staff(pub StaffUser);

impl Staff {
    /// Admits the listed roles; anyone else gets 403.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.0.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    pub fn user(&self) -> &StaffUser {
        &self.0
    }
}

impl FromRequest for Staff {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let token = token?;
            let claims = state.tokens.verify(&token).map_err(|e| match e {
                TokenError::Expired => {
                    ApiError::unauthenticated("the token has expired; sign in again")
                }
                _ => ApiError::unauthenticated("the token is not valid"),
            })?;
            let user = state
                .db(move |conn| current_user(conn, &claims.sub, claims.ver))
                .await?
                .ok_or_else(|| {
                    ApiError::unauthenticated(
                        "the account is deactivated or its password was reset; sign in again",
                    )
                })?;
            Ok(Staff(user))
        })
    }
}

fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthenticated("send a bearer token from POST /api/v1/auth/token")
    })?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthenticated("the Authorization header is not readable"))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err(ApiError::unauthenticated(
            "the Authorization header must be `Bearer <token>`",
        )),
    }
}
