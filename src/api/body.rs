//! The one reader of raw request bodies: a body read whole, refused past a size limit. Under
//! `ValidJson` (JSON, the configured `MARDOM_BODY_LIMIT_BYTES`) and the delivery-report callback
//! (whatever a provider sends, 256 KiB). A body declared larger than the limit is refused before
//! a byte of it is read; one that turns out larger as it streams is refused when it passes the
//! limit, so no more than the limit is ever held.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;

use super::error::{ApiError, Kind};

/// Where one kind of body gets its limit, and how its refusals read.
pub trait SizeLimit: 'static {
    /// The largest body accepted for `req`, in bytes.
    fn bytes(req: &HttpRequest) -> usize;
    /// The 413's detail.
    fn too_large(limit: usize) -> String;
    /// What the 400 for a body that could not be read calls it ("the body", "the report").
    const NAME: &'static str;
}

/// The body, read whole within `L`'s limit.
pub struct RawBody<L> {
    bytes: Bytes,
    limit: PhantomData<L>,
}

impl<L> std::ops::Deref for RawBody<L> {
    type Target = Bytes;
    fn deref(&self) -> &Bytes {
        &self.bytes
    }
}

impl<L: SizeLimit> FromRequest for RawBody<L> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = L::bytes(req);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            let too_large = || ApiError::new(Kind::PayloadTooLarge, L::too_large(limit));
            if declared.is_some_and(|length| length > limit) {
                return Err(too_large());
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::new(
                        Kind::MalformedJson,
                        format!("{} could not be read: {e}", L::NAME),
                    )
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(RawBody {
                bytes: body.freeze(),
                limit: PhantomData,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    struct Tiny;

    impl SizeLimit for Tiny {
        fn bytes(_: &HttpRequest) -> usize {
            4
        }
        fn too_large(limit: usize) -> String {
            format!("over {limit}")
        }
        const NAME: &'static str = "the tiny body";
    }

    async fn read(request: TestRequest) -> Result<Vec<u8>, (u16, String)> {
        let (req, mut payload) = request.to_http_parts();
        RawBody::<Tiny>::from_request(&req, &mut payload)
            .await
            .map(|body| body.to_vec())
            .map_err(|e| {
                let problem = e.problem();
                (problem.status, problem.detail.unwrap_or_default())
            })
    }

    #[actix_web::test]
    async fn reads_up_to_the_limit_and_refuses_past_it() {
        let body = |b: &'static str| TestRequest::default().set_payload(b);
        assert_eq!(read(body("abcd")).await, Ok(b"abcd".to_vec()));
        assert_eq!(read(body("abcde")).await, Err((413, "over 4".to_owned())));
        // Refused as it streams past the limit, whatever the length it declared.
        let understated = body("abcde").insert_header((header::CONTENT_LENGTH, "3"));
        assert_eq!(read(understated).await, Err((413, "over 4".to_owned())));
        // Refused from the declared length alone, before reading.
        let declared = TestRequest::default()
            .set_payload("ab")
            .insert_header((header::CONTENT_LENGTH, "99"));
        assert_eq!(read(declared).await, Err((413, "over 4".to_owned())));
    }
}
