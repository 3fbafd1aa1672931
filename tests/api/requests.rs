//! Staff registration on a citizen's behalf, and reading requests: lists with filters and
//! keyset pages, one request with identity and history, and who may read at all.

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::public::{assert_no_identity, submission, submit};
use crate::support::{TestApp, on_both_backends};

fn staff_request(channel: &str, mobile: &str, text: &str) -> Value {
    json!({"channel": channel, "name": "علي رضايي", "mobile": mobile, "text": text, "proposed_kind": "complaint"})
}

async fn register(app: &TestApp, token: &str, body: &Value) -> Value {
    let reply = app
        .post("/api/v1/requests")
        .bearer(token)
        .json(body)
        .send()
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()
}

on_both_backends! {
    async fn intake_and_operator_register_walk_ins_and_calls(app) {
        let admin = app.admin_token().await;
        for (role, channel) in [("intake", "in_person"), ("operator", "phone")] {
            let token = app.token_for_role(&admin, role).await;
            let me = app.get("/api/v1/me").bearer(&token).send().await.json();
            let reply = app.post("/api/v1/requests").bearer(&token)
                .json(&staff_request(channel, "989121112233", "شکایت از تأخیر در رسیدگی به پرونده")).send().await;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
            let body = reply.json();
            assert_eq!(reply.header("location"), Some(format!("/api/v1/requests/{}", body["id"].as_str().unwrap())));
            assert_eq!(body["channel"], channel);
            assert_eq!(body["status"], "registered");
            assert_eq!(body["registered_by"], me["id"]);
            assert_eq!(body["citizen"], json!({"name": "ع. ر.", "mobile": "+98912***2233", "national_id": null, "email": null}), "masked");
            let citizen = app.revealed(&token, body["id"].as_str().unwrap()).await;
            assert_eq!(citizen["name"], "علی رضایی", "Arabic yeh became Persian");
            assert_eq!(citizen["mobile"], "+989121112233", "the registrar may reveal");
            assert_eq!(body["history"].as_array().unwrap().len(), 1);
            assert_eq!(body["history"][0]["actor_kind"], "staff");
            assert_eq!(body["history"][0]["actor_id"], me["id"]);
            let code = body["tracking_code"].as_str().unwrap();
            let notes = app.notifications_of(body["id"].as_str().unwrap());
            assert_eq!(notes.len(), 1);
            assert_eq!(notes[0].0, "tracking_code_issued");
            assert_eq!(notes[0].1, "+989121112233");
            assert_eq!(notes[0].2, json!({"tracking_code": code}));
            let public = app.get(&format!("/api/v1/public/requests/{code}")).send().await;
            assert_eq!(public.json()["channel"], channel);
        }
    }

    async fn only_intake_and_operator_register(app) {
        let admin = app.admin_token().await;
        let before = app.snapshot();
        for role in ["reviewer", "head", "unit_staff"] {
            let token = app.token_for_role(&admin, role).await;
            let before = app.snapshot();
            app.post("/api/v1/requests").bearer(&token).json(&staff_request("phone", "09121112233", "متن درخواست آزمایشی"))
                .send().await.assert_problem(403, "forbidden");
            assert_eq!(app.snapshot(), before);
        }
        app.post("/api/v1/requests").bearer(&admin).json(&staff_request("phone", "09121112233", "متن درخواست آزمایشی"))
            .send().await.assert_problem(403, "forbidden");
        app.post("/api/v1/requests").json(&staff_request("phone", "09121112233", "متن درخواست آزمایشی"))
            .send().await.assert_problem(401, "unauthenticated");
        assert_eq!(app.count("requests"), 0, "{before}");
    }

    async fn every_accepted_mobile_form_is_stored_as_one_e164_number(app) {
        let admin = app.admin_token().await;
        let intake = app.token_for_role(&admin, "intake").await;
        for form in mardom::domain::phone::VALID_FORMS_OF_09121234567 {
            let body = register(&app, &intake, &staff_request("in_person", form, "درخواست برای آزمون شماره همراه")).await;
            let citizen = app.revealed(&intake, body["id"].as_str().unwrap()).await;
            assert_eq!(citizen["mobile"], "+989121234567", "{form}");
        }
    }

    async fn invalid_mobiles_and_national_ids_are_refused_and_nothing_is_written(app) {
        let admin = app.admin_token().await;
        let intake = app.token_for_role(&admin, "intake").await;
        let before = app.snapshot();
        let invalid = mardom::domain::phone::INVALID_SAMPLES;
        assert!(invalid.len() >= 15);
        for form in invalid {
            let reply = app.post("/api/v1/requests").bearer(&intake)
                .json(&staff_request("in_person", form, "درخواست برای آزمون شماره همراه")).send().await;
            reply.assert_problem(422, "validation");
            assert_eq!(reply.error_fields(), ["mobile"], "{form}");
            assert!(reply.json()["errors"][0]["message"].as_str().unwrap().contains("09"), "says what is accepted");
        }
        // An empty national ID is "not given" (forms send ""), not a wrong one.
        for id in mardom::domain::national_id::INVALID_SAMPLES.iter().filter(|id| !id.is_empty()) {
            let mut body = staff_request("in_person", "09121234567", "درخواست برای آزمون کد ملی");
            body["national_id"] = json!(id);
            let reply = app.post("/api/v1/requests").bearer(&intake).json(&body).send().await;
            reply.assert_problem(422, "validation");
            assert_eq!(reply.error_fields(), ["national_id"], "{id}");
        }
        assert_eq!(app.snapshot(), before);
        for id in mardom::domain::national_id::VALID_SAMPLES {
            let mut body = staff_request("in_person", "09121234567", "درخواست برای آزمون کد ملی");
            body["national_id"] = json!(id);
            let stored = register(&app, &intake, &body).await;
            assert_eq!(stored["citizen"]["national_id"].as_str().unwrap().len(), 10, "{id}");
        }
    }

    async fn unit_staff_get_404_for_every_request_and_cannot_list(app) {
        let admin = app.admin_token().await;
        let code = submit(&app, &submission()).await["tracking_code"].as_str().unwrap().to_owned();
        let id = crate::public::request_id(&app, &code).await;
        let unit_staff = app.token_for_role(&admin, "unit_staff").await;
        let real = app.get(&format!("/api/v1/requests/{id}")).bearer(&unit_staff).send().await;
        let fake = app.get("/api/v1/requests/0b6f2b0c-9d3e-4a47-9a43-4f8e3a1c2d11").bearer(&unit_staff).send().await;
        let real_body = real.assert_problem(404, "not-found");
        assert_eq!(real_body, fake.assert_problem(404, "not-found"), "the same answer as for no request");
        assert_no_identity(&real.text());
        app.get("/api/v1/requests").bearer(&unit_staff).send().await.assert_problem(403, "forbidden");
        for role in ["intake", "operator", "reviewer", "head"] {
            let token = app.token_for_role(&admin, role).await;
            let detail = app.get(&format!("/api/v1/requests/{id}")).bearer(&token).send().await;
            assert_eq!(detail.status, StatusCode::OK, "{role}");
            assert_eq!(detail.json()["tracking_code"], code.as_str());
        }
    }

    async fn lists_filter_search_persian_text_and_page_by_cursor(app) {
        let admin = app.admin_token().await;
        let operator = app.token_for_role(&admin, "operator").await;
        let unit = app.create_unit(&admin, "واحد پذیرش", None).await;
        let mut with_unit = staff_request("phone", "09121112233", "گزارش خرابی آسانسور ساختمان شماره ۲");
        with_unit["subject"] = json!("unit");
        with_unit["subject_unit_id"] = json!(unit);
        register(&app, &operator, &with_unit).await;
        for i in 0..5 {
            register(&app, &operator, &staff_request("phone", "09121112233", &format!("پیشنهاد شماره {i} برای بهبود خدمات"))).await;
        }
        submit(&app, &submission()).await;

        let list = |query: &str| {
            let path = format!("/api/v1/requests?{query}");
            let app = &app;
            let admin = admin.clone();
            async move {
                let reply = app.get(&path).bearer(&admin).send().await;
                assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text());
                reply.json()
            }
        };
        assert_eq!(list("").await["items"].as_array().unwrap().len(), 7);
        assert_eq!(list("channel=online").await["items"].as_array().unwrap().len(), 1);
        assert_eq!(list("kind=meeting").await["items"].as_array().unwrap().len(), 1, "proposed kind while unreviewed");
        assert_eq!(list(&format!("unit_id={unit}")).await["items"].as_array().unwrap().len(), 1);
        assert_eq!(list("status=closed").await["items"].as_array().unwrap().len(), 0);
        // Text search ignores letter forms and digit scripts: Arabic kaf and yeh, ASCII "2".
        let found = list(&format!("q={}", crate::public::urlencode("آسانسور ساختمان شماره 2"))).await;
        assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
        let found = list(&format!("q={}", crate::public::urlencode("پيشنهاد"))).await;
        assert_eq!(found["items"].as_array().unwrap().len(), 5, "{found}");
        assert_eq!(list("q=%25").await["items"].as_array().unwrap().len(), 0, "% matches itself");
        // Pages of 3, newest first, no duplicates, no gaps.
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let query = match &cursor { Some(c) => format!("limit=3&cursor={c}"), None => "limit=3".to_owned() };
            let page = list(&query).await;
            for item in page["items"].as_array().unwrap() {
                seen.push((item["created_at"].as_str().unwrap().to_owned(), item["id"].as_str().unwrap().to_owned()));
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 7);
        let mut sorted = seen.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(seen, sorted, "newest first, ties by id");
        let now = chrono::Utc::now();
        let from = (now - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        assert_eq!(list(&format!("from={from}")).await["items"].as_array().unwrap().len(), 7);
        assert_eq!(list(&format!("to={from}")).await["items"].as_array().unwrap().len(), 0);
    }

    async fn bad_list_parameters_are_400(app) {
        let admin = app.admin_token().await;
        for query in ["limit=0", "limit=101", "status=lost", "kind=praise", "channel=fax", "cursor=nonsense", "from=yesterday", "unit_id=7", "sort=asc"] {
            app.get(&format!("/api/v1/requests?{query}")).bearer(&admin).send().await.assert_problem(400, "bad-parameter");
        }
        app.get("/api/v1/requests/not-a-uuid").bearer(&admin).send().await.assert_problem(400, "bad-parameter");
    }

    async fn bad_staff_registrations_are_problems_and_write_nothing(app) {
        let admin = app.admin_token().await;
        let intake = app.token_for_role(&admin, "intake").await;
        let before = app.snapshot();
        app.post("/api/v1/requests").bearer(&intake).body("application/json", "{").send().await.assert_problem(400, "malformed-json");
        let mut online = staff_request("online", "09121112233", "متن درخواست آزمایشی");
        let reply = app.post("/api/v1/requests").bearer(&intake).json(&online).send().await;
        reply.assert_problem(422, "validation");
        assert_eq!(reply.error_fields(), ["channel"], "staff do not register online requests");
        online["channel"] = json!("phone");
        online["tracking_code"] = json!("123456789012");
        let reply = app.post("/api/v1/requests").bearer(&intake).json(&online).send().await;
        reply.assert_problem(422, "validation");
        assert_eq!(reply.error_fields(), ["tracking_code"]);
        assert_eq!(app.snapshot(), before);
    }

    async fn history_is_append_only_in_the_database(app) {
        let code = submit(&app, &submission()).await["tracking_code"].as_str().unwrap().to_owned();
        let _ = code;
        use diesel::RunQueryDsl;
        let mut conn = app.pool.get().unwrap();
        assert!(diesel::sql_query("UPDATE request_events SET action = 'forged'").execute(&mut *conn).is_err());
        assert!(diesel::sql_query("DELETE FROM request_events").execute(&mut *conn).is_err());
        drop(conn);
        assert_eq!(app.count("request_events"), 1);
    }
}

/// Pooled PostgreSQL connections plan for SSD storage (db::pool): with PostgreSQL's default
/// random_page_cost a filtered staff list is read through the creation-time index.
#[actix_web::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "MARDOM_TEST_POSTGRES_URL was not set when the tests were built"
)]
async fn postgres_connections_plan_for_ssd_storage() {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        random_page_cost: String,
    }
    let app = TestApp::postgres(&[]).await;
    let mut conn = app.pool.get().unwrap();
    let setting: Setting = diesel::sql_query("SHOW random_page_cost")
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(setting.random_page_cost, "1.1");
}
