//! The address a public request comes from, which the abuse limits count against.

use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use super::error::ApiError;
use super::state::AppState;

/// The client's IP address: the peer's, or the first `X-Forwarded-For` address when the
/// configuration trusts a proxy to set it (`MARDOM_TRUST_FORWARDED_FOR`). A header that does not
/// parse as an address is ignored, not trusted.
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

impl ClientAddress {
    pub fn of(req: &HttpRequest, trust_forwarded_for: bool) -> Self {
        let forwarded = trust_forwarded_for
            .then(|| req.headers().get("x-forwarded-for"))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        ClientAddress(
            match forwarded.or_else(|| req.peer_addr().map(|a| a.ip())) {
                Some(ip) => ip.to_string(),
                None => "unknown".to_owned(),
            },
        )
    }
}

impl FromRequest for ClientAddress {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trust = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|state| state.trust_forwarded_for);
        ready(Ok(ClientAddress::of(req, trust)))
    }
}
