//! An identity no one reads unseen: staff views carry it masked, a reveal shows it and is
//! recorded (the admin reads the record, the citizen sees when and by which role), the citizen
//! downloads everything held about them, and at rest — the SQLite file, a `pg_dump` — no
//! planted identifier appears while every flow still works; a key rotation mid-run leaves no
//! request unreadable.

use super::citizen_door::{MOBILE, STORED, code_by_sms, token};
use super::*;
use crate::public::{EMAIL, NAME, NATIONAL_ID, TEXT, request_id, submission, submit};
use crate::support::on_both_backends;

/// What a body shown to staff before any reveal must not hold.
fn assert_masked(raw: &str) {
    for full in [
        NAME,
        "مریم",
        "حسینی",
        NATIONAL_ID,
        EMAIL,
        "maryam",
        "9123456789",
    ] {
        assert!(!raw.contains(full), "{full:?} unmasked in {raw}");
    }
}

async fn reveal(app: &TestApp, token: &str, id: &str, body: Value) -> crate::support::Reply {
    app.post(&format!("/api/v1/requests/{id}/reveal"))
        .bearer(token)
        .json(&body)
        .send()
        .await
}

with_fake! {
    async fn a_reveal_is_recorded_for_the_admin_and_shown_to_the_citizen(app, fake) {
        accepting(&fake).await;
        let dispatcher = dispatcher(&app, &fake, quick());
        let filed = submit(&app, &submission()).await;
        let code = filed["tracking_code"].as_str().unwrap().to_owned();
        let id = request_id(&app, &code).await;
        let admin = app.admin_token().await;
        let reviewer = app.token_for_role(&admin, "reviewer").await;

        // Masked on every staff view until someone reveals it.
        let detail = app.get(&format!("/api/v1/requests/{id}")).bearer(&reviewer).send().await;
        assert_masked(&detail.text());
        assert_eq!(detail.json()["citizen"], json!({"name": "م. ح.", "mobile": "+98912***6789", "national_id": "********99", "email": "m***@***.org"}));
        let outbox = app.get("/api/v1/notifications").bearer(&admin).send().await;
        assert_masked(&outbox.text());
        assert_eq!(app.count("audit_events"), 0, "reading the masked view records nothing");

        let shown = reveal(&app, &reviewer, &id, json!({"fields": ["mobile"], "reason": "تماس برای هماهنگی ملاقات"})).await;
        assert_eq!(shown.status.as_u16(), 200, "{}", shown.text());
        let shown = shown.json();
        assert_eq!(shown["citizen"]["mobile"], STORED, "the field asked for, in full");
        assert_eq!(shown["citizen"]["name"], "م. ح.", "the others stay masked");
        assert_eq!(shown["revealed"], json!(["mobile"]));

        // The admin reads the record; nobody else may.
        let log = app.get("/api/v1/audit").bearer(&admin).send().await.json();
        let events = log["items"].as_array().unwrap();
        assert_eq!(events.len(), 1, "{log}");
        let me = app.get("/api/v1/me").bearer(&reviewer).send().await.json();
        assert_eq!(events[0]["actor_id"], me["id"]);
        assert_eq!(events[0]["actor_role"], "reviewer");
        assert_eq!(events[0]["request_id"], id.as_str());
        assert_eq!(events[0]["fields"], json!(["mobile"]));
        assert_eq!(events[0]["reason"], "تماس برای هماهنگی ملاقات");
        assert_eq!(events[0]["id"], shown["audit_event_id"]);
        let filtered = app.get(&format!("/api/v1/audit?request_id={id}")).bearer(&admin).send().await.json();
        assert_eq!(filtered["items"].as_array().unwrap().len(), 1);
        let other = app.get("/api/v1/audit?request_id=00000000-0000-4000-8000-000000000000").bearer(&admin).send().await.json();
        assert_eq!(other["items"], json!([]));
        app.get("/api/v1/audit").bearer(&reviewer).send().await.assert_problem(403, "forbidden");

        // The citizen sees when, and by which role, never who.
        drain(&dispatcher).await;
        let otp = code_by_sms(&app, &fake, &dispatcher).await;
        let citizen = token(&app, &otp).await;
        let mine = app.get(&format!("/api/v1/public/me/requests/{code}")).bearer(&citizen).send().await;
        let raw = mine.text();
        let mine = mine.json();
        let reads = mine["identity_reads"].as_array().unwrap();
        assert_eq!(reads.len(), 1, "{mine}");
        assert_eq!(reads[0]["role"], "reviewer");
        assert_eq!(reads[0]["fields"], json!(["mobile"]));
        assert_eq!(reads[0]["at"], events[0]["at"]);
        assert!(!raw.contains(me["id"].as_str().unwrap()) && !raw.contains(me["username"].as_str().unwrap()), "{raw}");

        // And downloads everything held about them.
        let export = app.get("/api/v1/public/me/export").bearer(&citizen).send().await;
        assert_eq!(export.status.as_u16(), 200, "{}", export.text());
        assert_eq!(export.header("content-disposition").as_deref(), Some("attachment; filename=\"mardom-my-data.json\""));
        assert_eq!(export.header("cache-control").as_deref(), Some("no-store"));
        let export = export.json();
        assert_eq!(export["mobile"], STORED);
        let held = &export["requests"][0];
        assert_eq!(held["identity"], json!({"name": NAME, "mobile": STORED, "national_id": NATIONAL_ID, "email": EMAIL}));
        assert_eq!(held["text"], TEXT);
        assert_eq!(held["request"]["tracking_code"], code.as_str());
        assert_eq!(held["identity_reads"].as_array().unwrap().len(), 1);
        assert_eq!(held["conversation"], json!([]));
        assert_eq!(held["rating"], Value::Null);
        app.get("/api/v1/public/me/export").send().await.assert_problem(401, "unauthenticated");
        app.get("/api/v1/public/me/export").bearer(&admin).send().await.assert_problem(401, "unauthenticated");
    }

    async fn only_the_roles_that_need_it_reveal_and_a_refusal_records_nothing(app, fake) {
        let admin = app.admin_token().await;
        let intake = app.token_for_role(&admin, "intake").await;
        let other_intake = {
            app.create_user(&admin, "intake-two", "intake", None).await;
            app.token("intake-two", "intake-two-password").await
        };
        let operator = app.token_for_role(&admin, "operator").await;
        let head = app.token_for_role(&admin, "head").await;
        let unit = app.create_unit(&admin, "واحد بازرسی", None).await;
        let unit_staff = {
            app.create_user(&admin, "unit-one", "unit_staff", Some(&unit)).await;
            app.token("unit-one", "unit-one-password").await
        };
        let body = app.post("/api/v1/requests").bearer(&intake)
            .json(&json!({"channel": "in_person", "name": NAME, "mobile": MOBILE, "text": TEXT}))
            .send().await.json();
        let id = body["id"].as_str().unwrap().to_owned();
        assert_masked(&body.to_string());

        for (who, token) in [("another intake", &other_intake), ("an operator", &operator), ("unit staff", &unit_staff)] {
            let refused = reveal(&app, token, &id, json!({})).await;
            refused.assert_problem(403, "forbidden");
            assert!(!refused.text().contains("9123456789"), "{who}: {}", refused.text());
        }
        // Refused before the body is read: a bad body from a role that may not is still 403.
        reveal(&app, &operator, &id, json!({"nope": 1})).await.assert_problem(403, "forbidden");
        let before = app.count("audit_events");
        for (body, field) in [
            (json!({"fields": ["address"]}), "fields"),
            (json!({"reason": "x".repeat(501)}), "reason"),
        ] {
            let refused = reveal(&app, &head, &id, body).await;
            refused.assert_problem(422, "validation");
            assert_eq!(refused.error_fields(), [field]);
        }
        reveal(&app, &head, &id, json!({"fields": [], "extra": true})).await.assert_problem(422, "validation");
        reveal(&app, &head, "00000000-0000-4000-8000-000000000000", json!({})).await.assert_problem(404, "not-found");
        assert_eq!(app.count("audit_events"), before, "nothing recorded for a refusal");

        // The registrar and the head may; each reveal is one row.
        assert_eq!(app.revealed(&intake, &id).await["name"], NAME);
        assert_eq!(app.revealed(&head, &id).await["mobile"], STORED);
        assert_eq!(app.count("audit_events"), 2);
        let fields = app.get(&format!("/api/v1/audit?request_id={id}")).bearer(&admin).send().await.json();
        assert_eq!(fields["items"][0]["fields"], json!(["name", "mobile"]), "an absent email and national ID are not revealed");

        // Append-only, whoever asks the database.
        use diesel::prelude::*;
        let mut conn = app.pool.get().unwrap();
        assert!(diesel::sql_query("UPDATE audit_events SET reason = 'rewritten'").execute(&mut *conn).is_err());
        assert!(diesel::sql_query("DELETE FROM audit_events").execute(&mut *conn).is_err());
        drop(conn);
        assert_eq!(app.count("audit_events"), 2);
        let _ = &fake;
    }
}

on_both_backends! {
    with &[("MARDOM_REVEAL_REASON", "required")];
    async fn a_center_can_require_a_reason(app) {
        let filed = submit(&app, &submission()).await;
        let id = request_id(&app, filed["tracking_code"].as_str().unwrap()).await;
        let admin = app.admin_token().await;
        for body in [json!({}), json!({"reason": "   "})] {
            let refused = reveal(&app, &admin, &id, body).await;
            refused.assert_problem(422, "validation");
            assert_eq!(refused.error_fields(), ["reason"]);
        }
        assert_eq!(app.count("audit_events"), 0);
        let shown = reveal(&app, &admin, &id, json!({"reason": "درخواست مرجع قضایی"})).await;
        assert_eq!(shown.status.as_u16(), 200, "{}", shown.text());
        assert_eq!(app.count("audit_events"), 1);
    }
}
