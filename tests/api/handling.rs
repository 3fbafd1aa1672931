//! After registration: the desk classifies, refers with an anonymised text or thanks, the unit
//! works its referral without ever seeing who the citizen is, and the desk closes.

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::public::{NAME, NATIONAL_ID, TEXT, submit};
use crate::support::{TestApp, on_both_backends};

const MOBILE: &str = "+989123456789";

/// A citizen's complaint whose text names them and their numbers, registered online.
pub(crate) fn complaint() -> Value {
    json!({
        "name": NAME, "mobile": "09123456789", "national_id": NATIONAL_ID,
        "text": format!("اینجانب {NAME} با کد ملی ۰۴۹۹۳۷۰۸۹۹ و شماره ۰۹۱۲-۳۴۵-۶۷۸۹ از برخورد کارکنان واحد پذیرش شکایت دارم"),
        "proposed_kind": "complaint"
    })
}

pub(crate) struct Desk {
    pub reviewer: String,
    pub unit: String,
    pub unit_staff: String,
    pub other_unit_staff: String,
}

pub(crate) async fn desk(app: &TestApp) -> Desk {
    let admin = app.admin_token().await;
    let reviewer = app.token_for_role(&admin, "reviewer").await;
    let unit = app.create_unit(&admin, "واحد پذیرش", None).await;
    let other = app.create_unit(&admin, "واحد مالی", None).await;
    app.create_user(&admin, "reception", "unit_staff", Some(&unit))
        .await;
    app.create_user(&admin, "finance", "unit_staff", Some(&other))
        .await;
    Desk {
        reviewer,
        unit,
        unit_staff: app.token("reception", "reception-password").await,
        other_unit_staff: app.token("finance", "finance-password").await,
    }
}

pub(crate) async fn ok(reply: crate::support::Reply) -> Value {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()
}

/// A complaint registered online, classified by `reviewer` and referred to `unit` with the
/// server's proposed text and no due date (the policy's): (request id, tracking code,
/// referral id).
pub(crate) async fn refer_complaint(
    app: &TestApp,
    reviewer: &str,
    unit: &str,
) -> (String, String, String) {
    let (id, code) = registered(app, &complaint()).await;
    let base = format!("/api/v1/requests/{id}");
    let desk = |path: &str| app.post(&format!("{base}/{path}")).bearer(reviewer);
    ok(desk("classify")
        .json(&json!({"kind": "complaint"}))
        .send()
        .await)
    .await;
    let proposal = ok(app
        .get(&format!("{base}/anonymised-text"))
        .bearer(reviewer)
        .send()
        .await)
    .await;
    let detail = ok(desk("refer")
        .json(&json!({"unit_id": unit, "text": proposal["text"]}))
        .send()
        .await)
    .await;
    let referral = detail["referrals"][0]["id"].as_str().unwrap().to_owned();
    (id, code, referral)
}

pub(crate) async fn registered(app: &TestApp, body: &Value) -> (String, String) {
    let code = submit(app, body).await["tracking_code"]
        .as_str()
        .unwrap()
        .to_owned();
    (crate::public::request_id(app, &code).await, code)
}

fn templates(app: &TestApp, id: &str) -> Vec<(String, String)> {
    app.notifications_of(id)
        .into_iter()
        .map(|(template, recipient, _, _)| (template, recipient))
        .collect()
}

fn actions(detail: &Value) -> Vec<String> {
    detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

on_both_backends! {
    async fn feedback_is_referred_answered_accepted_and_resolved(app) {
        let desk = desk(&app).await;
        let (id, code) = registered(&app, &complaint()).await;
        let base = format!("/api/v1/requests/{id}");
        let classified = ok(app.post(&format!("{base}/classify")).bearer(&desk.reviewer)
            .json(&json!({"kind": "complaint", "subject": "unit", "subject_unit_id": desk.unit})).send().await).await;
        assert_eq!(classified["status"], "in_review");
        assert_eq!(classified["kind"], "complaint");
        let proposal = ok(app.get(&format!("{base}/anonymised-text")).bearer(&desk.reviewer).send().await).await;
        let text = proposal["text"].as_str().unwrap().to_owned();
        for secret in ["مریم", "حسینی", "۰۴۹۹۳۷۰۸۹۹", "۰۹۱۲-۳۴۵-۶۷۸۹"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("از برخورد کارکنان واحد پذیرش شکایت دارم"), "{text}");
        let referred = app.post(&format!("{base}/refer")).bearer(&desk.reviewer)
            .header("if-match", &format!("\"{}\"", classified["version"]))
            .json(&json!({"unit_id": desk.unit, "text": text})).send().await;
        assert!(referred.header("etag").unwrap().starts_with(&format!("\"{}.", classified["version"].as_i64().unwrap() + 1)));
        let referred = ok(referred).await;
        assert_eq!(referred["status"], "referred");

        // The unit's inbox: the referral, anonymised, and nothing that leads back.
        let inbox = app.get("/api/v1/referrals").bearer(&desk.unit_staff).send().await;
        let raw = inbox.text();
        for secret in [NAME, "مریم", "حسینی", "9123456789", NATIONAL_ID, "۰۴۹۹۳۷۰۸۹۹", code.as_str(), id.as_str(), TEXT] {
            assert!(!raw.contains(secret), "the inbox leaks {secret:?}: {raw}");
        }
        let inbox = inbox.json();
        let items = inbox["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        let referral = &items[0];
        assert_eq!(referral["text"], text.as_str());
        assert_eq!(referral["status"], "open");
        assert_eq!(referral["reason"], "action_required");
        assert_eq!(referral["overdue"], false);
        assert!(referral["reference"].as_str().unwrap().starts_with("R-"));
        let rid = referral["id"].as_str().unwrap().to_owned();
        // Another unit sees nothing of it.
        assert_eq!(app.get("/api/v1/referrals").bearer(&desk.other_unit_staff).send().await.json()["items"], json!([]));
        app.get(&format!("/api/v1/referrals/{rid}")).bearer(&desk.other_unit_staff).send().await.assert_problem(404, "not-found");
        app.post(&format!("/api/v1/referrals/{rid}/acknowledge")).bearer(&desk.other_unit_staff).send().await.assert_problem(404, "not-found");
        // Closing before the referral is accepted is refused.
        app.post(&format!("{base}/close")).bearer(&desk.reviewer).json(&json!({"summary": "پاسخ واحد دریافت و بررسی شد"})).send().await
            .assert_problem(409, "referrals-open");

        ok(app.post(&format!("/api/v1/referrals/{rid}/acknowledge")).bearer(&desk.unit_staff).send().await).await;
        let answered = ok(app.post(&format!("/api/v1/referrals/{rid}/answer")).bearer(&desk.unit_staff)
            .json(&json!({"answer": "با کارمند مربوط گفت‌وگو شد و آموزش داده شد"})).send().await).await;
        assert_eq!(answered["status"], "answered");
        let returned = ok(app.post(&format!("/api/v1/referrals/{rid}/return")).bearer(&desk.reviewer)
            .json(&json!({"reason": "زمان برگزاری آموزش را بنویسید"})).send().await).await;
        assert_eq!(returned["status"], "returned");
        ok(app.post(&format!("/api/v1/referrals/{rid}/answer")).bearer(&desk.unit_staff)
            .json(&json!({"answer": "آموزش در هفته‌ی آینده برگزار می‌شود"})).send().await).await;
        app.post(&format!("/api/v1/referrals/{rid}/accept")).bearer(&desk.unit_staff).send().await.assert_problem(403, "forbidden");
        let accepted = ok(app.post(&format!("/api/v1/referrals/{rid}/accept")).bearer(&desk.reviewer).send().await).await;
        assert_eq!(accepted["status"], "accepted");

        let closed = ok(app.post(&format!("{base}/close")).bearer(&desk.reviewer)
            .json(&json!({"summary": "واحد پذیرش عذرخواهی کرد و آموزش برگزار شد"})).send().await).await;
        assert_eq!(closed["status"], "closed");
        assert_eq!(closed["resolution"], "resolved");
        assert_eq!(actions(&closed), [
            "registered", "classified", "referred", "referral_acknowledged", "referral_answered",
            "referral_returned", "referral_answered", "referral_accepted", "resolved",
        ]);
        assert_eq!(templates(&app, &id), [
            ("tracking_code_issued".to_owned(), MOBILE.to_owned()),
            ("referred".to_owned(), MOBILE.to_owned()),
            ("resolved".to_owned(), MOBILE.to_owned()),
        ]);
        let public = app.get(&format!("/api/v1/public/requests/{code}")).send().await.json();
        let public_actions: Vec<&str> = public["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(public_actions, ["registered", "classified", "referred", "resolved"], "referral steps are staff-only");
    }

    async fn feedback_that_needs_no_action_is_thanked(app) {
        let desk = desk(&app).await;
        let mut suggestion = complaint();
        suggestion["proposed_kind"] = json!("suggestion");
        let (id, _) = registered(&app, &suggestion).await;
        let base = format!("/api/v1/requests/{id}");
        ok(app.post(&format!("{base}/classify")).bearer(&desk.reviewer).json(&json!({"kind": "suggestion"})).send().await).await;
        let thanked = ok(app.post(&format!("{base}/thank")).bearer(&desk.reviewer).send().await).await;
        assert_eq!((thanked["status"].as_str(), thanked["resolution"].as_str()), (Some("closed"), Some("thanked")));
        assert_eq!(actions(&thanked), ["registered", "classified", "thanked"]);
        assert_eq!(templates(&app, &id), [
            ("tracking_code_issued".to_owned(), MOBILE.to_owned()),
            ("thanked".to_owned(), MOBILE.to_owned()),
        ]);
        let again = app.post(&format!("{base}/thank")).bearer(&desk.reviewer).send().await;
        let problem = again.assert_problem(409, "transition-not-allowed");
        assert!(problem["detail"].as_str().unwrap().contains("possible now: nothing"), "{problem}");
    }

    async fn a_closed_request_is_rated_once_by_its_citizen(app) {
        let desk = desk(&app).await;
        let (open_id, open_code) = registered(&app, &complaint()).await;
        let _ = open_id;
        let rating = |code: &str| format!("/api/v1/public/requests/{code}/rating");
        app.post(&rating(&open_code)).json(&json!({"mobile": "09123456789", "score": 4})).send().await
            .assert_problem(409, "not-closed");
        let (id, code) = registered(&app, &complaint()).await;
        ok(app.post(&format!("/api/v1/requests/{id}/classify")).bearer(&desk.reviewer).json(&json!({"kind": "criticism"})).send().await).await;
        ok(app.post(&format!("/api/v1/requests/{id}/thank")).bearer(&desk.reviewer).send().await).await;
        let before = app.snapshot();
        app.post(&rating(&code)).json(&json!({"mobile": "09350000000", "score": 4})).send().await.assert_problem(403, "forbidden");
        let reply = app.post(&rating(&code)).json(&json!({"mobile": "09123456789", "score": 6})).send().await;
        reply.assert_problem(422, "validation");
        assert_eq!(reply.error_fields(), ["score"]);
        app.post(&rating(&code)).json(&json!({"mobile": "09123456789", "score": 4, "stars": 4})).send().await.assert_problem(422, "validation");
        assert_eq!(app.snapshot(), before);
        let rated = app.post(&rating(&code)).json(&json!({"mobile": "۰۹۱۲۳۴۵۶۷۸۹", "score": 5, "comment": "سریع پاسخ دادند"})).send().await;
        assert_eq!(rated.status, StatusCode::OK, "{}", rated.text());
        assert_eq!(app.count("ratings"), 1);
        app.post(&rating(&code)).json(&json!({"mobile": "09123456789", "score": 1})).send().await.assert_problem(409, "already-rated");
        assert_eq!(app.count("ratings"), 1);
    }

    async fn a_referral_text_that_still_identifies_the_citizen_is_refused(app) {
        let desk = desk(&app).await;
        let (id, _) = registered(&app, &complaint()).await;
        let base = format!("/api/v1/requests/{id}");
        ok(app.post(&format!("{base}/classify")).bearer(&desk.reviewer).json(&json!({"kind": "complaint"})).send().await).await;
        let before = app.snapshot();
        for (text, found) in [
            (complaint()["text"].as_str().unwrap().to_owned(), "name"),
            ("شکایت از برخورد کارکنان؛ تماس با ۰۹۳۵ ۱۱۱ ۲۲ ۳۳".to_owned(), "mobile"),
            ("شکایت از برخورد کارکنان؛ کد ملی 0499370899".to_owned(), "national_id"),
            ("شکایت از برخورد کارکنان؛ پاسخ به Maryam.H@Example.org".to_owned(), "email"),
        ] {
            let reply = app.post(&format!("{base}/refer")).bearer(&desk.reviewer).json(&json!({"unit_id": desk.unit, "text": text})).send().await;
            let problem = reply.assert_problem(422, "validation");
            assert_eq!(problem["errors"][0]["field"], "text");
            assert_eq!(problem["errors"][0]["code"], "identifies_citizen");
            assert!(problem["errors"][0]["message"].as_str().unwrap().contains(found), "{found}: {problem}");
        }
        assert_eq!(app.snapshot(), before);
        assert_eq!(app.count("referrals"), 0);
    }

    async fn commands_check_role_status_and_version(app) {
        let desk = desk(&app).await;
        let (id, _) = registered(&app, &complaint()).await;
        let base = format!("/api/v1/requests/{id}");
        let problem = app.post(&format!("{base}/refer")).bearer(&desk.reviewer).json(&json!({"unit_id": desk.unit, "text": "متن بی‌نام برای واحد"})).send().await
            .assert_problem(409, "transition-not-allowed");
        assert!(problem["detail"].as_str().unwrap().contains("possible now: classify"), "{problem}");
        for token in [&desk.unit_staff] {
            app.post(&format!("{base}/classify")).bearer(token).json(&json!({"kind": "report"})).send().await.assert_problem(403, "forbidden");
        }
        let stale = app.post(&format!("{base}/classify")).bearer(&desk.reviewer).header("if-match", "\"7\"")
            .json(&json!({"kind": "report"})).send().await;
        stale.assert_problem(412, "precondition-failed");
        app.post(&format!("{base}/classify")).bearer(&desk.reviewer).header("if-match", "*").json(&json!({"kind": "report"})).send().await
            .assert_problem(400, "bad-parameter");
        app.post(&format!("{base}/classify")).bearer(&desk.reviewer).json(&json!({"kind": "praise"})).send().await
            .assert_problem(422, "validation");
        app.post(&format!("{base}/classify")).bearer(&desk.reviewer).json(&json!({"kind": "meeting", "subject": "unit"})).send().await
            .assert_problem(422, "validation");
        app.post("/api/v1/requests/0b6f2b0c-9d3e-4a47-9a43-4f8e3a1c2d11/classify").bearer(&desk.reviewer).json(&json!({"kind": "report"})).send().await
            .assert_problem(404, "not-found");
        let detail = ok(app.get(&base).bearer(&desk.reviewer).send().await).await;
        assert_eq!(detail["status"], "registered", "nothing changed");
        assert_eq!(detail["version"], 1);
    }

    async fn ten_parallel_refer_and_thank_calls_have_one_winner(app) {
        let desk = desk(&app).await;
        let (id, _) = registered(&app, &complaint()).await;
        let base = format!("/api/v1/requests/{id}");
        ok(app.post(&format!("{base}/classify")).bearer(&desk.reviewer).json(&json!({"kind": "complaint"})).send().await).await;
        let refer_body = json!({"unit_id": desk.unit, "text": "شکایت از برخورد کارکنان واحد پذیرش"});
        let refer = format!("{base}/refer");
        let thank = format!("{base}/thank");
        let calls = (0..10).map(|i| {
            let call = if i % 2 == 0 { app.post(&refer).json(&refer_body) } else { app.post(&thank) };
            call.bearer(&desk.reviewer).send()
        });
        let replies = futures_util::future::join_all(calls).await;
        let winners = replies.iter().filter(|r| r.status == StatusCode::OK).count();
        assert_eq!(winners, 1, "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
        for loser in replies.iter().filter(|r| r.status != StatusCode::OK) {
            assert_eq!(loser.status, StatusCode::CONFLICT, "{}", loser.text());
        }
        let detail = ok(app.get(&base).bearer(&desk.reviewer).send().await).await;
        assert_eq!(actions(&detail).len(), 3, "registered, classified and one decision");
        assert_eq!(app.notifications_of(&id).len(), 2, "the tracking code and one decision's SMS");
        assert!(app.count("referrals") <= 1);
    }
}

/// A meeting request, registered online.
pub(crate) fn meeting_request() -> Value {
    json!({"name": NAME, "mobile": "09123456789", "text": "درخواست ملاقات با ریاست مرکز درباره‌ی تأخیر پرداخت", "proposed_kind": "meeting"})
}

/// A time `days` from now at 10:30 Tehran time, RFC 3339 with the Tehran offset.
pub(crate) fn tehran_slot(days: i64) -> String {
    let date = (chrono::Utc::now() + chrono::Duration::days(days)).date_naive();
    format!("{}T10:30:00+03:30", date.format("%Y-%m-%d"))
}

pub(crate) async fn meeting_in_review(app: &TestApp, desk: &Desk) -> (String, String) {
    let (id, code) = registered(app, &meeting_request()).await;
    ok(app
        .post(&format!("/api/v1/requests/{id}/classify"))
        .bearer(&desk.reviewer)
        .json(&json!({"kind": "meeting"}))
        .send()
        .await)
    .await;
    (id, code)
}

/// A meeting request scheduled `days` ahead at 10:00 Tehran time; returns its id, tracking code
/// and a head's token.
async fn scheduled_meeting(
    app: &TestApp,
    desk: &Desk,
    days: i64,
    minutes: i64,
) -> (String, String, String) {
    let admin = app.admin_token().await;
    let head = app.token_for_role(&admin, "head").await;
    let (id, code) = meeting_in_review(app, desk).await;
    ok(app.post(&format!("/api/v1/requests/{id}/schedule")).bearer(&desk.reviewer)
        .json(&json!({"starts_at": tehran_slot(days), "duration_minutes": minutes, "place": "دفتر ریاست"})).send().await).await;
    (id, code, head)
}

/// The head's calendar from now to ten days ahead.
async fn next_ten_days(app: &TestApp, head: &str) -> Value {
    let from = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let to = (chrono::Utc::now() + chrono::Duration::days(10))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    ok(app
        .get(&format!(
            "/api/v1/meetings?from={}&to={}",
            crate::public::urlencode(&from),
            crate::public::urlencode(&to)
        ))
        .bearer(head)
        .send()
        .await)
    .await
}

on_both_backends! {
    async fn a_meeting_is_scheduled_held_and_needs_no_action(app) {
        let desk = desk(&app).await;
        let admin = app.admin_token().await;
        let head = app.token_for_role(&admin, "head").await;
        let (id, code) = meeting_in_review(&app, &desk).await;
        let base = format!("/api/v1/requests/{id}");
        let scheduled = ok(app.post(&format!("{base}/schedule")).bearer(&desk.reviewer)
            .json(&json!({"starts_at": tehran_slot(3), "duration_minutes": 30, "place": "دفتر ریاست"})).send().await).await;
        assert_eq!(scheduled["status"], "meeting_scheduled");
        let notes = app.notifications_of(&id);
        assert_eq!(notes[1].0, "meeting_scheduled");
        assert_eq!(notes[1].2["place"], "دفتر ریاست");
        let starts_at = chrono::DateTime::parse_from_rfc3339(notes[1].2["starts_at"].as_str().unwrap()).unwrap();
        assert_eq!(starts_at, chrono::DateTime::parse_from_rfc3339(&tehran_slot(3)).unwrap(), "the instant, rendered at sending");
        let calendar = next_ten_days(&app, &head).await;
        let meeting = &calendar["items"][0];
        assert_eq!(meeting["status"], "scheduled");
        assert!(meeting["local"]["tehran"].as_str().unwrap().ends_with("10:30:00+03:30"), "{meeting}");
        let public = app.get(&format!("/api/v1/public/requests/{code}")).send().await.json();
        assert_eq!(public["meeting"]["starts_at"], meeting["starts_at"], "{public}");
        app.post(&format!("{base}/outcome")).bearer(&desk.reviewer).json(&json!({"held": true})).send().await.assert_problem(403, "forbidden");
        app.meeting_started(&id, 40);
        let done = ok(app.post(&format!("{base}/outcome")).bearer(&head).json(&json!({"held": true, "notes": "توضیح داده شد"})).send().await).await;
        assert_eq!((done["status"].as_str(), done["resolution"].as_str()), (Some("closed"), Some("meeting_no_action")));
        assert_eq!(actions(&done), ["registered", "classified", "meeting_scheduled", "meeting_held_no_action"]);
        assert_eq!(templates(&app, &id), [
            ("tracking_code_issued".to_owned(), MOBILE.to_owned()),
            ("meeting_scheduled".to_owned(), MOBILE.to_owned()),
            ("meeting_no_action".to_owned(), MOBILE.to_owned()),
        ]);
    }

    async fn a_meeting_with_follow_ups_is_resolved_after_the_units_answer(app) {
        let desk = desk(&app).await;
        let (id, _, head) = scheduled_meeting(&app, &desk, 2, 20).await;
        let base = format!("/api/v1/requests/{id}");
        app.meeting_started(&id, 30);
        let followed = ok(app.post(&format!("{base}/outcome")).bearer(&head)
            .json(&json!({"held": true, "follow_ups": [{"unit_id": desk.unit, "text": "پیگیری تأخیر در پرداخت مطالبات"}]})).send().await).await;
        assert_eq!(followed["status"], "follow_up");
        let inbox = app.get("/api/v1/referrals").bearer(&desk.unit_staff).send().await.json();
        let referral = &inbox["items"][0];
        assert_eq!(referral["reason"], "meeting_follow_up");
        let rid = referral["id"].as_str().unwrap();
        ok(app.post(&format!("/api/v1/referrals/{rid}/answer")).bearer(&desk.unit_staff).json(&json!({"answer": "مطالبات پرداخت شد"})).send().await).await;
        ok(app.post(&format!("/api/v1/referrals/{rid}/accept")).bearer(&desk.reviewer).send().await).await;
        let closed = ok(app.post(&format!("{base}/close")).bearer(&desk.reviewer).json(&json!({"summary": "مطالبات پرداخت شد و به متقاضی اطلاع داده شد"})).send().await).await;
        assert_eq!(closed["resolution"], "resolved");
        assert_eq!(actions(&closed), [
            "registered", "classified", "meeting_scheduled", "meeting_held_follow_up",
            "referral_answered", "referral_accepted", "resolved",
        ]);
        assert_eq!(templates(&app, &id), [
            ("tracking_code_issued".to_owned(), MOBILE.to_owned()),
            ("meeting_scheduled".to_owned(), MOBILE.to_owned()),
            ("resolved".to_owned(), MOBILE.to_owned()),
        ]);
    }

    async fn an_outcome_before_the_meeting_starts_is_409_naming_its_start(app) {
        let desk = desk(&app).await;
        let (id, _, head) = scheduled_meeting(&app, &desk, 15, 30).await;
        let base = format!("/api/v1/requests/{id}");
        let starts_at = app.notifications_of(&id)[1].2["starts_at"].as_str().unwrap().to_owned();
        let before = app.snapshot();
        for body in [
            json!({"held": true}),
            json!({"held": false}),
            json!({"held": true, "follow_ups": [{"unit_id": desk.unit, "text": "پیگیری تأخیر در پرداخت مطالبات"}]}),
        ] {
            let early = app.post(&format!("{base}/outcome")).bearer(&head).json(&body).send().await;
            let problem = early.assert_problem(409, "meeting-not-started");
            assert!(problem["detail"].as_str().unwrap().contains(&starts_at), "{problem} names {starts_at}");
        }
        assert_eq!(app.snapshot(), before, "an early outcome writes nothing and sends no SMS");
        assert_eq!(templates(&app, &id).len(), 2, "tracking code and meeting time only");
        // A minute after the start it is accepted.
        app.meeting_started(&id, 1);
        let done = ok(app.post(&format!("{base}/outcome")).bearer(&head).json(&json!({"held": false})).send().await).await;
        assert_eq!(done["resolution"], "no_show");
    }

    async fn withdrawing_cancels_the_meeting_and_frees_its_slot(app) {
        let desk = desk(&app).await;
        let (id, code, head) = scheduled_meeting(&app, &desk, 4, 30).await;
        let slot = json!({"starts_at": tehran_slot(4), "duration_minutes": 30, "place": "دفتر ریاست"});
        let (other, _) = meeting_in_review(&app, &desk).await;
        app.post(&format!("/api/v1/requests/{other}/schedule")).bearer(&desk.reviewer).json(&slot).send().await
            .assert_problem(409, "meeting-overlap");

        let withdrawn = app.post(&format!("/api/v1/public/requests/{code}/withdrawal")).json(&json!({"mobile": "09123456789"})).send().await;
        assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.text());
        let view = withdrawn.json();
        assert_eq!(view["resolution"], "withdrawn");
        assert!(view["meeting"].is_null(), "the public view shows no meeting: {view}");
        assert!(app.get(&format!("/api/v1/public/requests/{code}")).send().await.json()["meeting"].is_null());

        let calendar = next_ten_days(&app, &head).await;
        let items = calendar["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{calendar}");
        assert_eq!((items[0]["request_id"].as_str(), items[0]["status"].as_str()), (Some(id.as_str()), Some("cancelled")));
        let detail = ok(app.get(&format!("/api/v1/requests/{id}")).bearer(&desk.reviewer).send().await).await;
        let last = detail["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], "withdrawn");
        assert_eq!(last["details"]["meetings_cancelled"], json!([items[0]["id"]]), "{last}");

        // The slot is free for someone else, and the closed request's meeting cannot be touched.
        let scheduled = ok(app.post(&format!("/api/v1/requests/{other}/schedule")).bearer(&desk.reviewer).json(&slot).send().await).await;
        assert_eq!(scheduled["status"], "meeting_scheduled");
        app.post(&format!("/api/v1/requests/{id}/cancel")).bearer(&desk.reviewer).send().await
            .assert_problem(409, "transition-not-allowed");
        assert_eq!(templates(&app, &id).iter().map(|t| t.0.as_str()).collect::<Vec<_>>(),
            ["tracking_code_issued", "meeting_scheduled"], "a withdrawal sends nothing");
    }

    async fn withdrawing_withdraws_the_referrals_the_units_still_work_on(app) {
        let desk = desk(&app).await;
        let (id, code) = registered(&app, &complaint()).await;
        let base = format!("/api/v1/requests/{id}");
        ok(app.post(&format!("{base}/classify")).bearer(&desk.reviewer).json(&json!({"kind": "complaint"})).send().await).await;
        ok(app.post(&format!("{base}/refer")).bearer(&desk.reviewer)
            .json(&json!({"unit_id": desk.unit, "text": "شکایت از برخورد کارکنان واحد پذیرش"})).send().await).await;
        let inbox = ok(app.get("/api/v1/referrals").bearer(&desk.unit_staff).send().await).await;
        let rid = inbox["items"][0]["id"].as_str().unwrap().to_owned();
        ok(app.post(&format!("/api/v1/referrals/{rid}/acknowledge")).bearer(&desk.unit_staff).send().await).await;

        let withdrawn = app.post(&format!("/api/v1/public/requests/{code}/withdrawal")).json(&json!({"mobile": "09123456789"})).send().await;
        assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.text());

        let referral = ok(app.get(&format!("/api/v1/referrals/{rid}")).bearer(&desk.unit_staff).send().await).await;
        assert_eq!(referral["status"], "withdrawn", "{referral}");
        let open = ok(app.get("/api/v1/referrals?status=acknowledged").bearer(&desk.unit_staff).send().await).await;
        assert_eq!(open["items"], json!([]), "nothing left to work on");
        let before = app.snapshot();
        app.post(&format!("/api/v1/referrals/{rid}/answer")).bearer(&desk.unit_staff).json(&json!({"answer": "پاسخ واحد به این ارجاع"})).send().await
            .assert_problem(409, "transition-not-allowed");
        assert_eq!(app.snapshot(), before);
        let detail = ok(app.get(&format!("/api/v1/requests/{id}")).bearer(&desk.reviewer).send().await).await;
        let last = detail["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["details"]["referrals_withdrawn"], json!([referral["reference"]]), "{last}");
    }

    async fn a_withdrawal_racing_the_units_answer_never_leaves_a_referral_alive_under_a_closed_request(app) {
        let desk = desk(&app).await;
        for round in 0..6 {
            let mut body = complaint();
            body["mobile"] = json!(format!("0912345670{round}"));
            let (id, code) = registered(&app, &body).await;
            let base = format!("/api/v1/requests/{id}");
            ok(app.post(&format!("{base}/classify")).bearer(&desk.reviewer).json(&json!({"kind": "complaint"})).send().await).await;
            let referred = ok(app.post(&format!("{base}/refer")).bearer(&desk.reviewer)
                .json(&json!({"unit_id": desk.unit, "text": "شکایت از برخورد کارکنان واحد پذیرش"})).send().await).await;
            let rid = referred["referrals"][0]["id"].as_str().unwrap().to_owned();
            let withdrawal = app.post(&format!("/api/v1/public/requests/{code}/withdrawal"))
                .json(&json!({"mobile": body["mobile"]})).send();
            let answer = app.post(&format!("/api/v1/referrals/{rid}/answer")).bearer(&desk.unit_staff)
                .json(&json!({"answer": "با کارکنان گفت‌وگو شد و رفتار اصلاح شد"})).send();
            let (withdrawal, answer) = futures_util::join!(withdrawal, answer);
            let detail = ok(app.get(&base).bearer(&desk.reviewer).send().await).await;
            let referral = detail["referrals"][0]["status"].as_str().unwrap().to_owned();
            match (withdrawal.status.as_u16(), answer.status.as_u16()) {
                // The answer came first; the withdrawal saw the referral change and wrote nothing.
                (409, 200) => {
                    assert_eq!((detail["status"].as_str(), referral.as_str()), (Some("referred"), "answered"), "{detail}");
                }
                // The withdrawal came first; the answer found nothing left to work on.
                (200, 409) => {
                    assert_eq!((detail["status"].as_str(), referral.as_str()), (Some("closed"), "withdrawn"), "{detail}");
                }
                // Serialised one after the other with the answer first, both fit.
                (200, 200) => {
                    assert_eq!((detail["status"].as_str(), referral.as_str()), (Some("closed"), "withdrawn"), "{detail}");
                }
                other => panic!("{other:?}: {} / {}", withdrawal.text(), answer.text()),
            }
        }
    }

    async fn a_meeting_request_is_redirected_to_a_unit(app) {
        let desk = desk(&app).await;
        let (id, code) = meeting_in_review(&app, &desk).await;
        let before = app.snapshot();
        let late = app.post(&format!("/api/v1/requests/{id}/redirect")).bearer(&desk.reviewer)
            .json(&json!({"unit_id": desk.unit, "text": "درخواست درباره‌ی تأخیر پرداخت؛ واحد رسیدگی کند", "due_at": "2020-01-01T00:00:00Z"}))
            .send().await;
        late.assert_problem(422, "validation");
        assert_eq!(late.error_fields(), ["due_at"], "redirect checks the due date as refer does");
        assert_eq!(app.snapshot(), before);
        let redirected = ok(app.post(&format!("/api/v1/requests/{id}/redirect")).bearer(&desk.reviewer)
            .json(&json!({"unit_id": desk.unit, "text": "درخواست درباره‌ی تأخیر پرداخت؛ واحد رسیدگی کند"})).send().await).await;
        assert_eq!(redirected["status"], "referred");
        assert_eq!(actions(&redirected), ["registered", "classified", "meeting_redirected"]);
        assert_eq!(templates(&app, &id), [
            ("tracking_code_issued".to_owned(), MOBILE.to_owned()),
            ("meeting_redirected".to_owned(), MOBILE.to_owned()),
        ]);
        assert_eq!(app.notifications_of(&id)[1].2["unit"], "واحد پذیرش");
        let inbox = app.get("/api/v1/referrals").bearer(&desk.unit_staff).send().await.json();
        assert_eq!(inbox["items"][0]["reason"], "meeting_redirect");
        let public = app.get(&format!("/api/v1/public/requests/{code}")).send().await.json();
        assert_eq!(public["referred_to"], json!(["واحد پذیرش"]), "{public}");
    }

    async fn a_meeting_request_is_declined(app) {
        let desk = desk(&app).await;
        let (id, _) = meeting_in_review(&app, &desk).await;
        let declined = ok(app.post(&format!("/api/v1/requests/{id}/decline")).bearer(&desk.reviewer)
            .json(&json!({"reason": "موضوع در حیطه‌ی اختیارات مرکز نیست"})).send().await).await;
        assert_eq!((declined["status"].as_str(), declined["resolution"].as_str()), (Some("closed"), Some("declined")));
        assert_eq!(templates(&app, &id), [
            ("tracking_code_issued".to_owned(), MOBILE.to_owned()),
            ("meeting_declined".to_owned(), MOBILE.to_owned()),
        ]);
    }

    async fn a_meeting_is_rescheduled_then_cancelled_and_overlaps_are_refused(app) {
        let desk = desk(&app).await;
        let (first, _) = meeting_in_review(&app, &desk).await;
        let (second, _) = meeting_in_review(&app, &desk).await;
        ok(app.post(&format!("/api/v1/requests/{first}/schedule")).bearer(&desk.reviewer)
            .json(&json!({"starts_at": tehran_slot(4), "duration_minutes": 60, "place": "دفتر ریاست"})).send().await).await;
        let before = app.snapshot();
        // 11:00 Tehran overlaps 10:30–11:30; written in UTC it is the same instant.
        let overlapping = app.post(&format!("/api/v1/requests/{second}/schedule")).bearer(&desk.reviewer)
            .json(&json!({"starts_at": tehran_slot(4).replace("10:30:00+03:30", "07:30:00Z"), "duration_minutes": 30, "place": "دفتر ریاست"})).send().await;
        let problem = overlapping.assert_problem(409, "meeting-overlap");
        assert!(problem["detail"].as_str().unwrap().contains("another meeting"), "{problem}");
        assert_eq!(app.snapshot(), before);
        // Back to back is fine.
        ok(app.post(&format!("/api/v1/requests/{second}/schedule")).bearer(&desk.reviewer)
            .json(&json!({"starts_at": tehran_slot(4).replace("10:30", "11:30"), "duration_minutes": 30, "place": "دفتر ریاست"})).send().await).await;
        let moved = ok(app.post(&format!("/api/v1/requests/{first}/reschedule")).bearer(&desk.reviewer)
            .json(&json!({"starts_at": tehran_slot(5), "duration_minutes": 60, "place": "سالن جلسات"})).send().await).await;
        assert_eq!(moved["status"], "meeting_scheduled");
        let cancelled = ok(app.post(&format!("/api/v1/requests/{first}/cancel")).bearer(&desk.reviewer).send().await).await;
        assert_eq!(cancelled["status"], "in_review");
        assert_eq!(actions(&cancelled), ["registered", "classified", "meeting_scheduled", "meeting_rescheduled", "meeting_cancelled"]);
        assert_eq!(templates(&app, &first), [
            ("tracking_code_issued".to_owned(), MOBILE.to_owned()),
            ("meeting_scheduled".to_owned(), MOBILE.to_owned()),
            ("meeting_rescheduled".to_owned(), MOBILE.to_owned()),
            ("meeting_cancelled".to_owned(), MOBILE.to_owned()),
        ]);
        app.post(&format!("/api/v1/requests/{second}/schedule")).bearer(&desk.reviewer)
            .json(&json!({"starts_at": tehran_slot(6), "duration_minutes": 30, "place": "دفتر"})).send().await
            .assert_problem(409, "transition-not-allowed");
        let (third, _) = meeting_in_review(&app, &desk).await;
        let before = app.snapshot();
        for (body, field) in [
            (json!({"starts_at": "2020-01-01T10:00:00+03:30", "duration_minutes": 30, "place": "دفتر"}), "starts_at"),
            (json!({"starts_at": tehran_slot(6), "duration_minutes": 0, "place": "دفتر"}), "duration_minutes"),
            (json!({"starts_at": tehran_slot(6), "duration_minutes": 30, "place": "x"}), "place"),
            (json!({"starts_at": "2026-12-01 10:00", "duration_minutes": 30, "place": "دفتر"}), "starts_at"),
        ] {
            let reply = app.post(&format!("/api/v1/requests/{third}/schedule")).bearer(&desk.reviewer).json(&body).send().await;
            reply.assert_problem(422, "validation");
            assert_eq!(reply.error_fields(), [field], "{body}");
        }
        assert_eq!(app.snapshot(), before);
    }

    async fn walk_ins_guided_and_calls_transferred_register_nothing(app) {
        let desk = desk(&app).await;
        let admin = app.admin_token().await;
        let intake = app.token_for_role(&admin, "intake").await;
        let operator = app.token_for_role(&admin, "operator").await;
        let guided = app.post("/api/v1/contacts").bearer(&intake).json(&json!({"channel": "in_person", "summary": "راهنمایی حضوری", "outcome": "guided"})).send().await;
        assert_eq!(guided.status, StatusCode::CREATED);
        let transferred = app.post("/api/v1/contacts").bearer(&operator)
            .json(&json!({"channel": "phone", "summary": "تماس به واحد پذیرش وصل شد", "outcome": "transferred", "unit_id": desk.unit})).send().await;
        assert_eq!(transferred.status, StatusCode::CREATED);
        assert_eq!(app.count("contacts"), 2);
        assert_eq!(app.count("requests"), 0);
        assert_eq!(app.count("notifications"), 0);
    }
}

on_both_backends! {
    async fn the_proposal_removes_identifiers_planted_in_every_script_and_refer_refuses_them(app) {
        let desk = desk(&app).await;
        let planted = [
            "علي رضايي", "٠٩١٢٣٤٥٦٧٨٩", "+98 912 345 6789", "0098-912-345-6789", "۹۱۲.۳۴۵.۶۷.۸۹",
            "021-88776655", "۰۴۹-۹۳۷۰۸۹-۹", "0499370899", "Ali.Rezaei@Example.ORG", "رضایی‌ها",
        ];
        let text = format!(
            "اینجانب {} با شماره‌های {} و {} و {} و {} و تلفن ثابت {} و کد ملی {} ({}) و ایمیل {}؛ خانواده‌ی {} هم شاکی‌اند. مبلغ ۲٬۵۰۰٬۰۰۰ ریال در تاریخ ۱۴۰۳/۰۵/۱۲ پرداخت نشد.",
            planted[0], planted[1], planted[2], planted[3], planted[4], planted[5], planted[6], planted[7], planted[8], planted[9]
        );
        let body = json!({"name": "علی رضایی", "mobile": "09123456789", "national_id": "0499370899", "email": "ali.rezaei@example.org", "text": text});
        let (id, _) = registered(&app, &body).await;
        let base = format!("/api/v1/requests/{id}");
        ok(app.post(&format!("{base}/classify")).bearer(&desk.reviewer).json(&json!({"kind": "report"})).send().await).await;
        let proposal = ok(app.get(&format!("{base}/anonymised-text")).bearer(&desk.reviewer).send().await).await["text"].as_str().unwrap().to_owned();
        for secret in planted.iter().chain(["علی", "رضایی", "Rezaei", "345", "۳۴۵", "٣٤٥", "8877"].iter()) {
            assert!(!proposal.contains(secret), "{secret:?} left in {proposal}");
        }
        assert!(proposal.contains("۲٬۵۰۰٬۰۰۰ ریال") && proposal.contains("۱۴۰۳/۰۵/۱۲"), "amounts and dates stay: {proposal}");
        let before = app.snapshot();
        let refused = app.post(&format!("{base}/refer")).bearer(&desk.reviewer).json(&json!({"unit_id": desk.unit, "text": text})).send().await;
        let problem = refused.assert_problem(422, "validation");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        for kind in ["name", "mobile", "landline", "national_id", "email"] {
            assert!(message.contains(kind), "{kind} named in {message}");
        }
        // Each one placed in the (normalised) text, in code points: what an editor highlights.
        let checked: Vec<char> = problem["errors"][0]["checked_text"].as_str().unwrap().chars().collect();
        let marked: Vec<(String, String)> = problem["errors"][0]["findings"].as_array().unwrap().iter().map(|f| {
            let (start, end) = (f["start"].as_u64().unwrap() as usize, f["end"].as_u64().unwrap() as usize);
            (f["kind"].as_str().unwrap().to_owned(), checked[start..end].iter().collect())
        }).collect();
        let expected = [
            ("name", "علی رضایی"), ("mobile", planted[1]), ("mobile", planted[2]), ("mobile", planted[3]), ("mobile", planted[4]),
            ("landline", planted[5]), ("national_id", planted[6]), ("national_id", planted[7]), ("email", planted[8]), ("name", "رضایی"),
        ];
        let expected: Vec<(String, String)> = expected.iter().map(|(k, t)| ((*k).to_owned(), (*t).to_owned())).collect();
        assert_eq!(marked, expected, "{problem}");
        assert_eq!(app.snapshot(), before);
        let referred = ok(app.post(&format!("{base}/refer")).bearer(&desk.reviewer).json(&json!({"unit_id": desk.unit, "text": proposal})).send().await).await;
        assert_eq!(referred["status"], "referred");
    }

    async fn overdue_referrals_are_listed_as_such(app) {
        let desk = desk(&app).await;
        let (id, _) = registered(&app, &complaint()).await;
        let base = format!("/api/v1/requests/{id}");
        ok(app.post(&format!("{base}/classify")).bearer(&desk.reviewer).json(&json!({"kind": "report"})).send().await).await;
        ok(app.post(&format!("{base}/refer")).bearer(&desk.reviewer).json(&json!({"unit_id": desk.unit, "text": "گزارش بی‌نام برای واحد پذیرش"})).send().await).await;
        assert_eq!(app.get("/api/v1/referrals?overdue=true").bearer(&desk.unit_staff).send().await.json()["items"], json!([]));
        {
            use diesel::RunQueryDsl;
            let mut conn = app.pool.get().unwrap();
            diesel::sql_query("UPDATE referrals SET due_at = '2020-01-01 00:00:00'").execute(&mut *conn).unwrap();
        }
        let overdue = app.get("/api/v1/referrals?overdue=true").bearer(&desk.unit_staff).send().await.json();
        assert_eq!(overdue["items"].as_array().unwrap().len(), 1);
        assert_eq!(overdue["items"][0]["overdue"], true);
        let rid = overdue["items"][0]["id"].as_str().unwrap();
        ok(app.post(&format!("/api/v1/referrals/{rid}/answer")).bearer(&desk.unit_staff).json(&json!({"answer": "رسیدگی شد و نتیجه اعلام شد"})).send().await).await;
        assert_eq!(app.get("/api/v1/referrals?overdue=true").bearer(&desk.reviewer).send().await.json()["items"], json!([]), "answered is not overdue");
    }
}
