//! Portals and webhooks: a portal files with its key, its receiver hears each change once,
//! signed per Standard Webhooks with the secret the API showed; an outage ends with every
//! event delivered once; targets inside the Center's network are refused before any
//! connection; and no payload carries an identity or the request's text.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::handling::{complaint, desk, ok};
use crate::public::assert_no_identity;
use crate::support::{TestApp, on_both_backends};

/// Test receivers listen on 127.0.0.1; nothing else is allowlisted.
const ALLOW: &[(&str, &str)] = &[
    ("MARDOM_WEBHOOK_ALLOW", "127.0.0.1"),
    ("MARDOM_WEBHOOK_BACKOFF_MS", "1"),
    ("MARDOM_WEBHOOK_MAX_ATTEMPTS", "50"),
];

pub(crate) async fn portal(
    app: &TestApp,
    admin: &str,
    name: &str,
    scopes: &[&str],
) -> (String, String) {
    let reply = app
        .post("/api/v1/portals")
        .bearer(admin)
        .json(&json!({"name": name, "scopes": scopes}))
        .send()
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let body = reply.json();
    (
        body["portal"]["id"].as_str().unwrap().to_owned(),
        body["key"].as_str().unwrap().to_owned(),
    )
}

/// Subscribes; answers (subscription id, secret).
pub(crate) async fn subscribe(
    app: &TestApp,
    admin: &str,
    portal: &str,
    url: &str,
    events: &[&str],
) -> (String, String) {
    let reply = app
        .post("/api/v1/webhooks")
        .bearer(admin)
        .json(&json!({"portal_id": portal, "url": url, "events": events}))
        .send()
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let body = reply.json();
    (
        body["subscription"]["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

pub(crate) async fn portal_submit(app: &TestApp, key: &str, body: &Value) -> Value {
    let reply = app
        .post("/api/v1/portal/requests")
        .bearer(key)
        .json(body)
        .send()
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()
}

/// Runs the webhook dispatcher until nothing is due.
pub(crate) async fn deliver_all(app: &TestApp) {
    let dispatcher = app.webhook_dispatcher();
    for _ in 0..400 {
        let pass = dispatcher.run_once().await.unwrap();
        if pass.claimed == 0 && pending(app) == 0 {
            return;
        }
        if pass.claimed == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
    panic!("deliveries still pending: {}", pending(app));
}

fn pending(app: &TestApp) -> i64 {
    app.column_values("webhook_deliveries", "status")
        .iter()
        .filter(|s| *s == "pending")
        .count() as i64
}

/// A receiver's check of one delivery, written from the Standard Webhooks specification (not
/// from the server's code): the signature over `id.timestamp.body` under the secret's
/// decoded bytes, a timestamp within five minutes, and an id not seen before.
pub(crate) struct Receiver {
    secret: Vec<u8>,
    seen: std::collections::HashSet<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Accepted,
    BadSignature,
    Stale,
    Replayed,
}

impl Receiver {
    pub(crate) fn new(secret: &str) -> Self {
        let secret = STANDARD
            .decode(secret.strip_prefix("whsec_").unwrap())
            .unwrap();
        Self {
            secret,
            seen: Default::default(),
        }
    }

    pub(crate) fn verify(
        &mut self,
        id: &str,
        timestamp: &str,
        signature: &str,
        body: &[u8],
    ) -> Verdict {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).unwrap();
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        if !signature.split(' ').any(|s| s == expected) {
            return Verdict::BadSignature;
        }
        let at: i64 = timestamp.parse().unwrap();
        if (chrono::Utc::now().timestamp() - at).abs() > 300 {
            return Verdict::Stale;
        }
        if !self.seen.insert(id.to_owned()) {
            return Verdict::Replayed;
        }
        Verdict::Accepted
    }

    pub(crate) fn check(&mut self, request: &Request) -> Verdict {
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        };
        self.verify(
            &header("webhook-id"),
            &header("webhook-timestamp"),
            &header("webhook-signature"),
            &request.body,
        )
    }
}

async fn receiver() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    server
}

fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

fn types(requests: &[Request]) -> Vec<String> {
    requests
        .iter()
        .map(|r| body(r)["type"].as_str().unwrap().to_owned())
        .collect()
}

on_both_backends! {
    with ALLOW;

    async fn each_receiver_hears_what_it_may_once_signed_with_the_secret_it_was_shown(app) {
        let admin = app.admin_token().await;
        let desk = desk(&app).await;
        let (filer, filer_key) = portal(&app, &admin, "درگاه استانی", &["submit", "read", "webhooks"]).await;
        let (center, _) = portal(&app, &admin, "سامانه‌ی مرکز", &["webhooks", "center"]).await;
        let (bystander, _) = portal(&app, &admin, "درگاه دیگر", &["submit", "webhooks"]).await;
        let own_hook = receiver().await;
        let center_hook = receiver().await;
        let bystander_hook = receiver().await;
        let public = ["request.registered", "request.status_changed", "request.referred", "request.closed"];
        let (_, own_secret) = subscribe(&app, &admin, &filer, &own_hook.uri(), &public).await;
        let (_, center_secret) = subscribe(&app, &admin, &center, &center_hook.uri(),
            &["request.registered", "request.status_changed", "request.referred", "referral.acknowledged"]).await;
        subscribe(&app, &admin, &bystander, &bystander_hook.uri(), &public).await;

        let filed = portal_submit(&app, &filer_key, &complaint()).await;
        let code = filed["tracking_code"].as_str().unwrap().to_owned();
        // The filer reads its own request back; the bystander portal may not.
        let own = app.get(&format!("/api/v1/portal/requests/{code}")).bearer(&filer_key).send().await;
        assert_eq!(own.status, StatusCode::OK, "{}", own.text());
        let id = crate::public::request_id(&app, &code).await;
        let base = format!("/api/v1/requests/{id}");
        ok(app.post(&format!("{base}/classify")).bearer(&desk.reviewer).json(&json!({"kind": "complaint"})).send().await).await;
        let proposal = ok(app.get(&format!("{base}/anonymised-text")).bearer(&desk.reviewer).send().await).await;
        let detail = ok(app.post(&format!("{base}/refer")).bearer(&desk.reviewer)
            .json(&json!({"unit_id": desk.unit, "text": proposal["text"]})).send().await).await;
        let referral = detail["referrals"][0]["id"].as_str().unwrap().to_owned();
        ok(app.post(&format!("/api/v1/referrals/{referral}/acknowledge")).bearer(&desk.unit_staff).send().await).await;

        deliver_all(&app).await;

        let mut own = own_hook.received_requests().await.unwrap();
        own.sort_by_key(|r| chrono::DateTime::parse_from_rfc3339(body(r)["data"]["at"].as_str().unwrap()).unwrap());
        assert_eq!(types(&own), ["request.registered", "request.status_changed", "request.referred"]);
        let mut verify = Receiver::new(&own_secret);
        for request in &own {
            assert_eq!(verify.check(request), Verdict::Accepted);
            let data = &body(request)["data"];
            assert_eq!(data["tracking_code"], code.as_str(), "the filer is shown its code");
            assert_eq!(data["request_id"], id.as_str());
            assert_no_identity(std::str::from_utf8(&request.body).unwrap());
        }
        let referred = body(&own[2]);
        assert_eq!(referred["data"]["referred_to"], json!(["واحد پذیرش"]));
        assert_eq!(referred["data"]["status"], "referred");
        assert_eq!(referred["data"]["previous_status"], "in_review");

        // The receiver refuses the same delivery again, and one whose timestamp was changed.
        let first = &own[0];
        assert_eq!(verify.check(first), Verdict::Replayed);
        let header = |name: &str| first.headers.get(name).unwrap().to_str().unwrap().to_owned();
        let moved = (header("webhook-timestamp").parse::<i64>().unwrap() + 60).to_string();
        assert_eq!(
            Receiver::new(&own_secret).verify(&header("webhook-id"), &moved, &header("webhook-signature"), &first.body),
            Verdict::BadSignature
        );
        assert_eq!(
            Receiver::new(&own_secret).verify(&header("webhook-id"), "1614265330", &header("webhook-signature"), &first.body),
            Verdict::BadSignature
        );

        let center_got = center_hook.received_requests().await.unwrap();
        // Deliveries go out concurrently, so they may arrive in any order (each says when its
        // event happened).
        let mut center_types = types(&center_got);
        center_types.sort();
        assert_eq!(center_types, ["referral.acknowledged", "request.referred", "request.registered", "request.status_changed"]);
        let mut verify = Receiver::new(&center_secret);
        for request in &center_got {
            assert_eq!(verify.check(request), Verdict::Accepted);
            assert_eq!(body(request)["data"]["tracking_code"], Value::Null, "only the filer is shown the code");
            assert_no_identity(std::str::from_utf8(&request.body).unwrap());
        }
        assert!(bystander_hook.received_requests().await.unwrap().is_empty(), "a portal hears only of what it filed");

        // The delivery log shows each one delivered on the first attempt with its answer.
        let subs = ok(app.get(&format!("/api/v1/webhooks?portal_id={filer}")).bearer(&admin).send().await).await;
        let sub = subs["items"][0]["id"].as_str().unwrap().to_owned();
        let log = ok(app.get(&format!("/api/v1/webhooks/{sub}/deliveries")).bearer(&admin).send().await).await;
        let items = log["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        for item in items {
            assert_eq!(item["status"], "delivered");
            assert_eq!(item["attempts"], 1);
            assert_eq!(item["response_code"], 204);
            assert_eq!(item["payload"]["data"]["tracking_code"], code.as_str());
        }
        let ids: Vec<&str> = own.iter().map(|r| r.headers.get("webhook-id").unwrap().to_str().unwrap()).collect();
        for item in items {
            assert!(ids.contains(&item["id"].as_str().unwrap()));
        }
    }

    async fn an_outage_ends_with_every_event_delivered_once(app) {
        let admin = app.admin_token().await;
        let (filer, key) = portal(&app, &admin, "درگاه استانی", &["submit", "webhooks"]).await;
        let hook = MockServer::start().await;
        // Down for the first 12 attempts, then up.
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(503).set_body_string("down for maintenance"))
            .up_to_n_times(12).mount(&hook).await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&hook).await;
        let (sub, secret) = subscribe(&app, &admin, &filer, &hook.uri(), &["request.registered"]).await;
        let mut codes = Vec::new();
        for n in 0..6 {
            let mut body = complaint();
            body["mobile"] = json!(format!("0912000000{n}"));
            codes.push(portal_submit(&app, &key, &body).await["tracking_code"].as_str().unwrap().to_owned());
        }
        // Two dispatchers at once, as two workers would run.
        let (one, two) = (app.webhook_dispatcher(), app.webhook_dispatcher());
        for _ in 0..400 {
            let (a, b) = tokio::join!(one.run_once(), two.run_once());
            let (a, b) = (a.unwrap(), b.unwrap());
            if a.claimed + b.claimed == 0 && pending(&app) == 0 {
                break;
            }
            if a.claimed + b.claimed == 0 {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
        assert_eq!(pending(&app), 0);
        let received = hook.received_requests().await.unwrap();
        let mut verify = Receiver::new(&secret);
        let mut accepted: BTreeMap<String, usize> = BTreeMap::new();
        let mut refused = 0;
        for (n, request) in received.iter().enumerate() {
            let id = request.headers.get("webhook-id").unwrap().to_str().unwrap().to_owned();
            if n < 12 {
                refused += 1;
                continue;
            }
            assert_eq!(verify.check(request), Verdict::Accepted, "{id}");
            *accepted.entry(id).or_default() += 1;
        }
        assert_eq!(refused, 12);
        assert_eq!(accepted.len(), 6, "every event arrived");
        assert!(accepted.values().all(|n| *n == 1), "each once: {accepted:?}");
        let got: Vec<String> = received[12..].iter().map(|r| body(r)["data"]["tracking_code"].as_str().unwrap().to_owned()).collect();
        for code in &codes {
            assert!(got.contains(code));
        }
        let log = ok(app.get(&format!("/api/v1/webhooks/{sub}/deliveries")).bearer(&admin).send().await).await;
        let items = log["items"].as_array().unwrap();
        assert_eq!(items.len(), 6);
        assert!(items.iter().all(|i| i["status"] == "delivered" && i["response_code"] == 200));
        let attempts: i64 = items.iter().map(|i| i["attempts"].as_i64().unwrap()).sum();
        assert_eq!(attempts, 18, "12 refused and 6 accepted attempts, none lost and none doubled");
        assert!(items.iter().any(|i| i["last_error"].as_str().is_some_and(|e| e.contains("HTTP 503: down for maintenance"))));
    }
}

on_both_backends! {
    with &[("MARDOM_WEBHOOK_ALLOW", "127.0.0.1"), ("MARDOM_WEBHOOK_BACKOFF_MS", "1"), ("MARDOM_WEBHOOK_DISABLE_AFTER", "3")];

    async fn a_subscription_that_keeps_failing_is_disabled_and_its_portal_told(app) {
        let admin = app.admin_token().await;
        let (filer, key) = portal(&app, &admin, "درگاه استانی", &["submit", "webhooks"]).await;
        let broken = MockServer::start().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).mount(&broken).await;
        let told = receiver().await;
        let (sub, _) = subscribe(&app, &admin, &filer, &broken.uri(), &["request.registered"]).await;
        let (_, told_secret) = subscribe(&app, &admin, &filer, &told.uri(), &["webhook.disabled"]).await;
        portal_submit(&app, &key, &complaint()).await;
        let dispatcher = app.webhook_dispatcher();
        let mut disabled = 0;
        for _ in 0..200 {
            let pass = dispatcher.run_once().await.unwrap();
            disabled += pass.disabled;
            if disabled > 0 && pending_for(&app, &told) {
                break;
            }
            if pass.claimed == 0 {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
        deliver_all_but_disabled(&dispatcher).await;
        assert_eq!(disabled, 1);
        assert_eq!(broken.received_requests().await.unwrap().len(), 3, "MARDOM_WEBHOOK_DISABLE_AFTER");
        let mine = ok(app.get("/api/v1/portal/webhooks").bearer(&key).send().await).await;
        let gone = mine["items"].as_array().unwrap().iter().find(|s| s["id"] == sub.as_str()).unwrap().clone();
        assert_eq!(gone["active"], false);
        assert_eq!(gone["failures"], 3);
        assert!(gone["disabled_reason"].as_str().unwrap().contains("HTTP 500"), "{gone}");
        let notice = told.received_requests().await.unwrap();
        assert_eq!(types(&notice), ["webhook.disabled"]);
        assert_eq!(Receiver::new(&told_secret).check(&notice[0]), Verdict::Accepted);
        assert_eq!(body(&notice[0])["data"]["subscription_id"], sub.as_str());
        // Turned on again, the waiting delivery goes out once the receiver is fixed.
        broken.reset().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&broken).await;
        let on = ok(app.patch(&format!("/api/v1/webhooks/{sub}")).bearer(&admin).json(&json!({"active": true})).send().await).await;
        assert_eq!(on["failures"], 0);
        assert_eq!(on["disabled_reason"], Value::Null);
        deliver_all(&app).await;
        assert_eq!(broken.received_requests().await.unwrap().len(), 1);
        let log = ok(app.get(&format!("/api/v1/portal/webhooks/{sub}/deliveries")).bearer(&key).send().await).await;
        assert_eq!(log["items"][0]["status"], "delivered");
        assert_eq!(log["items"][0]["attempts"], 4);
        // A delivered one is not sent again; another portal cannot see this log.
        let delivery = log["items"][0]["id"].as_str().unwrap();
        app.post(&format!("/api/v1/webhooks/{sub}/deliveries/{delivery}/retry")).bearer(&admin).send().await
            .assert_problem(409, "delivered-already");
        let (_, other_key) = portal(&app, &admin, "درگاه دیگر", &["webhooks"]).await;
        app.get(&format!("/api/v1/portal/webhooks/{sub}/deliveries")).bearer(&other_key).send().await
            .assert_problem(404, "not-found");
    }
}

fn pending_for(app: &TestApp, _told: &MockServer) -> bool {
    app.column_values("webhook_deliveries", "event_type")
        .iter()
        .any(|t| t == "webhook.disabled")
}

async fn deliver_all_but_disabled(
    dispatcher: &mardom::notify::webhook_dispatcher::WebhookDispatcher,
) {
    for _ in 0..20 {
        if dispatcher.run_once().await.unwrap().claimed == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}

on_both_backends! {
    with ALLOW;

    async fn the_centers_systems_hear_of_each_sms_without_its_number_or_text(app) {
        let admin = app.admin_token().await;
        let (center, _) = portal(&app, &admin, "سامانه‌ی مرکز", &["webhooks", "center"]).await;
        let (other, _) = portal(&app, &admin, "درگاه استانی", &["webhooks"]).await;
        let hook = receiver().await;
        let (_, secret) = subscribe(&app, &admin, &center, &hook.uri(), &["notification.sent", "notification.failed"]).await;
        let refused = app.post("/api/v1/webhooks").bearer(&admin)
            .json(&json!({"portal_id": other, "url": hook.uri(), "events": ["notification.sent"]})).send().await;
        assert_eq!(refused.assert_problem(422, "validation")["errors"][0]["code"], "scope");
        let code = crate::public::submit(&app, &crate::public::submission()).await["tracking_code"].as_str().unwrap().to_owned();
        let id = crate::public::request_id(&app, &code).await;
        let pass = app.sms_dispatcher().run_once().await.unwrap();
        assert_eq!(pass.sent, 1);
        deliver_all(&app).await;
        let got = hook.received_requests().await.unwrap();
        assert_eq!(types(&got), ["notification.sent"]);
        assert_eq!(Receiver::new(&secret).check(&got[0]), Verdict::Accepted);
        let data = &body(&got[0])["data"];
        assert_eq!(data["request_id"], id.as_str());
        assert_eq!(data["template"], "tracking_code_issued");
        assert_eq!(data["status"], "sent");
        let raw = std::str::from_utf8(&got[0].body).unwrap();
        assert_no_identity(raw);
        assert!(!raw.contains(&code), "no tracking code: the SMS text carries it, the event does not");
    }
}

/// A listener that counts the connections it accepts (none, if the guard works).
struct Listener {
    port: u16,
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

async fn listener(address: &str) -> Listener {
    let socket = tokio::net::TcpListener::bind((address, 0)).await.unwrap();
    let port = socket.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((_stream, _)) = socket.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    Listener { port, accepted }
}

fn accepted(listener: &Listener) -> usize {
    listener.accepted.load(std::sync::atomic::Ordering::SeqCst)
}

on_both_backends! {
    with ALLOW;

    async fn targets_inside_the_network_are_refused_before_any_connection(app) {
        let admin = app.admin_token().await;
        let (filer, _) = portal(&app, &admin, "درگاه استانی", &["submit", "webhooks"]).await;
        let loopback_two = listener("127.0.0.2").await;
        let started = std::time::Instant::now();
        for (url, refusal) in [
            (format!("http://127.0.0.2:{}/hook", loopback_two.port), "loopback"),
            ("http://10.0.0.1/hook".to_owned(), "private"),
            ("https://10.0.0.1/hook".to_owned(), "private"),
            ("http://169.254.169.254/latest/meta-data/".to_owned(), "link-local"),
            ("http://[::ffff:169.254.169.254]/".to_owned(), "link-local"),
            ("http://[fd00:ec2::254]/".to_owned(), "private"),
            ("http://0.0.0.0/".to_owned(), "not a public"),
        ] {
            let reply = app.post("/api/v1/webhooks").bearer(&admin)
                .json(&json!({"portal_id": filer, "url": url, "events": ["request.registered"]})).send().await;
            let problem = reply.assert_problem(422, "validation");
            assert_eq!(problem["errors"][0]["field"], "url", "{url}");
            assert_eq!(problem["errors"][0]["code"], "address_refused", "{url}");
            assert!(problem["errors"][0]["message"].as_str().unwrap().contains(refusal), "{url}: {problem}");
        }
        // Refused without a connection attempt: nothing reached the listener, and no refusal
        // waited on a network timeout.
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert_eq!(accepted(&loopback_two), 0);
        // Form: schemes, credentials, plain http to a public address.
        for (url, code) in [
            ("ftp://portal.example/", "scheme"),
            ("file:///etc/passwd", "scheme"),
            ("https://user:pass@127.0.0.1/", "credentials"),
            ("not a url", "format"),
            ("http://93.184.216.34/hook", "scheme"),
        ] {
            let reply = app.post("/api/v1/webhooks").bearer(&admin)
                .json(&json!({"portal_id": filer, "url": url, "events": ["request.registered"]})).send().await;
            let problem = reply.assert_problem(422, "validation");
            assert_eq!(problem["errors"][0]["code"], code, "{url}: {problem}");
        }
        assert_eq!(app.count("webhook_subscriptions"), 0, "nothing was written");
    }
}

on_both_backends! {
    async fn a_name_resolving_to_loopback_is_refused_without_an_allowlist(app) {
        let admin = app.admin_token().await;
        let (filer, _) = portal(&app, &admin, "درگاه استانی", &["webhooks"]).await;
        let local = listener("127.0.0.1").await;
        for url in [format!("http://localhost:{}/hook", local.port), format!("http://127.0.0.1:{}/hook", local.port)] {
            let reply = app.post("/api/v1/webhooks").bearer(&admin)
                .json(&json!({"portal_id": filer, "url": url, "events": ["request.registered"]})).send().await;
            let problem = reply.assert_problem(422, "validation");
            assert_eq!(problem["errors"][0]["code"], "address_refused", "{url}: {problem}");
            assert!(problem["errors"][0]["message"].as_str().unwrap().contains("loopback"), "{problem}");
        }
        assert_eq!(accepted(&local), 0);
        assert_eq!(app.count("webhook_subscriptions"), 0);
    }
}

/// At delivery time the guard holds too: a name that resolves inside is refused by the
/// client's resolver, with no connection; and a redirect is not followed.
#[actix_web::test]
async fn the_client_refuses_inside_addresses_when_it_connects() {
    use mardom::domain::webhook::target::Allowlist;
    use mardom::notify::webhook::{Answer, Sender};
    let local = listener("127.0.0.1").await;
    let sender = Sender::new(Allowlist::default(), std::time::Duration::from_secs(2)).unwrap();
    for url in [
        format!("http://localhost:{}/hook", local.port),
        format!("http://127.0.0.1:{}/hook", local.port),
        "http://169.254.169.254/".to_owned(),
        "http://10.0.0.1/".to_owned(),
    ] {
        match sender
            .send(
                &url,
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "msg_1",
                "{}",
            )
            .await
        {
            Answer::NoAnswer(error) => assert!(error.contains("refused"), "{url}: {error}"),
            other => panic!("{url}: {other:?}"),
        }
    }
    assert_eq!(accepted(&local), 0);
    let hook = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(307).insert_header("location", "http://169.254.169.254/"),
        )
        .mount(&hook)
        .await;
    let allowed = Sender::new(
        Allowlist::parse("127.0.0.1").unwrap(),
        std::time::Duration::from_secs(2),
    )
    .unwrap();
    let answer = allowed
        .send(
            &hook.uri(),
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_1",
            "{}",
        )
        .await;
    assert!(
        matches!(answer, Answer::Refused { code: 307, .. }),
        "{answer:?}"
    );
    assert_eq!(hook.received_requests().await.unwrap().len(), 1);
}

on_both_backends! {
    with ALLOW;

    async fn bad_portal_calls_are_refused_and_write_nothing(app) {
        let admin = app.admin_token().await;
        let (filer, key) = portal(&app, &admin, "درگاه استانی", &["submit"]).await;
        for (body, status) in [
            (json!({"name": "درگاه ۲", "scopes": []}), 422),
            (json!({"name": "x", "scopes": ["submit"]}), 422),
            (json!({"name": "درگاه ۳", "scopes": ["everything"]}), 422),
            (json!({"name": "درگاه ۴", "scopes": ["submit"], "key": "mine"}), 422),
            (json!({"name": "درگاه استانی", "scopes": ["submit"]}), 409),
        ] {
            let reply = app.post("/api/v1/portals").bearer(&admin).json(&body).send().await;
            assert_eq!(reply.status.as_u16(), status, "{body}: {}", reply.text());
            assert_eq!(reply.header("content-type").as_deref(), Some("application/problem+json"));
        }
        assert_eq!(app.count("portals"), 1, "nothing was written");
        let reviewer = app.token_for_role(&admin, "reviewer").await;
        app.post("/api/v1/portals").bearer(&reviewer).json(&json!({"name": "درگاه ۵", "scopes": ["submit"]}))
            .send().await.assert_problem(403, "forbidden");
        let hook = receiver().await;
        app.post("/api/v1/webhooks").bearer(&admin)
            .json(&json!({"portal_id": filer, "url": hook.uri(), "events": ["request.registered"]})).send().await
            .assert_problem(409, "portal-lacks-scope");
        let (hooked, _) = portal(&app, &admin, "درگاه وب‌هوک", &["webhooks"]).await;
        for events in [json!([]), json!(["request.exploded"]), json!(["referral.answered"])] {
            let reply = app.post("/api/v1/webhooks").bearer(&admin)
                .json(&json!({"portal_id": hooked, "url": hook.uri(), "events": events})).send().await;
            assert_eq!(reply.status.as_u16(), 422, "{events}: {}", reply.text());
        }
        assert_eq!(app.count("webhook_subscriptions"), 0);
        let body = complaint();
        let requests = app.count("requests");
        app.post("/api/v1/portal/requests").json(&body).send().await.assert_problem(401, "unauthenticated");
        let wrong = format!("mdp_{}", "A".repeat(43));
        app.post("/api/v1/portal/requests").bearer(&wrong).json(&body).send().await.assert_problem(401, "unauthenticated");
        app.post("/api/v1/portal/requests").bearer(&admin).json(&body).send().await.assert_problem(401, "unauthenticated");
        let (_, hook_key) = portal(&app, &admin, "درگاه فقط وب‌هوک", &["webhooks"]).await;
        app.post("/api/v1/portal/requests").bearer(&hook_key).json(&body).send().await.assert_problem(403, "forbidden");
        app.post("/api/v1/portal/requests").bearer(&key).json(&json!({"name": "م", "mobile": "123", "text": ""}))
            .send().await.assert_problem(422, "validation");
        assert_eq!(app.count("requests"), requests, "nothing was filed");
        let code = crate::public::submit(&app, &complaint()).await["tracking_code"].as_str().unwrap().to_owned();
        let (_, reader_key) = portal(&app, &admin, "درگاه خواننده", &["read", "submit"]).await;
        app.get(&format!("/api/v1/portal/requests/{code}")).bearer(&reader_key).send().await.assert_problem(404, "not-found");
        app.get(&format!("/api/v1/portal/requests/{code}")).bearer(&key).send().await.assert_problem(403, "forbidden");
        let changed = ok(app.patch(&format!("/api/v1/portals/{filer}")).bearer(&admin).json(&json!({"new_key": true})).send().await).await;
        let new_key = changed["key"].as_str().unwrap().to_owned();
        app.post("/api/v1/portal/requests").bearer(&key).json(&body).send().await.assert_problem(401, "unauthenticated");
        portal_submit(&app, &new_key, &body).await;
        ok(app.patch(&format!("/api/v1/portals/{filer}")).bearer(&admin).json(&json!({"active": false})).send().await).await;
        app.post("/api/v1/portal/requests").bearer(&new_key).json(&body).send().await.assert_problem(401, "unauthenticated");
        let listed = ok(app.get("/api/v1/portals").bearer(&admin).send().await).await;
        assert!(!listed.to_string().contains(&new_key), "the key is never shown again");
        assert!(!listed.to_string().contains("key_hash"));
    }
}

on_both_backends! {
    with &[("MARDOM_PORTAL_SUBMISSIONS_PER_HOUR", "4"), ("MARDOM_SUBMISSIONS_PER_MOBILE_DAY", "off")];

    async fn a_portal_has_its_own_submission_limit_exact_under_concurrency(app) {
        let admin = app.admin_token().await;
        let (_, key) = portal(&app, &admin, "درگاه استانی", &["submit"]).await;
        let (_, other) = portal(&app, &admin, "درگاه دیگر", &["submit"]).await;
        let calls = (0..10).map(|n| {
            let mut body = complaint();
            body["mobile"] = json!(format!("0912100000{n}"));
            let (app, key) = (&app, key.clone());
            async move { app.post("/api/v1/portal/requests").bearer(&key).json(&body).send().await }
        });
        let replies = futures_util::future::join_all(calls).await;
        let created = replies.iter().filter(|r| r.status == StatusCode::CREATED).count();
        let limited: Vec<_> = replies.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).collect();
        assert_eq!((created, limited.len()), (4, 6));
        for reply in limited {
            assert!(reply.text().contains("too many submissions from this portal"));
            assert!(reply.header("retry-after").is_some());
        }
        assert_eq!(app.count("request_portals"), 4);
        // Another portal's allowance is its own.
        portal_submit(&app, &other, &complaint()).await;
    }
}

/// Two instances on one PostgreSQL database, as production runs them: each with its own pool
/// and its own dispatcher.
#[cfg(postgres_tests)]
mod across_two_instances {
    use super::*;

    #[actix_web::test]
    async fn an_outage_with_a_dispatcher_in_each_instance_ends_with_every_event_delivered_once() {
        // The outage is longer than a run of failures that disables a subscription by default.
        const ENV: &[(&str, &str)] = &[
            ("MARDOM_WEBHOOK_ALLOW", "127.0.0.1"),
            ("MARDOM_WEBHOOK_BACKOFF_MS", "1"),
            ("MARDOM_WEBHOOK_MAX_ATTEMPTS", "50"),
            ("MARDOM_WEBHOOK_DISABLE_AFTER", "100"),
        ];
        let a = TestApp::postgres(ENV).await;
        let b = a.second_instance(ENV).await;
        let admin = a.admin_token().await;
        let (filer, key) = portal(&a, &admin, "درگاه استانی", &["submit", "webhooks"]).await;
        let hook = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(20)
            .mount(&hook)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&hook)
            .await;
        let (_, secret) = subscribe(&a, &admin, &filer, &hook.uri(), &["request.registered"]).await;
        // Twenty submissions, spread over both instances.
        for n in 0..20 {
            let mut body = complaint();
            body["mobile"] = json!(format!("091220000{n:02}"));
            portal_submit([&a, &b][n % 2], &key, &body).await;
        }
        let (one, two) = (a.webhook_dispatcher(), b.webhook_dispatcher());
        for _ in 0..600 {
            let (x, y) = tokio::join!(one.run_once(), two.run_once());
            let (x, y) = (x.unwrap(), y.unwrap());
            if x.claimed + y.claimed == 0 && pending(&a) == 0 {
                break;
            }
            if x.claimed + y.claimed == 0 {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
        assert_eq!(pending(&a), 0);
        let received = hook.received_requests().await.unwrap();
        let mut verify = Receiver::new(&secret);
        let mut accepted: BTreeMap<String, usize> = BTreeMap::new();
        for request in &received[20..] {
            assert_eq!(verify.check(request), Verdict::Accepted);
            let id = request
                .headers
                .get("webhook-id")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            *accepted.entry(id).or_default() += 1;
        }
        eprintln!(
            "FIGURES webhooks, two instances: {} attempts for 20 events, 20 refused",
            received.len()
        );
        assert_eq!(
            received.len(),
            40,
            "20 refused and 20 accepted attempts: none doubled"
        );
        assert_eq!(accepted.len(), 20);
        assert!(accepted.values().all(|n| *n == 1));
    }

    #[actix_web::test]
    async fn a_portals_limit_holds_across_two_instances() {
        const ENV: &[(&str, &str)] = &[
            ("MARDOM_PORTAL_SUBMISSIONS_PER_HOUR", "5"),
            ("MARDOM_SUBMISSIONS_PER_MOBILE_DAY", "off"),
        ];
        let a = TestApp::postgres(ENV).await;
        let b = a.second_instance(ENV).await;
        let admin = a.admin_token().await;
        let (_, key) = portal(&a, &admin, "درگاه استانی", &["submit"]).await;
        let calls = (0..12).map(|n| {
            let mut body = complaint();
            body["mobile"] = json!(format!("0912300000{}", n % 10));
            let (app, key) = ([&a, &b][n % 2], key.clone());
            async move {
                app.post("/api/v1/portal/requests")
                    .bearer(&key)
                    .json(&body)
                    .send()
                    .await
                    .status
            }
        });
        let statuses = futures_util::future::join_all(calls).await;
        let created = statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count();
        let limited = statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count();
        assert_eq!((created, limited), (5, 7));
        assert_eq!(a.count("request_portals"), 5);
    }
}
