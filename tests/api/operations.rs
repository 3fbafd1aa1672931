//! What operations and frontend teams rely on: health, metrics, request ids, security headers,
//! the OpenAPI document (served equals committed) and Swagger UI, and CORS.

use actix_web::http::{Method, StatusCode};
use serde_json::Value;

use crate::support::{TestApp, on_both_backends};

on_both_backends! {
    async fn health_is_live_and_ready(app) {
        for path in ["/health/live", "/health/ready"] {
            let reply = app.get(path).send().await;
            assert_eq!(reply.status, StatusCode::OK, "{path}");
            assert_eq!(reply.json(), serde_json::json!({"status": "ok"}));
        }
    }

    async fn metrics_count_requests_by_route_pattern_and_status(app) {
        app.get("/api/v1/units/0b6f2b0c-9d3e-4a47-9a43-4f8e3a1c2d11").send().await;
        app.get("/health/live").send().await;
        let reply = app.get("/metrics").send().await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.header("content-type").unwrap().starts_with("text/plain"));
        let text = reply.text();
        assert!(
            text.contains(r#"http_requests_total{method="GET",route="/api/v1/units/{id}",status="401"} 1"#),
            "the route is the pattern, not the id: {text}"
        );
        assert!(text.contains(r#"http_requests_total{method="GET",route="/health/live",status="200"} 1"#), "{text}");
        assert!(text.contains("http_request_duration_seconds_bucket"), "{text}");
    }

    async fn every_response_carries_a_request_id_and_security_headers(app) {
        let mine = app.get("/health/live").header("x-request-id", "frontend-42").send().await;
        assert_eq!(mine.header("x-request-id").as_deref(), Some("frontend-42"));
        let made = app.get("/api/v1/nowhere").send().await;
        let id = made.header("x-request-id").unwrap();
        assert_eq!(id.len(), 36, "a UUID is made when none is sent: {id}");
        let unsafe_id = app.get("/health/live").header("x-request-id", &"x".repeat(200)).send().await;
        assert_ne!(unsafe_id.header("x-request-id").unwrap().len(), 200);
        for reply in [&mine, &made] {
            assert_eq!(reply.header("x-content-type-options").as_deref(), Some("nosniff"));
            assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
            assert!(reply.header("referrer-policy").is_some());
        }
    }

    async fn the_served_openapi_document_is_the_committed_one(app) {
        let reply = app.get("/api-docs/openapi.json").send().await;
        assert_eq!(reply.status, StatusCode::OK);
        let served = reply.json();
        assert!(served["openapi"].as_str().unwrap().starts_with("3."), "{}", served["openapi"]);
        let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
        let committed: Value = serde_json::from_str(&std::fs::read_to_string(committed_path).unwrap()).unwrap();
        assert!(
            served == committed,
            "openapi/openapi.json is stale: regenerate it with `cargo run -q -- openapi > openapi/openapi.json`"
        );
        let printed = serde_json::to_value(mardom::api::openapi_document()).unwrap();
        assert_eq!(printed, served, "`mardom openapi` prints what is served");
    }

    async fn swagger_ui_renders(app) {
        let reply = app.get("/swagger-ui/").send().await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert!(reply.header("content-type").unwrap().starts_with("text/html"));
        assert!(reply.text().contains("swagger-ui"), "{}", reply.text());
        let init = app.get("/swagger-ui/swagger-initializer.js").send().await;
        assert_eq!(init.status, StatusCode::OK);
        assert!(init.text().contains("/api-docs/openapi.json"), "{}", init.text());
    }
}

/// Every documented operation declares its problem responses, so generated clients know them.
#[actix_web::test]
async fn every_operation_documents_its_problem_responses() {
    let document = serde_json::to_value(mardom::api::openapi_document()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 8, "{paths:?}");
    let mut ids: Vec<&str> = paths
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .map(|op| op["operationId"].as_str().unwrap())
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        ids.len(),
        count,
        "operation ids are unique (generated clients name methods by them)"
    );
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path} has a success response"
            );
            assert!(
                responses.contains_key("500"),
                "{method} {path} documents 500"
            );
            if operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
            {
                assert!(
                    responses.contains_key("401") && responses.contains_key("403"),
                    "{method} {path} documents 401 and 403"
                );
            }
            if operation.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} documents {status}"
                    );
                }
            }
        }
    }
}

#[actix_web::test]
async fn cors_answers_only_configured_origins() {
    let app = TestApp::sqlite(&[("MARDOM_CORS_ORIGINS", "https://desk.example.org")]).await;
    let preflight = app
        .call(Method::OPTIONS, "/api/v1/units")
        .header("origin", "https://desk.example.org")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await;
    assert_eq!(preflight.status, StatusCode::OK, "{}", preflight.text());
    assert_eq!(
        preflight.header("access-control-allow-origin").as_deref(),
        Some("https://desk.example.org")
    );
    let simple = app
        .get("/health/live")
        .header("origin", "https://desk.example.org")
        .send()
        .await;
    assert_eq!(
        simple.header("access-control-allow-origin").as_deref(),
        Some("https://desk.example.org")
    );
    let foreign = app
        .get("/health/live")
        .header("origin", "https://evil.example.com")
        .send()
        .await;
    assert_eq!(foreign.header("access-control-allow-origin"), None);

    let closed = TestApp::sqlite(&[]).await;
    let reply = closed
        .get("/health/live")
        .header("origin", "https://desk.example.org")
        .send()
        .await;
    assert_eq!(
        reply.header("access-control-allow-origin"),
        None,
        "no CORS unless configured"
    );
}

/// A portal on another origin must be able to read every header it acts on: the version to send
/// back (`ETag`), where the new request lives (`Location`), how long to wait (`Retry-After`),
/// whether it got a replay (`Idempotent-Replayed`) and the id to quote to support (`X-Request-Id`).
async fn a_cross_origin_portal_reads_the_headers_it_acts_on(app: TestApp) {
    const ORIGIN: &str = "https://portal.example.org";
    let exposed = |reply: &crate::support::Reply| -> Vec<String> {
        reply
            .header("access-control-expose-headers")
            .unwrap_or_default()
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .collect()
    };
    let preflight = app
        .call(Method::OPTIONS, "/api/v1/public/requests")
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, idempotency-key",
        )
        .send()
        .await;
    assert_eq!(preflight.status, StatusCode::OK, "{}", preflight.text());
    assert_eq!(
        preflight.header("access-control-allow-origin").as_deref(),
        Some(ORIGIN)
    );
    let allowed = preflight
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(allowed.contains("idempotency-key"), "{allowed}");

    let submitted = app
        .post("/api/v1/public/requests")
        .header("origin", ORIGIN)
        .header("Idempotency-Key", "cors-1")
        .json(&crate::public::submission())
        .send()
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::CREATED,
        "{}",
        submitted.text()
    );
    assert_eq!(
        submitted.header("access-control-allow-origin").as_deref(),
        Some(ORIGIN)
    );
    let exposed_names = exposed(&submitted);
    for header in [
        "etag",
        "location",
        "retry-after",
        "idempotent-replayed",
        "x-request-id",
    ] {
        assert!(
            exposed_names.contains(&header.to_owned()),
            "{header} not in {exposed_names:?}"
        );
    }
    for sent in ["location", "idempotent-replayed", "x-request-id"] {
        assert!(submitted.header(sent).is_some(), "{sent} is sent");
    }
    // The same list on an error answer, where Retry-After matters most.
    let problem = app
        .get("/api/v1/units")
        .header("origin", ORIGIN)
        .send()
        .await;
    assert_eq!(problem.status, StatusCode::UNAUTHORIZED);
    assert!(
        exposed(&problem).contains(&"retry-after".to_owned()),
        "{:?}",
        exposed(&problem)
    );
}

#[actix_web::test]
async fn cross_origin_headers_sqlite() {
    a_cross_origin_portal_reads_the_headers_it_acts_on(
        TestApp::sqlite(&[("MARDOM_CORS_ORIGINS", "https://portal.example.org")]).await,
    )
    .await;
}

#[actix_web::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "MARDOM_TEST_POSTGRES_URL was not set when the tests were built"
)]
async fn cross_origin_headers_postgres() {
    a_cross_origin_portal_reads_the_headers_it_acts_on(
        TestApp::postgres(&[("MARDOM_CORS_ORIGINS", "https://portal.example.org")]).await,
    )
    .await;
}

/// Logs written to a pipe or a file carry no terminal colour codes.
#[test]
fn logs_to_a_pipe_have_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mardom"))
        .arg("migrate")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/mardom.db", dir.path().display()),
        )
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR")
        .env_remove("MARDOM_LOG_FORMAT")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("applied database migrations"), "{stdout}");
    assert!(
        !stdout.contains('\u{1b}'),
        "escape codes in piped logs: {stdout:?}"
    );
}

/// What a generated client needs of the document, checked on the document itself so that a
/// new handler cannot quietly break it.
#[test]
fn the_document_is_one_a_generated_client_takes_unedited() {
    let doc = serde_json::to_value(mardom::api::openapi_document()).unwrap();
    assert!(
        doc["info"]["title"].as_str().unwrap().is_ascii(),
        "package names are made from it"
    );
    assert!(doc["servers"].as_array().is_some_and(|s| !s.is_empty()));
    let mut templates: Vec<String> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        templates.push(
            path.split('/')
                .map(|s| if s.starts_with('{') { "{}" } else { s })
                .collect::<Vec<_>>()
                .join("/"),
        );
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            assert!(
                op["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{at} has a description"
            );
            assert!(
                op["security"].is_array(),
                "{at} says what security it needs (`[]` when public)"
            );
            if path.starts_with("/api/v1/public/me/") {
                assert_eq!(
                    op["security"],
                    serde_json::json!([{"citizen": []}]),
                    "{at} takes a citizen's token"
                );
            } else if path == "/api/v1/public/requests" && method == "post" {
                // Public, or with the citizen's token where a Center requires a verified number.
                assert_eq!(
                    op["security"],
                    serde_json::json!([{}, {"citizen": []}]),
                    "{at}"
                );
            } else if path.starts_with("/api/v1/public/") || path.starts_with("/health") {
                assert_eq!(op["security"], serde_json::json!([]), "{at} is public");
            }
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "header" {
                    assert_eq!(
                        p["schema"]["type"], "string",
                        "{at}: header {} is a plain string",
                        p["name"]
                    );
                }
            }
            for (status, response) in op["responses"].as_object().unwrap() {
                let response = match response["$ref"].as_str() {
                    Some(r) => {
                        &doc["components"]["responses"]
                            [r.trim_start_matches("#/components/responses/")]
                    }
                    None => response,
                };
                assert!(
                    response["headers"]["X-Request-Id"].is_object(),
                    "{at} {status} declares X-Request-Id"
                );
                if status == "429" || status == "503" {
                    assert!(
                        response["headers"]["Retry-After"].is_object(),
                        "{at} {status} declares Retry-After"
                    );
                }
                if status == "201" {
                    // Where the created resource can be read alone, the 201 says where; a
                    // contact and a message (listed, never read alone) have no such place.
                    let readable = doc["paths"].as_object().unwrap().iter().any(|(p, item)| {
                        item.get("get").is_some()
                            && p.strip_prefix(path.as_str())
                                .and_then(|rest| rest.strip_prefix("/{"))
                                .is_some_and(|rest| !rest.contains('/'))
                    });
                    assert_eq!(
                        response["headers"]["Location"].is_object(),
                        readable,
                        "{at} 201 declares Location exactly when its resource can be read"
                    );
                    // An upload is attached by its id, never read alone.
                    let listed_only = path == "/api/v1/contacts"
                        || path.ends_with("/messages")
                        || path.ends_with("/uploads");
                    assert_eq!(readable, !listed_only, "{at}");
                }
                let takes_if_match = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p["name"] == "If-Match");
                if status == "200" && takes_if_match {
                    assert!(
                        response["headers"]["ETag"].is_object(),
                        "{at} 200 declares ETag"
                    );
                }
            }
        }
    }
    let mut unique = templates.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        templates.len(),
        "no two paths are ambiguous: {templates:?}"
    );
    // Ids in answers are UUIDs; free-form objects say so; every tracking-code example is valid.
    let mut examples = Vec::new();
    collect_examples(&doc, &mut examples);
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let mut properties = schema["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for part in schema["allOf"].as_array().into_iter().flatten() {
            properties.extend(part["properties"].as_object().cloned().unwrap_or_default());
        }
        for (field, property) in properties {
            if (field == "id" || field.ends_with("_id"))
                // Open311's `service_request_id` is the tracking code (the specification's name).
                && !["national_id", "provider_message_id", "service_request_id"].contains(&field.as_str())
            {
                assert_eq!(property["format"], "uuid", "{name}.{field}");
            }
            if property["type"] == "object" && property["properties"].is_null() {
                assert!(
                    !property["additionalProperties"].is_null(),
                    "{name}.{field} is free-form or a map: {property}"
                );
            }
        }
    }
    let submission = &doc["components"]["schemas"]["CitizenRequest"]["properties"]["mobile"];
    assert_eq!(
        submission["pattern"],
        mardom::domain::phone::PATTERN,
        "a mobile number is declared as parsed"
    );
    assert!(!examples.is_empty());
    for code in examples {
        mardom::domain::tracking_code::TrackingCode::parse(&code)
            .unwrap_or_else(|e| panic!("example {code}: {e}"));
    }
}

/// Every `tracking_code` example anywhere in the document.
fn collect_examples(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(code) = map.get("tracking_code").and_then(Value::as_str)
                && code.chars().all(|c| c.is_ascii_digit())
                && code.len() == 12
            {
                found.push(code.to_owned());
            }
            if map.get("name").and_then(Value::as_str) == Some("tracking_code")
                && let Some(example) = map.get("example").and_then(Value::as_str)
            {
                found.push(example.to_owned());
            }
            map.values().for_each(|v| collect_examples(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_examples(v, found)),
        _ => {}
    }
}

on_both_backends! {
    async fn head_answers_wherever_get_does_and_swagger_ui_has_one_address(app) {
        for path in ["/health/live", "/health/ready", "/api-docs/openapi.json"] {
            let get = app.get(path).send().await;
            let head = app.call(Method::HEAD, path).send().await;
            assert_eq!(head.status, StatusCode::OK, "HEAD {path}: {}", head.text());
            assert!(head.body.is_empty(), "HEAD {path} sends no body");
            assert_eq!(head.header("content-type"), get.header("content-type"), "{path}");
        }
        let bare = app.get("/swagger-ui").send().await;
        assert_eq!(bare.status, StatusCode::PERMANENT_REDIRECT);
        assert_eq!(bare.header("location").as_deref(), Some("/swagger-ui/"));
    }

    async fn the_server_enforces_what_the_document_declares(app) {
        let admin = app.admin_token().await;
        let reviewer = app.token_for_role(&admin, "reviewer").await;
        // An empty cursor is schema-valid: the first page.
        for path in ["/api/v1/requests?cursor=", "/api/v1/referrals?cursor=", "/api/v1/notifications?cursor="] {
            let reply = app.get(path).bearer(&reviewer).send().await;
            assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text());
        }
        // A cursor the declared pattern refuses, the server refuses too.
        for bad in ["%2B12_a", "12_%C2%BE", "1234567890123456789_a"] {
            app.get(&format!("/api/v1/requests?cursor={bad}")).bearer(&reviewer).send().await
                .assert_problem(400, "bad-parameter");
        }
        // `template` is at most 64 characters, as declared.
        let long = "t".repeat(65);
        app.get(&format!("/api/v1/notifications?template={long}")).bearer(&reviewer).send().await
            .assert_problem(400, "bad-parameter");
        let fits = "t".repeat(64);
        assert_eq!(app.get(&format!("/api/v1/notifications?template={fits}")).bearer(&reviewer).send().await.status, StatusCode::OK);
        // Authorisation before validation: a role that may not take a referral step hears 403,
        // whatever its If-Match.
        let intake = app.token_for_role(&admin, "intake").await;
        for step in ["acknowledge", "accept", "answer", "return"] {
            app.post(&format!("/api/v1/referrals/0b6f2b0c-9d3e-4a47-9a43-4f8e3a1c2d11/{step}"))
                .bearer(&intake).header("if-match", "not a version").json(&serde_json::json!({}))
                .send().await.assert_problem(403, "forbidden");
        }
    }
}

/// `MARDOM_DB_LOCK_WAIT_MS` is every pooled session's lock wait, the one that ran the
/// migrations and the first admin under the startup lock (which waits without limit) too.
#[actix_web::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "MARDOM_TEST_POSTGRES_URL was not set when the tests were built"
)]
async fn the_lock_wait_setting_is_every_sessions_after_startup() {
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        lock_timeout: String,
    }
    let app = TestApp::postgres(&[("MARDOM_DB_LOCK_WAIT_MS", "1234")]).await;
    // Every connection at once, so that the one startup used is among them.
    let mut connections: Vec<_> = (0..4).map(|_| app.pool.get().unwrap()).collect();
    for conn in &mut connections {
        let setting: Setting =
            diesel::RunQueryDsl::get_result(diesel::sql_query("SHOW lock_timeout"), &mut **conn)
                .unwrap();
        assert_eq!(setting.lock_timeout, "1234ms");
    }
}
