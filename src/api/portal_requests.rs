//! `portal`: what a registered portal does with its key — file requests for citizens and read
//! back the ones it filed (and only those). Each answer is the public view: the portal that
//! filed a request is the one caller besides the citizen shown its tracking code.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};

use super::error::{ApiError, Problem};
use super::json::ValidJson;
use super::portal_key::PortalCaller;
use super::public::{PublicRequestView, idempotency_key, submit_as};
use super::requests::OnlineSubmission;
use super::state::AppState;
use crate::app::{portals, public};
use crate::domain::portal::Scope;

/// File a request for a citizen (portal key, `submit` scope).
///
/// As `POST /api/v1/public/requests`, with the portal's own limit
/// (`MARDOM_PORTAL_SUBMISSIONS_PER_HOUR`) in place of the per-address one, and its own
/// `Idempotency-Key` space. The citizen gets the tracking code by SMS as always; the answer
/// (and this portal's webhooks) carry it too. A portal's submission carries no files.
#[utoipa::path(
    tag = "portal", request_body = OnlineSubmission, security(("portal" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: 1 to 255 printable ASCII characters, e.g. a UUID", pattern = r"^[!-~]{1,255}$")),
    responses(
        (status = 201, description = "Registered; `Location` is this portal's read of it", body = PublicRequestView,
            headers(("Location" = String), ("Idempotent-Replayed" = String, description = "`true` when this is the stored answer to an earlier submission with the same key"))),
        (status = 403, description = "The key lacks the `submit` scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A submission with this Idempotency-Key is still being processed (`idempotency-key-in-use`); retry", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many submissions from this portal, or for this mobile number; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/portal/requests")]
pub async fn portal_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    portal: PortalCaller,
    body: ValidJson<OnlineSubmission>,
) -> Result<HttpResponse, ApiError> {
    portal.require(Scope::Submit)?;
    let key = idempotency_key(&req)?;
    let parsed = body
        .into_inner()
        .and_then(|body| Ok(public::parse_submission(&body.submission_input())?))?;
    let by = public::Submitter::Portal(portal.0.id.clone());
    let submitted = submit_as(&state, by, parsed, key).await?;
    let view =
        serde_json::from_str::<PublicRequestView>(&submitted.body).map_err(ApiError::internal)?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/portal/requests/{}", view.tracking_code),
        ))
        .insert_header(("Idempotent-Replayed", submitted.replayed.to_string()))
        .content_type("application/json")
        .body(submitted.body))
}

/// Read a request this portal filed (portal key, `read` scope). Any other code is 404.
#[utoipa::path(
    tag = "portal", security(("portal" = [])),
    params(("tracking_code" = String, Path, description = "The 12-digit tracking code", example = "483920175523")),
    responses(
        (status = 200, description = "The request's public view", body = PublicRequestView),
        (status = 403, description = "The key lacks the `read` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "This portal filed no request with this code", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a tracking code, or its check digit is wrong", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/portal/requests/{tracking_code}")]
pub async fn portal_read(
    state: web::Data<AppState>,
    portal: PortalCaller,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    portal.require(Scope::Read)?;
    let (rules, id) = (state.deadlines.clone(), portal.0.id.clone());
    let found = state
        .db(move |conn| portals::own_request(conn, &rules, &id, &code))
        .await?;
    Ok(HttpResponse::Ok().json(PublicRequestView::from(&found)))
}
