//! Conditional reads (RFC 9110 §13.1.2): a read answers with an `ETag` drawn from the bytes it
//! sends, and a client that sends it back as `If-None-Match` hears `304 Not Modified` with no
//! body while nothing it would see has changed. Portals and apps that poll a request's progress
//! then move a few hundred bytes of headers instead of the view.
//!
//! The tag is a digest of the body, not the request's version: what a reader sees also changes
//! without a new version (an SMS delivered, a referral answered, a deadline passed). On a
//! versioned resource the version leads the tag (`"3.1f0c…"`), so that the same tag still works
//! as `If-Match` for a command (`versioning::if_match` reads the version before the dot).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::error::ApiError;

/// Readers keep the answer only to revalidate it: a shared cache between a Center and its
/// citizens should hold no one's request.
const CACHE_CONTROL: &str = "private, no-cache";

/// How the `ETag` of a conditional read describes itself in the document.
pub const ETAG_DESCRIPTION: &str = "A tag of what was sent (`\"1f0c…\"`, or `\"3.1f0c…\"` led by the version on a versioned resource): send it back as `If-None-Match` to hear 304 while nothing changed, and as `If-Match` to make a command refuse a stale read";

/// `view` as JSON with its `ETag`, or 304 when the read's `If-None-Match` names that tag
/// (`read` is `None` for the answer of a command, always a 200).
pub fn json<T: Serialize>(
    read: Option<&HttpRequest>,
    version: Option<i32>,
    view: &T,
) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(view).map_err(ApiError::internal)?;
    let tag = tag_of(version, &body);
    let fresh = read
        .and_then(|req| req.headers().get(header::IF_NONE_MATCH))
        .and_then(|v| v.to_str().ok())
        .is_some_and(|names| names_tag(names, &tag));
    let mut answer = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    answer.insert_header((header::ETAG, tag)).insert_header((
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    ));
    Ok(if fresh {
        answer.finish()
    } else {
        answer.content_type(mime_json()).body(body)
    })
}

fn mime_json() -> HeaderValue {
    HeaderValue::from_static("application/json")
}

/// The quoted tag: 16 hex digits of the body's SHA-256 (64 bits: a collision between two
/// states of one resource is beyond any poller's lifetime), led by the version when there is one.
fn tag_of(version: Option<i32>, body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    match version {
        Some(v) => format!("\"{v}.{hex}\""),
        None => format!("\"{hex}\""),
    }
}

/// Whether an `If-None-Match` value names `tag`: `*`, or a list of tags compared weakly
/// (a `W/` prefix is ignored, as §13.1.2 asks).
fn names_tag(names: &str, tag: &str) -> bool {
    names
        .split(',')
        .map(str::trim)
        .any(|name| name == "*" || name.strip_prefix("W/").unwrap_or(name) == tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn a_tag_is_the_digest_led_by_the_version() {
        let plain = tag_of(None, b"{}");
        assert_eq!(plain.len(), 18);
        assert_eq!(tag_of(Some(3), b"{}"), format!("\"3.{}", &plain[1..]));
        assert_ne!(tag_of(None, b"{\"a\":1}"), plain);
    }

    #[test]
    fn if_none_match_names_a_tag_in_a_list_weakly_or_by_star() {
        let tag = "\"3.00aa\"";
        assert!(names_tag("\"3.00aa\"", tag));
        assert!(names_tag("\"x\", W/\"3.00aa\"", tag));
        assert!(names_tag("*", tag));
        assert!(!names_tag("\"3\"", tag));
        assert!(!names_tag("", tag));
    }

    #[test]
    fn a_matching_tag_answers_304_without_a_body_and_another_200() {
        let view = serde_json::json!({"status": "registered"});
        let first = json(Some(&TestRequest::default().to_http_request()), None, &view).unwrap();
        assert_eq!(first.status(), 200);
        let tag = first.headers().get(header::ETAG).unwrap().clone();
        let again = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, tag.clone()))
            .to_http_request();
        let second = json(Some(&again), None, &view).unwrap();
        assert_eq!(second.status(), 304);
        assert_eq!(second.headers().get(header::ETAG), Some(&tag));
        let changed = json(Some(&again), None, &serde_json::json!({"status": "closed"})).unwrap();
        assert_eq!(changed.status(), 200);
    }
}
