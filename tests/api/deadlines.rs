//! Deadlines through a referral's life, with the clock moved instead of waited for: the unit is
//! reminded, the desk and the unit's deputy office hear when it passes, the head at the second
//! threshold, each once; an extension is told to the citizen by SMS and runs the stages again;
//! the clock stands still while the unit waits for the citizen; two instances watching a week
//! announce each stage once.

use chrono::Duration;
use serde_json::{Value, json};

use crate::handling::{ok, registered};
use crate::support::{TestApp, on_both_backends};

/// One working day to acknowledge, three to answer, a reminder a working day before, the head
/// two working days after.
const POLICY: &[(&str, &str)] = &[(
    "MARDOM_DEADLINES",
    "acknowledge=1d, answer=3d, remind=1d, head=2d",
)];

/// A Center with a deputy office, a unit under it, and a member of staff in each role that
/// hears of deadlines.
pub(crate) struct Office {
    pub reviewer: String,
    pub head: String,
    pub unit: String,
    pub unit_staff: String,
    pub deputy_staff: String,
}

/// The unit member's mobile number, as given and as stored.
const UNIT_MOBILE: &str = "0935 111 2233";
const UNIT_MOBILE_STORED: &str = "+989351112233";

/// The staff SMS in the outbox: (recipient, the notice it carries), oldest first.
fn staff_sms(app: &TestApp) -> Vec<(String, String)> {
    use diesel::prelude::*;
    use mardom::db::schema::notifications;
    let mut conn = app.pool.get().expect("connection");
    let rows: Vec<(String, String, Option<String>)> = notifications::table
        .filter(notifications::template.eq("staff_notice"))
        .order((notifications::created_at.asc(), notifications::id.asc()))
        .select((
            notifications::recipient,
            notifications::params,
            notifications::request_id,
        ))
        .load(&mut *conn)
        .expect("staff SMS");
    rows.into_iter()
        .map(|(recipient, params, request)| {
            assert!(request.is_none(), "a staff SMS names no request");
            let params: Value = serde_json::from_str(&params).unwrap();
            (
                app.opened(&recipient),
                params["notice"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

pub(crate) async fn office(app: &TestApp) -> Office {
    let admin = app.admin_token().await;
    let reviewer = app.token_for_role(&admin, "reviewer").await;
    let head = app.token_for_role(&admin, "head").await;
    let deputy = app.create_unit(&admin, "معاونت درمان", None).await;
    let unit = app.create_unit(&admin, "واحد پذیرش", Some(&deputy)).await;
    let reception = app
        .create_user(&admin, "reception", "unit_staff", Some(&unit))
        .await;
    // The unit's member gave a mobile number: their lines also come by SMS.
    ok(app
        .patch(&format!("/api/v1/users/{reception}"))
        .bearer(&admin)
        .json(&json!({"mobile": UNIT_MOBILE}))
        .send()
        .await)
    .await;
    app.create_user(&admin, "deputy", "unit_staff", Some(&deputy))
        .await;
    Office {
        reviewer,
        head,
        unit,
        unit_staff: app.token("reception", "reception-password").await,
        deputy_staff: app.token("deputy", "deputy-password").await,
    }
}

/// A complaint classified and referred (no due date given: the policy's): (request id,
/// tracking code, referral id).
pub(crate) async fn referred(app: &TestApp, office: &Office) -> (String, String, String) {
    crate::handling::refer_complaint(app, &office.reviewer, &office.unit).await
}

/// Moves the clock `hours` forward an hour at a time, the scheduler ticking after each step;
/// every job must succeed.
fn run_for(app: &TestApp, scheduler: &mardom::scheduler::Scheduler, hours: i64) {
    for _ in 0..hours {
        app.advance(Duration::hours(1));
        for ran in scheduler.tick().unwrap() {
            assert!(ran.outcome.is_ok(), "{ran:?}");
        }
    }
}

/// A member's whole inbox, oldest first.
async fn inbox(app: &TestApp, token: &str) -> Vec<Value> {
    let page = ok(app
        .get("/api/v1/me/notifications?limit=100")
        .bearer(token)
        .send()
        .await)
    .await;
    let mut items = page["items"].as_array().unwrap().clone();
    items.reverse();
    items
}

/// The topics of a member's inbox lines about one kind of work, oldest first.
async fn topics(app: &TestApp, token: &str, kind: &str) -> Vec<String> {
    inbox(app, token)
        .await
        .iter()
        .filter(|n| n["details"]["kind"] == kind)
        .map(|n| n["topic"].as_str().unwrap().to_owned())
        .collect()
}

async fn referral(app: &TestApp, token: &str, id: &str) -> Value {
    ok(app
        .get(&format!("/api/v1/referrals/{id}"))
        .bearer(token)
        .send()
        .await)
    .await
}

fn instant(value: &Value) -> chrono::DateTime<chrono::Utc> {
    value.as_str().unwrap().parse().unwrap()
}

async fn acknowledged(app: &TestApp, office: &Office, referral: &str) {
    ok(app
        .post(&format!("/api/v1/referrals/{referral}/acknowledge"))
        .bearer(&office.unit_staff)
        .send()
        .await)
    .await;
}

on_both_backends! {
    with POLICY;

    async fn a_referral_is_reminded_then_escalated_to_the_deputy_office_and_the_head_once_each(app) {
        let office = office(&app).await;
        let (id, code, referral_id) = referred(&app, &office).await;
        acknowledged(&app, &office, &referral_id).await;
        let before = referral(&app, &office.unit_staff, &referral_id).await;
        // The due date is the policy's: three working days on the calendar.
        let made = instant(&before["created_at"]).naive_utc();
        let expected = mardom::domain::calendar::WorkingCalendar::default()
            .add(made, mardom::domain::calendar::Span::WorkingDays(3));
        assert_eq!(instant(&before["due_at"]).naive_utc(), expected);

        let scheduler = app.scheduler();
        run_for(&app, &scheduler, 24 * 21);

        assert_eq!(topics(&app, &office.unit_staff, "answer").await, ["deadline_reminder", "deadline_overdue"]);
        assert_eq!(topics(&app, &office.deputy_staff, "answer").await, ["deadline_overdue", "deadline_escalated"]);
        assert_eq!(topics(&app, &office.reviewer, "answer").await, ["deadline_overdue", "deadline_escalated"]);
        assert_eq!(topics(&app, &office.head, "answer").await, ["deadline_escalated"]);
        // The acknowledgement came in time: nobody heard of it.
        assert!(topics(&app, &office.reviewer, "acknowledge").await.is_empty());

        // In order and at their times: the reminder before the due time, the overdue notice
        // within the hour after it, the head's two working days later.
        let lines = inbox(&app, &office.reviewer).await;
        let due = instant(&before["due_at"]);
        let unit_lines = inbox(&app, &office.unit_staff).await;
        let reminded = instant(&unit_lines[0]["created_at"]);
        assert!(reminded < due && due - reminded <= Duration::days(7), "{reminded} {due}");
        let overdue = instant(&lines[0]["created_at"]);
        assert!(overdue >= due && overdue - due <= Duration::hours(1), "{overdue} {due}");
        assert!(instant(&lines[1]["created_at"]) - overdue >= Duration::days(2));

        // The unit's lines name the referral, never the request or the citizen.
        for line in &unit_lines {
            assert!(line["request_id"].is_null(), "{line}");
            assert!(line["details"].get("request_id").is_none(), "{line}");
            let text = line.to_string();
            assert!(!text.contains(&code) && !text.contains(&id), "{text}");
            assert!(line["message"].as_str().unwrap().contains(before["reference"].as_str().unwrap()));
        }
        assert_eq!(lines[0]["request_id"], id.as_str());

        // The member with a mobile number got each of their lines by SMS too, word for word;
        // those without one, the inbox alone.
        let texts: Vec<(String, String)> = unit_lines.iter()
            .map(|line| (UNIT_MOBILE_STORED.to_owned(), line["message"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(staff_sms(&app), texts);
        assert!(texts.iter().all(|(_, text)| !text.contains(&code)));

        // Each stage is one staff-only event in the history, and nothing of it is public.
        let detail = ok(app.get(&format!("/api/v1/requests/{id}")).bearer(&office.reviewer).send().await).await;
        let actions: Vec<&str> = detail["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).filter(|a| a.starts_with("deadline_")).collect();
        assert_eq!(actions, ["deadline_reminder", "deadline_overdue", "deadline_escalated"]);
        let public = ok(app.get(&format!("/api/v1/public/requests/{code}")).send().await).await;
        assert!(!public.to_string().contains("deadline_"), "{public}");

        // The overdue lists: the desk's with the request, the unit's without.
        let desk_list = ok(app.get("/api/v1/deadlines/overdue").bearer(&office.reviewer).send().await).await;
        assert_eq!(desk_list["items"].as_array().unwrap().len(), 1);
        assert_eq!(desk_list["items"][0]["request_id"], id.as_str());
        assert_eq!(desk_list["items"][0]["stage"], "escalated");
        let unit_list = ok(app.get("/api/v1/deadlines/overdue").bearer(&office.unit_staff).send().await).await;
        assert_eq!(unit_list["items"][0]["reference"], before["reference"]);
        assert!(unit_list["items"][0]["request_id"].is_null());
        let deputy_list = ok(app.get("/api/v1/deadlines/overdue").bearer(&office.deputy_staff).send().await).await;
        assert!(deputy_list["items"].as_array().unwrap().is_empty(), "the deputy office's own list");

        // Answering meets the deadline: off the lists, and nothing more is announced.
        ok(app.post(&format!("/api/v1/referrals/{referral_id}/answer")).bearer(&office.unit_staff).json(&json!({"answer": "پیگیری شد و با همکار مربوط گفتگو شد."})).send().await).await;
        let desk_list = ok(app.get("/api/v1/deadlines/overdue").bearer(&office.reviewer).send().await).await;
        assert!(desk_list["items"].as_array().unwrap().is_empty());
        let total = app.count("staff_notifications");
        run_for(&app, &scheduler, 24 * 7);
        assert_eq!(app.count("staff_notifications"), total);
    }

    async fn an_extension_is_recorded_told_to_the_citizen_and_runs_the_stages_again(app) {
        let office = office(&app).await;
        let (id, code, referral_id) = referred(&app, &office).await;
        acknowledged(&app, &office, &referral_id).await;
        let scheduler = app.scheduler();
        run_for(&app, &scheduler, 24 * 10);
        assert_eq!(topics(&app, &office.unit_staff, "answer").await, ["deadline_reminder", "deadline_overdue"]);
        let before = referral(&app, &office.reviewer, &referral_id).await;

        let extended = ok(app
            .post(&format!("/api/v1/referrals/{referral_id}/extend"))
            .bearer(&office.reviewer)
            .json(&json!({"by": "4d", "reason": "پاسخ نیازمند استعلام از معاونت درمان است"}))
            .send()
            .await)
        .await;
        let due = instant(&extended["due_at"]);
        assert!(due > instant(&before["due_at"]));
        assert!(due.naive_utc() > app.clock.now() + Duration::days(4));
        assert_eq!(extended["overdue"], false);

        // The citizen's SMS: the new date, the tracking code, not the reason.
        let sms: Vec<_> = app.notifications_of(&id).into_iter().filter(|(t, ..)| t == "deadline_extended").collect();
        assert_eq!(sms.len(), 1);
        let (_, recipient, params, _) = &sms[0];
        assert_eq!(recipient, "+989123456789");
        assert_eq!(params["tracking_code"], code.as_str());
        assert_eq!(instant(&params["until"]), due - Duration::seconds(1));
        assert!(!params.to_string().contains("استعلام"));

        // In the history: public without its reason, the reason for the desk.
        let public = ok(app.get(&format!("/api/v1/public/requests/{code}")).send().await).await;
        assert!(public["history"].as_array().unwrap().iter().any(|e| e["action"] == "deadline_extended"));
        assert!(!public.to_string().contains("استعلام"));
        let detail = ok(app.get(&format!("/api/v1/requests/{id}")).bearer(&office.reviewer).send().await).await;
        let event = detail["history"].as_array().unwrap().iter().find(|e| e["action"] == "deadline_extended").unwrap().clone();
        assert_eq!(event["details"]["reason"], "پاسخ نیازمند استعلام از معاونت درمان است");

        // The new due time runs its own reminder and overdue notice, once each.
        run_for(&app, &scheduler, 24 * 10);
        assert_eq!(
            topics(&app, &office.unit_staff, "answer").await,
            ["deadline_reminder", "deadline_overdue", "deadline_reminder", "deadline_overdue"]
        );
    }

    async fn bad_extensions_are_refused_and_write_nothing(app) {
        let office = office(&app).await;
        let (_, _, referral_id) = referred(&app, &office).await;
        let path = format!("/api/v1/referrals/{referral_id}/extend");
        let due = referral(&app, &office.reviewer, &referral_id).await["due_at"].clone();
        let yesterday = (chrono::Utc::now() - Duration::days(1)).to_rfc3339();
        let outbox = app.count("notifications");
        let events = app.count("request_events");
        const WHY: &str = "پاسخ نیازمند استعلام است";
        for (body, status, field) in [
            (json!({"reason": WHY}), 422, "due_at"),
            (json!({"by": "2d", "due_at": due, "reason": WHY}), 422, "due_at"),
            (json!({"by": "2w", "reason": WHY}), 422, "by"),
            (json!({"by": "0d", "reason": WHY}), 422, "by"),
            (json!({"due_at": due, "reason": WHY}), 422, "due_at"),
            (json!({"due_at": yesterday, "reason": WHY}), 422, "due_at"),
            (json!({"by": "2d", "reason": "بیشتر"}), 422, "reason"),
            (json!({"by": "2d", "reason": WHY, "notify": false}), 422, "notify"),
        ] {
            let reply = app.post(&path).bearer(&office.reviewer).json(&body).send().await;
            reply.assert_problem(status, "validation");
            assert_eq!(reply.error_fields(), [field], "{body}");
        }
        let as_unit = app.post(&path).bearer(&office.unit_staff).json(&json!({"by": "2d", "reason": WHY})).send().await;
        as_unit.assert_problem(403, "forbidden");
        let unknown = app.post(&format!("/api/v1/referrals/{}/extend", uuid::Uuid::new_v4())).bearer(&office.reviewer).json(&json!({"by": "2d", "reason": WHY})).send().await;
        unknown.assert_problem(404, "not-found");
        ok(app.post(&format!("/api/v1/referrals/{referral_id}/answer")).bearer(&office.unit_staff).json(&json!({"answer": "انجام شد و به شاکی اطلاع داده شد."})).send().await).await;
        let events = events + 1;
        let answered = app.post(&path).bearer(&office.reviewer).json(&json!({"by": "2d", "reason": WHY})).send().await;
        answered.assert_problem(409, "not-extendable");
        assert_eq!(app.count("notifications"), outbox);
        assert_eq!(app.count("request_events"), events);
        assert_eq!(referral(&app, &office.reviewer, &referral_id).await["due_at"], due);
    }

    async fn the_clock_stands_still_while_the_unit_waits_for_the_citizen(app) {
        let office = office(&app).await;
        let (_, code, referral_id) = referred(&app, &office).await;
        let before = instant(&referral(&app, &office.unit_staff, &referral_id).await["due_at"]);
        ok_created(app.post(&format!("/api/v1/referrals/{referral_id}/messages")).bearer(&office.unit_staff).json(&json!({"text": crate::conversation::QUESTION})).send().await);
        let scheduler = app.scheduler();
        run_for(&app, &scheduler, 24 * 15);
        assert!(inbox(&app, &office.unit_staff).await.is_empty(), "nothing is due while the clock stands still");
        let waiting = ok(app.get("/api/v1/deadlines/overdue").bearer(&office.reviewer).send().await).await;
        assert!(waiting["items"].as_array().unwrap().is_empty(), "waiting is not late");
        // Nor in the unit's inbox: not flagged, not in its overdue filter.
        let flagged = referral(&app, &office.unit_staff, &referral_id).await;
        assert_eq!((flagged["overdue"].as_bool(), flagged["awaiting_citizen"].as_bool()), (Some(false), Some(true)), "{flagged}");
        let late = ok(app.get("/api/v1/referrals?overdue=true").bearer(&office.unit_staff).send().await).await;
        assert!(late["items"].as_array().unwrap().is_empty(), "{late}");

        ok_created(app.post(&format!("/api/v1/public/requests/{code}/messages")).json(&json!({"mobile": crate::conversation::MOBILE, "text": crate::conversation::CLEAN_ANSWER})).send().await);
        let after = instant(&referral(&app, &office.unit_staff, &referral_id).await["due_at"]);
        // The fifteen days waited are given back (less the days off among them, which the
        // clock never counted): the due time moves at least ten days on.
        assert!(after - before >= Duration::days(10), "{before} → {after}");
        run_for(&app, &scheduler, 24 * 15);
        assert_eq!(referral(&app, &office.unit_staff, &referral_id).await["overdue"], true);
        let late = ok(app.get("/api/v1/referrals?overdue=true").bearer(&office.unit_staff).send().await).await;
        assert_eq!(late["items"].as_array().unwrap().len(), 1, "late again once the clock ran out");
        assert_eq!(topics(&app, &office.unit_staff, "answer").await, ["deadline_reminder", "deadline_overdue"]);
        assert_eq!(topics(&app, &office.unit_staff, "acknowledge").await, ["deadline_reminder", "deadline_overdue"]);
    }

    async fn the_inbox_is_each_members_own_and_marks_read(app) {
        let office = office(&app).await;
        let (_, _, referral_id) = referred(&app, &office).await;
        acknowledged(&app, &office, &referral_id).await;
        run_for(&app, &app.scheduler(), 24 * 21);
        let page = ok(app.get("/api/v1/me/notifications").bearer(&office.head).send().await).await;
        assert_eq!(page["unread"], 1);
        let line = page["items"][0]["id"].as_str().unwrap().to_owned();
        // Another member's line is not found, and stays unread.
        app.call(actix_web::http::Method::PATCH, &format!("/api/v1/me/notifications/{line}")).bearer(&office.reviewer).json(&json!({"read": true})).send().await.assert_problem(404, "not-found");
        let marked = ok(app.call(actix_web::http::Method::PATCH, &format!("/api/v1/me/notifications/{line}")).bearer(&office.head).json(&json!({"read": true})).send().await).await;
        assert!(marked["read_at"].is_string());
        let unread = ok(app.get("/api/v1/me/notifications?unread=true").bearer(&office.head).send().await).await;
        assert_eq!(unread["unread"], 0);
        assert!(unread["items"].as_array().unwrap().is_empty());
        let all = ok(app.post("/api/v1/me/notifications/read-all").bearer(&office.reviewer).send().await).await;
        assert_eq!(all["marked"], 2);
        let reviewer = ok(app.get("/api/v1/me/notifications").bearer(&office.reviewer).send().await).await;
        assert_eq!(reviewer["unread"], 0);
        app.get("/api/v1/me/notifications?unread=maybe").bearer(&office.head).send().await.assert_problem(400, "bad-parameter");
    }
}

fn ok_created(reply: crate::support::Reply) {
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text());
}

/// Two instances on one PostgreSQL database, two schedulers each ticking at once, a simulated
/// week an hour at a time, five referrals and two meetings: every stage of every deadline is
/// announced once, and each meeting reminded once.
#[actix_web::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "MARDOM_TEST_POSTGRES_URL was not set when the tests were built"
)]
async fn two_instances_watching_a_week_announce_each_stage_once() {
    // Seven submissions from one mobile number: past its daily allowance.
    const WEEK: &[(&str, &str)] = &[POLICY[0], ("MARDOM_SUBMISSIONS_PER_MOBILE_DAY", "off")];
    let first = TestApp::postgres(WEEK).await;
    let second = first.second_instance(WEEK).await;
    let office = office(&first).await;
    for _ in 0..5 {
        referred(&first, &office).await;
    }
    let slot = crate::handling::tehran_slot(3);
    let meetings = [
        meeting_at(&first, &office, &slot).await,
        meeting_at(&second, &office, &slot.replace("10:30", "11:30")).await,
    ];
    let schedulers: Vec<_> = [&first, &second, &first, &second]
        .iter()
        .map(|app| std::sync::Arc::new(app.scheduler()))
        .collect();
    for _ in 0..24 * 8 {
        first.advance(Duration::hours(1));
        TestApp::tick_together(&schedulers);
    }
    for meeting in &meetings {
        assert_eq!(
            reminders(&first, meeting).len(),
            1,
            "one reminder per meeting"
        );
    }
    let mut conn = first.pool.get().unwrap();
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count = |conn: &mut mardom::db::DbConnection, sql: &str| -> i64 {
        diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
    };
    let announced = count(
        &mut conn,
        "SELECT count(*) AS n FROM request_events WHERE action LIKE 'deadline_%'",
    );
    let distinct = count(
        &mut conn,
        "SELECT count(*) AS n FROM (SELECT DISTINCT request_id, action, details FROM request_events WHERE action LIKE 'deadline_%') d",
    );
    let lines = count(&mut conn, "SELECT count(*) AS n FROM staff_notifications");
    let distinct_lines = count(
        &mut conn,
        "SELECT count(*) AS n FROM (SELECT DISTINCT user_id, deadline_id, round, topic FROM staff_notifications) d",
    );
    eprintln!(
        "FIGURES a simulated week, two instances: {announced} stages announced, {lines} inbox lines"
    );
    // Ten deadlines (an acknowledgement and an answer each) reach at least their reminder and
    // their overdue notice in a week of three-working-day answers.
    assert!(announced >= 20, "{announced}");
    assert_eq!(announced, distinct, "a stage announced twice");
    assert_eq!(lines, distinct_lines, "a line written twice");
    // Each stage is its deadline's: per referral deadline, one event per stage reached. (The
    // meetings' outcome deadlines announce from their overdue stage on.)
    let stages = count(
        &mut conn,
        "SELECT count(*) AS n FROM deadlines WHERE referral_id IS NOT NULL AND stage <> 'running'",
    );
    assert_eq!(stages, 10);
    let reached = count(
        &mut conn,
        "SELECT coalesce(sum(CASE stage WHEN 'reminded' THEN 1 WHEN 'overdue' THEN 2 WHEN 'escalated' THEN 3 ELSE 0 END), 0)::bigint AS n FROM deadlines WHERE referral_id IS NOT NULL",
    );
    let of_referrals = count(
        &mut conn,
        "SELECT count(*) AS n FROM request_events WHERE action LIKE 'deadline_%' AND details::json->>'referral' IS NOT NULL",
    );
    assert_eq!(
        reached, of_referrals,
        "one event per stage reached, none skipped, none twice"
    );
}

/// A meeting request classified and scheduled at `starts_at`; its request id.
async fn meeting_at(app: &TestApp, office: &Office, starts_at: &str) -> String {
    let (id, _) = registered(app, &crate::handling::meeting_request()).await;
    let base = format!("/api/v1/requests/{id}");
    ok(app
        .post(&format!("{base}/classify"))
        .bearer(&office.reviewer)
        .json(&json!({"kind": "meeting"}))
        .send()
        .await)
    .await;
    ok(app
        .post(&format!("{base}/schedule"))
        .bearer(&office.reviewer)
        .json(&json!({"starts_at": starts_at, "duration_minutes": 20, "place": "دفتر ریاست"}))
        .send()
        .await)
    .await;
    id
}

fn reminders(app: &TestApp, id: &str) -> Vec<Value> {
    app.notifications_of(id)
        .into_iter()
        .filter(|(template, ..)| template == "meeting_reminder")
        .map(|(_, _, params, _)| params)
        .collect()
}

on_both_backends! {
    async fn a_meeting_is_reminded_once_the_day_before_and_not_when_scheduled_nearer(app) {
        let office = office(&app).await;
        let far = crate::handling::tehran_slot(3);
        let reminded = meeting_at(&app, &office, &far).await;
        let soon = (chrono::Utc::now() + Duration::hours(12)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let not_reminded = meeting_at(&app, &office, &soon).await;
        let moved = meeting_at(&app, &office, &crate::handling::tehran_slot(3).replace("10:30", "11:30")).await;
        // Moved two days later before its reminder was due: reminded of the new time only.
        let later = crate::handling::tehran_slot(5);
        ok(app.post(&format!("/api/v1/requests/{moved}/reschedule")).bearer(&office.reviewer).json(&json!({"starts_at": later, "duration_minutes": 20, "place": "دفتر ریاست"})).send().await).await;
        let scheduler = app.scheduler();
        run_for(&app, &scheduler, 24 * 6);

        let sent = reminders(&app, &reminded);
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(instant(&sent[0]["starts_at"]), instant(&json!(far)));
        assert_eq!(sent[0]["place"], "دفتر ریاست");
        assert!(reminders(&app, &not_reminded).is_empty(), "scheduled nearer than a day");
        let sent = reminders(&app, &moved);
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(instant(&sent[0]["starts_at"]), instant(&json!(later)));
    }
}

on_both_backends! {
    async fn the_desk_checks_citizens_in_and_the_head_sees_who_has_arrived(app) {
        let office = office(&app).await;
        let admin = app.admin_token().await;
        let intake = app.token_for_role(&admin, "intake").await;
        let slot = crate::handling::tehran_slot(2);
        let today = meeting_at(&app, &office, &slot).await;
        let tomorrow = meeting_at(&app, &office, &crate::handling::tehran_slot(3)).await;
        let code_of = |id: &str| {
            let mut conn = app.pool.get().unwrap();
            mardom::db::requests::find(&mut conn, &mardom::domain::ids::RequestId::stored(id.to_owned())).unwrap().unwrap().tracking_code
        };
        // The morning of the meeting, 90 minutes before it.
        let starts = instant(&json!(slot)).naive_utc();
        app.advance(starts - Duration::minutes(90) - app.clock.now());

        let check_in = |code: String, token: String| {
            let app = &app;
            async move { app.post("/api/v1/meetings/check-in").bearer(&token).json(&json!({"tracking_code": code})).send().await }
        };
        let first = ok(check_in(code_of(&today), intake.clone()).await).await;
        assert_eq!(first["id"].as_str(), ok(app.get(&format!("/api/v1/requests/{today}")).bearer(&office.reviewer).send().await).await["meeting"]["id"].as_str());
        let arrived = first["arrived_at"].clone();
        assert!(arrived.is_string());
        app.advance(Duration::minutes(5));
        let again = ok(check_in(code_of(&today), office.reviewer.clone()).await).await;
        assert_eq!(again["arrived_at"], arrived, "the first arrival is kept");

        let events = app.count("request_events");
        check_in(code_of(&tomorrow), intake.clone()).await.assert_problem(409, "not-today");
        check_in("405713928602".to_owned(), intake.clone()).await.assert_problem(404, "not-found");
        check_in("12".to_owned(), intake.clone()).await.assert_problem(422, "validation");
        check_in(code_of(&today), office.unit_staff.clone()).await.assert_problem(403, "forbidden");
        assert_eq!(app.count("request_events"), events);
        assert_eq!(app.count("meeting_arrivals"), 1);

        let day = ok(app.get("/api/v1/meetings/today").bearer(&office.head).send().await).await;
        let items = day["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{day}");
        assert_eq!(items[0]["request_id"], today.as_str());
        assert_eq!(items[0]["arrived_at"], arrived);
        let detail = ok(app.get(&format!("/api/v1/requests/{today}")).bearer(&office.reviewer).send().await).await;
        let arrivals = detail["history"].as_array().unwrap().iter().filter(|e| e["action"] == "meeting_arrived").count();
        assert_eq!(arrivals, 1);
        app.get("/api/v1/meetings/today").bearer(&intake).send().await.assert_problem(403, "forbidden");
    }
}

on_both_backends! {
    with POLICY;

    async fn a_meeting_without_its_outcome_a_working_day_later_reminds_the_head(app) {
        let office = office(&app).await;
        let forgotten = meeting_at(&app, &office, &crate::handling::tehran_slot(2)).await;
        let recorded = meeting_at(&app, &office, &crate::handling::tehran_slot(2).replace("10:30", "12:00")).await;
        // The head records the second meeting's outcome once it has begun.
        app.meeting_started(&recorded, 30);
        ok(app.post(&format!("/api/v1/requests/{recorded}/outcome")).bearer(&office.head).json(&json!({"held": true, "notes": "برگزار شد", "follow_ups": []})).send().await).await;
        run_for(&app, &app.scheduler(), 24 * 12);
        let about = |lines: Vec<Value>, id: &str| -> Vec<String> {
            lines.iter().filter(|n| n["details"]["kind"] == "outcome" && n["request_id"] == id).map(|n| n["topic"].as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(about(inbox(&app, &office.head).await, &forgotten), ["deadline_overdue", "deadline_escalated"]);
        assert_eq!(about(inbox(&app, &office.reviewer).await, &forgotten), ["deadline_escalated"]);
        assert!(about(inbox(&app, &office.head).await, &recorded).is_empty());
        // The outcome is due a working day after the meeting: after its day, before a week.
        let line = inbox(&app, &office.head).await.into_iter().find(|n| n["details"]["kind"] == "outcome").unwrap();
        let due = instant(&line["details"]["due_at"]);
        let meeting = instant(&json!(crate::handling::tehran_slot(2)));
        assert!(due > meeting + Duration::hours(12) && due < meeting + Duration::days(7), "{meeting} → {due}");
    }
}
