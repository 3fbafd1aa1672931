//! The citizen's side, without an account: online submission (idempotent), lookup by tracking
//! code, withdrawal, and the rate limits that protect them.

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, on_both_backends};

pub const NAME: &str = "مریم حسینی";
pub const TEXT: &str = "درخواست ملاقات با ریاست مرکز درباره‌ی تأخیر در پرداخت مطالبات";
pub const NATIONAL_ID: &str = "0499370899";
pub const EMAIL: &str = "maryam.hosseini@example.org";

pub fn submission() -> Value {
    json!({
        "name": NAME, "mobile": "۰۹۱۲ ۳۴۵ ۶۷۸۹", "national_id": NATIONAL_ID, "email": EMAIL,
        "text": TEXT, "proposed_kind": "meeting"
    })
}

/// Submits online and returns the 201 body.
pub async fn submit(app: &TestApp, body: &Value) -> Value {
    let reply = app.post("/api/v1/public/requests").json(body).send().await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()
}

/// The request id behind a tracking code, read as the admin.
pub async fn request_id(app: &TestApp, code: &str) -> String {
    let admin = app.admin_token().await;
    let list = app
        .get("/api/v1/requests?limit=100")
        .bearer(&admin)
        .send()
        .await
        .json();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["tracking_code"] == code)
        .expect("request listed")["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Asserts that a public body holds nothing that identifies the citizen or tells their story.
pub fn assert_no_identity(raw: &str) {
    for secret in [
        NAME,
        "مریم",
        "حسینی",
        TEXT,
        "ملاقات با ریاست",
        NATIONAL_ID,
        EMAIL,
        "9123456789",
        "۹۱۲",
    ] {
        assert!(
            !raw.contains(secret),
            "the public view leaks {secret:?}: {raw}"
        );
    }
}

on_both_backends! {
    async fn an_online_submission_gets_a_tracking_code_and_an_sms_row(app) {
        let reply = app.post("/api/v1/public/requests").json(&submission()).send().await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        assert_eq!(reply.header("idempotent-replayed").as_deref(), Some("false"));
        assert_no_identity(&reply.text());
        let body = reply.json();
        let code = body["tracking_code"].as_str().unwrap().to_owned();
        assert_eq!(code.len(), 12);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(reply.header("location"), Some(format!("/api/v1/public/requests/{code}")));
        assert_eq!(body["status"], "registered");
        assert_eq!(body["channel"], "online");
        assert_eq!(body["proposed_kind"], "meeting");
        assert_eq!(body["kind"], Value::Null);
        assert_eq!(body["history"], json!([{"action": "registered", "status": "registered", "at": body["submitted_at"]}]));

        let id = request_id(&app, &code).await;
        let notes = app.notifications_of(&id);
        assert_eq!(notes, [("tracking_code_issued".to_owned(), "+989123456789".to_owned(), json!({"tracking_code": code}), "pending".to_owned())]);

        let admin = app.admin_token().await;
        let detail = app.get(&format!("/api/v1/requests/{id}")).bearer(&admin).send().await.json();
        assert_eq!(detail["citizen"]["mobile"], "+98912***6789", "masked until revealed");
        assert_eq!(app.revealed(&admin, &id).await, json!({"name": NAME, "mobile": "+989123456789", "national_id": NATIONAL_ID, "email": EMAIL}));
        assert_eq!(detail["text"], TEXT);
        assert_eq!(detail["registered_by"], Value::Null);
        assert_eq!(detail["history"][0]["actor_kind"], "citizen");
        assert_eq!(detail["history"][0]["details"], json!({"channel": "online"}));
    }

    async fn the_public_view_shows_progress_but_no_identity_or_text(app) {
        let code = submit(&app, &submission()).await["tracking_code"].as_str().unwrap().to_owned();
        let reply = app.get(&format!("/api/v1/public/requests/{code}")).send().await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert_no_identity(&reply.text());
        let view = reply.json();
        assert_eq!(view["tracking_code"], code.as_str());
        assert_eq!(view["status"], "registered");
        let mut keys: Vec<&str> = view.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["channel", "closed_at", "history", "kind", "meeting", "objection_until", "proposed_kind", "referred_to", "resolution", "status", "submitted_at", "tracking_code", "updated_at"]);
        // Persian digits and spaces in the code are read as the same code.
        let persian: String = code.chars().map(|c| char::from_u32('۰' as u32 + c.to_digit(10).unwrap()).unwrap()).collect();
        let spaced = format!("{} {}", &persian[..12], &persian[12..]);
        let again = app.get(&format!("/api/v1/public/requests/{}", urlencode(&spaced))).send().await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text());
        assert_eq!(again.json(), view);
    }

    async fn a_mistyped_code_is_422_and_an_unknown_one_404(app) {
        let code = submit(&app, &submission()).await["tracking_code"].as_str().unwrap().to_owned();
        // Swap two adjacent unequal digits: the check digit catches it.
        let bytes = code.as_bytes();
        let i = (0..11).find(|&i| bytes[i] != bytes[i + 1]).unwrap();
        let mut swapped = bytes.to_vec();
        swapped.swap(i, i + 1);
        let swapped = String::from_utf8(swapped).unwrap();
        let problem = app.get(&format!("/api/v1/public/requests/{swapped}")).send().await.assert_problem(422, "validation");
        assert_eq!(problem["errors"][0]["field"], "tracking_code");
        assert_eq!(problem["errors"][0]["code"], "check_digit");
        let problem = app.get("/api/v1/public/requests/12345").send().await.assert_problem(422, "validation");
        assert_eq!(problem["errors"][0]["code"], "format");
        // A well-formed code (valid check digit) that no request has.
        let unknown = valid_code_other_than(&code);
        app.get(&format!("/api/v1/public/requests/{unknown}")).send().await.assert_problem(404, "not-found");
    }

    async fn the_same_idempotency_key_replays_the_first_answer(app) {
        let first = app.post("/api/v1/public/requests").header("idempotency-key", "k-1").json(&submission()).send().await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
        let before = app.snapshot();
        // The same submission, spelled differently (ASCII digits, other spacing): the same.
        let mut respelled = submission();
        respelled["mobile"] = json!("+98 912 345 6789");
        let again = app.post("/api/v1/public/requests").header("idempotency-key", "k-1").json(&respelled).send().await;
        assert_eq!(again.status, StatusCode::CREATED);
        assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
        assert_eq!(again.body, first.body);
        assert_eq!(app.snapshot(), before, "a replay writes nothing");
        // The same key with another submission.
        let mut other = submission();
        other["text"] = json!("متن دیگری برای درخواستی کاملاً متفاوت");
        let problem = app.post("/api/v1/public/requests").header("idempotency-key", "k-1").json(&other).send().await
            .assert_problem(422, "validation");
        assert_eq!(problem["errors"][0]["code"], "key_reused");
        assert_eq!(app.snapshot(), before);
        // A bad key.
        app.post("/api/v1/public/requests").header("idempotency-key", &"x".repeat(300)).json(&submission()).send().await
            .assert_problem(400, "bad-parameter");
        assert_eq!(app.snapshot(), before);
    }

    async fn a_key_whose_claim_expired_registers_a_new_request(app) {
        use diesel::RunQueryDsl;
        // A claim from another submission, a lifetime ago.
        {
            let mut conn = app.pool.get().unwrap();
            let past = (mardom::db::now() - chrono::Duration::hours(25)).format("%Y-%m-%d %H:%M:%S").to_string();
            diesel::sql_query(format!(
                "INSERT INTO idempotency_keys (scope, idempotency_key, fingerprint, response_status, response_body, created_at, expires_at) \
                 VALUES ('public_request', 'old-key', 'another submission', 201, '{{}}', '{past}', '{past}')"
            ))
            .execute(&mut *conn)
            .unwrap();
        }
        let reply = app.post("/api/v1/public/requests").header("idempotency-key", "old-key").json(&submission()).send().await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        assert_eq!(reply.header("idempotent-replayed").as_deref(), Some("false"));
        assert_eq!(app.count("requests"), 1);
        assert_eq!(app.count("idempotency_keys"), 1, "the old claim was replaced");
        // The key now belongs to this submission: its retry replays the answer.
        let again = app.post("/api/v1/public/requests").header("idempotency-key", "old-key").json(&submission()).send().await;
        assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
        assert_eq!(again.body, reply.body);
        assert_eq!(app.count("requests"), 1);
    }

    async fn five_concurrent_submissions_with_one_key_make_one_request(app) {
        let body = submission();
        let calls = (0..5).map(|_| app.post("/api/v1/public/requests").header("idempotency-key", "same-key-5").json(&body).send());
        let replies = futures_util::future::join_all(calls).await;
        for reply in &replies {
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
            assert_eq!(reply.body, replies[0].body, "identical bodies");
        }
        assert_eq!(replies.iter().filter(|r| r.header("idempotent-replayed").as_deref() == Some("false")).count(), 1);
        assert_eq!(app.count("requests"), 1);
        assert_eq!(app.count("notifications"), 1);
        assert_eq!(app.count("request_events"), 1);
    }

    async fn a_refused_submission_writes_nothing_and_sends_nothing(app) {
        let before = app.snapshot();
        let mut bad = submission();
        bad["mobile"] = json!("02188776655");
        bad["national_id"] = json!("1111111111");
        bad["text"] = json!("کوتاه");
        bad["email"] = json!("not-an-email");
        let reply = app.post("/api/v1/public/requests").json(&bad).send().await;
        reply.assert_problem(422, "validation");
        let mut fields = reply.error_fields();
        fields.sort();
        assert_eq!(fields, ["email", "mobile", "national_id", "text"]);
        let mut unit_without_subject = submission();
        unit_without_subject["subject_unit_id"] = json!("0b6f2b0c-9d3e-4a47-9a43-4f8e3a1c2d11");
        let reply = app.post("/api/v1/public/requests").json(&unit_without_subject).send().await;
        reply.assert_problem(422, "validation");
        assert_eq!(reply.error_fields(), ["subject"]);
        let mut unknown_unit = unit_without_subject.clone();
        unknown_unit["subject"] = json!("unit");
        let reply = app.post("/api/v1/public/requests").json(&unknown_unit).send().await;
        reply.assert_problem(422, "validation");
        assert_eq!(reply.json()["errors"][0]["code"], "unknown_unit");
        assert_eq!(app.snapshot(), before);
        assert_eq!(app.count("notifications"), 0);
    }

    async fn bad_bodies_on_the_public_endpoints_are_problems_and_write_nothing(app) {
        let code = submit(&app, &submission()).await["tracking_code"].as_str().unwrap().to_owned();
        let before = app.snapshot();
        let withdraw = format!("/api/v1/public/requests/{code}/withdrawal");
        for path in ["/api/v1/public/requests", withdraw.as_str()] {
            app.post(path).body("application/json", r#"{"name": "#).send().await.assert_problem(400, "malformed-json");
            app.post(path).body("text/plain", "hello").send().await.assert_problem(415, "unsupported-media-type");
            let huge = json!({"name": "ب".repeat(20_000), "mobile": "09123456789", "text": TEXT}).to_string();
            app.post(path).body("application/json", huge).send().await.assert_problem(413, "payload-too-large");
        }
        let mut unknown = submission();
        unknown["password"] = json!("x");
        let reply = app.post("/api/v1/public/requests").json(&unknown).send().await;
        reply.assert_problem(422, "validation");
        assert_eq!(reply.error_fields(), ["password"]);
        let mut bad_kind = submission();
        bad_kind["proposed_kind"] = json!("praise");
        let reply = app.post("/api/v1/public/requests").json(&bad_kind).send().await;
        reply.assert_problem(422, "validation");
        assert_eq!(reply.error_fields(), ["proposed_kind"]);
        let reply = app.post(&withdraw).json(&json!({"mobile": "09123456789", "reason": "x"})).send().await;
        reply.assert_problem(422, "validation");
        assert_eq!(app.snapshot(), before);
    }

    async fn the_citizen_withdraws_with_the_right_mobile_only(app) {
        let code = submit(&app, &submission()).await["tracking_code"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/public/requests/{code}/withdrawal");
        let before = app.snapshot();
        let wrong = app.post(&path).json(&json!({"mobile": "09350000000"})).send().await;
        wrong.assert_problem(403, "forbidden");
        assert_no_identity(&wrong.text());
        app.post(&path).json(&json!({"mobile": "0912-345"})).send().await.assert_problem(422, "validation");
        assert_eq!(app.snapshot(), before, "a refused withdrawal changes nothing");

        let reply = app.post(&path).json(&json!({"mobile": "+989123456789"})).send().await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert_no_identity(&reply.text());
        let view = reply.json();
        assert_eq!(view["status"], "closed");
        assert_eq!(view["resolution"], "withdrawn");
        assert!(view["closed_at"].is_string());
        let actions: Vec<&str> = view["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["registered", "withdrawn"]);
        let looked_up = app.get(&format!("/api/v1/public/requests/{code}")).send().await.json();
        assert_eq!(looked_up, view);

        let again = app.post(&path).json(&json!({"mobile": "09123456789"})).send().await;
        let problem = again.assert_problem(409, "transition-not-allowed");
        assert!(problem["detail"].as_str().unwrap().contains("closed"), "{problem}");
        let id = request_id(&app, &code).await;
        assert_eq!(app.notifications_of(&id).len(), 1, "withdrawal sends no SMS");
    }
}

/// A twin of a submission that is still being written waits for it; past the wait, 409. Only on
/// PostgreSQL, where the wait is per key (SQLite has one writer; it waits for its busy timeout).
/// The lock wait is made short so that the test need not wait the default 5 s.
#[actix_web::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "MARDOM_TEST_POSTGRES_URL was not set when the tests were built"
)]
async fn a_key_held_by_an_unfinished_submission_is_409_after_the_wait() {
    use diesel::RunQueryDsl;
    const LOCK_WAIT_MS: u64 = 300;
    let app = TestApp::postgres(&[("MARDOM_DB_LOCK_WAIT_MS", &LOCK_WAIT_MS.to_string())]).await;
    let mut holder = app.pool.get().unwrap();
    diesel::sql_query("BEGIN").execute(&mut *holder).unwrap();
    diesel::sql_query(
        "INSERT INTO idempotency_keys (scope, idempotency_key, fingerprint, response_status, response_body, created_at, expires_at) \
         VALUES ('public_request', 'held', 'x', 0, '', now(), now() + interval '1 day')",
    )
    .execute(&mut *holder)
    .unwrap();
    let started = std::time::Instant::now();
    let reply = app
        .post("/api/v1/public/requests")
        .header("idempotency-key", "held")
        .json(&submission())
        .send()
        .await;
    reply.assert_problem(409, "idempotency-key-in-use");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(LOCK_WAIT_MS),
        "it waited first"
    );
    diesel::sql_query("ROLLBACK").execute(&mut *holder).unwrap();
    drop(holder);
    assert_eq!(app.count("requests"), 0);
    assert_eq!(app.count("notifications"), 0);
}

/// Rate limits, with small limits so that the tests reach them.
mod rate_limits {
    use super::*;

    const LIMITS: &[(&str, &str)] = &[
        ("MARDOM_LOOKUPS_PER_CLIENT_MINUTE", "3"),
        ("MARDOM_SUBMISSIONS_PER_CLIENT_HOUR", "4"),
        ("MARDOM_SUBMISSIONS_PER_MOBILE_DAY", "2"),
    ];

    async fn lookups_are_limited_per_client_address(app: TestApp) {
        let code = submit(&app, &submission()).await["tracking_code"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = format!("/api/v1/public/requests/{code}");
        for _ in 0..3 {
            assert_eq!(app.get(&path).send().await.status, StatusCode::OK);
        }
        let refused = app.get(&path).send().await;
        refused.assert_problem(429, "too-many-requests");
        let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(
            app.get(&path)
                .sent_from("198.51.100.9:1")
                .send()
                .await
                .status,
            StatusCode::OK,
            "another address is counted apart"
        );
        // Per mobile number too: three proofs with one number from three addresses, the fourth refused.
        for (i, address) in [
            "198.51.100.21:1",
            "198.51.100.22:1",
            "198.51.100.23:1",
            "198.51.100.24:1",
        ]
        .iter()
        .enumerate()
        {
            let reply = app
                .post(&format!("{path}/withdrawal"))
                .sent_from(address)
                .json(&json!({"mobile": "09357778899"}))
                .send()
                .await;
            if i < 3 {
                reply.assert_problem(403, "forbidden");
            } else {
                let problem = reply.assert_problem(429, "too-many-requests");
                assert!(
                    problem["detail"].as_str().unwrap().contains("mobile"),
                    "{problem}"
                );
            }
        }
        // Withdrawal and rating count against the same allowance: guessing a mobile number for
        // a known code is as limited as guessing codes.
        let before = app.snapshot();
        app.post(&format!("{path}/withdrawal"))
            .json(&json!({"mobile": "09350000000"}))
            .send()
            .await
            .assert_problem(429, "too-many-requests");
        app.post(&format!("{path}/rating"))
            .json(&json!({"mobile": "09350000000", "score": 5}))
            .send()
            .await
            .assert_problem(429, "too-many-requests");
        assert_eq!(app.snapshot(), before);
    }

    async fn submissions_are_limited_per_mobile_and_per_address(app: TestApp) {
        submit(&app, &submission()).await;
        submit(&app, &submission()).await;
        let before = app.snapshot();
        let refused = app
            .post("/api/v1/public/requests")
            .json(&submission())
            .send()
            .await;
        let problem = refused.assert_problem(429, "too-many-requests");
        assert!(
            problem["detail"].as_str().unwrap().contains("mobile"),
            "{problem}"
        );
        assert!(refused.header("retry-after").is_some());
        assert_eq!(app.snapshot(), before);
        let mut other = submission();
        other["mobile"] = json!("09351112233");
        submit(&app, &other).await;
        // The address has now made 4 submissions (one refused): the fifth is refused for it.
        other["mobile"] = json!("09351112244");
        let problem = app
            .post("/api/v1/public/requests")
            .json(&other)
            .send()
            .await
            .assert_problem(429, "too-many-requests");
        assert!(
            problem["detail"].as_str().unwrap().contains("address"),
            "{problem}"
        );
    }

    /// The original submissions use up the per-mobile and the per-address allowance; their
    /// retries with the same key still get their stored answers, and counting them would have
    /// refused the later submission from a fresh address.
    async fn a_replay_is_answered_when_the_limits_are_used_up_and_never_counts(app: TestApp) {
        let keyed = |key: &str, body: &Value| {
            app.post("/api/v1/public/requests")
                .header("Idempotency-Key", key)
                .json(body)
        };
        let mut firsts = Vec::new();
        for (key, mobile) in [
            ("k-1", "09123456789"),
            ("k-2", "09123456789"),
            ("k-3", "09351112233"),
            ("k-4", "09351112244"),
        ] {
            let mut body = submission();
            body["mobile"] = json!(mobile);
            let reply = keyed(key, &body).send().await;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
            firsts.push((key, body, reply.json()["tracking_code"].clone()));
        }
        let mut fifth = submission();
        fifth["mobile"] = json!("09351112255");
        keyed("k-5", &fifth)
            .send()
            .await
            .assert_problem(429, "too-many-requests");
        let before = app.snapshot();
        for (key, body, code) in &firsts {
            for address in [super::super::support::CLIENT_ADDRESS, "198.51.100.77:1"] {
                let replay = keyed(key, body).sent_from(address).send().await;
                assert_eq!(
                    replay.status,
                    StatusCode::CREATED,
                    "{key}: {}",
                    replay.text()
                );
                assert_eq!(
                    replay.header("idempotent-replayed").as_deref(),
                    Some("true")
                );
                assert_eq!(&replay.json()["tracking_code"], code);
                assert_eq!(
                    replay.header("location"),
                    Some(format!(
                        "/api/v1/public/requests/{}",
                        code.as_str().unwrap()
                    ))
                );
            }
        }
        // Twelve at once, from one fresh address: every one answered, none counted.
        let (key, body, code) = &firsts[1];
        let replays = futures_util::future::join_all(
            (0..12).map(|_| keyed(key, body).sent_from("198.51.100.77:1").send()),
        )
        .await;
        for replay in &replays {
            assert_eq!(replay.status, StatusCode::CREATED, "{}", replay.text());
            assert_eq!(&replay.json()["tracking_code"], code);
        }
        assert_eq!(app.snapshot(), before, "no second request, no second SMS");
        // Twenty replays came from 198.51.100.77 without counting: its allowance of 4 is whole.
        let reply = keyed("k-6", &fifth)
            .sent_from("198.51.100.77:1")
            .send()
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        // The same key with another body is still refused, and writes nothing.
        let before = app.snapshot();
        let mut changed = firsts[0].1.clone();
        changed["text"] = json!("متن دیگری برای درخواستی دیگر با همان کلید");
        let problem = keyed("k-1", &changed)
            .send()
            .await
            .assert_problem(422, "validation");
        assert_eq!(problem["errors"][0]["code"], "key_reused", "{problem}");
        assert_eq!(app.snapshot(), before);
    }

    #[actix_web::test]
    async fn replays_sqlite() {
        a_replay_is_answered_when_the_limits_are_used_up_and_never_counts(
            TestApp::sqlite(LIMITS).await,
        )
        .await;
    }

    #[actix_web::test]
    #[cfg_attr(
        not(postgres_tests),
        ignore = "MARDOM_TEST_POSTGRES_URL was not set when the tests were built"
    )]
    async fn replays_postgres() {
        a_replay_is_answered_when_the_limits_are_used_up_and_never_counts(
            TestApp::postgres(LIMITS).await,
        )
        .await;
    }

    #[actix_web::test]
    async fn lookups_sqlite() {
        lookups_are_limited_per_client_address(TestApp::sqlite(LIMITS).await).await;
    }

    #[actix_web::test]
    #[cfg_attr(
        not(postgres_tests),
        ignore = "MARDOM_TEST_POSTGRES_URL was not set when the tests were built"
    )]
    async fn lookups_postgres() {
        lookups_are_limited_per_client_address(TestApp::postgres(LIMITS).await).await;
    }

    #[actix_web::test]
    async fn submissions_sqlite() {
        submissions_are_limited_per_mobile_and_per_address(TestApp::sqlite(LIMITS).await).await;
    }

    #[actix_web::test]
    #[cfg_attr(
        not(postgres_tests),
        ignore = "MARDOM_TEST_POSTGRES_URL was not set when the tests were built"
    )]
    async fn submissions_postgres() {
        submissions_are_limited_per_mobile_and_per_address(TestApp::postgres(LIMITS).await).await;
    }
}

pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A code with a valid check digit that differs from `code`.
pub(crate) fn valid_code_other_than(code: &str) -> String {
    let mut rng = rand::rng();
    loop {
        let candidate = mardom::domain::tracking_code::TrackingCode::generate(&mut rng);
        if candidate.as_str() != code {
            return candidate.as_str().to_owned();
        }
    }
}
