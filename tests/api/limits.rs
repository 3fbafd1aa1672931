//! The abuse limits under concurrency and across instances: N concurrent requests admit
//! exactly the limit, on one instance and on two sharing a PostgreSQL database; and migrations
//! that any number of instances can start at once.

use std::time::Instant;

use actix_web::http::StatusCode;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::support::{ADMIN_PASSWORD, Reply, TestApp, on_both_backends};

fn submission(mobile: &str) -> Value {
    json!({
        "name": "مریم احمدی", "mobile": mobile,
        "text": "درخواست رسیدگی به وضعیت پرونده درمانی پدرم در بخش قلب"
    })
}

/// The statuses of `replies`, counted: (2xx of `ok`, 429s). Every 429 must carry Retry-After.
fn tally(replies: &[Reply], ok: StatusCode) -> (usize, usize) {
    let mut counts = (0, 0);
    for reply in replies {
        if reply.status == ok {
            counts.0 += 1;
        } else {
            let problem = reply.assert_problem(429, "too-many-requests");
            let wait: u64 = reply
                .header("retry-after")
                .and_then(|w| w.parse().ok())
                .unwrap_or_else(|| panic!("429 without Retry-After: {problem}"));
            assert!(wait >= 1, "{wait}");
            counts.1 += 1;
        }
    }
    counts
}

/// `n` submissions for one mobile number, all at once, spread over `instances`.
async fn submit_concurrently(instances: &[&TestApp], n: usize, mobile: &str) -> Vec<Reply> {
    let calls = (0..n).map(|i| {
        instances[i % instances.len()]
            .post("/api/v1/public/requests")
            .sent_from(&format!("198.51.100.{}:1", i % 200 + 1))
            .json(&submission(mobile))
            .send()
    });
    join_all(calls).await
}

fn sms_queued(app: &TestApp, template: &str) -> i64 {
    use diesel::prelude::*;
    use mardom::db::schema::notifications::dsl;
    let mut conn = app.pool.get().unwrap();
    dsl::notifications
        .filter(dsl::template.eq(template))
        .count()
        .get_result(&mut *conn)
        .unwrap()
}

const PER_MOBILE: &[(&str, &str)] = &[
    ("MARDOM_SUBMISSIONS_PER_MOBILE_DAY", "5"),
    ("MARDOM_SUBMISSIONS_PER_CLIENT_HOUR", "off"),
];

on_both_backends! {
    with PER_MOBILE;
    async fn fifty_concurrent_submissions_for_one_mobile_file_exactly_the_daily_limit(app) {
        let started = Instant::now();
        let replies = submit_concurrently(&[&app], 50, "09121234567").await;
        let (filed, refused) = tally(&replies, StatusCode::CREATED);
        eprintln!(
            "FIGURES per-mobile, one instance: {filed} filed, {refused} refused in {:?}",
            started.elapsed()
        );
        assert_eq!((filed, refused), (5, 45));
        assert_eq!(app.count("requests"), 5);
        assert_eq!(
            sms_queued(&app, "tracking_code_issued"),
            5,
            "exactly as many SMS as requests"
        );
        // Another number is counted apart.
        let other = submit_concurrently(&[&app], 1, "09351112233").await;
        assert_eq!(other[0].status, StatusCode::CREATED, "{}", other[0].text());
    }
}

/// Two meeting requests a month per number; the other limits out of the way.
const MEETINGS_PER_MOBILE: &[(&str, &str)] = &[
    ("MARDOM_MEETING_REQUESTS_PER_MOBILE", "2"),
    ("MARDOM_SUBMISSIONS_PER_MOBILE_DAY", "off"),
    ("MARDOM_SUBMISSIONS_PER_CLIENT_HOUR", "off"),
];

/// `n` meeting requests for one number at once, spread over `instances`.
async fn meeting_requests(instances: &[&TestApp], n: usize, mobile: &str) -> Vec<Reply> {
    let calls = (0..n).map(|i| {
        let mut body = submission(mobile);
        body["proposed_kind"] = json!("meeting");
        instances[i % instances.len()]
            .post("/api/v1/public/requests")
            .sent_from(&format!("198.51.100.{}:1", i % 200 + 1))
            .json(&body)
            .send()
    });
    join_all(calls).await
}

on_both_backends! {
    with MEETINGS_PER_MOBILE;
    async fn ten_concurrent_meeting_requests_for_one_mobile_file_exactly_the_allowance(app) {
        let replies = meeting_requests(&[&app], 10, "09121234567").await;
        let (filed, refused) = tally(&replies, StatusCode::CREATED);
        eprintln!("FIGURES meeting requests per mobile, one instance: {filed} filed, {refused} refused");
        assert_eq!((filed, refused), (2, 8));
        let problem = replies.iter().find(|r| r.status.as_u16() == 429).unwrap().json();
        assert_eq!(problem["detail"].as_str().unwrap().split(';').next(), Some("too many meeting requests for this mobile number"));
        assert_eq!(app.count("requests"), 2);
        assert_eq!(sms_queued(&app, "tracking_code_issued"), 2);
        // Other kinds from the same number are not meeting requests.
        let other = submit_concurrently(&[&app], 3, "09121234567").await;
        assert_eq!(tally(&other, StatusCode::CREATED), (3, 0));
    }
}

const TWO_PER_MOBILE: &[(&str, &str)] = &[
    ("MARDOM_SUBMISSIONS_PER_MOBILE_DAY", "2"),
    ("MARDOM_SUBMISSIONS_PER_CLIENT_HOUR", "3"),
];

on_both_backends! {
    with TWO_PER_MOBILE;
    /// Twelve copies of one keyed submission at once, with an allowance of two for the number:
    /// the twins are answered with the first one's answer and give their places back, so a
    /// second submission for the number still fits and only the third is refused.
    async fn concurrent_twins_count_once(app) {
        let calls = (0..12).map(|_| {
            app.post("/api/v1/public/requests")
                .header("Idempotency-Key", "twin-key")
                .json(&submission("09121234567"))
                .send()
        });
        let replies = join_all(calls).await;
        let codes: std::collections::HashSet<String> = replies
            .iter()
            .filter(|r| r.status == StatusCode::CREATED)
            .map(|r| r.json()["tracking_code"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(codes.len(), 1, "one request for one key");
        let second = submit_concurrently(&[&app], 1, "09121234567").await;
        assert_eq!(
            second[0].status,
            StatusCode::CREATED,
            "{}",
            second[0].text()
        );
        let third = submit_concurrently(&[&app], 1, "09121234567").await;
        third[0].assert_problem(429, "too-many-requests");
        assert_eq!(app.count("requests"), 2);
    }
}

async fn wrong_password(app: &TestApp, username: &str) -> Reply {
    app.post("/api/v1/auth/token")
        .json(&json!({"username": username, "password": "not-the-password"}))
        .send()
        .await
}

on_both_backends! {
    /// 40 wrong passwords for one username at once: exactly the allowance (5) is checked
    /// (401), the rest refused before any hash (429); then even the right password waits.
    async fn forty_concurrent_wrong_passwords_check_exactly_five(app) {
        let replies = join_all((0..40).map(|_| wrong_password(&app, "admin"))).await;
        let mut checked = 0;
        let mut refused = 0;
        for reply in &replies {
            match reply.status.as_u16() {
                401 => checked += 1,
                _ => {
                    reply.assert_problem(429, "too-many-requests");
                    refused += 1;
                }
            }
        }
        eprintln!("FIGURES sign-in, one instance: {checked} checked, {refused} refused");
        assert_eq!((checked, refused), (5, 35));
        app.post("/api/v1/auth/token")
            .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
            .send()
            .await
            .assert_problem(429, "too-many-requests");
    }
}

const SIGN_IN: &[(&str, &str)] = &[("MARDOM_SIGNIN_MAX_FAILURES_PER_ADDRESS", "3")];

/// 20 wrong passwords at once from one address, each for another username: the address's
/// allowance (3) is checked, the rest refused naming the address; returns (checked, refused).
async fn twenty_from_one_address(instances: &[&TestApp]) -> (usize, usize) {
    let replies = join_all((0..20).map(|i| {
        instances[i % instances.len()]
            .post("/api/v1/auth/token")
            .sent_from("198.51.100.80:1")
            .json(&json!({"username": format!("guess{i}"), "password": "not-the-password"}))
            .send()
    }))
    .await;
    let mut counts = (0, 0);
    for reply in &replies {
        if reply.status.as_u16() == 401 {
            reply.assert_problem(401, "invalid-credentials");
            counts.0 += 1;
        } else {
            let problem = reply.assert_problem(429, "too-many-requests");
            assert!(
                problem["detail"].as_str().unwrap().contains("address"),
                "{problem}"
            );
            counts.1 += 1;
        }
    }
    counts
}

on_both_backends! {
    with SIGN_IN;
    async fn twenty_concurrent_failures_from_one_address_check_exactly_its_allowance(app) {
        assert_eq!(twenty_from_one_address(&[&app]).await, (3, 17));
    }
}

on_both_backends! {
    with SIGN_IN;
    /// Failures from one address across many usernames stop at the per-address allowance, and
    /// a success gives its place back and clears the username's failures.
    async fn failures_from_one_address_are_limited_and_a_success_gives_back(app) {
        for i in 0..3 {
            wrong_password(&app, &format!("someone{i}"))
                .await
                .assert_problem(401, "invalid-credentials");
        }
        let refused = wrong_password(&app, "someone-else").await;
        let problem = refused.assert_problem(429, "too-many-requests");
        assert!(
            problem["detail"].as_str().unwrap().contains("address"),
            "{problem}"
        );
        let elsewhere = app
            .post("/api/v1/auth/token")
            .sent_from("198.51.100.50:1")
            .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
            .send()
            .await;
        assert_eq!(elsewhere.status, StatusCode::OK, "{}", elsewhere.text());
        // From a fresh address: 2 failures, a success, and the username has its 5 again.
        let fresh = |password: &str| {
            app.post("/api/v1/auth/token")
                .sent_from("198.51.100.60:1")
                .json(&json!({"username": "admin", "password": password}))
        };
        fresh("wrong-1")
            .send()
            .await
            .assert_problem(401, "invalid-credentials");
        fresh("wrong-2")
            .send()
            .await
            .assert_problem(401, "invalid-credentials");
        assert_eq!(fresh(ADMIN_PASSWORD).send().await.status, StatusCode::OK);
        fresh("wrong-3")
            .send()
            .await
            .assert_problem(401, "invalid-credentials");
    }
}

#[cfg(postgres_tests)]
mod across_two_instances {
    use super::*;
    use crate::support::EmptyPostgres;

    #[actix_web::test]
    async fn fifty_submissions_for_one_mobile_file_exactly_the_daily_limit() {
        let a = TestApp::postgres(PER_MOBILE).await;
        let b = a.second_instance(PER_MOBILE).await;
        let replies = submit_concurrently(&[&a, &b], 50, "09121234567").await;
        let (filed, refused) = tally(&replies, StatusCode::CREATED);
        eprintln!("FIGURES per-mobile, two instances: {filed} filed, {refused} refused");
        assert_eq!((filed, refused), (5, 45));
        assert_eq!(a.count("requests"), 5);
        assert_eq!(sms_queued(&a, "tracking_code_issued"), 5);
    }

    #[actix_web::test]
    async fn meeting_requests_per_mobile_hold_across_instances() {
        let a = TestApp::postgres(MEETINGS_PER_MOBILE).await;
        let b = a.second_instance(MEETINGS_PER_MOBILE).await;
        let replies = meeting_requests(&[&a, &b], 10, "09121234567").await;
        let (filed, refused) = tally(&replies, StatusCode::CREATED);
        eprintln!(
            "FIGURES meeting requests per mobile, two instances: {filed} filed, {refused} refused"
        );
        assert_eq!((filed, refused), (2, 8));
        assert_eq!(a.count("requests"), 2);
    }

    #[actix_web::test]
    async fn lookups_per_client_hold_across_instances_and_a_restart() {
        let env = [("MARDOM_LOOKUPS_PER_CLIENT_MINUTE", "10")];
        let a = TestApp::postgres(&env).await;
        let b = a.second_instance(&env).await;
        let path = "/api/v1/public/requests/483920175523";
        let replies = join_all((0..30).map(|i| [&a, &b][i % 2].get(path).send())).await;
        let (found, refused) = tally(&replies, StatusCode::NOT_FOUND);
        eprintln!("FIGURES lookups, two instances: {found} answered, {refused} refused");
        assert_eq!((found, refused), (10, 20));
        // A restarted instance (new process state) still finds the window full.
        let restarted = a.second_instance(&env).await;
        restarted
            .get(path)
            .send()
            .await
            .assert_problem(429, "too-many-requests");
    }

    #[actix_web::test]
    async fn failures_from_one_address_over_two_instances_check_exactly_its_allowance() {
        let a = TestApp::postgres(SIGN_IN).await;
        let b = a.second_instance(SIGN_IN).await;
        assert_eq!(twenty_from_one_address(&[&a, &b]).await, (3, 17));
    }

    #[actix_web::test]
    async fn forty_wrong_passwords_over_two_instances_check_exactly_five() {
        let a = TestApp::postgres(&[]).await;
        let b = a.second_instance(&[]).await;
        let replies = join_all((0..40).map(|i| wrong_password([&a, &b][i % 2], "admin"))).await;
        let checked = replies.iter().filter(|r| r.status.as_u16() == 401).count();
        eprintln!("FIGURES sign-in, two instances: {checked} checked of 40");
        assert_eq!(checked, 5);
    }

    /// Four instances started at once on an empty database: one migrates and creates the first
    /// admin and the demo data, the others wait for it; all serve, and each migration is
    /// applied once, the admin created once.
    #[actix_web::test]
    async fn four_instances_started_at_once_on_an_empty_database_all_serve() {
        use diesel::prelude::*;
        let empty = EmptyPostgres::new();
        let started = Instant::now();
        let instances = join_all((0..4).map(|_| {
            let url = empty.url.clone();
            // Each start on its own thread, as four processes would.
            tokio::task::spawn_blocking(move || {
                let settings = mardom::config::Settings::from_lookup(|name| match name {
                    "DATABASE_URL" => Some(url.clone()),
                    "MARDOM_DB_POOL_SIZE" => Some("2".to_owned()),
                    "MARDOM_ADMIN_PASSWORD" => Some(ADMIN_PASSWORD.to_owned()),
                    "MARDOM_DEMO" => Some("1".to_owned()),
                    _ => None,
                })
                .expect("settings");
                // What `serve` does before it binds: migrate, then create the first admin
                // and the demo data.
                let pool = mardom::server::open_database(&settings)?;
                mardom::server::bootstrap(&settings, &pool)
            })
        }))
        .await;
        eprintln!(
            "FIGURES migrations: 4 instances ready in {:?}",
            started.elapsed()
        );
        for started in instances {
            started.expect("thread").expect("the instance started");
        }
        let mut conn = PgConnection::establish(&empty.url).unwrap();
        #[derive(QueryableByName)]
        struct Applied {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            versions: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            distinct_versions: i64,
        }
        let applied: Applied = diesel::sql_query(
            "SELECT count(*) AS versions, count(DISTINCT version) AS distinct_versions \
             FROM __diesel_schema_migrations",
        )
        .get_result(&mut conn)
        .unwrap();
        let on_disk = std::fs::read_dir("migrations/postgres")
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_dir())
            .count() as i64;
        assert_eq!(applied.versions, on_disk, "every migration applied");
        assert_eq!(applied.distinct_versions, on_disk, "none twice");
        #[derive(QueryableByName)]
        struct Admins {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let admins: Admins =
            diesel::sql_query("SELECT count(*) AS n FROM users WHERE role = 'admin'")
                .get_result(&mut conn)
                .unwrap();
        assert_eq!(admins.n, 1, "one first admin");
        // And they serve: an app on the migrated database answers.
        let app = TestApp::on_url(&empty.url, &[]).await;
        let reply = app.get("/health/ready").send().await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    }
}

/// What counting in the SQLite file would cost beside counting in memory (a measurement for
/// RELIABILITY.md, not a test: `cargo test --test api sqlite_counter_cost -- --ignored
/// --nocapture`). The file variant is the PostgreSQL upsert, run on SQLite in a write
/// transaction as any write there is.
#[actix_web::test]
#[ignore = "a measurement"]
async fn sqlite_counter_cost() {
    use mardom::app::limits::Limits;
    use mardom::domain::limits::{Allowance, Limit};
    const HITS: u32 = 2000;
    let app = TestApp::sqlite(&[]).await;
    let allowance = Allowance::new(u32::MAX - 1, std::time::Duration::from_secs(3600));
    let limits = Limits::new([(Limit::LookupsPerClient, allowance)], false, b"secret").unwrap();
    let mut conn = app.pool.get().unwrap();
    let began = Instant::now();
    for i in 0..HITS {
        limits
            .hit(
                &mut conn,
                Limit::LookupsPerClient,
                &format!("203.0.113.{}", i % 50),
            )
            .unwrap();
    }
    let memory = began.elapsed() / HITS;
    let began = Instant::now();
    for i in 0..HITS {
        let now = mardom::db::now();
        mardom::db::write_transaction(&mut conn, |conn| {
            mardom::db::counters::hit(
                conn,
                "lookups_per_client",
                &format!("203.0.113.{}", i % 50),
                now,
                now + chrono::Duration::hours(1),
                u32::MAX - 1,
            )
        })
        .unwrap()
        .unwrap();
    }
    let file = began.elapsed() / HITS;
    eprintln!("FIGURES SQLite counter per hit: memory {memory:?}, file {file:?}");
}
