//! The request view that drives a UI: `allowed_actions` for the reader's role, decided by the
//! lifecycle itself; the referrals and the meeting embedded; several units on one complaint;
//! `request_id` filters on referrals and meetings for the desk, never for units.

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::public::{NAME, submit};
use crate::support::{TestApp, on_both_backends};

struct Desk {
    reviewer: String,
    head: String,
    intake: String,
    units: [(String, String); 2],
}

async fn desk(app: &TestApp) -> Desk {
    let admin = app.admin_token().await;
    let mut units = Vec::new();
    for (name, user) in [("واحد پذیرش", "reception"), ("واحد مالی", "finance")] {
        let unit = app.create_unit(&admin, name, None).await;
        app.create_user(&admin, user, "unit_staff", Some(&unit))
            .await;
        units.push((unit, app.token(user, &format!("{user}-password")).await));
    }
    let [first, second]: [(String, String); 2] = units.try_into().unwrap();
    Desk {
        reviewer: app.token_for_role(&admin, "reviewer").await,
        head: app.token_for_role(&admin, "head").await,
        intake: app.token_for_role(&admin, "intake").await,
        units: [first, second],
    }
}

async fn ok(reply: crate::support::Reply) -> Value {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()
}

fn actions(view: &Value) -> Vec<&str> {
    view["allowed_actions"]
        .as_array()
        .unwrap_or_else(|| panic!("allowed_actions in {view}"))
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect()
}

async fn registered(app: &TestApp, kind: &str) -> String {
    let body = json!({"name": NAME, "mobile": "09123456789", "text": "از برخورد کارکنان واحد پذیرش و واحد مالی شکایت دارم", "proposed_kind": kind});
    let code = submit(app, &body).await["tracking_code"]
        .as_str()
        .unwrap()
        .to_owned();
    crate::public::request_id(app, &code).await
}

on_both_backends! {
    async fn allowed_actions_follow_the_lifecycle_for_each_role(app) {
        let desk = desk(&app).await;
        let id = registered(&app, "complaint").await;
        let base = format!("/api/v1/requests/{id}");
        let read = app.get(&base).bearer(&desk.reviewer).send().await;
        assert_eq!(read.status, StatusCode::OK);
        assert!(read.header("etag").unwrap().starts_with(&format!("\"{}.", read.json()["version"])), "GET's ETag leads with the version");
        assert_eq!(actions(&read.json()), ["classify"]);
        assert_eq!(actions(&ok(app.get(&base).bearer(&desk.intake).send().await).await), Vec::<&str>::new(), "intake reads, does not decide");
        let classified = ok(app.post(&format!("{base}/classify")).bearer(&desk.reviewer).json(&json!({"kind": "complaint"})).send().await).await;
        assert_eq!(actions(&classified), ["classify", "refer", "thank"]);
        let referred = ok(app.post(&format!("{base}/refer")).bearer(&desk.reviewer)
            .json(&json!({"unit_id": desk.units[0].0, "text": "شکایت از برخورد کارکنان واحد پذیرش"})).send().await).await;
        assert_eq!(actions(&referred), ["refer"], "close waits for the referral: {referred}");
        let referral = &referred["referrals"][0];
        assert_eq!((referral["unit_name"].as_str(), referral["status"].as_str(), referral["reason"].as_str()),
            (Some("واحد پذیرش"), Some("open"), Some("action_required")), "{referral}");
        assert_eq!(referral["allowed_actions"], json!([]), "the desk waits for the unit's answer");
        let rid = referral["id"].as_str().unwrap().to_owned();
        ok(app.post(&format!("/api/v1/referrals/{rid}/answer")).bearer(&desk.units[0].1).json(&json!({"answer": "با کارکنان گفت‌وگو شد"})).send().await).await;
        let answered = ok(app.get(&base).bearer(&desk.reviewer).send().await).await;
        assert_eq!(answered["referrals"][0]["allowed_actions"], json!(["accept", "return"]));
        assert_eq!(answered["referrals"][0]["answer"], "با کارکنان گفت‌وگو شد");
        ok(app.post(&format!("/api/v1/referrals/{rid}/accept")).bearer(&desk.reviewer).send().await).await;
        let accepted = ok(app.get(&base).bearer(&desk.reviewer).send().await).await;
        assert_eq!(actions(&accepted), ["refer", "close"]);
        let closed = ok(app.post(&format!("{base}/close")).bearer(&desk.reviewer).json(&json!({"summary": "پاسخ واحد به متقاضی اعلام شد"})).send().await).await;
        assert_eq!(actions(&closed), Vec::<&str>::new());
        assert_eq!(closed["referrals"][0]["status"], "accepted");
    }

    async fn a_meeting_is_embedded_and_its_outcome_offered_once_it_started(app) {
        let desk = desk(&app).await;
        let id = registered(&app, "meeting").await;
        let base = format!("/api/v1/requests/{id}");
        ok(app.post(&format!("{base}/classify")).bearer(&desk.reviewer).json(&json!({"kind": "meeting"})).send().await).await;
        let starts_at = (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%dT10:00:00+03:30").to_string();
        let scheduled = ok(app.post(&format!("{base}/schedule")).bearer(&desk.reviewer)
            .json(&json!({"starts_at": starts_at, "duration_minutes": 30, "place": "دفتر ریاست"})).send().await).await;
        assert_eq!(scheduled["meeting"]["status"], "scheduled", "{scheduled}");
        assert!(scheduled["meeting"]["local"]["tehran"].as_str().unwrap().ends_with("10:00:00+03:30"), "{scheduled}");
        let jalali = scheduled["meeting"]["local"]["jalali_date"].as_str().unwrap();
        assert!(jalali.len() == 10 && jalali.starts_with("14"), "a Solar Hijri date: {jalali}");
        assert_eq!(scheduled["meeting"]["local"]["time"], "۱۰:۰۰");
        assert_eq!(actions(&scheduled), ["reschedule", "cancel"], "the reviewer's");
        assert_eq!(actions(&ok(app.get(&base).bearer(&desk.head).send().await).await), ["reschedule", "cancel"], "no outcome before the start");
        app.meeting_started(&id, 5);
        assert_eq!(actions(&ok(app.get(&base).bearer(&desk.head).send().await).await), ["reschedule", "cancel", "outcome"]);
        let meetings = ok(app.get(&format!("/api/v1/meetings?request_id={id}")).bearer(&desk.head).send().await).await;
        assert_eq!(meetings["items"].as_array().unwrap().len(), 1, "{meetings}");
        assert_eq!(meetings["items"][0]["id"], scheduled["meeting"]["id"]);
        let other = registered(&app, "meeting").await;
        let none = ok(app.get(&format!("/api/v1/meetings?request_id={other}")).bearer(&desk.head).send().await).await;
        assert_eq!(none["items"], json!([]));
        let held = ok(app.post(&format!("{base}/outcome")).bearer(&desk.head).json(&json!({"held": true})).send().await).await;
        assert_eq!(held["meeting"]["status"], "held", "the closed request still shows what became of its meeting");
    }

    async fn a_complaint_goes_to_two_units_and_closes_when_both_are_accepted(app) {
        let desk = desk(&app).await;
        let id = registered(&app, "complaint").await;
        let base = format!("/api/v1/requests/{id}");
        ok(app.post(&format!("{base}/classify")).bearer(&desk.reviewer).json(&json!({"kind": "complaint"})).send().await).await;
        for (unit, text) in [(&desk.units[0].0, "شکایت از برخورد کارکنان واحد پذیرش"), (&desk.units[1].0, "شکایت از تأخیر واحد مالی در پرداخت")] {
            ok(app.post(&format!("{base}/refer")).bearer(&desk.reviewer).json(&json!({"unit_id": unit, "text": text})).send().await).await;
        }
        let before = app.snapshot();
        app.post(&format!("{base}/refer")).bearer(&desk.reviewer)
            .json(&json!({"unit_id": desk.units[0].0, "text": "دوباره همان شکایت برای همان واحد"})).send().await
            .assert_problem(409, "already-referred");
        assert_eq!(app.snapshot(), before, "one unit, one unfinished referral per request");
        let detail = ok(app.get(&base).bearer(&desk.reviewer).send().await).await;
        let referrals = detail["referrals"].as_array().unwrap();
        assert_eq!(referrals.iter().map(|r| r["unit_name"].as_str().unwrap()).collect::<Vec<_>>(), ["واحد پذیرش", "واحد مالی"]);
        assert_eq!(referrals[1]["text"], "شکایت از تأخیر واحد مالی در پرداخت", "each with its own text");
        let sms: Vec<(String, Value)> = app.notifications_of(&id).into_iter().map(|n| (n.0, n.2)).collect();
        let referred: Vec<&str> = sms.iter().filter(|n| n.0 == "referred").map(|n| n.1["unit"].as_str().unwrap()).collect();
        assert_eq!(referred, ["واحد پذیرش", "واحد مالی"], "the citizen hears of each unit");
        // Each unit sees only its own, and never the request id.
        for (i, (_, token)) in desk.units.iter().enumerate() {
            let inbox = ok(app.get("/api/v1/referrals").bearer(token).send().await).await;
            assert_eq!(inbox["items"].as_array().unwrap().len(), 1);
            assert_eq!(inbox["items"][0]["id"], referrals[i]["id"]);
            let before = app.snapshot();
            app.get(&format!("/api/v1/referrals?request_id={id}")).bearer(token).send().await.assert_problem(403, "forbidden");
            assert_eq!(app.snapshot(), before);
        }
        let by_request = ok(app.get(&format!("/api/v1/referrals?request_id={id}")).bearer(&desk.reviewer).send().await).await;
        assert_eq!(by_request["items"].as_array().unwrap().len(), 2);
        for (i, referral) in referrals.iter().enumerate() {
            let rid = referral["id"].as_str().unwrap();
            ok(app.post(&format!("/api/v1/referrals/{rid}/answer")).bearer(&desk.units[i].1).json(&json!({"answer": "پیگیری شد و نتیجه گزارش شد"})).send().await).await;
            ok(app.post(&format!("/api/v1/referrals/{rid}/accept")).bearer(&desk.reviewer).send().await).await;
            if i == 0 {
                let before = app.snapshot();
                app.post(&format!("{base}/close")).bearer(&desk.reviewer).json(&json!({"summary": "هر دو واحد رسیدگی کردند"})).send().await
                    .assert_problem(409, "referrals-open");
                assert_eq!(app.snapshot(), before, "one unit is still working");
            }
        }
        let closed = ok(app.post(&format!("{base}/close")).bearer(&desk.reviewer).json(&json!({"summary": "هر دو واحد رسیدگی کردند"})).send().await).await;
        assert_eq!((closed["status"].as_str(), closed["resolution"].as_str()), (Some("closed"), Some("resolved")));
    }
}
