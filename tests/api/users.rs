//! `users`: administration of staff accounts, and who may do it.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::support::on_both_backends;

const NON_ADMIN_ROLES: [&str; 5] = ["intake", "operator", "reviewer", "head", "unit_staff"];

on_both_backends! {
    async fn an_admin_creates_an_account_that_can_sign_in(app) {
        let admin = app.admin_token().await;
        let unit = app.create_unit(&admin, "واحد امور مالی", None).await;
        let reply = app
            .post("/api/v1/users")
            .bearer(&admin)
            .json(&json!({"username": "Sara.Ahmadi", "display_name": "  سارا   احمدي ", "password": "a long pass phrase",
                          "role": "unit_staff", "unit_id": unit}))
            .send()
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        let body = reply.json();
        let id = body["id"].as_str().unwrap();
        assert_eq!(reply.header("location"), Some(format!("/api/v1/users/{id}")));
        assert_eq!(body["username"], "sara.ahmadi", "usernames are lower-cased");
        assert_eq!(body["display_name"], "سارا احمدی", "names are normalised");
        assert_eq!(body["unit_id"], unit.as_str());
        assert!(body.get("password").is_none() && body.get("password_hash").is_none());
        let stored = app.get(&format!("/api/v1/users/{id}")).bearer(&admin).send().await;
        assert_eq!(stored.json(), body);
        let token = app.token("sara.ahmadi", "a long pass phrase").await;
        let me = app.get("/api/v1/me").bearer(&token).send().await.json();
        assert_eq!(me["role"], "unit_staff");
        assert_eq!(me["unit_id"], unit.as_str());
    }

    async fn only_admins_may_touch_users(app) {
        let admin = app.admin_token().await;
        let target = app.create_user(&admin, "target", "intake", None).await;
        for role in NON_ADMIN_ROLES {
            let token = app.token_for_role(&admin, role).await;
            let before = app.snapshot();
            let calls = [
                app.get("/api/v1/users").bearer(&token).send().await,
                app.get(&format!("/api/v1/users/{target}")).bearer(&token).send().await,
                app.post("/api/v1/users").bearer(&token)
                    .json(&json!({"username": "x-user", "display_name": "نام", "password": "a long pass phrase", "role": "admin"}))
                    .send().await,
                app.patch(&format!("/api/v1/users/{target}")).bearer(&token).json(&json!({"role": "admin"})).send().await,
                app.post(&format!("/api/v1/users/{target}/password")).bearer(&token).json(&json!({"password": "hijacked phrase"})).send().await,
            ];
            for reply in calls {
                reply.assert_problem(403, "forbidden");
            }
            assert_eq!(app.snapshot(), before, "{role} changed nothing");
            // Every staff role may read its own account.
            assert_eq!(app.get("/api/v1/me").bearer(&token).send().await.json()["role"], role);
        }
        for reply in [
            app.get("/api/v1/users").send().await,
            app.post("/api/v1/users").json(&json!({})).send().await,
            app.get(&format!("/api/v1/users/{target}")).send().await,
        ] {
            reply.assert_problem(401, "unauthenticated");
        }
    }

    async fn unit_staff_need_a_unit_and_other_roles_may_not_have_one(app) {
        let admin = app.admin_token().await;
        let unit = app.create_unit(&admin, "واحد فناوری", None).await;
        let before = app.snapshot();
        let without = app.post("/api/v1/users").bearer(&admin)
            .json(&json!({"username": "staff1", "display_name": "نام کاربر", "password": "a long pass phrase", "role": "unit_staff"}))
            .send().await;
        without.assert_problem(422, "validation");
        assert_eq!(without.error_fields(), ["unit_id"]);
        let with = app.post("/api/v1/users").bearer(&admin)
            .json(&json!({"username": "staff2", "display_name": "نام کاربر", "password": "a long pass phrase", "role": "reviewer", "unit_id": unit}))
            .send().await;
        with.assert_problem(422, "validation");
        let unknown = app.post("/api/v1/users").bearer(&admin)
            .json(&json!({"username": "staff3", "display_name": "نام کاربر", "password": "a long pass phrase", "role": "unit_staff",
                          "unit_id": "00000000-0000-4000-8000-000000000000"}))
            .send().await;
        unknown.assert_problem(422, "validation");
        assert_eq!(unknown.json()["errors"][0]["code"], "unknown_unit");
        assert_eq!(app.snapshot(), before);
    }

    async fn every_bad_field_is_named_at_once_and_nothing_is_written(app) {
        let admin = app.admin_token().await;
        let before = app.snapshot();
        let reply = app.post("/api/v1/users").bearer(&admin)
            .json(&json!({"username": "a", "display_name": "x", "password": "short", "role": "intake", "mobile": "0912"}))
            .send().await;
        reply.assert_problem(422, "validation");
        assert_eq!(reply.error_fields(), ["username", "display_name", "password", "mobile"]);
        assert_eq!(app.snapshot(), before);
    }

    async fn a_member_gives_a_mobile_number_for_the_staff_sms_and_can_take_it_back(app) {
        let admin = app.admin_token().await;
        let reply = app.post("/api/v1/users").bearer(&admin)
            .json(&json!({"username": "reza", "display_name": "رضا", "password": "a long pass phrase", "role": "reviewer", "mobile": "۰۹۱۲ ۳۴۵ ۶۷۸۹"}))
            .send().await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        let created = reply.json();
        assert_eq!(created["mobile"], "+989123456789", "stored canonical");
        let path = format!("/api/v1/users/{}", created["id"].as_str().unwrap());
        let token = app.token("reza", "a long pass phrase").await;
        assert_eq!(app.get("/api/v1/me").bearer(&token).send().await.json()["mobile"], "+989123456789");

        let bad = app.patch(&path).bearer(&admin).json(&json!({"mobile": "12345"})).send().await;
        bad.assert_problem(422, "validation");
        assert_eq!(bad.error_fields(), ["mobile"]);
        // Absent leaves it; another number replaces it; null removes it.
        let kept = app.patch(&path).bearer(&admin).json(&json!({"display_name": "رضا کریمی"})).send().await.json();
        assert_eq!(kept["mobile"], "+989123456789");
        let moved = app.patch(&path).bearer(&admin).json(&json!({"mobile": "+98 935 111 2233"})).send().await.json();
        assert_eq!(moved["mobile"], "+989351112233");
        let cleared = app.patch(&path).bearer(&admin).json(&json!({"mobile": null})).send().await.json();
        assert!(cleared["mobile"].is_null(), "{cleared}");
        assert_eq!(app.get(&path).bearer(&admin).send().await.json(), cleared);
    }

    async fn a_taken_username_is_409_in_any_case(app) {
        let admin = app.admin_token().await;
        app.create_user(&admin, "maryam", "head", None).await;
        let before = app.snapshot();
        let reply = app.post("/api/v1/users").bearer(&admin)
            .json(&json!({"username": "MARYAM", "display_name": "مریم", "password": "a long pass phrase", "role": "intake"}))
            .send().await;
        reply.assert_problem(409, "username-taken");
        assert_eq!(app.snapshot(), before);
    }

    async fn the_last_active_admin_cannot_be_demoted_or_deactivated(app) {
        let admin = app.admin_token().await;
        let me = app.get("/api/v1/me").bearer(&admin).send().await.json();
        let id = me["id"].as_str().unwrap();
        let before = app.snapshot();
        app.patch(&format!("/api/v1/users/{id}")).bearer(&admin).json(&json!({"active": false})).send().await
            .assert_problem(409, "last-admin");
        app.patch(&format!("/api/v1/users/{id}")).bearer(&admin).json(&json!({"role": "reviewer"})).send().await
            .assert_problem(409, "last-admin");
        assert_eq!(app.snapshot(), before);
        // With a second admin, the first may step down.
        app.create_user(&admin, "second-admin", "admin", None).await;
        let reply = app.patch(&format!("/api/v1/users/{id}")).bearer(&admin).json(&json!({"role": "reviewer"})).send().await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert_eq!(reply.json()["role"], "reviewer");
    }

    async fn changing_the_role_moves_the_unit_binding(app) {
        let admin = app.admin_token().await;
        let unit = app.create_unit(&admin, "معاونت درمان", None).await;
        let id = app.create_user(&admin, "ali", "unit_staff", Some(&unit)).await;
        let old_token = app.token("ali", "ali-password").await;
        let renamed = app.patch(&format!("/api/v1/users/{id}")).bearer(&admin).json(&json!({"display_name": "علی رضایی"})).send().await;
        assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text());
        assert_eq!(app.get("/api/v1/me").bearer(&old_token).send().await.status, StatusCode::OK, "a new name keeps the token");
        let reply = app.patch(&format!("/api/v1/users/{id}")).bearer(&admin).json(&json!({"role": "reviewer"})).send().await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert_eq!(reply.json()["unit_id"], serde_json::Value::Null, "leaving unit_staff clears the unit");
        app.get("/api/v1/me").bearer(&old_token).send().await.assert_problem(401, "unauthenticated");
        let new_token = app.token("ali", "ali-password").await;
        assert_eq!(app.get("/api/v1/me").bearer(&new_token).send().await.json()["role"], "reviewer");
        let back = app.patch(&format!("/api/v1/users/{id}")).bearer(&admin).json(&json!({"role": "unit_staff"})).send().await;
        back.assert_problem(422, "validation");
        let back = app.patch(&format!("/api/v1/users/{id}")).bearer(&admin).json(&json!({"role": "unit_staff", "unit_id": unit})).send().await;
        assert_eq!(back.json()["unit_id"], unit.as_str());
    }

    async fn users_are_listed_in_pages_with_filters(app) {
        let admin = app.admin_token().await;
        for name in ["b-user", "c-user", "d-user", "e-user"] {
            app.create_user(&admin, name, "intake", None).await;
        }
        // Newest first, with the keyset cursor of every other list.
        let first = app.get("/api/v1/users?limit=2").bearer(&admin).send().await.json();
        let names: Vec<&str> = first["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
        assert_eq!(names, ["e-user", "d-user"]);
        let cursor = first["next_cursor"].as_str().unwrap();
        let second = app.get(&format!("/api/v1/users?limit=2&cursor={cursor}")).bearer(&admin).send().await.json();
        let names: Vec<&str> = second["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
        assert_eq!(names, ["c-user", "b-user"]);
        let cursor = second["next_cursor"].as_str().unwrap();
        let last = app.get(&format!("/api/v1/users?limit=2&cursor={cursor}")).bearer(&admin).send().await.json();
        assert_eq!(last["items"].as_array().unwrap().len(), 1, "{last}");
        assert_eq!(last["items"][0]["username"], "admin");
        assert_eq!(last["next_cursor"], serde_json::Value::Null);
        let intake = app.get("/api/v1/users?role=intake&limit=10").bearer(&admin).send().await.json();
        assert_eq!(intake["items"].as_array().unwrap().len(), 4);
        assert_eq!(intake["next_cursor"], serde_json::Value::Null);
        app.get("/api/v1/users?limit=0").bearer(&admin).send().await.assert_problem(400, "bad-parameter");
        app.get("/api/v1/users?limit=201").bearer(&admin).send().await.assert_problem(400, "bad-parameter");
        app.get("/api/v1/users?limit=101").bearer(&admin).send().await.assert_problem(400, "bad-parameter");
        // A username was the cursor once; now only a cursor this server gave out is one.
        app.get("/api/v1/users?cursor=b-user").bearer(&admin).send().await.assert_problem(400, "bad-parameter");
        assert_eq!(app.get("/api/v1/users?cursor=").bearer(&admin).send().await.status, StatusCode::OK);
    }

    async fn an_unknown_account_is_404(app) {
        let admin = app.admin_token().await;
        app.get("/api/v1/users/00000000-0000-4000-8000-000000000000").bearer(&admin).send().await
            .assert_problem(404, "not-found");
        app.patch("/api/v1/users/00000000-0000-4000-8000-000000000000").bearer(&admin).json(&json!({"active": true})).send().await
            .assert_problem(404, "not-found");
    }
}

#[actix_web::test]
async fn the_first_admin_gets_a_generated_password_when_none_is_configured() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/m.db", dir.path().display());
    let settings = mardom::config::Settings::from_lookup(|name| match name {
        "DATABASE_URL" => Some(url.clone()),
        "MARDOM_JWT_SECRET" => Some(crate::support::TEST_SECRET.to_owned()),
        _ => None,
    })
    .unwrap();
    let pool = mardom::server::open_database(&settings).unwrap();
    let mut conn = pool.get().unwrap();
    let generated = mardom::app::bootstrap::ensure_first_admin(&mut conn, "admin", None).unwrap();
    assert!(generated.as_ref().is_some_and(|p| p.len() >= 16));
    assert_eq!(
        mardom::app::bootstrap::ensure_first_admin(&mut conn, "admin", None).unwrap(),
        None,
        "only once"
    );
}

on_both_backends! {
    /// Found by the contract fuzzing on PostgreSQL: a cursor from before year 1 was a 500
    /// ("timestamp out of range"); it is an empty page, as any cursor older than every row.
    async fn a_cursor_before_year_one_is_an_empty_page(app) {
        let admin = app.admin_token().await;
        let reply = app
            .get("/api/v1/users?limit=88&cursor=-357324361582738020_tU%28Hj%60&role=head&active=false")
            .bearer(&admin)
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text());
        assert_eq!(reply.json()["items"], serde_json::json!([]));
    }
}
