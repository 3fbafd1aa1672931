//! Optimistic concurrency over HTTP: responses carry the version as a strong `ETag` (`"3"`);
//! a client sends it back as `If-Match` so that a change made on a stale read is refused with
//! 412 instead of silently overwriting. Without `If-Match` the server still refuses a change
//! that raced another (409); it only cannot tell what the client had read.

use actix_web::HttpRequest;
use actix_web::http::header;

use super::error::{ApiError, Kind};

/// What `if_match` reads, as the document declares it: `"3"`, `W/"3"` or `3`, spaces around
/// allowed, up to nine digits (any `i32` a version reaches), optionally followed by the digest
/// a request's `ETag` carries (`"3.1f0c…"`, `conditional`), which is not compared: a change
/// the version does not count (an SMS delivered) does not make a read stale for a command.
pub const IF_MATCH_PATTERN: &str = r#"^\s*(W/)?"?[0-9]{1,9}(\.[0-9a-f]{16})?"?\s*$"#;

/// The version named by `If-Match`, if any.
pub fn if_match(req: &HttpRequest) -> Result<Option<i32>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::new(
            Kind::BadParameter,
            "If-Match must be the ETag this server gave out, e.g. \"3\"",
        )
    };
    let text = value.to_str().map_err(|_| bad())?.trim();
    let text = text.strip_prefix("W/").unwrap_or(text);
    let text = text.trim_matches('"');
    let version = match text.split_once('.') {
        Some((version, digest))
            if digest.len() == 16 && digest.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            version
        }
        Some(_) => return Err(bad()),
        None => text,
    };
    let version = version.parse::<i32>().map_err(|_| bad())?;
    Ok(Some(version))
}

/// The `ETag` of a version.
pub fn etag(version: i32) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn reads_the_forms_clients_send() {
        for (value, expected) in [
            ("\"3\"", 3),
            ("W/\"4\"", 4),
            ("5", 5),
            ("\"6.00112233445566ff\"", 6),
        ] {
            let req = TestRequest::default()
                .insert_header((header::IF_MATCH, value))
                .to_http_request();
            assert_eq!(if_match(&req).unwrap(), Some(expected), "{value}");
        }
        let req = TestRequest::default()
            .insert_header((header::IF_MATCH, "*"))
            .to_http_request();
        assert!(if_match(&req).is_err());
        let req = TestRequest::default()
            .insert_header((header::IF_MATCH, "\"6.zz\""))
            .to_http_request();
        assert!(if_match(&req).is_err());
        assert_eq!(
            if_match(&TestRequest::default().to_http_request()).unwrap(),
            None
        );
    }
}
