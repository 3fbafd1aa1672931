//! The dashboard figures: exact counts over a period with every key present, the handling-time
//! medians and ratings, each unit's current referral workload (whatever the period), who may
//! see them, and the parameters refused.

use actix_web::http::StatusCode;
use diesel::RunQueryDsl;
use serde_json::{Value, json};

use crate::public::{request_id, submission, submit};
use crate::support::{TestApp, on_both_backends};

const UNIT_NAME: &str = "واحد امور مالی";

async fn ok(reply: crate::support::Reply) -> Value {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()
}

/// Submits online with this proposed kind and returns the request's id.
async fn submitted(app: &TestApp, proposed_kind: &str) -> String {
    let mut body = submission();
    body["proposed_kind"] = json!(proposed_kind);
    let code = submit(app, &body).await["tracking_code"]
        .as_str()
        .unwrap()
        .to_owned();
    request_id(app, &code).await
}

/// Registers a request as staff on this channel and returns its id.
async fn registered(app: &TestApp, token: &str, channel: &str) -> String {
    let reply = app
        .post("/api/v1/requests")
        .bearer(token)
        .json(&json!({
            "channel": channel, "name": "رضا کریمی", "mobile": "09121112233",
            "text": "پرسش درباره‌ی زمان پرداخت مطالبات بیمارستان"
        }))
        .send()
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()["id"].as_str().unwrap().to_owned()
}

fn execute(app: &TestApp, sql: &str) {
    let mut conn = app.pool.get().unwrap();
    diesel::sql_query(sql).execute(&mut *conn).unwrap();
}

on_both_backends! {
    async fn the_figures_count_the_period_and_the_current_workload(app) {
        let admin = app.admin_token().await;
        let reviewer = app.token_for_role(&admin, "reviewer").await;
        let head = app.token_for_role(&admin, "head").await;
        let intake = app.token_for_role(&admin, "intake").await;
        let unit = app.create_unit(&admin, UNIT_NAME, None).await;

        // Nothing yet: every key is there, at zero; no medians, no rating.
        let empty = ok(app.get("/api/v1/stats").bearer(&reviewer).send().await).await;
        assert_eq!(empty["requests"], json!({
            "total": 0,
            "by_kind": {"meeting": 0, "suggestion": 0, "criticism": 0, "complaint": 0, "report": 0, "unclassified": 0},
            "by_channel": {"in_person": 0, "phone": 0, "online": 0},
            "by_status": {"registered": 0, "in_review": 0, "referred": 0, "meeting_scheduled": 0, "follow_up": 0, "closed": 0},
            "by_resolution": {"thanked": 0, "declined": 0, "no_show": 0, "meeting_no_action": 0, "resolved": 0, "withdrawn": 0}
        }));
        assert_eq!(empty["contacts"], json!({"total": 0, "by_outcome": {"guided": 0, "transferred": 0, "registered": 0}}));
        assert_eq!(empty["referrals"], json!([]));
        assert_eq!(empty["median_hours_to_first_decision"], Value::Null);
        assert_eq!(empty["median_hours_to_closure"], Value::Null);
        assert_eq!(empty["rating"], json!({"count": 0, "mean": null}));

        // Three online: one left alone, one thanked, one referred; two registered by staff.
        submitted(&app, "meeting").await;
        let thanked = submitted(&app, "suggestion").await;
        ok(app.post(&format!("/api/v1/requests/{thanked}/classify")).bearer(&reviewer)
            .json(&json!({"kind": "suggestion"})).send().await).await;
        ok(app.post(&format!("/api/v1/requests/{thanked}/thank")).bearer(&reviewer).send().await).await;
        let referred = submitted(&app, "complaint").await;
        ok(app.post(&format!("/api/v1/requests/{referred}/classify")).bearer(&reviewer)
            .json(&json!({"kind": "complaint"})).send().await).await;
        ok(app.post(&format!("/api/v1/requests/{referred}/refer")).bearer(&reviewer)
            .json(&json!({"unit_id": unit, "text": "متن بی‌نام برای واحد مربوط"})).send().await).await;
        registered(&app, &intake, "phone").await;
        registered(&app, &intake, "in_person").await;
        let contact = app.post("/api/v1/contacts").bearer(&intake)
            .json(&json!({"channel": "in_person", "summary": "راهنمایی حضوری", "outcome": "guided"})).send().await;
        assert_eq!(contact.status, StatusCode::CREATED, "{}", contact.text());
        execute(&app, &format!(
            "INSERT INTO ratings (request_id, score, comment, created_at) VALUES ('{thanked}', 4, NULL, '2026-01-01 00:00:00')"
        ));

        let stats = ok(app.get("/api/v1/stats").bearer(&reviewer).send().await).await;
        assert_eq!(stats["requests"], json!({
            "total": 5,
            "by_kind": {"meeting": 0, "suggestion": 1, "criticism": 0, "complaint": 1, "report": 0, "unclassified": 3},
            "by_channel": {"in_person": 1, "phone": 1, "online": 3},
            "by_status": {"registered": 3, "in_review": 0, "referred": 1, "meeting_scheduled": 0, "follow_up": 0, "closed": 1},
            "by_resolution": {"thanked": 1, "declined": 0, "no_show": 0, "meeting_no_action": 0, "resolved": 0, "withdrawn": 0}
        }));
        assert_eq!(stats["contacts"], json!({"total": 1, "by_outcome": {"guided": 1, "transferred": 0, "registered": 0}}));
        assert_eq!(stats["referrals"], json!([{"unit_id": unit, "unit_name": UNIT_NAME, "open": 1, "overdue": 0}]));
        for median in ["median_hours_to_first_decision", "median_hours_to_closure"] {
            let hours = stats[median].as_f64().unwrap_or_else(|| panic!("{median}: {stats}"));
            assert!((0.0..1.0).contains(&hours), "{median}: {hours}");
        }
        assert_eq!(stats["rating"], json!({"count": 1, "mean": 4.0}));
        let (from, to) = (stats["from"].as_str().unwrap(), stats["to"].as_str().unwrap());
        assert!(from.ends_with('Z') && to.ends_with('Z') && from < to, "{from} {to}");
        assert_eq!(ok(app.get("/api/v1/stats").bearer(&head).send().await).await["requests"]["total"], 5);
        assert_eq!(ok(app.get("/api/v1/stats").bearer(&admin).send().await).await["requests"]["total"], 5);

        // Past due: the unit's workload says so.
        execute(&app, "UPDATE referrals SET due_at = '2020-01-01 00:00:00'");
        let overdue = ok(app.get("/api/v1/stats").bearer(&reviewer).send().await).await;
        assert_eq!(overdue["referrals"], json!([{"unit_id": unit, "unit_name": UNIT_NAME, "open": 1, "overdue": 1}]));

        // A period long past: no requests or contacts, but the workload is today's all the same.
        let past = ok(app.get("/api/v1/stats?from=2020-01-01T00:00:00%2B03:30&to=2020-02-01T00:00:00Z")
            .bearer(&reviewer).send().await).await;
        assert_eq!((past["from"].as_str(), past["to"].as_str()), (Some("2019-12-31T20:30:00Z"), Some("2020-02-01T00:00:00Z")));
        assert_eq!(past["requests"]["total"], 0);
        assert_eq!(past["requests"]["by_status"]["closed"], 0);
        assert_eq!(past["contacts"]["total"], 0);
        assert_eq!(past["median_hours_to_closure"], Value::Null);
        assert_eq!(past["median_hours_to_first_decision"], Value::Null);
        assert_eq!(past["rating"], json!({"count": 0, "mean": null}));
        assert_eq!(past["referrals"], overdue["referrals"]);
        // Only `to`: the 30 days before it.
        let before = ok(app.get("/api/v1/stats?to=2020-02-01T00:00:00Z").bearer(&reviewer).send().await).await;
        assert_eq!(before["from"], "2020-01-02T00:00:00Z");
    }

    async fn only_the_desk_head_and_admins_see_the_figures_and_bad_parameters_are_refused(app) {
        let admin = app.admin_token().await;
        let reviewer = app.token_for_role(&admin, "reviewer").await;
        for role in ["unit_staff", "intake", "operator"] {
            let token = app.token_for_role(&admin, role).await;
            app.get("/api/v1/stats").bearer(&token).send().await.assert_problem(403, "forbidden");
        }
        app.get("/api/v1/stats").send().await.assert_problem(401, "unauthenticated");
        for query in [
            "from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            "from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            "from=2026-01-01T03:30:00%2B03:30&to=2026-01-01T00:00:00Z",
            "colour=red",
            "from=2026-01-01T00:00:00",
            "to=yesterday",
        ] {
            app.get(&format!("/api/v1/stats?{query}")).bearer(&reviewer).send().await
                .assert_problem(400, "bad-parameter");
        }
    }
}
