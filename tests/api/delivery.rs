//! SMS delivery against a local fake provider (wiremock speaking the generic `http` gateway's
//! protocol): rendering, retries after 5xx, a timeout after acceptance, permanent failures,
//! delivery reports, two dispatchers sharing one queue, the per-number cap across them, leases
//! renewed under a slow provider, a dispatcher killed or stopped mid-batch.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use mardom::db::notifications::{self, NotificationRow};
use mardom::domain::ids::NotificationId;
use mardom::domain::lifecycle::Template;
use mardom::domain::templates::Templates;
use mardom::notify::dispatcher::{Dispatcher, DispatcherSettings};
use mardom::notify::gateway::{SmsSettings, from_settings};

use crate::support::TestApp;

pub const CENTER: &str = "مرکز آموزشی درمانی شهید رجایی";
const SECRET: &str = "callback-secret-for-tests";

fn env(fake: &MockServer) -> Vec<(String, String)> {
    env_timed(fake, Duration::from_millis(300))
}

/// The settings with another timeout for one call to the provider.
fn env_timed(fake: &MockServer, timeout: Duration) -> Vec<(String, String)> {
    vec![
        ("MARDOM_SMS_PROVIDER".into(), "http".into()),
        ("MARDOM_SMS_HTTP_URL".into(), format!("{}/sms", fake.uri())),
        (
            "MARDOM_SMS_TIMEOUT_MS".into(),
            timeout.as_millis().to_string(),
        ),
        ("MARDOM_SMS_CALLBACK_SECRET".into(), SECRET.into()),
        ("MARDOM_CENTER_NAME".into(), CENTER.into()),
    ]
}

fn as_refs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// A dispatcher on the app's database and the fake provider, with no waiting between retries.
fn dispatcher(app: &TestApp, fake: &MockServer, settings: DispatcherSettings) -> Dispatcher {
    dispatcher_timed(app, fake, settings, Duration::from_millis(300))
}

/// A dispatcher whose calls to the provider time out after `timeout`.
fn dispatcher_timed(
    app: &TestApp,
    fake: &MockServer,
    settings: DispatcherSettings,
    timeout: Duration,
) -> Dispatcher {
    let vars: HashMap<String, String> = env_timed(fake, timeout).into_iter().collect();
    let sms = SmsSettings::from_lookup(|name| vars.get(name).cloned()).expect("sms settings");
    let gateway = from_settings(&sms).expect("gateway");
    Dispatcher::new(
        app.pool.clone(),
        gateway,
        Arc::new(Templates::new(CENTER)),
        app.rules.vault.clone(),
        settings,
    )
}

fn quick() -> DispatcherSettings {
    DispatcherSettings {
        backoff: Duration::ZERO,
        idle: Duration::from_millis(10),
        per_recipient_cap: 0,
        ..DispatcherSettings::default()
    }
}

/// Runs passes until nothing is claimed.
async fn drain(dispatcher: &Dispatcher) -> usize {
    let mut claimed = 0;
    for _ in 0..1000 {
        let pass = dispatcher.run_once().await.expect("pass");
        if pass.claimed == 0 {
            return claimed;
        }
        claimed += pass.claimed;
    }
    panic!("the queue did not drain");
}

/// Queues `n` messages, each with its own parameters.
fn queue(app: &TestApp, n: usize) {
    let mut conn = app.pool.get().unwrap();
    let now = mardom::db::now();
    for i in 0..n {
        let row = NotificationRow::pending(
            None,
            Template::Resolved,
            &app.sealed("+989121234567"),
            json!({"tracking_code": code(), "n": i}).to_string(),
            now,
        );
        notifications::insert(&mut conn, &row).unwrap();
    }
}

/// Two dispatchers with production-like settings: batches of 100, 32 in flight each.
fn two_dispatchers(app: &TestApp, fake: &MockServer) -> (Dispatcher, Dispatcher) {
    let settings = DispatcherSettings {
        batch: 100,
        concurrency: 32,
        ..quick()
    };
    (
        dispatcher(app, fake, settings.clone()),
        dispatcher(app, fake, settings),
    )
}

/// The bodies the fake provider accepted for sending, by message id.
async fn sends(fake: &MockServer) -> Vec<Value> {
    fake.received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == "/sms")
        .map(|r| serde_json::from_slice(&r.body).expect("JSON body"))
        .collect()
}

/// A valid tracking code (the templates refuse one whose check digit is wrong).
fn code() -> String {
    mardom::domain::tracking_code::TrackingCode::generate(&mut rand::rng())
        .as_str()
        .to_owned()
}

fn row(app: &TestApp, id: &str) -> NotificationRow {
    let mut conn = app.pool.get().unwrap();
    notifications::find(&mut conn, &NotificationId::stored(id.to_owned()))
        .unwrap()
        .expect("notification")
}

fn enqueue(app: &TestApp, template: &str, recipient: &str, params: Value) -> String {
    let row = NotificationRow::pending(
        None,
        Template::parse(template).expect("a template name"),
        &app.sealed(recipient),
        params.to_string(),
        mardom::db::now(),
    );
    let mut conn = app.pool.get().unwrap();
    notifications::insert(&mut conn, &row).unwrap();
    row.id.to_string()
}

/// A provider that accepts every message and, asked by our id, tells whether it has it — as
/// Kavenegar's lookup by `localid` does.
async fn accepting(fake: &MockServer) -> Accepted {
    let received: Accepted = Arc::default();
    let seen = received.clone();
    let accepted = received.clone();
    Mock::given(method("POST"))
        .and(path_regex("^/sms$"))
        .respond_with(move |request: &wiremock::Request| {
            if let Ok(body) = serde_json::from_slice::<Value>(&request.body)
                && let Some(id) = body["id"].as_str()
            {
                *seen.lock().unwrap().entry(id.to_owned()).or_default() += 1;
            }
            ResponseTemplate::new(200).set_body_json(json!({"id": "provider-1"}))
        })
        .mount(fake)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/sms/.+$"))
        .respond_with(move |request: &wiremock::Request| {
            let id = request
                .url
                .path()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            if received.lock().unwrap().contains_key(&id) {
                ResponseTemplate::new(200).set_body_json(json!({"status": "queued"}))
            } else {
                ResponseTemplate::new(404)
            }
        })
        .mount(fake)
        .await;
    accepted
}

/// How many times the fake provider accepted each message id.
type Accepted = Arc<std::sync::Mutex<HashMap<String, usize>>>;

macro_rules! with_fake {
    ($(async fn $name:ident($app:ident, $fake:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[actix_web::test]
                async fn sqlite() {
                    let $fake = MockServer::start().await;
                    let vars = env(&$fake);
                    let $app = TestApp::sqlite(&as_refs(&vars)).await;
                    $body
                }

                #[actix_web::test]
                #[cfg_attr(not(postgres_tests), ignore = "MARDOM_TEST_POSTGRES_URL was not set when the tests were built")]
                async fn postgres() {
                    let $fake = MockServer::start().await;
                    let vars = env(&$fake);
                    let $app = TestApp::postgres(&as_refs(&vars)).await;
                    $body
                }
            }
        )*
    };
}

with_fake! {
    async fn a_registration_sms_reaches_the_provider_once_in_persian(app, fake) {
        accepting(&fake).await;
        let code = crate::public::submit(&app, &crate::public::submission()).await["tracking_code"].as_str().unwrap().to_owned();
        let dispatcher = dispatcher(&app, &fake, quick());
        assert_eq!(drain(&dispatcher).await, 1);
        let sent = sends(&fake).await;
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0]["to"], "+989123456789");
        let persian_code = mardom::domain::jalali::persian_digits(&code);
        let text = sent[0]["text"].as_str().unwrap();
        assert!(text.contains(&persian_code) && text.contains(CENTER), "{text}");
        let id = sent[0]["id"].as_str().unwrap();
        let stored = row(&app, id);
        assert_eq!(stored.status.as_str(), "sent");
        assert_eq!(stored.provider_message_id.as_deref(), Some("provider-1"));
        assert_eq!(drain(&dispatcher).await, 0, "nothing is sent twice");
        assert_eq!(sends(&fake).await.len(), 1);
    }

    async fn every_template_is_rendered_and_delivered(app, fake) {
        accepting(&fake).await;
        let params = |extra: Value| {
            let mut p = json!({"tracking_code": code()});
            p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            p
        };
        let meeting = json!({"starts_at": "2026-03-21T07:00:00+00:00", "place": "دفتر ریاست"});
        let cases = [
            ("tracking_code_issued", params(json!({}))),
            ("referred", params(json!({"unit": "واحد امور مالی"}))),
            ("thanked", params(json!({"kind": "suggestion"}))),
            ("meeting_scheduled", params(meeting.clone())),
            ("meeting_rescheduled", params(meeting)),
            ("meeting_cancelled", params(json!({}))),
            ("meeting_redirected", params(json!({"unit": "واحد امور مالی"}))),
            ("meeting_declined", params(json!({"reason": "موضوع در حیطه‌ی مرکز نیست"}))),
            ("meeting_no_action", params(json!({}))),
            ("resolved", params(json!({}))),
        ];
        let templates = Templates::new(CENTER);
        let mut expected = HashMap::new();
        for (template, params) in &cases {
            let id = enqueue(&app, template, "+989121234567", params.clone());
            let template = Template::parse(template).expect("a template name");
            expected.insert(id, templates.render(template, params).unwrap().text);
        }
        let dispatcher = dispatcher(&app, &fake, quick());
        assert_eq!(drain(&dispatcher).await, cases.len());
        let sent = sends(&fake).await;
        assert_eq!(sent.len(), cases.len());
        for body in sent {
            let id = body["id"].as_str().unwrap();
            assert_eq!(body["text"].as_str(), expected.get(id).map(String::as_str), "{id}");
            assert_eq!(row(&app, id).status.as_str(), "sent");
        }
    }

    async fn a_provider_down_for_three_attempts_delivers_exactly_once_after(app, fake) {
        Mock::given(method("POST")).and(path_regex("^/sms$"))
            .respond_with(ResponseTemplate::new(500)).up_to_n_times(3).with_priority(1)
            .mount(&fake).await;
        accepting(&fake).await;
        let id = enqueue(&app, "resolved", "+989121234567", json!({"tracking_code": code()}));
        let dispatcher = dispatcher(&app, &fake, quick());
        for _ in 0..10 {
            dispatcher.run_once().await.unwrap();
        }
        let stored = row(&app, &id);
        assert_eq!(stored.status.as_str(), "sent", "{stored:?}");
        assert_eq!(stored.attempts, 4);
        let posts = sends(&fake).await;
        assert_eq!(posts.len(), 4, "3 refused + 1 accepted");
        let received = fake.received_requests().await.unwrap();
        let accepted = received.iter().filter(|r| r.method.as_str() == "POST").count() - 3;
        assert_eq!(accepted, 1, "accepted exactly once");
    }

    async fn a_timeout_after_acceptance_is_not_sent_again(app, fake) {
        // The provider takes the message but answers after our timeout…
        Mock::given(method("POST")).and(path_regex("^/sms$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "slow-1"})).set_delay(Duration::from_millis(1500)))
            .mount(&fake).await;
        // …and, asked by our id, says it has it.
        Mock::given(method("GET")).and(path_regex("^/sms/.+$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "queued"})))
            .mount(&fake).await;
        let id = enqueue(&app, "resolved", "+989121234567", json!({"tracking_code": code()}));
        let dispatcher = dispatcher(&app, &fake, quick());
        let first = dispatcher.run_once().await.unwrap();
        assert_eq!(first.retried, 1, "{first:?}");
        assert!(row(&app, &id).last_error.unwrap().contains("unknown"));
        drain(&dispatcher).await;
        assert_eq!(row(&app, &id).status.as_str(), "sent");
        assert_eq!(sends(&fake).await.len(), 1, "asked by id instead of sending again");
    }

    async fn an_invalid_number_fails_at_once_and_shows_in_the_api(app, fake) {
        Mock::given(method("POST")).and(path_regex("^/sms$"))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "invalid receptor"})))
            .mount(&fake).await;
        let id = enqueue(&app, "resolved", "+989121234567", json!({"tracking_code": code()}));
        let dispatcher = dispatcher(&app, &fake, quick());
        let pass = dispatcher.run_once().await.unwrap();
        assert_eq!(pass.failed, 1);
        assert_eq!(drain(&dispatcher).await, 0, "no retries");
        assert_eq!(sends(&fake).await.len(), 1);
        let admin = app.admin_token().await;
        let view = app.get(&format!("/api/v1/notifications/{id}")).bearer(&admin).send().await.json();
        assert_eq!(view["status"], "failed");
        assert_eq!(view["attempts"], 1);
        assert!(view["last_error"].as_str().unwrap().contains("400"), "{view}");
        assert_eq!(view["recipient"], "+98912***4567", "the outbox is no way around a reveal");
        let reviewer = app.token_for_role(&admin, "reviewer").await;
        let masked = app.get(&format!("/api/v1/notifications/{id}")).bearer(&reviewer).send().await.json();
        assert_eq!(masked["recipient"], "+98912***4567");
        let failed = app.get("/api/v1/notifications?status=failed").bearer(&reviewer).send().await.json();
        assert_eq!(failed["items"].as_array().unwrap().len(), 1);
        let retried = app.post(&format!("/api/v1/notifications/{id}/retry")).bearer(&reviewer).send().await.json();
        assert_eq!((retried["status"].as_str(), retried["attempts"].as_i64()), (Some("pending"), Some(0)));
        app.post(&format!("/api/v1/notifications/{id}/retry")).bearer(&reviewer).send().await.assert_problem(409, "not-failed");
    }

    async fn a_flood_for_one_number_is_held_at_the_hourly_cap_not_lost(app, fake) {
        accepting(&fake).await;
        let ids: Vec<String> = (0..7).map(|_| enqueue(&app, "resolved", "+989121234567", json!({"tracking_code": code()}))).collect();
        let other = enqueue(&app, "resolved", "+989351112233", json!({"tracking_code": code()}));
        let dispatcher = dispatcher(&app, &fake, DispatcherSettings { per_recipient_cap: 5, ..quick() });
        let pass = dispatcher.run_once().await.unwrap();
        assert_eq!((pass.claimed, pass.sent, pass.held), (6, 6, 2), "held ones are not even claimed: {pass:?}");
        assert_eq!(drain(&dispatcher).await, 0, "held messages wait for the hour");
        assert_eq!(sends(&fake).await.len(), 6);
        assert_eq!(row(&app, &other).status.as_str(), "sent", "another number is not held");
        let held: Vec<NotificationRow> = ids.iter().map(|id| row(&app, id)).filter(|r| r.status.as_str() == "pending").collect();
        assert_eq!(held.len(), 2);
        for row in &held {
            assert!(row.last_error.as_deref().unwrap().starts_with("held:"), "{row:?}");
            assert_eq!(row.attempts, 0, "holding does not spend an attempt");
            assert_eq!(row.claimed_by, None);
            // Due again when the first slot of the hour frees: an hour after the first sends.
            assert!(row.next_attempt_at > mardom::db::now() + chrono::Duration::minutes(59), "{row:?}");
        }
        let admin = app.admin_token().await;
        let visible = app.get("/api/v1/notifications?status=pending").bearer(&admin).send().await.json();
        assert_eq!(visible["items"].as_array().unwrap().len(), 2, "held messages are visible");
    }

    async fn an_outage_of_500s_429s_and_hangs_ends_with_each_message_delivered_once(app, fake) {
        // The first 90 calls fail: 30 × 500, 30 × 429, 30 that hang past our timeout.
        Mock::given(method("POST")).and(path_regex("^/sms$"))
            .respond_with(ResponseTemplate::new(500)).up_to_n_times(30).with_priority(1).mount(&fake).await;
        Mock::given(method("POST")).and(path_regex("^/sms$"))
            .respond_with(ResponseTemplate::new(429)).up_to_n_times(30).with_priority(2).mount(&fake).await;
        Mock::given(method("POST")).and(path_regex("^/sms$"))
            .respond_with(ResponseTemplate::new(503).set_delay(Duration::from_millis(600))).up_to_n_times(30).with_priority(3)
            .mount(&fake).await;
        let accepted = accepting(&fake).await;
        let ids: Vec<String> = (0..60)
            .map(|i| enqueue(&app, "resolved", &format!("+98912{:07}", 1_000_000 + i), json!({"tracking_code": code()})))
            .collect();
        let dispatcher = dispatcher(&app, &fake, DispatcherSettings { concurrency: 30, ..quick() });
        let started = std::time::Instant::now();
        for _ in 0..20 {
            dispatcher.run_once().await.unwrap();
        }
        let accepted = accepted.lock().unwrap().clone();
        for id in &ids {
            let stored = row(&app, id);
            assert_eq!(stored.status.as_str(), "sent", "{stored:?}");
            assert!(stored.attempts <= DispatcherSettings::default().max_attempts, "within the attempt budget: {stored:?}");
            assert_eq!(accepted.get(id), Some(&1), "accepted exactly once: {id}");
        }
        eprintln!("OUTAGE: 60 messages through 90 failed calls delivered once each in {:?}", started.elapsed());
    }

    async fn the_status_poll_settles_sent_messages(app, fake) {
        accepting(&fake).await;
        let delivered = enqueue(&app, "resolved", "+989121234567", json!({"tracking_code": code()}));
        let dispatcher = dispatcher(&app, &fake, DispatcherSettings { poll_after: Duration::ZERO, ..quick() });
        drain(&dispatcher).await;
        assert_eq!(row(&app, &delivered).status.as_str(), "sent");
        assert_eq!(dispatcher.poll_statuses().await.unwrap(), 0, "still queued at the provider");
        Mock::given(method("GET")).and(path_regex("^/sms/.+$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "undelivered", "error": "handset off"})))
            .with_priority(1)
            .mount(&fake).await;
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(dispatcher.poll_statuses().await.unwrap(), 1);
        let settled = row(&app, &delivered);
        assert_eq!(settled.status.as_str(), "undelivered");
        assert!(settled.last_error.unwrap().contains("handset off"));
        assert_eq!(dispatcher.poll_statuses().await.unwrap(), 0, "final statuses are not asked again");
    }

    async fn a_repeated_delivery_report_changes_nothing(app, fake) {
        accepting(&fake).await;
        let id = enqueue(&app, "resolved", "+989121234567", json!({"tracking_code": code()}));
        drain(&dispatcher(&app, &fake, quick())).await;
        let report = json!({"id": id, "status": "delivered"});
        app.post("/api/v1/delivery-reports/http").json(&report).send().await.assert_problem(401, "unauthenticated");
        app.post("/api/v1/delivery-reports/http").header("x-callback-secret", "wrong").json(&report).send().await
            .assert_problem(401, "unauthenticated");
        let first = app.post("/api/v1/delivery-reports/http").header("x-callback-secret", SECRET).json(&report).send().await;
        assert_eq!(first.status.as_u16(), 200, "{}", first.text());
        assert_eq!(first.json()["changed"], 1);
        let delivered = row(&app, &id);
        assert_eq!(delivered.status.as_str(), "delivered");
        let again = app.post(&format!("/api/v1/delivery-reports/http?secret={SECRET}")).json(&report).send().await;
        assert_eq!(again.status.as_u16(), 200);
        assert_eq!(again.json()["changed"], 0);
        assert_eq!(row(&app, &id), delivered, "nothing changed");
        app.post("/api/v1/delivery-reports/kavenegar").header("x-callback-secret", SECRET).json(&report).send().await
            .assert_problem(404, "not-found");
    }

    async fn a_delivery_report_is_read_within_256_kib_and_only_final_words_count(app, fake) {
        accepting(&fake).await;
        let id = enqueue(&app, "resolved", "+989121234567", json!({"tracking_code": code()}));
        drain(&dispatcher(&app, &fake, quick())).await;
        let reports = "/api/v1/delivery-reports/http";
        let huge = format!("[{}]", vec![json!({"id": id, "status": "queued"}).to_string(); 6000].join(","));
        assert!(huge.len() > 256 * 1024);
        app.post(reports).header("x-callback-secret", SECRET).body("application/json", huge).send().await
            .assert_problem(413, "payload-too-large");
        app.post(reports).header("x-callback-secret", SECRET).body("application/json", "{").send().await
            .assert_problem(400, "malformed-json");
        let queued = app.post(reports).header("x-callback-secret", SECRET).json(&json!({"id": id, "status": "queued"})).send().await;
        assert_eq!(queued.status.as_u16(), 200, "{}", queued.text());
        assert_eq!(queued.json(), json!({"received": 0, "changed": 0}), "not final: not received");
        let failed = app.post(reports).header("x-callback-secret", SECRET)
            .json(&json!([{"id": id, "status": "undelivered", "error": "handset off"}, {"id": "unknown", "status": "delivered"}])).send().await;
        assert_eq!(failed.json(), json!({"received": 2, "changed": 1}));
        let settled = row(&app, &id);
        assert_eq!(settled.status.as_str(), "undelivered");
        assert!(settled.last_error.unwrap().contains("handset off"));
    }
}

/// Two dispatchers on one PostgreSQL database share 2,000 messages: each is sent exactly once.
/// One more plays a worker that claims a batch and dies: its messages go out through the others.
#[actix_web::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "MARDOM_TEST_POSTGRES_URL was not set when the tests were built"
)]
async fn two_dispatchers_on_postgres_send_each_of_2000_messages_once() {
    let fake = MockServer::start().await;
    let vars = env(&fake);
    let app = TestApp::postgres(&as_refs(&vars)).await;
    accepting(&fake).await;
    queue(&app, 2000);
    // The dead worker: claims 100 with a 1-second lease, sends the first 40 and dies before
    // recording anything.
    {
        let taken = {
            let mut conn = app.pool.get().unwrap();
            let now = mardom::db::now();
            mardom::db::outbox::claim(
                &mut conn,
                "dead-worker",
                now,
                now + chrono::Duration::seconds(1),
                100,
                &mardom::domain::sms_cap::Cap::NONE,
                &|sealed| sealed.to_owned(),
            )
            .unwrap()
            .rows
        };
        assert_eq!(taken.len(), 100);
        let vars: HashMap<String, String> = env(&fake).into_iter().collect();
        let gateway =
            from_settings(&SmsSettings::from_lookup(|name| vars.get(name).cloned()).unwrap())
                .unwrap();
        for row in taken.iter().take(40) {
            let sms = mardom::notify::gateway::OutgoingSms {
                one_time_code: None,
                id: row.id.to_string(),
                to: app
                    .rules
                    .vault
                    .open(mardom::vault::Field::Mobile, &row.recipient)
                    .unwrap(),
                text: "…".into(),
            };
            gateway.send(&sms).await;
        }
    }
    let (a, b) = two_dispatchers(&app, &fake);
    let started = std::time::Instant::now();
    let (sent_a, sent_b) = futures_util::join!(drain(&a), drain(&b));
    tokio_sleep(Duration::from_millis(1100)).await;
    let (late_a, late_b) = futures_util::join!(drain(&a), drain(&b));
    let elapsed = started.elapsed();
    let sent = sends(&fake).await;
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for body in &sent {
        *per_id
            .entry(body["id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(per_id.len(), 2000, "every message sent");
    assert!(
        per_id.values().all(|&n| n == 1),
        "none twice: {:?}",
        per_id.values().filter(|&&n| n > 1).count()
    );
    assert_eq!(sent_a + sent_b + late_a + late_b, 2000);
    // The dead worker's claim counted one attempt; the takeover, a second.
    {
        use diesel::prelude::*;
        use mardom::db::schema::notifications::dsl;
        let mut conn = app.pool.get().unwrap();
        let taken_over: i64 = dsl::notifications
            .filter(dsl::attempts.eq(2))
            .count()
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(taken_over, 100, "the dead worker's batch was taken over");
        let unsent: i64 = dsl::notifications
            .filter(dsl::status.ne("sent"))
            .count()
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(unsent, 0);
    }
    assert!(sent_a > 0 && sent_b > 0, "both worked: {sent_a} / {sent_b}");
    eprintln!(
        "THROUGHPUT: 2000 messages by 2 dispatchers in {elapsed:?} (incl. 1.1 s lease wait): {:.0}/s",
        2000.0 / elapsed.as_secs_f64()
    );
}

async fn tokio_sleep(duration: Duration) {
    actix_web::rt::time::sleep(duration).await;
}

/// The dispatcher's throughput, for `bench/run` (a measurement, not a test: ignored by default).
/// 10,000 queued messages on PostgreSQL, two dispatchers as in production settings (batch 100,
/// 32 in flight each), the fake provider in this process; every message must go out once.
#[actix_web::test]
#[ignore = "a measurement: run by bench/run"]
async fn dispatcher_throughput() {
    const MESSAGES: usize = 10_000;
    let fake = MockServer::start().await;
    let vars = env(&fake);
    let app = TestApp::postgres(&as_refs(&vars)).await;
    let accepted = accepting(&fake).await;
    queue(&app, MESSAGES);
    let (a, b) = two_dispatchers(&app, &fake);
    let started = std::time::Instant::now();
    let (sent_a, sent_b) = futures_util::join!(drain(&a), drain(&b));
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(sent_a + sent_b, MESSAGES);
    let counts = accepted.lock().unwrap();
    assert_eq!(counts.len(), MESSAGES, "every message sent");
    assert!(counts.values().all(|&n| n == 1), "none twice");
    println!(
        "DISPATCHER_THROUGHPUT {}",
        json!({"messages": MESSAGES, "seconds": seconds, "rate": MESSAGES as f64 / seconds})
    );
}

mod at_rest;
mod citizen_door;
mod identity;
mod workers;
