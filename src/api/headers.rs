//! Response hygiene applied to everything the server sends: security headers, and the promise
//! that every error body is problem+json, even one produced outside our handlers (CORS
//! rejections, actix internals).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next};

use super::error::{ApiError, Kind, PROBLEM_JSON};

/// Headers added to every response that did not set them itself. Staff responses carry
/// personal data, so nothing is cached; the API is never framed and its types never sniffed.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::CACHE_CONTROL, "no-store"))
}

/// Replaces any error response whose body is not problem+json by an equivalent problem.
pub async fn problems_only(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // An error returned (rather than answered) by an inner middleware is rendered by the server
    // from its `ResponseError`; wrapping it in an `ApiError` makes that rendering a problem too.
    // (The request cannot be kept to answer here: cloning it before routing breaks the router.)
    let response = match next.call(req).await {
        Ok(response) => response,
        Err(error) => {
            let status = error.as_response_error().status_code();
            return Err(ApiError::new(
                Kind::Other(status),
                public_detail(status, &error.to_string()),
            )
            .into());
        }
    };
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return Ok(response.map_into_boxed_body());
    }
    let kept: Vec<_> = [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE]
        .into_iter()
        .filter_map(|name| response.headers().get(&name).cloned().map(|v| (name, v)))
        .collect();
    let (request, old) = response.into_parts();
    let detail = match old.into_body().try_into_bytes() {
        Ok(bytes) if !bytes.is_empty() && bytes.len() < 300 => {
            String::from_utf8_lossy(&bytes).into_owned()
        }
        _ => String::new(),
    };
    let mut replacement = problem_for(status, &detail);
    for (name, value) in kept {
        replacement.headers_mut().insert(name, value);
    }
    Ok(ServiceResponse::new(request, replacement))
}

/// What may be shown of an error's text: never a server error's cause.
fn public_detail(status: actix_web::http::StatusCode, detail: &str) -> String {
    if detail.is_empty() || status.is_server_error() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        detail.to_owned()
    }
}

fn problem_for(
    status: actix_web::http::StatusCode,
    detail: &str,
) -> actix_web::HttpResponse<BoxBody> {
    let problem = ApiError::new(Kind::Other(status), public_detail(status, detail));
    let mut response = actix_web::ResponseError::error_response(&problem);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}
