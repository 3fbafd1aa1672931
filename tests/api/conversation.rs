//! The conversation of a request, end to end: a unit asks, the citizen is told by SMS and
//! answers through the public door; a clean answer reaches the unit as written, an identifying
//! one waits for the desk and reaches the unit only anonymised; the desk writes to the citizen;
//! a closed request ends it all. Each test checks the answers, the stored rows and the SMS.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::handling::{Desk, desk, ok};
use crate::public::NAME;
use crate::support::{TestApp, on_both_backends};

pub(crate) const MOBILE: &str = "09123456789";
pub(crate) const QUESTION: &str = "لطفاً بفرمایید در چه تاریخی به واحد پذیرش مراجعه کرده‌اید؟";
pub(crate) const CLEAN_ANSWER: &str = "روز دوشنبه ساعت ده صبح مراجعه کردم و کسی پاسخگو نبود.";

/// A complaint, classified and referred to the desk's unit: (request id, tracking code,
/// referral id).
pub(crate) async fn referred(app: &TestApp, desk: &Desk) -> (String, String, String) {
    crate::handling::refer_complaint(app, &desk.reviewer, &desk.unit).await
}

async fn created(reply: crate::support::Reply) -> Value {
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text());
    reply.json()
}

pub(crate) async fn ask(app: &TestApp, desk: &Desk, referral: &str, text: &str) -> Value {
    created(
        app.post(&format!("/api/v1/referrals/{referral}/messages"))
            .bearer(&desk.unit_staff)
            .json(&json!({"text": text}))
            .send()
            .await,
    )
    .await
}

async fn reply(app: &TestApp, code: &str, text: &str) -> crate::support::Reply {
    app.post(&format!("/api/v1/public/requests/{code}/messages"))
        .json(&json!({"mobile": MOBILE, "text": text}))
        .send()
        .await
}

async fn citizen_view(app: &TestApp, code: &str) -> Value {
    ok(app
        .post(&format!("/api/v1/public/requests/{code}/conversation"))
        .json(&json!({"mobile": MOBILE}))
        .send()
        .await)
    .await
}

async fn unit_view(app: &TestApp, token: &str, referral: &str) -> crate::support::Reply {
    app.get(&format!("/api/v1/referrals/{referral}/messages"))
        .bearer(token)
        .send()
        .await
}

async fn desk_view(app: &TestApp, desk: &Desk, id: &str) -> Value {
    ok(app
        .get(&format!("/api/v1/requests/{id}/messages"))
        .bearer(&desk.reviewer)
        .send()
        .await)
    .await
}

/// The "a message is waiting" SMS of a request, as (recipient, params).
pub(crate) fn waiting_sms(app: &TestApp, id: &str) -> Vec<(String, Value)> {
    app.notifications_of(id)
        .into_iter()
        .filter(|(template, ..)| template == "message_waiting")
        .map(|(_, recipient, params, _)| (recipient, params))
        .collect()
}

on_both_backends! {
    async fn a_unit_asks_the_citizen_is_told_and_a_clean_answer_goes_straight_to_the_unit(app) {
        let desk = desk(&app).await;
        let (id, code, referral) = referred(&app, &desk).await;

        let asked = ask(&app, &desk, &referral, QUESTION).await;
        assert_eq!(asked["author"], "unit");
        assert_eq!(asked["text"], QUESTION);
        assert_eq!(asked["waiting_for_desk"], false);
        assert_eq!(waiting_sms(&app, &id), [("+989123456789".to_owned(), json!({"tracking_code": code}))]);
        let inbox = ok(app.get(&format!("/api/v1/referrals/{referral}")).bearer(&desk.unit_staff).send().await).await;
        assert_eq!(inbox["awaiting_citizen"], true, "{inbox}");

        // The citizen reads the question, the unit named; the bare lookup shows none of it.
        let seen = citizen_view(&app, &code).await;
        assert_eq!(seen["items"].as_array().unwrap().len(), 1, "{seen}");
        assert_eq!(seen["items"][0]["author"], "unit");
        assert_eq!(seen["items"][0]["unit_name"], "واحد پذیرش");
        assert_eq!(seen["items"][0]["text"], QUESTION);
        let lookup = app.get(&format!("/api/v1/public/requests/{code}")).send().await.text();
        assert!(!lookup.contains(QUESTION), "{lookup}");

        let answered = created(reply(&app, &code, CLEAN_ANSWER).await).await;
        assert_eq!(answered["author"], "citizen");
        assert_eq!(answered["text"], CLEAN_ANSWER);

        let unit = unit_view(&app, &desk.unit_staff, &referral).await.json();
        let items = unit["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{unit}");
        assert_eq!(items[1]["author"], "citizen");
        assert_eq!(items[1]["text"], CLEAN_ANSWER);
        assert_eq!(items[1]["waiting_for_desk"], false);
        let inbox = ok(app.get(&format!("/api/v1/referrals/{referral}")).bearer(&desk.unit_staff).send().await).await;
        assert_eq!(inbox["awaiting_citizen"], false, "the answer arrived: {inbox}");

        let all = desk_view(&app, &desk, &id).await;
        assert_eq!(all["items"][1]["release"], "released");
        assert_eq!(all["items"][1]["unit_text"], CLEAN_ANSWER);
        assert_eq!(all["items"][1]["referral_id"], referral.as_str());
        assert_eq!(app.count("messages"), 2);
        // Staff-only history: the desk sees both events, the citizen's lookup neither.
        let detail = ok(app.get(&format!("/api/v1/requests/{id}")).bearer(&desk.reviewer).send().await).await;
        let actions: Vec<&str> = detail["history"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
        assert!(actions.contains(&"question_from_unit") && actions.contains(&"citizen_replied"), "{actions:?}");
        assert!(!lookup.contains("question_from_unit"));
    }

    async fn an_identifying_answer_waits_for_the_desk_and_reaches_the_unit_redacted(app) {
        let desk = desk(&app).await;
        let (id, code, referral) = referred(&app, &desk).await;
        ask(&app, &desk, &referral, QUESTION).await;
        let identifying = format!("من {NAME} هستم، با شماره‌ی ۰۹۱۲۳۴۵۶۷۸۹ تماس بگیرید. روز دوشنبه مراجعه کردم.");
        created(reply(&app, &code, &identifying).await).await;

        let unit = unit_view(&app, &desk.unit_staff, &referral).await;
        let raw = unit.text();
        for secret in ["مریم", "حسینی", "۰۹۱۲۳۴۵۶۷۸۹", "9123456789", identifying.as_str(), code.as_str(), id.as_str()] {
            assert!(!raw.contains(secret), "the unit reads {secret:?}: {raw}");
        }
        let unit = unit.json();
        assert_eq!(unit["items"][1]["text"], Value::Null);
        assert_eq!(unit["items"][1]["waiting_for_desk"], true);
        let inbox = ok(app.get(&format!("/api/v1/referrals/{referral}")).bearer(&desk.unit_staff).send().await).await;
        assert_eq!(inbox["replies_waiting_for_desk"], 1, "{inbox}");

        let all = desk_view(&app, &desk, &id).await;
        let held = &all["items"][1];
        assert_eq!(held["release"], "held");
        assert_eq!(held["text"], identifying.as_str(), "the desk reads the original");
        let proposed = held["unit_text"].as_str().unwrap().to_owned();
        assert!(!proposed.contains("حسینی") && !proposed.contains("۰۹۱۲"), "{proposed}");
        let message = held["id"].as_str().unwrap().to_owned();
        let release = format!("/api/v1/requests/{id}/messages/{message}/release");

        // An edit that still names the citizen is refused, and nothing changes.
        let before = app.snapshot();
        let refused = app.post(&release).bearer(&desk.reviewer).json(&json!({"text": format!("{NAME} مراجعه کرده است")})).send().await;
        let problem = refused.assert_problem(422, "validation");
        assert_eq!(problem["errors"][0]["code"], "identifies_citizen", "{problem}");
        assert_eq!(app.snapshot(), before);
        // A unit may not release it, nor may a unit read another unit's referral.
        app.post(&release).bearer(&desk.unit_staff).json(&json!({})).send().await.assert_problem(403, "forbidden");
        unit_view(&app, &desk.other_unit_staff, &referral).await.assert_problem(404, "not-found");

        let released = ok(app.post(&release).bearer(&desk.reviewer).json(&json!({})).send().await).await;
        assert_eq!(released["release"], "released");
        assert_eq!(released["unit_text"], proposed.as_str());
        let unit = unit_view(&app, &desk.unit_staff, &referral).await;
        assert!(!unit.text().contains("حسینی"), "{}", unit.text());
        assert_eq!(unit.json()["items"][1]["text"], proposed.as_str());
        app.post(&release).bearer(&desk.reviewer).json(&json!({})).send().await.assert_problem(409, "not-held");
    }

    async fn the_desk_writes_to_the_citizen_and_a_closed_request_ends_the_conversation(app) {
        let desk = desk(&app).await;
        let (id, code, referral) = referred(&app, &desk).await;
        let text = "درخواست شما در دست بررسی است؛ نتیجه را به شما اطلاع می‌دهیم.";
        let written = created(app.post(&format!("/api/v1/requests/{id}/messages")).bearer(&desk.reviewer).json(&json!({"text": text})).send().await).await;
        assert_eq!(written["author"], "desk");
        assert_eq!(written["author_role"], "reviewer");
        assert_eq!(waiting_sms(&app, &id).len(), 1);
        let seen = citizen_view(&app, &code).await;
        assert_eq!(seen["items"][0]["staff_role"], "reviewer");
        assert_eq!(seen["items"][0]["text"], text);
        let unit = unit_view(&app, &desk.unit_staff, &referral).await.json();
        assert_eq!(unit["items"], json!([]), "the desk's word to the citizen is not the unit's");
        // A reply with no question from a unit is the desk's alone.
        created(reply(&app, &code, CLEAN_ANSWER).await).await;
        assert_eq!(unit_view(&app, &desk.unit_staff, &referral).await.json()["items"], json!([]));

        ok(app.post(&format!("/api/v1/public/requests/{code}/withdrawal")).json(&json!({"mobile": MOBILE})).send().await).await;
        let before = (app.count("messages"), app.count("notifications"));
        reply(&app, &code, CLEAN_ANSWER).await.assert_problem(409, "conversation-ended");
        app.post(&format!("/api/v1/requests/{id}/messages")).bearer(&desk.reviewer).json(&json!({"text": text})).send().await.assert_problem(409, "conversation-ended");
        // Withdrawing withdrew the referral too: its unit is done with it.
        app.post(&format!("/api/v1/referrals/{referral}/messages")).bearer(&desk.unit_staff).json(&json!({"text": QUESTION})).send().await.assert_problem(409, "conversation-ended");
        assert_eq!((app.count("messages"), app.count("notifications")), before);
    }

    async fn bad_messages_are_refused_and_nothing_is_written(app) {
        let desk = desk(&app).await;
        let (id, code, referral) = referred(&app, &desk).await;
        let before = app.snapshot();
        let unit_post = |body: Value| app.post(&format!("/api/v1/referrals/{referral}/messages")).bearer(&desk.unit_staff).json(&body).send();
        unit_post(json!({"text": "   "})).await.assert_problem(422, "validation");
        unit_post(json!({"text": "ا".repeat(2001)})).await.assert_problem(422, "validation");
        unit_post(json!({"text": "پرسش", "to": "citizen"})).await.assert_problem(422, "validation");
        unit_post(json!({})).await.assert_problem(422, "validation");
        app.post(&format!("/api/v1/referrals/{referral}/messages")).bearer(&desk.other_unit_staff)
            .json(&json!({"text": QUESTION})).send().await.assert_problem(404, "not-found");
        app.post(&format!("/api/v1/referrals/{referral}/messages")).bearer(&desk.reviewer)
            .json(&json!({"text": QUESTION})).send().await.assert_problem(403, "forbidden");
        let public = |code: &str, body: Value| app.post(&format!("/api/v1/public/requests/{code}/messages")).json(&body).send();
        public(&code, json!({"mobile": "09127654321", "text": CLEAN_ANSWER})).await.assert_problem(403, "forbidden");
        let unknown = crate::public::valid_code_other_than(&code);
        public(&unknown, json!({"mobile": MOBILE, "text": CLEAN_ANSWER})).await.assert_problem(404, "not-found");
        public("100000000009", json!({"mobile": MOBILE, "text": CLEAN_ANSWER})).await.assert_problem(422, "validation");
        public(&code, json!({"mobile": MOBILE, "text": ""})).await.assert_problem(422, "validation");
        public(&code, json!({"mobile": "12", "text": CLEAN_ANSWER})).await.assert_problem(422, "validation");
        app.post(&format!("/api/v1/public/requests/{code}/conversation")).json(&json!({"mobile": "09127654321"})).send().await.assert_problem(403, "forbidden");
        app.post(&format!("/api/v1/requests/{id}/messages/{}/release", uuid::Uuid::new_v4())).bearer(&desk.reviewer)
            .json(&json!({})).send().await.assert_problem(404, "not-found");
        assert_eq!(app.snapshot(), before, "nothing was written");
        assert_eq!(app.count("messages"), 0);
    }
}

on_both_backends! {
    with &[("MARDOM_CITIZEN_MESSAGES_PER_REQUEST_DAY", "3"), ("MARDOM_CONVERSATION_SMS_PER_REQUEST_DAY", "2")];

    async fn ten_concurrent_replies_write_exactly_the_daily_allowance_and_sms_stop_at_theirs(app) {
        let desk = desk(&app).await;
        let (id, code, referral) = referred(&app, &desk).await;
        ask(&app, &desk, &referral, QUESTION).await;
        let texts: Vec<String> = (0..10).map(|i| format!("پاسخ شماره‌ی {i} به پرسش واحد")).collect();
        let replies = join_all(texts.iter().map(|text| reply(&app, &code, text))).await;
        let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 7, "{statuses:?}");
        for refused in replies.iter().filter(|r| r.status.as_u16() == 429) {
            assert!(refused.header("retry-after").is_some());
        }
        assert_eq!(app.count("messages"), 4, "one question and three replies");

        // The question took one SMS; three more messages from staff take one more, then none.
        for _ in 0..3 {
            created(app.post(&format!("/api/v1/requests/{id}/messages")).bearer(&desk.reviewer)
                .json(&json!({"text": "پیام میز ارتباطات مردمی"})).send().await).await;
        }
        assert_eq!(app.count("messages"), 7, "past the SMS allowance, messages are still written");
        assert_eq!(waiting_sms(&app, &id).len(), 2);
    }
}

/// The citizen's message allowance is one count however many instances serve the replies.
#[cfg(postgres_tests)]
mod across_two_instances {
    use super::*;

    #[actix_web::test]
    async fn ten_replies_over_two_instances_write_exactly_the_daily_allowance() {
        let env = [("MARDOM_CITIZEN_MESSAGES_PER_REQUEST_DAY", "3")];
        let a = TestApp::postgres(&env).await;
        let b = a.second_instance(&env).await;
        let desk = desk(&a).await;
        let (_, code, referral) = referred(&a, &desk).await;
        ask(&a, &desk, &referral, QUESTION).await;
        let texts: Vec<String> = (0..10)
            .map(|i| format!("پاسخ شماره‌ی {i} از دو نمونه"))
            .collect();
        let replies = join_all(
            texts
                .iter()
                .enumerate()
                .map(|(i, text)| reply([&a, &b][i % 2], &code, text)),
        )
        .await;
        let written = replies.iter().filter(|r| r.status.as_u16() == 201).count();
        let refused = replies.iter().filter(|r| r.status.as_u16() == 429).count();
        eprintln!("FIGURES citizen messages, two instances: {written} written, {refused} refused");
        assert_eq!((written, refused), (3, 7));
        assert_eq!(a.count("messages"), 4, "one question and three replies");
    }
}

on_both_backends! {
    async fn the_desk_a_unit_and_the_citizen_writing_at_once_each_get_their_own_place(app) {
        let desk = desk(&app).await;
        let (id, code, referral) = referred(&app, &desk).await;
        let desk_posts = (0..4).map(|_| app.post(&format!("/api/v1/requests/{id}/messages")).bearer(&desk.reviewer).json(&json!({"text": "پیام میز"})).send());
        let unit_posts = (0..4).map(|_| app.post(&format!("/api/v1/referrals/{referral}/messages")).bearer(&desk.unit_staff).json(&json!({"text": QUESTION})).send());
        let (by_desk, by_unit, by_citizen) = futures_util::join!(
            join_all(desk_posts),
            join_all(unit_posts),
            join_all((0..4).map(|_| reply(&app, &code, CLEAN_ANSWER))),
        );
        for answer in by_desk.iter().chain(&by_unit).chain(&by_citizen) {
            assert_eq!(answer.status.as_u16(), 201, "{}", answer.text());
        }
        let all = desk_view(&app, &desk, &id).await;
        let seqs: Vec<i64> = all["items"].as_array().unwrap().iter().map(|m| m["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, (1..=12).collect::<Vec<_>>());
        assert_eq!(app.count("messages"), 12);
    }
}
