//! The SMS provider's delivery-report callback (`notifications` tag): called by the provider,
//! not by people. It reads the report as the provider sends it (JSON or a form, at most
//! 256 KiB), checks the callback secret, lets the configured gateway parse it, and hands the
//! reports to `app::delivery_reports`, which settles the messages they are about.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::body::{RawBody, SizeLimit};
use super::error::{ApiError, Kind, Problem};
use super::state::AppState;
use crate::app::delivery_reports::{self, Applied};

/// A report's body: whatever the provider sends, up to 256 KiB (the document says so too).
pub struct ReportLimit;

impl SizeLimit for ReportLimit {
    fn bytes(_: &HttpRequest) -> usize {
        256 * 1024
    }
    fn too_large(_: usize) -> String {
        "a delivery report is at most 256 KiB".to_owned()
    }
    const NAME: &'static str = "the report";
}

/// How many reports changed something.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportsApplied {
    pub received: usize,
    pub changed: usize,
}

impl From<Applied> for ReportsApplied {
    fn from(applied: Applied) -> Self {
        Self {
            received: applied.received,
            changed: applied.changed,
        }
    }
}

/// Delivery reports from the SMS provider (called by the provider, not by people).
///
/// Authenticated by the configured callback secret, in `X-Callback-Secret` or the `secret`
/// query parameter. Idempotent: a repeated report answers 200 and changes nothing.
#[utoipa::path(
    tag = "notifications",
    params(
        ("provider" = String, Path, description = "The configured provider's name, e.g. `kavenegar`"),
        ("X-Callback-Secret" = Option<String>, Header, description = "The configured callback secret (`MARDOM_SMS_CALLBACK_SECRET`); or send it as `secret`"),
        ("secret" = Option<String>, Query, description = "The configured callback secret, for providers that cannot set a header"),
    ),
    request_body(
        description = "The provider's report, as it sends it: a JSON object or array of objects, or a form. \
Kavenegar posts a form with `messageid` and `status`; the `http` gateway posts JSON `{\"id\": …, \"status\": …, \"error\": …}` \
(`id` is our notification id). At most 256 KiB.",
        content(
            (Object = "application/json"),
            (Object = "application/x-www-form-urlencoded"),
        )
    ),
    responses(
        (status = 200, description = "Applied", body = ReportsApplied),
        (status = 400, description = "The report could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong or missing callback secret", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not the configured provider", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/delivery-reports/{provider}")]
pub async fn delivery_report(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: web::Path<String>,
    body: RawBody<ReportLimit>,
) -> Result<HttpResponse, ApiError> {
    let sms = &state.sms;
    if provider.as_str() != sms.gateway.name() {
        return Err(ApiError::not_found("provider"));
    }
    if !sms.callback_secret_matches(offered_secret(&req).as_deref()) {
        return Err(ApiError::unauthenticated(
            "wrong or missing callback secret",
        ));
    }
    let reports = sms
        .gateway
        .parse_report(req.query_string(), &body)
        .map_err(|e| {
            ApiError::new(
                Kind::MalformedJson,
                format!("the report could not be read: {e}"),
            )
        })?;
    let applied = state
        .db(move |conn| delivery_reports::apply(conn, reports))
        .await?;
    Ok(HttpResponse::Ok().json(ReportsApplied::from(applied)))
}

/// The secret the caller offers: the header, else the `secret` query parameter.
fn offered_secret(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("x-callback-secret")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
                .ok()
                .and_then(|q| q.get("secret").cloned())
        })
}
