//! Retention (PRODUCT rule 11): requests closed longer than 24 months lose their citizen's
//! identity and own words, after the citizen was told 30 days before by SMS; nothing else does,
//! the statistics do not move, the anonymised history stays, and two instances sweeping at
//! once erase each request once.

use chrono::Duration;
use serde_json::{Value, json};

use crate::handling::{complaint, desk, ok, registered};
use crate::objection::close_again;
use crate::support::{TestApp, on_both_backends};

const OBJECTION: &str = "پاسخ داده‌شده مشکل را حل نکرد و هنوز مبلغ را نپرداخته‌اند";
const COMMENT: &str = "کارمند پذیرش بسیار مؤدب بود";
const EVERYTHING: &str = "/api/v1/stats?from=2020-01-01T00:00:00Z&to=2040-01-01T00:00:00Z";

/// A day of scheduler runs after the clock moved (every job due runs once).
fn sweep(app: &TestApp) -> Vec<mardom::scheduler::Ran> {
    app.scheduler().tick().expect("the jobs ran")
}

fn sms_of(app: &TestApp, id: &str, template: &str) -> Vec<Value> {
    app.notifications_of(id)
        .into_iter()
        .filter(|(t, ..)| t == template)
        .map(|(_, to, params, _)| json!({"to": to, "params": params}))
        .collect()
}

on_both_backends! {
    async fn requests_closed_past_their_retention_are_erased_after_a_notice_and_nothing_else(app) {
        let admin = app.admin_token().await;
        let office = desk(&app).await;
        let reviewer = office.reviewer.clone();
        // A: thanked, rated with a comment, objected to, thanked again.
        let (a, a_code) = registered(&app, &complaint()).await;
        close_again(&app, &reviewer, &a, true).await;
        ok(app.post(&format!("/api/v1/public/requests/{a_code}/rating")).json(&json!({"mobile": "09123456789", "score": 4, "comment": COMMENT})).send().await).await;
        ok(app.post(&format!("/api/v1/public/requests/{a_code}/objection")).json(&json!({"mobile": "09123456789", "text": OBJECTION})).send().await).await;
        close_again(&app, &reviewer, &a, false).await;
        // B: withdrawn by its citizen. C: still in review.
        let (b, b_code) = registered(&app, &crate::public::submission()).await;
        ok(app.post(&format!("/api/v1/public/requests/{b_code}/withdrawal")).json(&json!({"mobile": "09123456789"})).send().await).await;
        let (c, _) = registered(&app, &crate::public::submission()).await;
        ok(app.post(&format!("/api/v1/requests/{c}/classify")).bearer(&reviewer).json(&json!({"kind": "meeting"})).send().await).await;
        // D: closed three months later.
        app.advance(Duration::days(90));
        let (d, _) = registered(&app, &complaint()).await;
        close_again(&app, &reviewer, &d, true).await;
        let stats = ok(app.get(EVERYTHING).bearer(&admin).send().await).await;

        // 24 months less 29 days after A and B closed, they are announced (D, closed three
        // months later, is not).
        app.advance(Duration::days(730 - 90 - 29));
        let plan = mardom::app::retention::plan(&mut app.pool.get().unwrap(), &Default::default(), app.rules.now()).unwrap();
        let mut planned: Vec<&str> = plan.announced.iter().map(|d| d.request_id.as_str()).collect();
        planned.sort();
        let mut expected = vec![a.as_str(), b.as_str()];
        expected.sort();
        assert_eq!((planned, plan.erased.len()), (expected, 0), "{plan:?}");
        assert_eq!(app.count("request_erasures"), 0, "a plan writes nothing");
        sweep(&app);
        for id in [&a, &b] {
            let notices = sms_of(&app, id, "retention_notice");
            assert_eq!(notices.len(), 1, "{id}: {notices:?}");
            assert_eq!(notices[0]["to"], "+989123456789");
        }
        assert!(sms_of(&app, &d, "retention_notice").is_empty() && sms_of(&app, &c, "retention_notice").is_empty());
        assert_eq!(app.revealed(&admin, &a).await["name"], crate::public::NAME, "announced, not yet erased");

        // A full notice later: erased, by two instances' sweeps at once, each once.
        app.advance(Duration::days(31));
        let schedulers = [std::sync::Arc::new(app.scheduler()), std::sync::Arc::new(app.scheduler())];
        TestApp::tick_together(&schedulers);
        for id in [&a, &b] {
            let detail = ok(app.get(&format!("/api/v1/requests/{id}")).bearer(&admin).send().await).await;
            assert_eq!(detail["citizen"], Value::Null, "{detail}");
            assert!(detail["identity_erased_at"].is_string());
            assert_eq!(detail["text"], "");
            let erased: Vec<&Value> = detail["history"].as_array().unwrap().iter().filter(|e| e["action"] == "identity_erased").collect();
            assert_eq!(erased.len(), 1, "erased once: {detail}");
            assert_eq!(erased[0]["public"], false);
            app.post(&format!("/api/v1/requests/{id}/reveal")).bearer(&admin).json(&json!({})).send().await
                .assert_problem(409, "identity-erased");
        }
        let a_detail = ok(app.get(&format!("/api/v1/requests/{a}")).bearer(&admin).send().await).await;
        let objected = a_detail["history"].as_array().unwrap().iter().find(|e| e["action"] == "objected").unwrap().clone();
        assert_eq!(objected["details"], json!({"objection": null}));
        assert_eq!(app.column_values("ratings", "comment"), Vec::<String>::new());
        for (table, column) in [("requests", "body"), ("request_events", "details")] {
            assert!(app.column_values(table, column).iter().all(|v| !v.contains("نپرداخته")), "{table}");
        }
        assert_eq!(app.count("request_identities"), 2, "C's and D's are kept");
        assert_eq!(app.revealed(&admin, &c).await["mobile"], "+989123456789");
        assert_eq!(app.revealed(&admin, &d).await["national_id"], crate::public::NATIONAL_ID);
        // The public record stays, and so do the figures.
        ok(app.get(&format!("/api/v1/public/requests/{a_code}")).send().await).await;
        let after = ok(app.get(EVERYTHING).bearer(&admin).send().await).await;
        assert!(stats["requests"]["total"].as_i64().unwrap() >= 4, "{stats}");
        assert_eq!(after, stats, "the figures are the same");
        // Nothing more is owed: another sweep erases nothing again.
        let plan = mardom::app::retention::plan(&mut app.pool.get().unwrap(), &Default::default(), app.rules.now()).unwrap();
        assert!(plan.erased.is_empty(), "{plan:?}");
    }
}
