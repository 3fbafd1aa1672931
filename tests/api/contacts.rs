//! The walk-in and call log: each outcome, the rules that tie outcome to channel and unit,
//! registering a request with its contact in one call, and the counts.

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::support::on_both_backends;

async fn log(app: &crate::support::TestApp, token: &str, body: &Value) -> Value {
    let reply = app
        .post("/api/v1/contacts")
        .bearer(token)
        .json(body)
        .send()
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()
}

on_both_backends! {
    async fn each_outcome_is_logged(app) {
        let admin = app.admin_token().await;
        let intake = app.token_for_role(&admin, "intake").await;
        let operator = app.token_for_role(&admin, "operator").await;
        let unit = app.create_unit(&admin, "واحد امور مالی", None).await;

        let guided = log(&app, &intake, &json!({"channel": "in_person", "summary": "راهنمایی درباره‌ی مدارک لازم", "outcome": "guided"})).await;
        assert_eq!(guided["contact"]["outcome"], "guided");
        assert_eq!(guided["request"], Value::Null);
        assert_eq!(guided["contact"]["citizen_name"], Value::Null);

        let transferred = log(&app, &operator, &json!({
            "channel": "phone", "summary": "پرسش درباره‌ی پرداخت؛ به واحد مالی وصل شد", "outcome": "transferred",
            "unit_id": unit, "citizen_mobile": "۰۹۱۲۱۱۱۲۲۳۳"
        })).await;
        assert_eq!(transferred["contact"]["unit_id"], unit.as_str());
        // Masked in every answer; sealed where it is kept.
        assert_eq!(transferred["contact"]["citizen_mobile"], "+98912***2233");
        let stored = app.column_values("contacts", "citizen_mobile");
        assert!(stored.iter().all(|v| !v.contains("1112233")), "{stored:?}");
        assert!(stored.iter().any(|v| app.opened(v) == "+989121112233"), "{stored:?}");

        let registered = log(&app, &intake, &json!({
            "channel": "in_person", "summary": "شکایت ثبت شد", "outcome": "registered",
            "request": {"name": "رضا کریمی", "mobile": "09121112233", "text": "شکایت از نحوه‌ی برخورد در واحد پذیرش", "proposed_kind": "complaint"}
        })).await;
        let request = &registered["request"];
        assert_eq!(request["channel"], "in_person");
        assert_eq!(request["status"], "registered");
        assert_eq!(registered["contact"]["request_id"], request["id"]);
        assert_eq!(registered["contact"]["citizen_name"], "ر. ک.", "taken from the request, masked");
        assert_eq!(app.notifications_of(request["id"].as_str().unwrap()).len(), 1, "the tracking code SMS is queued");

        let linked = log(&app, &operator, &json!({
            "channel": "phone", "summary": "پیگیری همان شکایت", "outcome": "registered", "request_id": request["id"]
        })).await;
        assert_eq!(linked["contact"]["request_id"], request["id"]);
        assert_eq!(linked["request"], Value::Null);
        assert_eq!(app.count("requests"), 1);

        let list = app.get("/api/v1/contacts").bearer(&intake).send().await.json();
        assert_eq!(list["items"].as_array().unwrap().len(), 4);
        assert_eq!(list["items"][0]["id"], linked["contact"]["id"], "newest first");
        assert_eq!(list["counts"], json!({
            "total": 4, "by_outcome": {"guided": 1, "registered": 2, "transferred": 1},
            "by_channel": {"in_person": 2, "phone": 2}
        }));
        let filtered = app.get("/api/v1/contacts?channel=phone&outcome=registered").bearer(&admin).send().await.json();
        assert_eq!(filtered["items"].as_array().unwrap().len(), 1);
        assert_eq!(filtered["counts"]["total"], 1);
        let operator_id = transferred["contact"]["staff_id"].as_str().unwrap();
        let mine = app.get(&format!("/api/v1/contacts?staff_id={operator_id}&limit=1")).bearer(&admin).send().await.json();
        assert_eq!(mine["items"].as_array().unwrap().len(), 1);
        assert_eq!(mine["counts"]["total"], 2);
        let next = mine["next_cursor"].as_str().unwrap();
        let rest = app.get(&format!("/api/v1/contacts?staff_id={operator_id}&limit=1&cursor={next}")).bearer(&admin).send().await.json();
        assert_eq!(rest["items"][0]["id"], transferred["contact"]["id"]);
        assert_eq!(rest["next_cursor"], Value::Null);
    }

    async fn outcomes_that_do_not_fit_are_refused_and_nothing_is_written(app) {
        let admin = app.admin_token().await;
        let intake = app.token_for_role(&admin, "intake").await;
        let unit = app.create_unit(&admin, "واحد حقوقی", None).await;
        let before = app.snapshot();
        let cases = [
            (json!({"channel": "in_person", "summary": "انتقال حضوری", "outcome": "transferred", "unit_id": unit}), "outcome"),
            (json!({"channel": "phone", "summary": "انتقال بدون واحد", "outcome": "transferred"}), "unit_id"),
            (json!({"channel": "phone", "summary": "راهنمایی با واحد", "outcome": "guided", "unit_id": unit}), "unit_id"),
            (json!({"channel": "phone", "summary": "ثبت بدون درخواست", "outcome": "registered"}), "request"),
            (json!({"channel": "phone", "summary": "انتقال به واحد ناموجود", "outcome": "transferred", "unit_id": "0b6f2b0c-9d3e-4a47-9a43-4f8e3a1c2d11"}), "unit_id"),
            (json!({"channel": "phone", "summary": "ثبت با درخواست ناموجود", "outcome": "registered", "request_id": "0b6f2b0c-9d3e-4a47-9a43-4f8e3a1c2d11"}), "request_id"),
            (json!({"channel": "phone", "summary": "x", "outcome": "guided"}), "summary"),
            (json!({"channel": "phone", "summary": "شماره نادرست", "outcome": "guided", "citizen_mobile": "12345"}), "citizen_mobile"),
            (json!({"channel": "phone", "summary": "درخواست نادرست", "outcome": "registered",
                    "request": {"name": "رضا", "mobile": "0912", "text": "کوتاه"}}), "request.mobile"),
        ];
        for (body, field) in cases {
            let reply = app.post("/api/v1/contacts").bearer(&intake).json(&body).send().await;
            reply.assert_problem(422, "validation");
            assert!(reply.error_fields().contains(&field.to_owned()), "{body}: {}", reply.text());
        }
        for body in [
            json!({"channel": "email", "summary": "کانال نادرست", "outcome": "guided"}),
            json!({"channel": "phone", "summary": "پیامد نادرست", "outcome": "ignored"}),
            json!({"channel": "phone", "summary": "فیلد ناشناخته", "outcome": "guided", "priority": "high"}),
        ] {
            app.post("/api/v1/contacts").bearer(&intake).json(&body).send().await.assert_problem(422, "validation");
        }
        app.post("/api/v1/contacts").bearer(&intake).body("application/json", "[").send().await.assert_problem(400, "malformed-json");
        assert_eq!(app.snapshot(), before);
    }

    async fn who_may_log_and_read_contacts(app) {
        let admin = app.admin_token().await;
        let body = json!({"channel": "phone", "summary": "راهنمایی تلفنی", "outcome": "guided"});
        for role in ["reviewer", "head", "unit_staff"] {
            let token = app.token_for_role(&admin, role).await;
            app.post("/api/v1/contacts").bearer(&token).json(&body).send().await.assert_problem(403, "forbidden");
            let listed = app.get("/api/v1/contacts").bearer(&token).send().await;
            if role == "unit_staff" {
                listed.assert_problem(403, "forbidden");
            } else {
                assert_eq!(listed.status, StatusCode::OK);
            }
        }
        app.post("/api/v1/contacts").bearer(&admin).json(&body).send().await.assert_problem(403, "forbidden");
        assert_eq!(app.count("contacts"), 0);
        for query in ["outcome=lost", "channel=online", "limit=500", "staff_id=me", "cursor=1_"] {
            app.get(&format!("/api/v1/contacts?{query}")).bearer(&admin).send().await.assert_problem(400, "bad-parameter");
        }
    }
}
