//! `public`: the citizen's own door — a one-time code by SMS, exchanged for a citizen's token
//! (security scheme `citizen`), with which the citizen lists and reads all of their requests.
//! The views are the public view and the citizen's own text: never another number's request.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::client::ClientAddress;
use super::error::{ApiError, Problem};
use super::json::ValidJson;
use super::public::PublicRequestView;
use super::state::AppState;
use super::views::utc;
use crate::app::citizen_door;

/// The name of the citizen's security scheme.
pub const CITIZEN: &str = "citizen";

/// The number a code is asked for.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mobile": "09121234567"}))]
pub struct CodeRequest {
    /// A mobile number in any usual form.
    pub mobile: String,
}

/// A code is on its way.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"expires_at": "2026-12-03T08:32:00Z"}))]
pub struct CodeSent {
    /// When the code stops working (two minutes after it was asked for).
    pub expires_at: DateTime<Utc>,
}

/// The code the SMS gave, for the number it went to.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mobile": "09121234567", "code": "۰۱۲۳۴۵"}))]
pub struct CodeTry {
    pub mobile: String,
    /// Six digits; Persian or Arabic-Indic digits and spaces are accepted.
    pub code: String,
}

/// A citizen's token: send it as `Authorization: Bearer <access_token>` to `/public/me/…`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJIUzI1NiJ9.e30.signature", "token_type": "Bearer", "expires_in": 900, "expires_at": "2026-12-03T08:45:00Z"}))]
pub struct CitizenToken {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until it expires.
    pub expires_in: u64,
    pub expires_at: DateTime<Utc>,
}

/// One of the citizen's requests as the citizen reads it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyRequestView {
    /// What anyone with the tracking code sees.
    pub request: PublicRequestView,
    /// The citizen's own text, as filed.
    pub text: String,
    /// Every time a member of staff read the citizen's identity in full, oldest first: when,
    /// in which role, and which fields (the person is not named).
    pub identity_reads: Vec<IdentityReadView>,
}

/// One read of the citizen's identity by staff.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"at": "2026-12-03T09:15:00Z", "role": "reviewer", "fields": ["mobile"]}))]
pub struct IdentityReadView {
    pub at: DateTime<Utc>,
    pub role: crate::domain::Role,
    pub fields: Vec<crate::domain::reveal::IdentityField>,
}

/// All of the citizen's requests, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyRequestList {
    pub items: Vec<MyRequestView>,
}

pub(super) fn mine(found: &citizen_door::Mine) -> MyRequestView {
    MyRequestView {
        request: PublicRequestView::from(&found.record),
        text: found.text.clone(),
        identity_reads: found
            .identity_reads
            .iter()
            .map(|read| IdentityReadView {
                at: super::views::utc(read.at),
                role: read.role,
                fields: read.fields.clone(),
            })
            .collect(),
    }
}

type DoorParts = (
    std::sync::Arc<crate::app::limits::Limits>,
    crate::app::deadlines::SharedRules,
    std::sync::Arc<citizen_door::Door>,
);

/// What the door's use cases take, to move into the database closure.
fn door(state: &AppState) -> DoorParts {
    (
        state.limits.clone(),
        state.deadlines.clone(),
        state.citizens.clone(),
    )
}

/// Ask for a one-time code by SMS (no account needed).
///
/// Six digits, good for two minutes and three tries; a new code replaces the last. Any number
/// may ask, and the answer never says whether it has requests. Limited per mobile number
/// (`MARDOM_CODES_PER_MOBILE_HOUR`) and per client address (`MARDOM_CODES_PER_CLIENT_HOUR`): 429
/// with `Retry-After`.
#[utoipa::path(
    tag = "public", request_body = CodeRequest,
    responses(
        (status = 202, description = "The code is being sent", body = CodeSent),
        (status = 422, description = "Not a mobile number", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many codes for this number or from this address; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/otp")]
pub async fn send_code(
    client: ClientAddress,
    state: web::Data<AppState>,
    body: ValidJson<CodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let mobile = body.into_inner()?.mobile;
    let (limits, rules, door) = door(&state);
    let expires_at = state
        .db(move |conn| citizen_door::send_code(conn, (&limits, &rules, &door), &client.0, &mobile))
        .await?;
    state.wake_dispatcher.notify_one();
    Ok(HttpResponse::Accepted().json(CodeSent {
        expires_at: utc(expires_at),
    }))
}

/// Exchange a one-time code for a citizen's token (no account needed).
///
/// The token lasts `MARDOM_CITIZEN_TOKEN_MINUTES` (15) and stands for the number the code went
/// to. A refusal is 422 naming `code`: `wrong` (tries left in the message), `expired`, `spent`
/// (used, or three wrong tries) or `none` (no code was sent). Tries count against the address's
/// lookups (429).
#[utoipa::path(
    tag = "public", request_body = CodeTry,
    responses(
        (status = 200, description = "The citizen's token", body = CitizenToken),
        (status = 422, description = "Not a mobile number or not six digits, or the code is refused (`errors[0].code`: `wrong`, `expired`, `spent`, `none`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many tries from this address; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/otp/verify")]
pub async fn verify_code(
    client: ClientAddress,
    state: web::Data<AppState>,
    body: ValidJson<CodeTry>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    let (limits, rules, door) = door(&state);
    let issued = state
        .db(move |conn| {
            citizen_door::verify(
                conn,
                (&limits, &rules, &door),
                &client.0,
                (&body.mobile, &body.code),
            )
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CitizenToken {
            access_token: issued.token,
            token_type: "Bearer".to_owned(),
            expires_in: issued.lifetime.as_secs(),
            expires_at: issued.expires_at,
        }))
}

/// The bearer token of a request, if it sent one.
fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn no_citizen() -> ApiError {
    ApiError::unauthenticated(
        "a citizen's token is needed: ask for a code (POST /api/v1/public/otp)",
    )
}

/// The request's citizen's token, checked for its signature and expiry before anything else is
/// read (401 without a valid one): the body of a caller without one is never looked at.
pub(super) fn citizen_token(req: &HttpRequest, state: &AppState) -> Result<String, ApiError> {
    let token = bearer(req).ok_or_else(no_citizen)?;
    let now = state.deadlines.now().and_utc();
    state
        .citizens
        .tokens
        .verify(&token, now)
        .map_err(|_| no_citizen())?;
    Ok(token)
}

/// Runs `read` for the holder of `token` (401 unless it names an accepted code).
pub(super) async fn as_citizen<T: Send + 'static>(
    token: String,
    state: &AppState,
    read: impl FnOnce(
        &mut crate::app::store::Conn,
        &crate::app::deadlines::Rules,
        &crate::domain::phone::MobileNumber,
    ) -> crate::app::AppResult<T>
    + Send
    + 'static,
) -> Result<T, ApiError> {
    let (rules, door) = (state.deadlines.clone(), state.citizens.clone());
    state
        .db(move |conn| {
            let Some(mobile) = citizen_door::holder(conn, (&rules, &door), &token)? else {
                return Ok(None);
            };
            read(conn, &rules, &mobile).map(Some)
        })
        .await?
        .ok_or_else(no_citizen)
}

/// All of the citizen's requests (the citizen's token).
///
/// Every request filed with the token's mobile number, newest first, each with its public view
/// and the citizen's own text: a lost tracking code is found here.
#[utoipa::path(
    tag = "public", security(("citizen" = [])),
    responses(
        (status = 200, description = "The citizen's requests", body = MyRequestList),
        (status = 401, description = "No citizen's token, or an expired or invalid one (a staff token is not one)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/public/me/requests")]
pub async fn my_requests(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = citizen_token(&req, &state)?;
    let found = as_citizen(token, &state, |conn, rules, mobile| {
        citizen_door::my_requests(conn, rules, mobile)
    })
    .await?;
    Ok(HttpResponse::Ok().json(MyRequestList {
        items: found.iter().map(mine).collect(),
    }))
}

/// One of the citizen's requests (the citizen's token).
#[utoipa::path(
    tag = "public", security(("citizen" = [])),
    params(("tracking_code" = String, Path, description = "The 12-digit tracking code", example = "483920175523")),
    responses(
        (status = 200, description = "The request, with the citizen's own text", body = MyRequestView),
        (status = 401, description = "No citizen's token, or an expired or invalid one", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No request of this number has this code (another number's is not found either)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/public/me/requests/{tracking_code}")]
pub async fn my_request(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token = citizen_token(&req, &state)?;
    let code = code.into_inner();
    let found = as_citizen(token, &state, move |conn, rules, mobile| {
        citizen_door::my_request(conn, rules, mobile, &code)
    })
    .await?;
    Ok(HttpResponse::Ok().json(mine(&found)))
}
