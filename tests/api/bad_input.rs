//! Every kind of bad input answers a 4xx problem+json, never plain text or a 5xx, and writes
//! nothing. Each case is sent by a signed-in admin to an endpoint that would otherwise write.

use actix_web::http::Method;
use serde_json::json;

use crate::support::{BODY_LIMIT, TestApp, on_both_backends};

const NEW_UNIT: &str = r#"{"name": "واحد بازرسی", "kind": "unit"}"#;

/// Sends `POST /api/v1/units` with a raw body and asserts the problem and an unchanged database.
async fn post_unit_refused(
    app: &TestApp,
    admin: &str,
    content_type: &str,
    body: &str,
    status: u16,
    name: &str,
) -> serde_json::Value {
    let before = app.snapshot();
    let reply = app
        .post("/api/v1/units")
        .bearer(admin)
        .body(content_type, body.to_owned())
        .send()
        .await;
    let problem = reply.assert_problem(status, name);
    assert_eq!(
        app.snapshot(),
        before,
        "a refused request wrote nothing: {body}"
    );
    problem
}

on_both_backends! {
    async fn the_well_formed_request_is_accepted(app) {
        // The control: the same request the cases below break, unbroken.
        let admin = app.admin_token().await;
        let reply = app.post("/api/v1/units").bearer(&admin).body("application/json; charset=utf-8", NEW_UNIT).send().await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.text());
    }

    async fn malformed_json_is_a_400(app) {
        let admin = app.admin_token().await;
        for body in [r#"{"name": "واحد بازرسی", "kind": "unit""#, "{name: 'x'}", "not json", r#"{"name": "a"} trailing"#] {
            let problem = post_unit_refused(&app, &admin, "application/json", body, 400, "malformed-json").await;
            assert!(problem["detail"].as_str().unwrap().contains("not valid JSON"), "{problem}");
        }
    }

    async fn an_empty_body_is_a_400(app) {
        let admin = app.admin_token().await;
        post_unit_refused(&app, &admin, "application/json", "", 400, "malformed-json").await;
    }

    async fn invalid_utf8_is_a_400(app) {
        let admin = app.admin_token().await;
        let before = app.snapshot();
        let body: &'static [u8] = b"{\"name\": \"\xff\xfe\", \"kind\": \"unit\"}";
        app.post("/api/v1/units").bearer(&admin).body("application/json", body).send().await.assert_problem(400, "malformed-json");
        assert_eq!(app.snapshot(), before);
    }

    async fn a_wrong_or_missing_content_type_is_a_415(app) {
        let admin = app.admin_token().await;
        for content_type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"] {
            let problem = post_unit_refused(&app, &admin, content_type, NEW_UNIT, 415, "unsupported-media-type").await;
            assert!(problem["detail"].as_str().unwrap().contains("application/json"), "{problem}");
        }
        let before = app.snapshot();
        let reply = app.call(Method::POST, "/api/v1/units").bearer(&admin).send().await;
        reply.assert_problem(415, "unsupported-media-type");
        assert_eq!(app.snapshot(), before);
    }

    async fn an_unknown_field_is_refused_by_name(app) {
        let admin = app.admin_token().await;
        let body = r#"{"name": "واحد بازرسی", "kind": "unit", "budget": 12}"#;
        let problem = post_unit_refused(&app, &admin, "application/json", body, 422, "validation").await;
        assert_eq!(problem["errors"][0]["field"], "budget", "{problem}");
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains("unknown field `budget`"), "{problem}");
        // On a nested path too: the PATCH body of a user.
        let user = app.create_user(&admin, "clerk", "intake", None).await;
        let before = app.snapshot();
        let reply = app.patch(&format!("/api/v1/users/{user}")).bearer(&admin).json(&json!({"active": false, "is_admin": true})).send().await;
        reply.assert_problem(422, "validation");
        assert_eq!(reply.error_fields(), ["is_admin"]);
        assert_eq!(app.snapshot(), before);
    }

    async fn a_body_over_the_limit_is_a_413(app) {
        let admin = app.admin_token().await;
        let name = "ب".repeat(BODY_LIMIT);
        let body = json!({"name": name, "kind": "unit"}).to_string();
        assert!(body.len() > BODY_LIMIT);
        post_unit_refused(&app, &admin, "application/json", &body, 413, "payload-too-large").await;
    }

    async fn a_wrong_type_or_enum_value_names_the_field(app) {
        let admin = app.admin_token().await;
        let problem = post_unit_refused(&app, &admin, "application/json", r#"{"name": "واحد بازرسی", "kind": "office"}"#, 422, "validation").await;
        assert_eq!(problem["errors"][0]["field"], "kind", "{problem}");
        let problem = post_unit_refused(&app, &admin, "application/json", r#"{"name": 17, "kind": "unit"}"#, 422, "validation").await;
        assert_eq!(problem["errors"][0]["field"], "name", "{problem}");
        let problem = post_unit_refused(&app, &admin, "application/json", r#"{"name": "واحد بازرسی", "kind": "unit", "parent_id": "no-uuid"}"#, 422, "validation").await;
        assert_eq!(problem["errors"][0]["field"], "parent_id", "{problem}");
        let problem = post_unit_refused(&app, &admin, "application/json", r#"["واحد بازرسی", "unit"]"#, 422, "validation").await;
        assert!(problem["errors"].as_array().is_some_and(|e| !e.is_empty()), "{problem}");
    }

    async fn a_missing_or_too_short_field_is_a_422_listing_every_field(app) {
        let admin = app.admin_token().await;
        let problem = post_unit_refused(&app, &admin, "application/json", r#"{"kind": "unit"}"#, 422, "validation").await;
        assert_eq!(problem["errors"][0]["field"], "name", "{problem}");
        let before = app.snapshot();
        let reply = app.post("/api/v1/users").bearer(&admin)
            .json(&json!({"username": "x", "display_name": "y", "password": "short", "role": "intake"})).send().await;
        reply.assert_problem(422, "validation");
        let mut fields = reply.error_fields();
        fields.sort();
        assert_eq!(fields, ["display_name", "password", "username"]);
        assert_eq!(app.snapshot(), before);
    }

    async fn a_bad_path_parameter_is_a_400(app) {
        let admin = app.admin_token().await;
        let before = app.snapshot();
        for (method, path) in [(Method::GET, "/api/v1/units/not-a-uuid"), (Method::DELETE, "/api/v1/units/12"), (Method::GET, "/api/v1/users/%20")] {
            let problem = app.call(method, path).bearer(&admin).send().await.assert_problem(400, "bad-parameter");
            assert!(problem["detail"].as_str().is_some(), "{problem}");
        }
        let reply = app.patch("/api/v1/users/zzz").bearer(&admin).json(&json!({"active": false})).send().await;
        reply.assert_problem(400, "bad-parameter");
        assert_eq!(app.snapshot(), before);
    }

    async fn a_bad_or_unknown_query_parameter_is_a_400(app) {
        let admin = app.admin_token().await;
        for query in ["active=maybe", "kind=office", "parent_id=7", "colour=red"] {
            let problem = app.get(&format!("/api/v1/units?{query}")).bearer(&admin).send().await.assert_problem(400, "bad-parameter");
            assert!(problem["detail"].as_str().is_some(), "{query}: {problem}");
        }
        for query in ["limit=0", "limit=201", "limit=ten", "role=king", "sort=name"] {
            app.get(&format!("/api/v1/users?{query}")).bearer(&admin).send().await.assert_problem(400, "bad-parameter");
        }
    }

    async fn an_unknown_route_is_a_404(app) {
        let admin = app.admin_token().await;
        for path in ["/", "/api/v1/nothing", "/api/v2/units", "/api/v1/units/extra/segments/here"] {
            let reply = app.get(path).bearer(&admin).send().await;
            reply.assert_problem(404, "not-found");
        }
        let before = app.snapshot();
        app.post("/api/v1/nothing").bearer(&admin).body("application/json", NEW_UNIT).send().await.assert_problem(404, "not-found");
        assert_eq!(app.snapshot(), before);
    }

    async fn a_wrong_method_is_a_405_with_allow(app) {
        let admin = app.admin_token().await;
        let before = app.snapshot();
        let reply = app.call(Method::PUT, "/api/v1/units").bearer(&admin).body("application/json", NEW_UNIT).send().await;
        reply.assert_problem(405, "method-not-allowed");
        assert_eq!(reply.header("allow").as_deref(), Some("GET, POST"));
        let reply = app.delete("/api/v1/auth/token").send().await;
        reply.assert_problem(405, "method-not-allowed");
        assert_eq!(reply.header("allow").as_deref(), Some("POST"));
        let reply = app.call(Method::PUT, "/api/v1/units/0b6f2b0c-9d3e-4a47-9a43-4f8e3a1c2d11").bearer(&admin).send().await;
        reply.assert_problem(405, "method-not-allowed");
        assert_eq!(reply.header("allow").as_deref(), Some("GET, DELETE, PATCH"));
        assert_eq!(app.snapshot(), before);
    }

    async fn a_malformed_authorization_header_is_a_401(app) {
        let before = app.snapshot();
        for value in ["Basic YWRtaW46eA==", "Bearer", "Bearer not.a.jwt", "bearer"] {
            let reply = app.post("/api/v1/units").header("authorization", value).body("application/json", NEW_UNIT).send().await;
            reply.assert_problem(401, "unauthenticated");
        }
        assert_eq!(app.snapshot(), before);
    }

    async fn every_staff_intake_endpoint_refuses_bad_bodies_and_writes_nothing(app) {
        let admin = app.admin_token().await;
        let intake = app.token_for_role(&admin, "intake").await;
        let before = app.snapshot();
        let good_request = json!({"channel": "phone", "name": "رضا کریمی", "mobile": "09121112233", "text": "متن درخواست آزمایشی"});
        let good_contact = json!({"channel": "phone", "summary": "راهنمایی تلفنی", "outcome": "guided"});
        for (path, good, bad_enum) in [
            ("/api/v1/requests", good_request, ("proposed_kind", json!("praise"))),
            ("/api/v1/contacts", good_contact, ("outcome", json!("lost"))),
        ] {
            app.post(path).bearer(&intake).body("application/json", "{\"channel\": ").send().await.assert_problem(400, "malformed-json");
            app.post(path).bearer(&intake).body("text/plain", good.to_string()).send().await.assert_problem(415, "unsupported-media-type");
            let mut huge = good.clone();
            huge["name"] = json!("ب".repeat(BODY_LIMIT));
            app.post(path).bearer(&intake).json(&huge).send().await.assert_problem(413, "payload-too-large");
            let mut unknown = good.clone();
            unknown["priority"] = json!("high");
            let reply = app.post(path).bearer(&intake).json(&unknown).send().await;
            reply.assert_problem(422, "validation");
            assert_eq!(reply.error_fields(), ["priority"], "{path}");
            let mut bad = good.clone();
            bad[bad_enum.0] = bad_enum.1;
            let reply = app.post(path).bearer(&intake).json(&bad).send().await;
            reply.assert_problem(422, "validation");
            assert_eq!(reply.error_fields(), [bad_enum.0], "{path}");
        }
        assert_eq!(app.snapshot(), before);
    }

    async fn deep_nesting_huge_numbers_and_control_characters_are_4xx(app) {
        let before = app.snapshot();
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        app.post("/api/v1/public/requests").body("application/json", deep).send().await.assert_problem(400, "malformed-json");
        let nested = format!("{{\"name\": {}1{}}}", "[".repeat(200), "]".repeat(200));
        let reply = app.post("/api/v1/public/requests").body("application/json", nested).send().await;
        assert!(reply.status.is_client_error(), "{}", reply.status);
        for body in [
            json!({"name": 1e308, "mobile": "09121234567", "text": "متن درخواست آزمایشی"}),
            json!({"name": "رضا کریمی", "mobile": 9121234567u64, "text": "متن درخواست آزمایشی"}),
            json!({"name": "رضا کریمی", "mobile": "09121234567", "text": "متن درخواست آزمایشی", "proposed_kind": 12}),
        ] {
            app.post("/api/v1/public/requests").json(&body).send().await.assert_problem(422, "validation");
        }
        let huge = r#"{"name": "رضا کریمی", "mobile": "09121234567", "text": "متن درخواست آزمایشی", "subject_unit_id": 123456789012345678901234567890}"#;
        app.post("/api/v1/public/requests").body("application/json", huge).send().await.assert_problem(422, "validation");
        // Control characters are dropped by normalisation: a name of nothing but them is empty.
        let controls = json!({"name": "\u{0001}\u{0007}\u{001b}", "mobile": "09121234567", "text": "متن درخواست آزمایشی"});
        let reply = app.post("/api/v1/public/requests").json(&controls).send().await;
        reply.assert_problem(422, "validation");
        assert_eq!(reply.error_fields(), ["name"]);
        assert_eq!(app.snapshot(), before);
    }
}
