//! Anonymity of referrals (PRODUCT rule 1), tested from the outside: signed in as unit staff,
//! call every endpoint the OpenAPI document lists, with the ids of this unit's and other units'
//! objects, and find the citizen's identity, tracking code or original text in no answer. And
//! the desk roles, who may read identities, read every one masked until they reveal it.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::handling::{complaint, desk, meeting_in_review, ok, registered, tehran_slot};
use crate::support::{Reply, TestApp, on_both_backends};

const NAME: &str = "کیوان رستمی";
const EMAIL: &str = "keyvan.rostami@example.org";
const NATIONAL_ID: &str = "0499370899";
const ORIGINAL: &str = "شکایت کیوان رستمی درباره‌ی رفتار نگهبان ساختمان مرکزی";

/// The text as the citizen wrote it (the anonymised text keeps its substance, not this).
fn submitted_text() -> String {
    format!("{ORIGINAL}؛ شماره‌ی من 0912-765-4321 و کد ملی ۰۴۹۹۳۷۰۸۹۹ است")
}

/// Everything that would identify the citizen or lead back to the request.
fn secrets(code: &str, request_id: &str) -> Vec<String> {
    [
        NAME,
        "کیوان",
        "رستمی",
        "كيوان",
        EMAIL,
        "keyvan",
        NATIONAL_ID,
        "۰۴۹۹۳۷۰۸۹۹",
        "9127654321",
        "۹۱۲۷۶۵۴۳۲۱",
        "912 765 4321",
        "0912-765-4321",
        ORIGINAL,
        &submitted_text(),
        code,
        request_id,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

struct World {
    unit_staff: String,
    own_referral: String,
    other_referral: String,
    request_id: String,
    other_request_id: String,
    meeting_request_id: String,
    meeting_id: String,
    unit: String,
    other_unit: String,
    user_id: String,
    code: String,
    /// Every tracking code of the world's requests.
    codes: Vec<String>,
    /// The citizen's two files on the unit's referral: released, and not.
    attachments: Vec<String>,
}

async fn world(app: &TestApp) -> World {
    let admin = app.admin_token().await;
    let reviewer = app.token_for_role(&admin, "reviewer").await;
    let head = app.token_for_role(&admin, "head").await;
    let unit = app.create_unit(&admin, "واحد خدمات", None).await;
    let other_unit = app.create_unit(&admin, "واحد انتظامات", None).await;
    let user_id = app
        .create_user(&admin, "services", "unit_staff", Some(&unit))
        .await;
    let unit_staff = app.token("services", "services-password").await;
    let citizen = json!({
        "name": NAME, "mobile": "۰۹۱۲ ۷۶۵ ۴۳۲۱", "national_id": NATIONAL_ID, "email": EMAIL,
        "text": submitted_text(), "proposed_kind": "complaint"
    });
    let mut referred = Vec::new();
    let mut codes = Vec::new();
    let mut code = String::new();
    for target in [&unit, &other_unit] {
        let submitted = crate::public::submit(app, &citizen).await;
        code = submitted["tracking_code"].as_str().unwrap().to_owned();
        codes.push(code.clone());
        let id = crate::public::request_id(app, &code).await;
        let base = format!("/api/v1/requests/{id}");
        app.post(&format!("{base}/classify"))
            .bearer(&reviewer)
            .json(&json!({"kind": "complaint", "subject": "unit", "subject_unit_id": target}))
            .send()
            .await;
        let proposal = app
            .get(&format!("{base}/anonymised-text"))
            .bearer(&reviewer)
            .send()
            .await
            .json();
        let reply = app
            .post(&format!("{base}/refer"))
            .bearer(&reviewer)
            .json(&json!({"unit_id": target, "text": proposal["text"]}))
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text());
        referred.push(id);
    }
    let inbox = |token: String| async move {
        app.get("/api/v1/referrals")
            .bearer(&token)
            .send()
            .await
            .json()
    };
    let own = inbox(unit_staff.clone()).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The unit asks on its referral; the citizen answers once naming themself (held for the
    // desk) and once not (straight to the unit): the unit's conversation view has both kinds.
    let asked = app
        .post(&format!("/api/v1/referrals/{own}/messages"))
        .bearer(&unit_staff)
        .json(&json!({"text": "لطفاً زمان دقیق رخداد را بنویسید"}))
        .send()
        .await;
    assert_eq!(asked.status.as_u16(), 201, "{}", asked.text());
    // The unit's referral is of the first request (its unit was the first target).
    let first_code = codes[0].clone();
    // The clean answer carries two files, both named after the citizen: one whose content names
    // no one, which the desk releases to the unit; one whose content names and numbers them,
    // which it does not.
    let mut attachments = Vec::new();
    for content in [
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n".to_vec(),
        format!("%PDF-1.7\n1 0 obj\n<< /Author ({NAME} {NATIONAL_ID}) >>\nendobj\n%%EOF\n")
            .into_bytes(),
    ] {
        let uploaded = app
            .post("/api/v1/public/uploads")
            .file(&format!("{NAME} {NATIONAL_ID}.pdf"), &content)
            .send()
            .await;
        assert_eq!(uploaded.status.as_u16(), 201, "{}", uploaded.text());
        attachments.push(uploaded.json()["id"].as_str().unwrap().to_owned());
    }
    for (text, files) in [
        (
            format!("من {NAME} هستم و با شماره‌ی ۰۹۱۲ ۷۶۵ ۴۳۲۱ در دسترسم"),
            json!([]),
        ),
        ("ساعت ده صبح روز دوشنبه بود".to_owned(), json!(attachments)),
    ] {
        let replied = app
            .post(&format!("/api/v1/public/requests/{first_code}/messages"))
            .json(&json!({"mobile": "09127654321", "text": text, "attachments": files}))
            .send()
            .await;
        assert_eq!(replied.status.as_u16(), 201, "{}", replied.text());
    }
    let released = app
        .post(&format!(
            "/api/v1/requests/{}/attachments/{}/release",
            referred[0], attachments[0]
        ))
        .bearer(&reviewer)
        .json(&json!({"referral_id": own}))
        .send()
        .await;
    assert_eq!(released.status.as_u16(), 200, "{}", released.text());
    let all = inbox(reviewer.clone()).await;
    let other = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .find(|id| *id != own)
        .unwrap();
    let mut meeting = citizen.clone();
    meeting["proposed_kind"] = json!("meeting");
    let meeting_code = crate::public::submit(app, &meeting).await["tracking_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let meeting_request_id = crate::public::request_id(app, &meeting_code).await;
    app.post(&format!("/api/v1/requests/{meeting_request_id}/classify"))
        .bearer(&reviewer)
        .json(&json!({"kind": "meeting"}))
        .send()
        .await;
    let start = format!(
        "{}T09:00:00+03:30",
        (chrono::Utc::now() + chrono::Duration::days(3)).date_naive()
    );
    app.post(&format!("/api/v1/requests/{meeting_request_id}/schedule"))
        .bearer(&reviewer)
        .json(&json!({"starts_at": start, "duration_minutes": 30, "place": "دفتر ریاست"}))
        .send()
        .await;
    let from = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let to = (chrono::Utc::now() + chrono::Duration::days(30))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let calendar = app
        .get(&format!(
            "/api/v1/meetings?from={}&to={}",
            crate::public::urlencode(&from),
            crate::public::urlencode(&to)
        ))
        .bearer(&head)
        .send()
        .await
        .json();
    let meeting_id = calendar["items"][0]["id"]
        .as_str()
        .expect("a meeting")
        .to_owned();
    World {
        unit_staff,
        own_referral: own,
        other_referral: other,
        request_id: referred[0].clone(),
        other_request_id: referred[1].clone(),
        meeting_request_id,
        meeting_id,
        unit,
        other_unit,
        user_id,
        code,
        codes,
        attachments,
    }
}

/// A body that passes JSON parsing for each command, so that the call reaches authorisation
/// and the use case rather than stopping at the extractor.
pub fn body_for(path: &str) -> Value {
    let last = path.rsplit('/').next().unwrap_or_default();
    match last {
        "answer" => json!({"answer": "پاسخ واحد به این ارجاع داده شد"}),
        "return" => json!({"reason": "پاسخ کامل نیست و باید تکمیل شود"}),
        "classify" => json!({"kind": "complaint"}),
        "refer" | "redirect" => {
            json!({"unit_id": "0b6f2b0c-9d3e-4a47-9a43-4f8e3a1c2d11", "text": "متن آزمایشی بی‌نام برای واحد"})
        }
        "close" => json!({"summary": "خلاصه‌ی آزمایشی برای بستن درخواست"}),
        "decline" => json!({"reason": "دلیل آزمایشی برای رد درخواست ملاقات"}),
        "schedule" | "reschedule" => {
            json!({"starts_at": "2030-01-01T10:00:00+03:30", "duration_minutes": 30, "place": "دفتر"})
        }
        "outcome" => json!({"held": true}),
        "withdrawal" => json!({"mobile": "09127654321"}),
        "rating" => json!({"mobile": "09127654321", "score": 5}),
        "objection" => json!({"mobile": "09127654321", "text": "اعتراض آزمایشی به نتیجه‌ی درخواست"}),
        "password" => json!({"password": "a long new password"}),
        "messages" if path.contains("/public/") => {
            json!({"mobile": "09127654321", "text": "پاسخ آزمایشی شهروند"})
        }
        "messages" => json!({"text": "پیام آزمایشی"}),
        "conversation" => json!({"mobile": "09127654321"}),
        _ if path.contains("/public/requests/") && path.contains("/attachments") => {
            json!({"mobile": "09127654321"})
        }
        _ => json!({}),
    }
}

on_both_backends! {
    async fn unit_staff_never_see_the_citizen_through_any_endpoint(app) {
        let w = world(&app).await;
        let secrets = secrets(&w.code, &w.request_id);
        let other_secrets = secrets.iter().cloned().chain([w.other_request_id.clone(), w.meeting_request_id.clone()]).chain(w.codes.iter().cloned()).collect::<Vec<_>>();
        let ids = [
            &w.own_referral, &w.other_referral, &w.request_id, &w.other_request_id, &w.meeting_request_id,
            &w.meeting_id, &w.unit, &w.other_unit, &w.user_id,
        ];
        let document = serde_json::to_value(mardom::api::openapi_document()).unwrap();
        let mut calls = 0;
        let mut answered_ok = Vec::new();
        for (template, item) in document["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let template = &template.replace("{attachment_id}", "{file}");
                let paths: Vec<String> = if template.contains("{id}") {
                    ids.iter().map(|id| template.replace("{id}", id)).collect()
                } else if template.contains("{tracking_code}") {
                    // Unit staff know no tracking code; a well-formed one that is not the citizen's.
                    vec![template.replace("{tracking_code}", "100000000009")]
                } else if template == "/api/v1/referrals" {
                    vec![template.clone(), format!("{template}?overdue=true"), format!("{template}?status=open")]
                } else {
                    vec![template.clone()]
                };
                let paths: Vec<String> = paths
                    .iter()
                    .flat_map(|path| match path.contains("{file}") {
                        true => w.attachments.iter().map(|file| path.replace("{file}", file)).collect(),
                        false => vec![path.clone()],
                    })
                    .collect();
                for path in paths {
                    let mut call = app.call(method.clone(), &path).bearer(&w.unit_staff);
                    if method == Method::POST || method == Method::PATCH {
                        call = call.json(&body_for(&path));
                    }
                    let reply = call.send().await;
                    calls += 1;
                    assert!(reply.status.as_u16() < 500, "{method} {path}: {}", reply.text());
                    let mut seen = reply.text();
                    for (name, value) in reply.headers.iter() {
                        seen.push_str(&format!("\n{name}: {}", value.to_str().unwrap_or_default()));
                    }
                    for secret in &other_secrets {
                        assert!(!seen.contains(secret.as_str()), "{method} {path} shows {secret:?} to unit staff: {seen}");
                    }
                    if reply.status.is_success() {
                        answered_ok.push(format!("{method} {path}"));
                    }
                }
            }
        }
        assert!(calls > 60, "{calls} calls");
        // The unit could work its own referral all along.
        for expected in [
            format!("GET /api/v1/referrals/{}", w.own_referral),
            format!("POST /api/v1/referrals/{}/answer", w.own_referral),
            format!("GET /api/v1/referrals/{}/messages", w.own_referral),
            format!("GET /api/v1/referrals/{}/attachments", w.own_referral),
            format!("GET /api/v1/referrals/{}/attachments/{}", w.own_referral, w.attachments[0]),
            "GET /api/v1/referrals".to_owned(),
        ] {
            assert!(answered_ok.contains(&expected), "{expected} in {answered_ok:?}");
        }
        assert!(!answered_ok.iter().any(|c| c.contains(&w.other_referral)), "another unit's referral: {answered_ok:?}");
        assert!(!answered_ok.iter().any(|c| c.contains(&w.attachments[1])), "an unreleased file: {answered_ok:?}");
        assert!(!answered_ok.iter().any(|c| c.contains(&w.request_id) || c.contains(&w.meeting_id)), "{answered_ok:?}");
    }
}

/// The ASCII digits of `ascii` in the script whose zero is `zero` (۰ Persian, ٠ Arabic-Indic).
fn in_script(ascii: &str, zero: char) -> String {
    ascii
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(zero as u32 + d).unwrap(),
            None => c,
        })
        .collect()
}

/// A tracking code as people write it, «۴۵۰۳-۳۷۵۱ ۹۷۰۷», in the script of `zero`.
fn grouped(code: &str, zero: char) -> String {
    in_script(
        &format!("{}-{} {}", &code[..4], &code[4..8], &code[8..]),
        zero,
    )
}

/// Where `part` stands in `text`, in code points, end exclusive.
fn code_points(text: &str, part: &str) -> (usize, usize) {
    let at = text
        .find(part)
        .unwrap_or_else(|| panic!("{part:?} not in {text:?}"));
    let start = text[..at].chars().count();
    (start, start + part.chars().count())
}

/// Asserts a 422 refusing `field` for the tracking code written as `written`, found once and
/// placed where it stands in the text the server checked; returns the field's error.
fn assert_code_refused(reply: &Reply, field: &str, written: &str) -> Value {
    let problem = reply.assert_problem(422, "validation");
    let error = &problem["errors"][0];
    assert_eq!(error["field"], field, "{problem}");
    assert_eq!(error["code"], "identifies_citizen", "{problem}");
    assert!(
        error["message"].as_str().unwrap().contains("tracking_code"),
        "{problem}"
    );
    let checked = error["checked_text"].as_str().expect("checked_text");
    let (start, end) = code_points(checked, written);
    assert_eq!(
        error["findings"],
        json!([{"kind": "tracking_code", "start": start, "end": end}]),
        "{problem}"
    );
    let marked: String = checked.chars().skip(start).take(end - start).collect();
    assert_eq!(marked, written);
    error.clone()
}

on_both_backends! {
    async fn a_referral_carrying_a_tracking_code_is_refused_with_where_it_stands_and_nothing_written(app) {
        let desk = desk(&app).await;
        let (id, code) = registered(&app, &complaint()).await;
        // Another request filed with the same mobile.
        let (_, other_code) = registered(&app, &complaint()).await;
        let base = format!("/api/v1/requests/{id}");
        ok(app.post(&format!("{base}/classify")).bearer(&desk.reviewer).json(&json!({"kind": "complaint"})).send().await).await;
        let before = app.snapshot();
        let notifications = app.count("notifications");
        let refer = |text: String| app.post(&format!("{base}/refer")).bearer(&desk.reviewer).json(&json!({"unit_id": desk.unit, "text": text})).send();

        // The request's own code, in Persian digits with a dash and a space.
        let written = grouped(&code, '۰');
        let text = format!("پیرو درخواست قبلی‌ام با کد رهگیری {written} لطفاً رسیدگی کنید");
        let error = assert_code_refused(&refer(text.clone()).await, "text", &written);
        assert_eq!(error["checked_text"], text.as_str(), "a normal text is checked as sent");
        // Sent with Arabic yeh and stray spaces: the offsets are into the normalised text.
        let messy = format!("پيرو  درخواست قبلي‌ام با کد رهگیری {written}   لطفاً رسیدگی کنید");
        let error = assert_code_refused(&refer(messy.clone()).await, "text", &written);
        assert_eq!(error["checked_text"], text.as_str());

        // The other request's code: in Arabic-Indic digits with slashes, which end a number for
        // anyone else's code, and with a digit mistyped.
        let slashed = in_script(&format!("{}/{}/{}", &other_code[..4], &other_code[4..8], &other_code[8..]), '٠');
        assert_code_refused(&refer(format!("پیرو درخواست {slashed} رسیدگی کنید")).await, "text", &slashed);
        let mut mistyped = other_code.clone().into_bytes();
        mistyped[5] = b'0' + (mistyped[5] - b'0' + 1) % 10;
        let mistyped = String::from_utf8(mistyped).unwrap();
        assert_code_refused(&refer(format!("پیرو درخواست {mistyped} رسیدگی کنید")).await, "text", &mistyped);

        // Anyone's: a twelve-digit number whose check digit holds.
        assert_code_refused(&refer("پیرو درخواست 1234 5678 9018 رسیدگی کنید".to_owned()).await, "text", "1234 5678 9018");

        assert_eq!(app.snapshot(), before);
        assert_eq!(app.count("referrals"), 0);
        assert_eq!(app.count("notifications"), notifications, "no SMS queued");
        let detail = ok(app.get(&base).bearer(&desk.reviewer).send().await).await;
        assert_eq!(detail["status"], "in_review");
    }

    async fn the_proposal_replaces_a_tracking_code_by_its_marker_and_is_accepted(app) {
        let desk = desk(&app).await;
        let (_, earlier) = registered(&app, &complaint()).await;
        let written = grouped(&earlier, '۰');
        let mut body = complaint();
        body["text"] = json!(format!("پیرو درخواست قبلی‌ام با کد رهگیری {written} از برخورد کارکنان واحد پذیرش شکایت دارم"));
        let (id, code) = registered(&app, &body).await;
        let base = format!("/api/v1/requests/{id}");
        ok(app.post(&format!("{base}/classify")).bearer(&desk.reviewer).json(&json!({"kind": "complaint"})).send().await).await;
        let proposal = ok(app.get(&format!("{base}/anonymised-text")).bearer(&desk.reviewer).send().await).await["text"].as_str().unwrap().to_owned();
        assert_eq!(proposal, "پیرو درخواست قبلی‌ام با کد رهگیری [کد رهگیری] از برخورد کارکنان واحد پذیرش شکایت دارم");
        let referred = ok(app.post(&format!("{base}/refer")).bearer(&desk.reviewer).json(&json!({"unit_id": desk.unit, "text": proposal})).send().await).await;
        assert_eq!(referred["status"], "referred");
        let inbox = app.get("/api/v1/referrals").bearer(&desk.unit_staff).send().await;
        assert_eq!(inbox.json()["items"][0]["text"], proposal.as_str());
        let raw = inbox.text();
        for secret in [earlier.clone(), in_script(&earlier, '۰'), written, code.clone(), in_script(&code, '۰')] {
            assert!(!raw.contains(&secret), "the inbox shows {secret:?}: {raw}");
        }
    }

    async fn redirect_and_meeting_follow_ups_refuse_a_tracking_code_too(app) {
        let desk = desk(&app).await;
        let admin = app.admin_token().await;
        let head = app.token_for_role(&admin, "head").await;
        let (redirected, redirected_code) = meeting_in_review(&app, &desk).await;
        let (met, met_code) = meeting_in_review(&app, &desk).await;
        ok(app.post(&format!("/api/v1/requests/{met}/schedule")).bearer(&desk.reviewer)
            .json(&json!({"starts_at": tehran_slot(2), "duration_minutes": 20, "place": "دفتر ریاست"})).send().await).await;
        app.meeting_started(&met, 30);
        let before = app.snapshot();

        let written = in_script(&met_code, '٠');
        let reply = app.post(&format!("/api/v1/requests/{redirected}/redirect")).bearer(&desk.reviewer)
            .json(&json!({"unit_id": desk.unit, "text": format!("درخواست ملاقات، پیرو کد {written}، به واحد سپرده شد")})).send().await;
        assert_code_refused(&reply, "text", &written);

        let written = in_script(&format!("{}-{}-{}", &redirected_code[..4], &redirected_code[4..8], &redirected_code[8..]), '۰');
        let reply = app.post(&format!("/api/v1/requests/{met}/outcome")).bearer(&head)
            .json(&json!({"held": true, "follow_ups": [
                {"unit_id": desk.unit, "text": "پیگیری تأخیر در پرداخت مطالبات"},
                {"unit_id": desk.unit, "text": format!("پیگیری درخواست {written} در واحد پذیرش")},
            ]})).send().await;
        assert_code_refused(&reply, "follow_ups[1].text", &written);
        assert_eq!(app.snapshot(), before);

        let followed = ok(app.post(&format!("/api/v1/requests/{met}/outcome")).bearer(&head)
            .json(&json!({"held": true, "follow_ups": [{"unit_id": desk.unit, "text": "پیگیری درخواست [کد رهگیری] در واحد پذیرش"}]})).send().await).await;
        assert_eq!(followed["status"], "follow_up");
    }
}

on_both_backends! {
    /// PRODUCT rule 11: the desk roles read identities masked everywhere until one of them
    /// reveals it. Every GET the document lists, as each desk role, with the ids of a request
    /// filed online and one registered at the desk (same citizen), after a logged call and a
    /// message: no full name, number, national ID or email in any answer or header.
    async fn a_desk_role_that_did_not_reveal_sees_no_full_identifier(app) {
        use crate::public::{EMAIL, NAME, NATIONAL_ID, request_id, submission, submit};
        let admin = app.admin_token().await;
        let intake = app.token_for_role(&admin, "intake").await;
        let filed = submit(&app, &submission()).await;
        let online = request_id(&app, filed["tracking_code"].as_str().unwrap()).await;
        let walk_in = app.post("/api/v1/requests").bearer(&intake)
            .json(&json!({"channel": "in_person", "name": NAME, "mobile": "09123456789", "national_id": NATIONAL_ID, "email": EMAIL, "text": "پیگیری حضوری همان درخواست ملاقات"}))
            .send().await.json()["id"].as_str().unwrap().to_owned();
        let logged = app.post("/api/v1/contacts").bearer(&intake)
            .json(&json!({"channel": "in_person", "summary": "پرسش درباره‌ی زمان ملاقات", "outcome": "guided", "citizen_name": NAME, "citizen_mobile": "09123456789"}))
            .send().await;
        assert_eq!(logged.status.as_u16(), 201, "{}", logged.text());
        let reviewer = app.token_for_role(&admin, "reviewer").await;
        let sent = app.post(&format!("/api/v1/requests/{online}/messages")).bearer(&reviewer).json(&json!({"text": "لطفاً مدارک را همراه بیاورید"})).send().await;
        assert_eq!(sent.status.as_u16(), 201, "{}", sent.text());
        let roles = [
            ("admin", admin.clone()),
            ("intake", intake),
            ("reviewer", reviewer),
            ("head", app.token_for_role(&admin, "head").await),
            ("operator", app.token_for_role(&admin, "operator").await),
        ];
        let secrets = [NAME, "مریم", "حسینی", NATIONAL_ID, EMAIL, "maryam", "9123456789"];
        let document = serde_json::to_value(mardom::api::openapi_document()).unwrap();
        let mut answered = 0;
        for (role, token) in &roles {
            for (template, item) in document["paths"].as_object().unwrap() {
                if item.get("get").is_none() || template.contains("/public/") || template.contains("{provider}") {
                    continue;
                }
                let paths: Vec<String> = if template.contains("{id}") {
                    [&online, &walk_in].iter().map(|id| template.replace("{id}", id)).collect()
                } else if template.contains('{') {
                    continue;
                } else {
                    vec![template.clone()]
                };
                for path in paths {
                    let reply = app.get(&path).bearer(token).send().await;
                    assert!(reply.status.as_u16() < 500, "GET {path} as {role}: {}", reply.text());
                    let mut seen = reply.text();
                    for (name, value) in reply.headers.iter() {
                        seen.push_str(&format!("\n{name}: {}", value.to_str().unwrap_or_default()));
                    }
                    for secret in secrets {
                        assert!(!seen.contains(secret), "GET {path} shows {secret:?} to {role}: {seen}");
                    }
                    answered += usize::from(reply.status.is_success());
                }
            }
        }
        assert!(answered > 40, "{answered} answers read");
        assert_eq!(app.count("audit_events"), 0);
        // The same reader, on purpose, sees it; and that was recorded.
        assert_eq!(app.revealed(&admin, &online).await["email"], EMAIL);
        assert_eq!(app.count("audit_events"), 1);
    }
}
