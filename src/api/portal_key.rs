//! The portal behind a call: `Authorization: Bearer mdp_…`, a key an admin issued
//! (`POST /api/v1/portals`), for a portal still active. Handlers state the scope they need
//! with `require`. A staff or citizen token is never a portal key (its shape differs), and a
//! portal key is never either of them.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::error::ApiError;
use super::state::AppState;
use crate::app::portals::{self, Caller};
use crate::domain::portal::Scope;

/// The name of the portals' security scheme in the OpenAPI document.
pub const PORTAL: &str = "portal";

#[derive(Debug, Clone)]
pub struct PortalCaller(pub Caller);

impl PortalCaller {
    /// 403 unless the portal holds `scope` (`app::portals::Caller::require`).
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        Ok(self.0.require(scope)?)
    }
}

impl FromRequest for PortalCaller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let key = presented_key(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            authenticate(&state, key?).await.map(PortalCaller)
        })
    }
}

/// The portal holding `key`, or 401.
pub async fn authenticate(state: &AppState, key: String) -> Result<Caller, ApiError> {
    state
        .db(move |conn| portals::authenticate(conn, &key))
        .await?
        .ok_or_else(|| ApiError::unauthenticated("no active portal holds this key"))
}

fn presented_key(req: &HttpRequest) -> Result<String, ApiError> {
    let missing =
        || ApiError::unauthenticated("send the portal's key as `Authorization: Bearer mdp_…`");
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?;
    let value = value.to_str().map_err(|_| missing())?;
    match value.split_once(' ') {
        Some((scheme, key)) if scheme.eq_ignore_ascii_case("bearer") && !key.trim().is_empty() => {
            Ok(key.trim().to_owned())
        }
        _ => Err(missing()),
    }
}
