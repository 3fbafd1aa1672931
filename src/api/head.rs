//! `HEAD` wherever `GET` is answered (RFC 9110 §9.3.2): a monitor probing `/health/live`, a
//! client checking that the OpenAPI document is there. The request is routed as a `GET`, and
//! the answer keeps its status and headers but sends no body.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

pub async fn as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let head = req.method() == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
    }
    let response = next.call(req).await?;
    if head {
        // The body goes; its headers (Content-Type, ETag, …) stay, as HEAD promises.
        Ok(response.map_body(|_, _| BoxBody::new(())))
    } else {
        Ok(response.map_into_boxed_body())
    }
}
