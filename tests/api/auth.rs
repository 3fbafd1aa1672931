//! Staff sign-in and the bearer token's checks.

use actix_web::http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::support::{ADMIN_PASSWORD, TEST_SECRET, TestApp, on_both_backends};

fn forge(secret: &str, claims: serde_json::Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap()
}

async fn admin_claims(app: &TestApp) -> serde_json::Value {
    let token = app.admin_token().await;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64_decode(payload);
    serde_json::from_slice(&bytes).unwrap()
}

/// URL-safe base64 without padding, as in JWTs (small enough not to need a crate here).
fn base64_decode(input: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in input.bytes() {
        let value = ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

fn base64_encode(input: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

async fn assert_token_refused(app: &TestApp, token: &str) {
    let reply = app.get("/api/v1/me").bearer(token).send().await;
    reply.assert_problem(401, "unauthenticated");
    assert_eq!(reply.header("www-authenticate").as_deref(), Some("Bearer"));
}

on_both_backends! {
    async fn signing_in_with_the_right_password_returns_a_token_that_opens_me(app) {
        let reply = app.post("/api/v1/auth/token").json(&json!({"username": "ADMIN", "password": ADMIN_PASSWORD})).send().await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let body = reply.json();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 480 * 60);
        assert_eq!(body["user"]["username"], "admin");
        assert_eq!(body["user"]["role"], "admin");
        assert!(body["user"].get("password_hash").is_none());
        let token = body["access_token"].as_str().unwrap();
        let me = app.get("/api/v1/me").bearer(token).send().await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.json()["username"], "admin");
        assert_eq!(me.json()["id"], body["user"]["id"]);
    }

    async fn a_wrong_password_and_an_unknown_user_get_the_same_401(app) {
        let wrong = app.post("/api/v1/auth/token").json(&json!({"username": "admin", "password": "not the password"})).send().await;
        let unknown = app.post("/api/v1/auth/token").json(&json!({"username": "nobody", "password": "not the password"})).send().await;
        let wrong_body = wrong.assert_problem(401, "invalid-credentials");
        let unknown_body = unknown.assert_problem(401, "invalid-credentials");
        assert_eq!(wrong_body, unknown_body, "the answer must not tell which usernames exist");
    }

    async fn repeated_failures_lock_the_username_with_429_and_retry_after(app) {
        for _ in 0..5 {
            let reply = app.post("/api/v1/auth/token").json(&json!({"username": "admin", "password": "guess-guess"})).send().await;
            reply.assert_problem(401, "invalid-credentials");
        }
        // Even the right password is refused while the lock holds.
        let locked = app.post("/api/v1/auth/token").json(&json!({"username": "admin", "password": ADMIN_PASSWORD})).send().await;
        locked.assert_problem(429, "too-many-requests");
        let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry), "Retry-After {retry}");
    }

    async fn a_request_without_a_token_is_401_with_a_bearer_challenge(app) {
        let reply = app.get("/api/v1/me").send().await;
        reply.assert_problem(401, "unauthenticated");
        assert_eq!(reply.header("www-authenticate").as_deref(), Some("Bearer"));
        let basic = app.get("/api/v1/me").header("authorization", "Basic YWRtaW46eA==").send().await;
        basic.assert_problem(401, "unauthenticated");
    }

    async fn an_expired_token_is_refused(app) {
        let mut claims = admin_claims(&app).await;
        let now = chrono::Utc::now().timestamp();
        claims["iat"] = json!(now - 7200);
        claims["exp"] = json!(now - 3600);
        assert_token_refused(&app, &forge(TEST_SECRET, claims)).await;
    }

    async fn a_tampered_token_is_refused(app) {
        let token = app.admin_token().await;
        let parts: Vec<&str> = token.split('.').collect();
        let mut claims: serde_json::Value = serde_json::from_slice(&base64_decode(parts[1])).unwrap();
        claims["role"] = json!("head");
        let tampered = format!("{}.{}.{}", parts[0], base64_encode(claims.to_string().as_bytes()), parts[2]);
        assert_token_refused(&app, &tampered).await;
    }

    async fn a_token_signed_with_another_key_is_refused(app) {
        let claims = admin_claims(&app).await;
        assert_token_refused(&app, &forge("another-secret-0123456789abcdef0123456789", claims)).await;
    }

    async fn an_unsigned_alg_none_token_is_refused(app) {
        let claims = admin_claims(&app).await;
        let header = base64_encode(br#"{"alg":"none","typ":"JWT"}"#);
        let unsigned = format!("{header}.{}.", base64_encode(claims.to_string().as_bytes()));
        assert_token_refused(&app, &unsigned).await;
    }

    async fn a_token_for_another_issuer_or_audience_is_refused(app) {
        let claims = admin_claims(&app).await;
        let mut other_issuer = claims.clone();
        other_issuer["iss"] = json!("someone-else");
        assert_token_refused(&app, &forge(TEST_SECRET, other_issuer)).await;
        let mut other_audience = claims;
        other_audience["aud"] = json!("citizens");
        assert_token_refused(&app, &forge(TEST_SECRET, other_audience)).await;
    }

    async fn a_deactivated_users_token_stops_working(app) {
        let admin = app.admin_token().await;
        let id = app.create_user(&admin, "sara", "reviewer", None).await;
        let token = app.token("sara", "sara-password").await;
        assert_eq!(app.get("/api/v1/me").bearer(&token).send().await.status, StatusCode::OK);
        let reply = app.patch(&format!("/api/v1/users/{id}")).bearer(&admin).json(&json!({"active": false})).send().await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert_token_refused(&app, &token).await;
        let again = app.post("/api/v1/auth/token").json(&json!({"username": "sara", "password": "sara-password"})).send().await;
        again.assert_problem(401, "invalid-credentials");
    }

    async fn a_password_reset_signs_the_user_out_and_the_new_password_works(app) {
        let admin = app.admin_token().await;
        let id = app.create_user(&admin, "reza", "intake", None).await;
        let old_token = app.token("reza", "reza-password").await;
        let reply = app.post(&format!("/api/v1/users/{id}/password")).bearer(&admin).json(&json!({"password": "a brand new phrase"})).send().await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
        assert_token_refused(&app, &old_token).await;
        let old = app.post("/api/v1/auth/token").json(&json!({"username": "reza", "password": "reza-password"})).send().await;
        old.assert_problem(401, "invalid-credentials");
        app.token("reza", "a brand new phrase").await;
    }
}
