//! The citizen's objection to how a request ended: once, inside its window (working days from
//! the closing, to the end of the last one in Tehran), the request returns to review with the
//! objection in its history, the desk hears of it in the inbox and owes a review again; after
//! the window, a second time, after a withdrawal, with another mobile or a bad body: a problem,
//! and nothing written. Concurrent objections reopen the request once.

use chrono::{DateTime, Duration, Utc};
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::handling::{complaint, ok, registered};
use crate::public::assert_no_identity;
use crate::support::{TestApp, on_both_backends};

const OBJECTION: &str = "پاسخ داده‌شده به اصل شکایت من درباره‌ی برخورد کارکنان نپرداخته است";

/// A complaint classified and thanked by a new reviewer: (reviewer's token, request id, code).
async fn thanked(app: &TestApp) -> (String, String, String) {
    let admin = app.admin_token().await;
    let reviewer = app.token_for_role(&admin, "reviewer").await;
    let (id, code) = thanked_by(app, &reviewer).await;
    (reviewer, id, code)
}

/// A complaint classified and thanked by `reviewer`: (request id, code).
pub(crate) async fn thanked_by(app: &TestApp, reviewer: &str) -> (String, String) {
    let (id, code) = registered(app, &complaint()).await;
    close_again(app, reviewer, &id, true).await;
    (id, code)
}

/// Takes the request to `closed` (thanked): classified first when `classify`.
pub(crate) async fn close_again(app: &TestApp, reviewer: &str, id: &str, classify: bool) {
    let base = format!("/api/v1/requests/{id}");
    if classify {
        ok(app
            .post(&format!("{base}/classify"))
            .bearer(reviewer)
            .json(&json!({"kind": "complaint"}))
            .send()
            .await)
        .await;
    }
    let closed = ok(app
        .post(&format!("{base}/thank"))
        .bearer(reviewer)
        .send()
        .await)
    .await;
    assert_eq!(closed["status"], "closed");
}

fn objection_path(code: &str) -> String {
    format!("/api/v1/public/requests/{code}/objection")
}

async fn lookup(app: &TestApp, code: &str) -> Value {
    ok(app
        .get(&format!("/api/v1/public/requests/{code}"))
        .send()
        .await)
    .await
}

fn until(view: &Value) -> DateTime<Utc> {
    view["objection_until"]
        .as_str()
        .unwrap_or_else(|| panic!("no objection_until: {view}"))
        .parse()
        .unwrap()
}

/// Everything an objection writes: the request rows, the history, the inbox, the deadlines.
fn written(app: &TestApp) -> String {
    format!(
        "{}\ninbox {}, deadlines {}",
        app.snapshot(),
        app.count("staff_notifications"),
        app.count("deadlines")
    )
}

on_both_backends! {
    async fn an_objection_in_its_window_reopens_the_request_and_tells_the_desk(app) {
        let (reviewer, id, code) = thanked(&app).await;
        let view = lookup(&app, &code).await;
        let closed_at: DateTime<Utc> = view["closed_at"].as_str().unwrap().parse().unwrap();
        let until = until(&view);
        // Ten working days and the rest of the last one: at least 11 days, never 17.
        assert!(until - closed_at > Duration::days(11) && until - closed_at < Duration::days(17), "{until} {closed_at}");
        assert_eq!(until.format("%H:%M").to_string(), "20:30", "the end of a day in Tehran");

        let path = objection_path(&code);
        let before = written(&app);
        let wrong = app.post(&path).json(&json!({"mobile": "09350000000", "text": OBJECTION})).send().await;
        wrong.assert_problem(403, "forbidden");
        let short = app.post(&path).json(&json!({"mobile": "09123456789", "text": "بد بود"})).send().await;
        short.assert_problem(422, "validation");
        assert_eq!(short.error_fields(), ["text"]);
        let both = app.post(&path).json(&json!({"mobile": "0912", "text": ""})).send().await;
        both.assert_problem(422, "validation");
        assert_eq!(both.error_fields(), ["mobile", "text"]);
        let unknown = app.post(&path).json(&json!({"mobile": "09123456789", "text": OBJECTION, "rating": 1})).send().await;
        unknown.assert_problem(422, "validation");
        app.post(&path).body("application/json", "{\"mobile\": ").send().await.assert_problem(400, "malformed-json");
        app.post(&objection_path(&crate::public::valid_code_other_than(&code)))
            .json(&json!({"mobile": "09123456789", "text": OBJECTION})).send().await.assert_problem(404, "not-found");
        assert_eq!(written(&app), before, "a refused objection writes nothing");

        let reply = app.post(&path).json(&json!({"mobile": "۰۹۱۲۳۴۵۶۷۸۹", "text": OBJECTION})).send().await;
        assert_eq!(reply.status, actix_web::http::StatusCode::OK, "{}", reply.text());
        assert_no_identity(&reply.text());
        assert!(!reply.text().contains("نپرداخته"), "the objection's text stays with staff");
        let reopened = reply.json();
        assert_eq!((reopened["status"].as_str(), reopened["resolution"].as_str()), (Some("in_review"), None));
        assert!(reopened["closed_at"].is_null() && reopened["objection_until"].is_null(), "{reopened}");
        let actions: Vec<&str> = reopened["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["registered", "classified", "thanked", "objected"]);
        assert_eq!(lookup(&app, &code).await, reopened);

        // The desk reads the objection in the history and may decide again.
        let detail = ok(app.get(&format!("/api/v1/requests/{id}")).bearer(&reviewer).send().await).await;
        let objected = detail["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((objected["action"].as_str(), objected["actor_kind"].as_str()), (Some("objected"), Some("citizen")));
        assert_eq!(objected["details"]["objection"], OBJECTION);
        let allowed = detail["allowed_actions"].as_array().unwrap();
        assert!(allowed.contains(&json!("refer")) && allowed.contains(&json!("thank")), "{allowed:?}");
        let inbox = ok(app.get("/api/v1/me/notifications").bearer(&reviewer).send().await).await;
        let lines = inbox["items"].as_array().unwrap();
        assert_eq!(lines.len(), 1, "{inbox}");
        assert_eq!((lines[0]["topic"].as_str(), lines[0]["request_id"].as_str()), (Some("objection"), Some(id.as_str())));
        assert!(lines[0]["message"].as_str().unwrap().contains(&code), "{}", lines[0]);
        assert_eq!(app.notifications_of(&id).len(), 2, "the tracking code and the thanks; an objection sends no SMS");

        // The review it is owed is watched like any other: overdue after two working days.
        let scheduler = app.scheduler();
        app.advance(Duration::days(5));
        for ran in scheduler.tick().unwrap() {
            assert!(ran.outcome.is_ok(), "{ran:?}");
        }
        let overdue = ok(app.get("/api/v1/deadlines/overdue?desk=true").bearer(&reviewer).send().await).await;
        assert!(overdue.to_string().contains(&id), "{overdue}");

        // Closed again: once only.
        close_again(&app, &reviewer, &id, false).await;
        assert!(lookup(&app, &code).await["objection_until"].is_null());
        let before = written(&app);
        let again = app.post(&path).json(&json!({"mobile": "09123456789", "text": OBJECTION})).send().await;
        let problem = again.assert_problem(409, "objected-already");
        assert!(problem["detail"].as_str().unwrap().contains("once"), "{problem}");
        assert_eq!(written(&app), before);
    }

    async fn an_objection_after_its_window_or_to_a_withdrawal_is_409(app) {
        let (reviewer, _, early) = thanked(&app).await;
        let (_, late) = thanked_by(&app, &reviewer).await;
        let until = until(&lookup(&app, &late).await);
        app.advance(until.naive_utc() - app.clock.now() - Duration::minutes(1));
        let body = json!({"mobile": "09123456789", "text": OBJECTION});
        let reply = app.post(&objection_path(&early)).json(&body).send().await;
        assert_eq!(reply.status, actix_web::http::StatusCode::OK, "a minute before the end: {}", reply.text());

        app.advance(Duration::minutes(2));
        assert!(lookup(&app, &late).await["objection_until"].is_null());
        let before = written(&app);
        let refused = app.post(&objection_path(&late)).json(&body).send().await;
        let problem = refused.assert_problem(409, "objection-window-closed");
        assert!(problem["detail"].as_str().unwrap().contains(&until.to_rfc3339()), "{problem}");
        assert_eq!(written(&app), before);

        let (_, withdrawn) = registered(&app, &complaint()).await;
        ok(app.post(&format!("/api/v1/public/requests/{withdrawn}/withdrawal"))
            .json(&json!({"mobile": "09123456789"})).send().await).await;
        assert!(lookup(&app, &withdrawn).await["objection_until"].is_null());
        let (_, open) = registered(&app, &complaint()).await;
        let before = written(&app);
        app.post(&objection_path(&withdrawn)).json(&body).send().await.assert_problem(409, "transition-not-allowed");
        app.post(&objection_path(&open)).json(&body).send().await.assert_problem(409, "transition-not-allowed");
        assert_eq!(written(&app), before);
    }

    async fn eight_concurrent_objections_reopen_the_request_once(app) {
        let (reviewer, id, code) = thanked(&app).await;
        let replies = object_together(&[&app], &code, 8).await;
        assert_once(&app, &reviewer, &id, &replies).await;
    }
}

/// `n` objections to one request at once, spread over `instances`, each from its own address.
async fn object_together(
    instances: &[&TestApp],
    code: &str,
    n: usize,
) -> Vec<crate::support::Reply> {
    let body = json!({"mobile": "09123456789", "text": OBJECTION});
    let calls = (0..n).map(|i| {
        instances[i % instances.len()]
            .post(&objection_path(code))
            .sent_from(&format!("198.51.100.{}:1", i + 1))
            .json(&body)
            .send()
    });
    join_all(calls).await
}

/// Exactly one reply reopened the request; the others are 409 and wrote nothing.
async fn assert_once(app: &TestApp, reviewer: &str, id: &str, replies: &[crate::support::Reply]) {
    let reopened = replies
        .iter()
        .filter(|r| r.status == actix_web::http::StatusCode::OK)
        .count();
    assert_eq!(
        reopened,
        1,
        "{:?}",
        replies
            .iter()
            .map(|r| (r.status, r.text()))
            .collect::<Vec<_>>()
    );
    for refused in replies
        .iter()
        .filter(|r| r.status != actix_web::http::StatusCode::OK)
    {
        assert_eq!(
            refused.status,
            actix_web::http::StatusCode::CONFLICT,
            "{}",
            refused.text()
        );
    }
    let detail = ok(app
        .get(&format!("/api/v1/requests/{id}"))
        .bearer(reviewer)
        .send()
        .await)
    .await;
    let objections = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "objected")
        .count();
    assert_eq!(objections, 1);
    assert_eq!(app.count("staff_notifications"), 1, "the desk hears once");
}

/// Two server instances on one PostgreSQL database, objections spread over both: once.
#[actix_web::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "MARDOM_TEST_POSTGRES_URL was not set when the tests were built"
)]
async fn objections_through_two_instances_reopen_the_request_once() {
    let first = TestApp::postgres(&[]).await;
    let second = first.second_instance(&[]).await;
    let (reviewer, id, code) = thanked(&first).await;
    let replies = object_together(&[&first, &second], &code, 10).await;
    assert_once(&first, &reviewer, &id, &replies).await;
}
