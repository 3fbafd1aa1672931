//! Conditional reads: the public view and a request's detail answer with an `ETag` drawn from
//! what they send, and `If-None-Match` with that tag gets 304 without a body until something
//! the reader would see changes. A request's tag, led by its version, still works as `If-Match`.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::handling::{complaint, desk, ok, registered};
use crate::support::{TestApp, on_both_backends};

/// The tag and body of a read, asserting the conditional headers of a 200.
async fn read(app: &TestApp, path: &str, token: Option<&str>) -> (String, serde_json::Value) {
    let mut get = app.get(path);
    if let Some(token) = token {
        get = get.bearer(token);
    }
    let reply = get.send().await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.header("cache-control").as_deref(),
        Some("private, no-cache")
    );
    let tag = reply
        .header("etag")
        .unwrap_or_else(|| panic!("no ETag on {path}"));
    (tag, reply.json())
}

async fn revalidate(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    tag: &str,
) -> crate::support::Reply {
    let mut get = app.get(path).header("if-none-match", tag);
    if let Some(token) = token {
        get = get.bearer(token);
    }
    get.send().await
}

on_both_backends! {
    async fn a_polled_public_view_answers_304_until_the_request_moves_on(app) {
        let desk = desk(&app).await;
        let (id, code) = registered(&app, &complaint()).await;
        let path = format!("/api/v1/public/requests/{code}");
        let (tag, view) = read(&app, &path, None).await;
        assert_eq!(view["status"], "registered");
        assert!(tag.starts_with('"') && tag.ends_with('"') && tag.len() == 18, "{tag}");

        for sent in [tag.clone(), format!("W/{tag}"), format!("\"0000000000000000\", {tag}"), "*".to_owned()] {
            let again = revalidate(&app, &path, None, &sent).await;
            assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{sent}");
            assert!(again.body.is_empty(), "a 304 has no body: {}", again.text());
            assert_eq!(again.header("etag"), Some(tag.clone()));
        }
        let other = revalidate(&app, &path, None, "\"0000000000000000\"").await;
        assert_eq!(other.status, StatusCode::OK, "another tag gets the view");

        ok(app.post(&format!("/api/v1/requests/{id}/classify")).bearer(&desk.reviewer)
            .json(&json!({"kind": "complaint", "subject": "unit", "subject_unit_id": desk.unit})).send().await).await;
        let moved = revalidate(&app, &path, None, &tag).await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.text());
        assert_eq!(moved.json()["status"], "in_review");
        assert_ne!(moved.header("etag"), Some(tag), "a new state, a new tag");
    }

    async fn a_request_detail_answers_304_and_its_tag_still_guards_a_command(app) {
        let desk = desk(&app).await;
        let (id, _) = registered(&app, &complaint()).await;
        let path = format!("/api/v1/requests/{id}");
        let (tag, view) = read(&app, &path, Some(&desk.reviewer)).await;
        let version = view["version"].as_i64().unwrap();
        assert!(tag.starts_with(&format!("\"{version}.")), "{tag} leads with the version");

        let again = revalidate(&app, &path, Some(&desk.reviewer), &tag).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
        assert!(again.body.is_empty());
        // Unit staff learn nothing, conditional or not.
        revalidate(&app, &path, Some(&desk.unit_staff), &tag).await.assert_problem(404, "not-found");

        let classify = json!({"kind": "complaint", "subject": "unit", "subject_unit_id": desk.unit});
        let classified = app.post(&format!("{path}/classify")).bearer(&desk.reviewer)
            .header("if-match", &tag).json(&classify).send().await;
        assert_eq!(classified.status, StatusCode::OK, "the read's tag is a valid If-Match: {}", classified.text());
        let new_tag = classified.header("etag").unwrap();
        assert!(new_tag.starts_with(&format!("\"{}.", version + 1)), "{new_tag}");
        assert_eq!(revalidate(&app, &path, Some(&desk.reviewer), &new_tag).await.status, StatusCode::NOT_MODIFIED,
            "a command's answer carries the tag its next read has");

        let stale = app.post(&format!("{path}/classify")).bearer(&desk.reviewer)
            .header("if-match", &tag).json(&classify).send().await;
        stale.assert_problem(412, "precondition-failed");
        let (_, after) = read(&app, &path, Some(&desk.reviewer)).await;
        assert_eq!(after["version"], version + 1, "the stale command wrote nothing");
        let changed = revalidate(&app, &path, Some(&desk.reviewer), &tag).await;
        assert_eq!(changed.status, StatusCode::OK);
    }
}
