//! The scorecard against a dataset whose answers are known: two weeks around the holiday of
//! 2 Dey 1405 (Wednesday 23 December 2026), with the clock moved to each step, so that every
//! figure of `GET /stats` — each unit's referrals judged, working days to acknowledge and to
//! answer, returned answers, ratings, the weekly count by kind and channel — and both CSV
//! tables can be checked to the digit.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde_json::{Value, json};

use crate::handling::{ok, refer_complaint};
use crate::support::{TestApp, on_both_backends};

/// One working day to acknowledge, three to answer; no limit on one citizen's submissions.
const POLICY: &[(&str, &str)] = &[
    ("MARDOM_DEADLINES", "acknowledge=1d, answer=3d"),
    ("MARDOM_SUBMISSIONS_PER_MOBILE_DAY", "off"),
];

/// The period: Saturday 28 Azar to the end of Saturday 5 Dey 1405, Tehran time.
const PERIOD: &str = "from=2026-12-19T00:00:00%2B03:30&to=2026-12-27T00:00:00%2B03:30";

/// Moves the clock to a Tehran wall time (forward only).
fn at(app: &TestApp, (m, d): (u32, u32), (h, min): (u32, u32)) {
    let tehran: NaiveDateTime = NaiveDate::from_ymd_opt(2026, m, d)
        .and_then(|d| d.and_hms_opt(h, min, 0))
        .unwrap();
    let target = tehran - Duration::minutes(210);
    let by = target - app.clock.now();
    assert!(by >= Duration::zero(), "the clock moves forward only");
    app.advance(by);
}

struct Center {
    reviewer: String,
    intake: String,
    reception: (String, String),
    finance: (String, String),
    legal: String,
}

async fn center(app: &TestApp) -> Center {
    let admin = app.admin_token().await;
    let reviewer = app.token_for_role(&admin, "reviewer").await;
    let intake = app.token_for_role(&admin, "intake").await;
    let mut units = Vec::new();
    for (name, user) in [("واحد پذیرش", "reception"), ("واحد مالی", "finance")] {
        let unit = app.create_unit(&admin, name, None).await;
        app.create_user(&admin, user, "unit_staff", Some(&unit))
            .await;
        units.push((unit, app.token(user, &format!("{user}-password")).await));
    }
    let legal = app.create_unit(&admin, "واحد حقوقی, قراردادها", None).await;
    let finance = units.pop().unwrap();
    let reception = units.pop().unwrap();
    Center {
        reviewer,
        intake,
        reception,
        finance,
        legal,
    }
}

async fn step(app: &TestApp, token: &str, referral: &str, step: &str, body: Value) {
    ok(app
        .post(&format!("/api/v1/referrals/{referral}/{step}"))
        .bearer(token)
        .json(&body)
        .send()
        .await)
    .await;
}

async fn answer(app: &TestApp, token: &str, referral: &str) {
    step(
        app,
        token,
        referral,
        "answer",
        json!({"answer": "موضوع بررسی و به شهروند پاسخ داده شد"}),
    )
    .await;
}

/// Accepts the answer, closes the request and has its citizen rate it.
async fn closed_and_rated(
    app: &TestApp,
    center: &Center,
    (id, code, referral): &(String, String, String),
    score: i32,
) {
    step(app, &center.reviewer, referral, "accept", json!({})).await;
    ok(app
        .post(&format!("/api/v1/requests/{id}/close"))
        .bearer(&center.reviewer)
        .json(&json!({"summary": "پاسخ واحد پذیرفته شد"}))
        .send()
        .await)
    .await;
    ok(app
        .post(&format!("/api/v1/public/requests/{code}/rating"))
        .json(&json!({"mobile": "09123456789", "score": score}))
        .send()
        .await)
    .await;
}

async fn registered_by_staff(app: &TestApp, center: &Center, channel: &str) {
    let body = json!({"channel": channel, "name": "رضا کریمی", "mobile": "09121112233", "text": "درخواست ثبت\u{200C}شده به دست کارکنان"});
    let reply = app
        .post("/api/v1/requests")
        .bearer(&center.intake)
        .json(&body)
        .send()
        .await;
    assert_eq!(
        reply.status,
        actix_web::http::StatusCode::CREATED,
        "{}",
        reply.text()
    );
}

/// The dataset: reception gets four referrals (on time, late across the holiday, never
/// answered, sent the last day), finance two (answered without acknowledging, returned and
/// answered again; withdrawn by its citizen), legal none.
async fn dataset(app: &TestApp) -> Center {
    let center = center(app).await;
    let (reception, reception_staff) = center.reception.clone();
    let (finance, finance_staff) = center.finance.clone();
    at(app, (12, 19), (9, 0));
    let a1 = refer_complaint(app, &center.reviewer, &reception).await;
    let a2 = refer_complaint(app, &center.reviewer, &reception).await;
    let _a3 = refer_complaint(app, &center.reviewer, &reception).await;
    let b1 = refer_complaint(app, &center.reviewer, &finance).await;
    let b2 = refer_complaint(app, &center.reviewer, &finance).await;
    registered_by_staff(app, &center, "phone").await;
    at(app, (12, 19), (16, 0));
    step(app, &reception_staff, &a1.2, "acknowledge", json!({})).await;
    at(app, (12, 20), (9, 0));
    step(app, &reception_staff, &a2.2, "acknowledge", json!({})).await;
    answer(app, &finance_staff, &b1.2).await;
    at(app, (12, 20), (10, 0));
    ok(app
        .post(&format!("/api/v1/public/requests/{}/withdrawal", b2.1))
        .json(&json!({"mobile": "09123456789"}))
        .send()
        .await)
    .await;
    at(app, (12, 20), (12, 0));
    step(
        app,
        &center.reviewer,
        &b1.2,
        "return",
        json!({"reason": "نتیجه\u{200C}ی پرداخت را بنویسید"}),
    )
    .await;
    at(app, (12, 21), (9, 0));
    answer(app, &reception_staff, &a1.2).await;
    answer(app, &finance_staff, &b1.2).await;
    // Thursday 24: after the holiday on Wednesday 23, one working day late.
    at(app, (12, 24), (9, 0));
    answer(app, &reception_staff, &a2.2).await;
    at(app, (12, 24), (10, 0));
    closed_and_rated(app, &center, &a1, 4).await;
    closed_and_rated(app, &center, &a2, 5).await;
    closed_and_rated(app, &center, &b1, 2).await;
    at(app, (12, 26), (9, 0));
    let _a4 = refer_complaint(app, &center.reviewer, &reception).await;
    registered_by_staff(app, &center, "in_person").await;
    at(app, (12, 26), (12, 0));
    center
}

fn unit<'a>(stats: &'a Value, name: &str) -> &'a Value {
    stats["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_name"] == name)
        .unwrap_or_else(|| panic!("{name} is not on the scorecard: {stats}"))
}

/// A unit's line without its id, as the known answer spells it.
fn line(stats: &Value, name: &str) -> Value {
    let mut line = unit(stats, name).clone();
    line.as_object_mut().unwrap().remove("unit_id");
    line
}

on_both_backends! {
    with POLICY;

    async fn the_scorecard_gives_the_known_answers_of_a_dataset(app) {
        let center = dataset(&app).await;
        let stats = ok(app.get(&format!("/api/v1/stats?{PERIOD}")).bearer(&center.reviewer).send().await).await;
        assert_eq!(line(&stats, "واحد پذیرش"), json!({
            "unit_name": "واحد پذیرش", "received": 4, "on_time": 1, "late": 1, "overdue": 1, "pending": 1,
            "withdrawn": 0, "returned_answers": 0,
            // 7 hours and 1 day: 0.29 and 1; 2 and 4 working days (Wednesday 23 is a holiday).
            "median_working_days_to_acknowledge": 0.65, "median_working_days_to_answer": 3.0,
            "rating": {"count": 2, "mean": 4.5}
        }));
        assert_eq!(line(&stats, "واحد مالی"), json!({
            "unit_name": "واحد مالی", "received": 2, "on_time": 1, "late": 0, "overdue": 0, "pending": 0,
            "withdrawn": 1, "returned_answers": 1,
            "median_working_days_to_acknowledge": 1.0, "median_working_days_to_answer": 1.0,
            "rating": {"count": 1, "mean": 2.0}
        }));
        assert_eq!(line(&stats, "واحد حقوقی, قراردادها"), json!({
            "unit_name": "واحد حقوقی, قراردادها", "received": 0, "on_time": 0, "late": 0, "overdue": 0, "pending": 0,
            "withdrawn": 0, "returned_answers": 0,
            "median_working_days_to_acknowledge": null, "median_working_days_to_answer": null,
            "rating": {"count": 0, "mean": null}
        }));
        assert_eq!(unit(&stats, "واحد حقوقی, قراردادها")["unit_id"], center.legal.as_str());
        let names: Vec<&str> = stats["units"].as_array().unwrap().iter().map(|u| u["unit_name"].as_str().unwrap()).collect();
        // By code point (ح, م, پ), the same on both backends; not yet Persian alphabetical order.
        assert_eq!(names, ["واحد حقوقی, قراردادها", "واحد مالی", "واحد پذیرش"]);

        let weeks = stats["weeks"].as_array().unwrap();
        assert_eq!(weeks.len(), 2, "{weeks:?}");
        let summary: Vec<(&str, &str, bool, i64)> = weeks.iter().map(|w| (
            w["starts_on"].as_str().unwrap(), w["starts_on_jalali"].as_str().unwrap(),
            w["complete"].as_bool().unwrap(), w["total"].as_i64().unwrap(),
        )).collect();
        assert_eq!(summary, [("2026-12-19", "1405-09-28", true, 6), ("2026-12-26", "1405-10-05", false, 2)]);
        assert_eq!(weeks[0]["counts"]["complaint"], json!({"in_person": 0, "phone": 0, "online": 5}));
        assert_eq!(weeks[0]["counts"]["unclassified"], json!({"in_person": 0, "phone": 1, "online": 0}));
        assert_eq!(weeks[1]["counts"]["complaint"], json!({"in_person": 0, "phone": 0, "online": 1}));
        assert_eq!(weeks[1]["counts"]["unclassified"], json!({"in_person": 1, "phone": 0, "online": 0}));
        assert_eq!(weeks[1]["counts"].as_object().unwrap().len(), 6);
        // The dashboard's own counts agree with the weeks.
        assert_eq!(stats["requests"]["total"], 8);
    }

    async fn the_scorecard_as_csv_is_utf8_with_a_bom_persian_and_solar_hijri(app) {
        let center = dataset(&app).await;
        let path = format!("/api/v1/stats?{PERIOD}");
        let reply = app.get(&path).bearer(&center.reviewer).header("accept", "text/csv").send().await;
        assert_eq!(reply.status, actix_web::http::StatusCode::OK, "{}", reply.text());
        assert_eq!(reply.header("content-type").as_deref(), Some("text/csv; charset=utf-8"));
        assert_eq!(
            reply.header("content-disposition").as_deref(),
            Some("attachment; filename=\"mardom-units-1405-09-28-1405-10-05.csv\"")
        );
        let text = reply.text();
        keep_for_a_look(&app, "units", &text);
        assert!(text.starts_with('\u{FEFF}'), "a byte-order mark first");
        let lines: Vec<&str> = text.trim_start_matches('\u{FEFF}').lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].starts_with("واحد,از,تا,ارجاع دریافتی,پاسخ به\u{200C}موقع,"), "{}", lines[0]);
        assert_eq!(lines[1], "\"واحد حقوقی, قراردادها\",1405/09/28,1405/10/05,0,0,0,0,0,0,0,,,0,");
        assert_eq!(lines[2], "واحد مالی,1405/09/28,1405/10/05,2,1,0,0,0,1,1,1,1,1,2");
        assert_eq!(lines[3], "واحد پذیرش,1405/09/28,1405/10/05,4,1,1,1,1,0,0,0.65,3,2,4.5");

        let weeks = app.get(&format!("{path}&report=weeks")).bearer(&center.reviewer).header("accept", "text/csv;q=0.9, application/json;q=0.5").send().await;
        let text = weeks.text();
        keep_for_a_look(&app, "weeks", &text);
        let lines: Vec<&str> = text.trim_start_matches('\u{FEFF}').lines().collect();
        assert_eq!(lines[0], "هفته (از شنبه),تا (جمعه),هفته\u{200C}ی کامل,نوع,حضوری,تلفنی,اینترنتی,جمع");
        assert_eq!(lines.len(), 1 + 2 * 6, "{text}");
        assert!(lines.contains(&"1405/09/28,1405/10/04,بله,شکایت,0,0,5,5"), "{text}");
        assert!(lines.contains(&"1405/10/05,1405/10/11,خیر,طبقه\u{200C}بندی\u{200C}نشده,1,0,0,1"), "{text}");

        // JSON unless CSV is ranked first; a bad report name is a 400.
        let json = app.get(&path).bearer(&center.reviewer).header("accept", "application/json, text/csv;q=0.5").send().await;
        assert_eq!(json.header("content-type").as_deref(), Some("application/json"));
        app.get(&format!("{path}&report=everything")).bearer(&center.reviewer).send().await.assert_problem(400, "bad-parameter");
    }
}

/// With `MARDOM_TEST_CSV_DIR` set, the CSV is also written there (one file per backend), to be
/// opened in a spreadsheet and looked at: what the closing note's screenshot shows.
fn keep_for_a_look(app: &TestApp, report: &str, text: &str) {
    if let Ok(dir) = std::env::var("MARDOM_TEST_CSV_DIR") {
        let backend = if app.url.starts_with("postgres") {
            "postgres"
        } else {
            "sqlite"
        };
        std::fs::write(format!("{dir}/{report}-{backend}.csv"), text).expect("write the CSV");
    }
}
