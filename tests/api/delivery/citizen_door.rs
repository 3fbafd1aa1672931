//! The citizen's own door, end to end through the fake provider: a code asked for reaches the
//! provider (its digits read back from the SMS, as the citizen would), is exchanged for a
//! citizen's token, and opens every request of that number and no other's. A wrong code, an
//! expired one, three tries, a spent one, the limits per number and per address, an expired
//! token and a staff token are each refused, and the SMS row keeps no digits once sent.

use super::*;
use crate::handling::ok;

pub(super) const MOBILE: &str = "09123456789";
pub(super) const STORED: &str = "+989123456789";

async fn ask(app: &TestApp, mobile: &str) -> crate::support::Reply {
    app.post("/api/v1/public/otp")
        .json(&json!({ "mobile": mobile }))
        .send()
        .await
}

/// Asks for a code and reads its six digits from the SMS the provider received.
pub(super) async fn code_by_sms(
    app: &TestApp,
    fake: &MockServer,
    dispatcher: &Dispatcher,
) -> String {
    let before = sends(fake).await.len();
    let reply = ask(app, MOBILE).await;
    assert_eq!(reply.status.as_u16(), 202, "{}", reply.text());
    drain(dispatcher).await;
    let sent = sends(fake).await;
    assert_eq!(sent.len(), before + 1, "one SMS per code");
    let sms = &sent[before];
    assert_eq!(sms["to"], STORED);
    let text = sms["text"].as_str().unwrap();
    assert!(text.contains("کد ورود"), "{text}");
    let digits: String = mardom::domain::text::ascii_digits(text)
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(digits.len(), 6 + 1, "the code and the two minutes: {text}");
    digits[..6].to_owned()
}

async fn exchange(app: &TestApp, mobile: &str, code: &str) -> crate::support::Reply {
    app.post("/api/v1/public/otp/verify")
        .json(&json!({ "mobile": mobile, "code": code }))
        .send()
        .await
}

pub(super) async fn token(app: &TestApp, code: &str) -> String {
    let reply = exchange(app, MOBILE, code).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text());
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
    let body = reply.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    body["access_token"].as_str().unwrap().to_owned()
}

fn refusal(reply: &crate::support::Reply) -> String {
    let problem = reply.assert_problem(422, "validation");
    assert_eq!(reply.error_fields(), ["code"], "{problem}");
    problem["errors"][0]["code"].as_str().unwrap().to_owned()
}

/// The code rows' and the outbox's stored params: no digits of any code may stay in the clear.
fn stored_params(app: &TestApp) -> Vec<String> {
    use diesel::prelude::*;
    use mardom::db::schema::notifications;
    let mut conn = app.pool.get().unwrap();
    notifications::table
        .filter(notifications::template.eq("citizen_code"))
        .select(notifications::params)
        .load(&mut *conn)
        .unwrap()
}

with_fake! {
    async fn a_code_by_sms_opens_every_request_of_its_number_and_no_other(app, fake) {
        accepting(&fake).await;
        let dispatcher = dispatcher(&app, &fake, quick());
        // Two requests of this number, one of another's.
        let mine = [
            crate::public::submit(&app, &crate::public::submission()).await,
            crate::public::submit(&app, &crate::handling::complaint()).await,
        ];
        let mut other = crate::public::submission();
        other["mobile"] = json!("09351112233");
        let theirs = crate::public::submit(&app, &other).await;
        drain(&dispatcher).await;

        let code = code_by_sms(&app, &fake, &dispatcher).await;
        assert_eq!(stored_params(&app), ["{}"], "the digits are forgotten once sent");
        let token = token(&app, &code).await;
        let list = app.get("/api/v1/public/me/requests").bearer(&token).send().await;
        assert_eq!(list.status.as_u16(), 200, "{}", list.text());
        let list = list.json();
        let codes: Vec<&str> = list["items"].as_array().unwrap().iter().map(|i| i["request"]["tracking_code"].as_str().unwrap()).collect();
        assert_eq!(codes, [mine[1]["tracking_code"].as_str().unwrap(), mine[0]["tracking_code"].as_str().unwrap()], "newest first, only this number's");
        assert_eq!(list["items"][1]["text"], crate::public::TEXT, "the citizen's own text");
        let one = app.get(&format!("/api/v1/public/me/requests/{}", mine[0]["tracking_code"].as_str().unwrap())).bearer(&token).send().await;
        assert_eq!(one.json()["request"], mine[0]);
        app.get(&format!("/api/v1/public/me/requests/{}", theirs["tracking_code"].as_str().unwrap())).bearer(&token).send().await
            .assert_problem(404, "not-found");

        // The code was spent; a staff token is not a citizen's; none at all is 401.
        assert_eq!(refusal(&exchange(&app, MOBILE, &code).await), "spent");
        let admin = app.admin_token().await;
        app.get("/api/v1/public/me/requests").bearer(&admin).send().await.assert_problem(401, "unauthenticated");
        app.get("/api/v1/public/me/requests").send().await.assert_problem(401, "unauthenticated");
        // Fifteen minutes later the token has expired.
        app.advance(chrono::Duration::minutes(15));
        app.get("/api/v1/public/me/requests").bearer(&token).send().await.assert_problem(401, "unauthenticated");
    }

    async fn wrong_expired_and_thrice_tried_codes_are_refused(app, fake) {
        accepting(&fake).await;
        let dispatcher = dispatcher(&app, &fake, quick());
        assert_eq!(refusal(&exchange(&app, MOBILE, "123456").await), "none");
        let code = code_by_sms(&app, &fake, &dispatcher).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let first = exchange(&app, MOBILE, wrong).await;
        assert_eq!(refusal(&first), "wrong");
        assert!(first.text().contains("2 tries left"), "{}", first.text());
        assert_eq!(refusal(&exchange(&app, MOBILE, wrong).await), "wrong");
        assert_eq!(refusal(&exchange(&app, MOBILE, wrong).await), "spent", "the third wrong try spends it");
        assert_eq!(refusal(&exchange(&app, MOBILE, &code).await), "spent", "even the right code, after");

        // A new code replaces the last; past two minutes it is refused.
        let code = code_by_sms(&app, &fake, &dispatcher).await;
        app.advance(chrono::Duration::seconds(121));
        assert_eq!(refusal(&exchange(&app, MOBILE, &code).await), "expired");
        let code = code_by_sms(&app, &fake, &dispatcher).await;
        assert!(exchange(&app, "0935 111 2233", &code).await.status.as_u16() == 422, "another number's code");
        let bad = exchange(&app, "0912", "12ab").await;
        bad.assert_problem(422, "validation");
        assert_eq!(bad.error_fields(), ["mobile", "code"]);
        // Persian digits are read as the code.
        let persian = mardom::domain::jalali::persian_digits(&code);
        assert_eq!(exchange(&app, MOBILE, &persian).await.status.as_u16(), 200);
    }
}

with_fake! {
    async fn with_the_token_the_citizen_rates_objects_converses_and_withdraws(app, fake) {
        accepting(&fake).await;
        let dispatcher = dispatcher(&app, &fake, quick());
        let admin = app.admin_token().await;
        let reviewer = app.token_for_role(&admin, "reviewer").await;
        let (id, code) = crate::handling::registered(&app, &crate::handling::complaint()).await;
        let mut other = crate::handling::complaint();
        other["mobile"] = json!("09351112233");
        let (_, theirs) = crate::handling::registered(&app, &other).await;
        drain(&dispatcher).await;
        let token = token(&app, &code_by_sms(&app, &fake, &dispatcher).await).await;
        let mine = |what: &str| format!("/api/v1/public/me/requests/{code}/{what}");

        // Authorisation before the body: no token with a bad body is 401, not 422.
        app.post(&mine("objection")).json(&json!({"text": "کوتاه"})).send().await.assert_problem(401, "unauthenticated");
        app.post(&mine("rating")).bearer(&token).json(&json!({"score": 4})).send().await.assert_problem(409, "not-closed");
        ok(app.post(&format!("/api/v1/requests/{id}/classify")).bearer(&reviewer).json(&json!({"kind": "complaint"})).send().await).await;
        ok(app.post(&format!("/api/v1/requests/{id}/thank")).bearer(&reviewer).send().await).await;
        let rated = ok(app.post(&mine("rating")).bearer(&token).json(&json!({"score": 4, "comment": "خوب بود"})).send().await).await;
        assert_eq!(rated["status"], "closed");
        app.post(&mine("rating")).bearer(&token).json(&json!({"score": 5})).send().await.assert_problem(409, "already-rated");
        let short = app.post(&mine("objection")).bearer(&token).json(&json!({"text": "کوتاه"})).send().await;
        short.assert_problem(422, "validation");
        let objected = ok(app.post(&mine("objection")).bearer(&token).json(&json!({"text": "پاسخ به اصل شکایت من نپرداخته است"})).send().await).await;
        assert_eq!(objected["status"], "in_review");
        let conversation = ok(app.get(&mine("conversation")).bearer(&token).send().await).await;
        assert_eq!(conversation["items"], json!([]));
        let withdrawn = ok(app.post(&mine("withdrawal")).bearer(&token).send().await).await;
        assert_eq!((withdrawn["status"].as_str(), withdrawn["resolution"].as_str()), (Some("closed"), Some("withdrawn")));

        // Another number's request is not found through this door, whatever the command.
        let before = app.snapshot();
        for what in ["withdrawal", "rating", "objection", "messages"] {
            let body = json!({"score": 3, "text": "متنی که باید رد شود چون درخواست مال دیگری است"});
            let body = match what {
                "rating" => json!({"score": 3}),
                "withdrawal" => json!({}),
                "messages" => json!({"text": body["text"]}),
                _ => json!({"text": body["text"]}),
            };
            app.post(&format!("/api/v1/public/me/requests/{theirs}/{what}")).bearer(&token).json(&body).send().await
                .assert_problem(404, "not-found");
        }
        app.get(&format!("/api/v1/public/me/requests/{theirs}/conversation")).bearer(&token).send().await.assert_problem(404, "not-found");
        assert_eq!(app.snapshot(), before, "nothing written for another's request");
    }
}

/// The codes per number and per address: exact under concurrency, through the abuse limits.
mod limits {
    use super::*;

    async fn concurrent_asks(
        apps: &[&TestApp],
        n: usize,
        mobile: impl Fn(usize) -> String,
        from: impl Fn(usize) -> String,
    ) -> (usize, usize) {
        let calls = (0..n).map(|i| {
            apps[i % apps.len()]
                .post("/api/v1/public/otp")
                .sent_from(&from(i))
                .json(&json!({ "mobile": mobile(i) }))
                .send()
        });
        let replies = futures_util::future::join_all(calls).await;
        let sent = replies.iter().filter(|r| r.status.as_u16() == 202).count();
        let limited = replies.iter().filter(|r| r.status.as_u16() == 429).count();
        assert_eq!(
            sent + limited,
            n,
            "{:?}",
            replies.iter().map(|r| r.text()).collect::<Vec<_>>()
        );
        (sent, limited)
    }

    crate::support::on_both_backends! {
        with &[("MARDOM_CODES_PER_MOBILE_HOUR", "3"), ("MARDOM_CODES_PER_CLIENT_HOUR", "4")];

        async fn ten_concurrent_asks_send_exactly_the_allowance(app) {
            // One number from ten addresses: three codes, one SMS each.
            let (sent, limited) = concurrent_asks(&[&app], 10, |_| MOBILE.to_owned(), |i| format!("198.51.100.{}:1", i + 1)).await;
            assert_eq!((sent, limited), (3, 7));
            assert_eq!(app.count("citizen_codes"), 3);
            assert_eq!(stored_params(&app).len(), 3, "one SMS per code sent, none for a refusal");
            // Ten numbers from one address: four.
            let (sent, _) = concurrent_asks(&[&app], 10, |i| format!("0935000{i:04}"), |_| "203.0.113.9:1".to_owned()).await;
            assert_eq!(sent, 4);
            let another = ask(&app, "09121110000").await;
            assert_eq!(another.status.as_u16(), 202, "another address, another number: allowed");
        }
    }

    /// Two server instances on one PostgreSQL database, the asks spread over both: the same
    /// three codes, not three per instance.
    #[actix_web::test]
    #[cfg_attr(
        not(postgres_tests),
        ignore = "MARDOM_TEST_POSTGRES_URL was not set when the tests were built"
    )]
    async fn asks_through_two_instances_send_exactly_the_allowance() {
        const ENV: &[(&str, &str)] = &[
            ("MARDOM_CODES_PER_MOBILE_HOUR", "3"),
            ("MARDOM_CODES_PER_CLIENT_HOUR", "4"),
        ];
        let first = TestApp::postgres(ENV).await;
        let second = first.second_instance(ENV).await;
        let (sent, limited) = concurrent_asks(
            &[&first, &second],
            10,
            |_| MOBILE.to_owned(),
            |i| format!("198.51.100.{}:1", i + 1),
        )
        .await;
        assert_eq!((sent, limited), (3, 7));
        assert_eq!(first.count("citizen_codes"), 3);
        assert_eq!(stored_params(&first).len(), 3);
    }
}

/// A Center that requires a verified mobile for online submissions: no token 401, another
/// number's token 403, each writing nothing; the number's own token files; staff registration
/// needs none.
async fn verified_mobile_is_required(app: TestApp, fake: MockServer) {
    accepting(&fake).await;
    let dispatcher = dispatcher(&app, &fake, quick());
    let before = app.snapshot();
    app.post("/api/v1/public/requests")
        .json(&crate::public::submission())
        .send()
        .await
        .assert_problem(401, "unauthenticated");
    let citizen = token(&app, &code_by_sms(&app, &fake, &dispatcher).await).await;
    let mut other = crate::public::submission();
    other["mobile"] = json!("09351112233");
    app.post("/api/v1/public/requests")
        .bearer(&citizen)
        .json(&other)
        .send()
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(app.count("requests"), 0, "{before}");
    let filed = app
        .post("/api/v1/public/requests")
        .bearer(&citizen)
        .json(&crate::public::submission())
        .send()
        .await;
    assert_eq!(filed.status.as_u16(), 201, "{}", filed.text());
    let admin = app.admin_token().await;
    let intake = app.token_for_role(&admin, "intake").await;
    let walk_in = app.post("/api/v1/requests").bearer(&intake)
        .json(&json!({"channel": "in_person", "name": "رضا کریمی", "mobile": "09351112233", "text": "درخواست حضوری بدون کد یک‌بارمصرف"}))
        .send().await;
    assert_eq!(walk_in.status.as_u16(), 201, "{}", walk_in.text());
    assert_eq!(app.count("requests"), 2);
}

fn requiring(fake: &MockServer) -> Vec<(String, String)> {
    let mut vars = env(fake);
    vars.push((
        "MARDOM_ONLINE_REQUIRES_VERIFIED_MOBILE".to_owned(),
        "on".to_owned(),
    ));
    vars
}

mod online_submissions_can_require_a_verified_mobile {
    use super::*;

    #[actix_web::test]
    async fn sqlite() {
        let fake = MockServer::start().await;
        let app = TestApp::sqlite(&as_refs(&requiring(&fake))).await;
        verified_mobile_is_required(app, fake).await;
    }

    #[actix_web::test]
    #[cfg_attr(
        not(postgres_tests),
        ignore = "MARDOM_TEST_POSTGRES_URL was not set when the tests were built"
    )]
    async fn postgres() {
        let fake = MockServer::start().await;
        let app = TestApp::postgres(&as_refs(&requiring(&fake))).await;
        verified_mobile_is_required(app, fake).await;
    }
}
