//! `units`: admins write, every staff role reads; a unit in use is deactivated, not deleted.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::support::on_both_backends;

on_both_backends! {
    async fn an_admin_creates_a_unit_tree_that_staff_can_read(app) {
        let admin = app.admin_token().await;
        let deputy = app.post("/api/v1/units").bearer(&admin)
            .json(&json!({"name": "معاونت  درمان", "kind": "deputy"})).send().await;
        assert_eq!(deputy.status, StatusCode::CREATED, "{}", deputy.text());
        let deputy = deputy.json();
        assert_eq!(deputy["name"], "معاونت درمان");
        assert_eq!(deputy["kind"], "deputy");
        assert_eq!(deputy["active"], true);
        let deputy_id = deputy["id"].as_str().unwrap();
        let child = app.create_unit(&admin, "واحد امور مالی", Some(deputy_id)).await;
        let reviewer = app.token_for_role(&admin, "reviewer").await;
        let listed = app.get(&format!("/api/v1/units?parent_id={deputy_id}")).bearer(&reviewer).send().await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.text());
        let items = listed.json()["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["id"], child.as_str());
        assert_eq!(items[0]["parent_id"], deputy_id);
        let one = app.get(&format!("/api/v1/units/{deputy_id}")).bearer(&reviewer).send().await;
        assert_eq!(one.json(), deputy);
        let deputies = app.get("/api/v1/units?kind=deputy").bearer(&reviewer).send().await.json();
        assert_eq!(deputies["items"].as_array().unwrap().len(), 1);
    }

    async fn every_staff_role_reads_units_but_only_admins_write(app) {
        let admin = app.admin_token().await;
        let unit = app.create_unit(&admin, "واحد حقوقی", None).await;
        for role in ["intake", "operator", "reviewer", "head", "unit_staff"] {
            let token = app.token_for_role(&admin, role).await;
            assert_eq!(app.get("/api/v1/units").bearer(&token).send().await.status, StatusCode::OK, "{role}");
            assert_eq!(app.get(&format!("/api/v1/units/{unit}")).bearer(&token).send().await.status, StatusCode::OK, "{role}");
            let before = app.snapshot();
            app.post("/api/v1/units").bearer(&token).json(&json!({"name": "واحد تازه", "kind": "unit"})).send().await
                .assert_problem(403, "forbidden");
            app.patch(&format!("/api/v1/units/{unit}")).bearer(&token).json(&json!({"active": false})).send().await
                .assert_problem(403, "forbidden");
            app.delete(&format!("/api/v1/units/{unit}")).bearer(&token).send().await.assert_problem(403, "forbidden");
            assert_eq!(app.snapshot(), before, "{role} changed nothing");
        }
        app.get("/api/v1/units").send().await.assert_problem(401, "unauthenticated");
    }

    async fn names_are_unique_after_persian_normalisation(app) {
        let admin = app.admin_token().await;
        app.create_unit(&admin, "واحد فناوری", None).await;
        let before = app.snapshot();
        // Arabic yeh instead of Persian yeh, and extra spaces: the same name.
        app.post("/api/v1/units").bearer(&admin).json(&json!({"name": " واحد  فناوري ", "kind": "unit"})).send().await
            .assert_problem(409, "unit-name-taken");
        assert_eq!(app.snapshot(), before);
    }

    async fn a_unit_is_renamed_moved_and_made_top_level(app) {
        let admin = app.admin_token().await;
        let a = app.create_unit(&admin, "الف", None).await;
        let b = app.create_unit(&admin, "واحد ب", None).await;
        let moved = app.patch(&format!("/api/v1/units/{b}")).bearer(&admin)
            .json(&json!({"name": "واحد ب جدید", "parent_id": a, "kind": "affiliated_entity"})).send().await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.text());
        let moved = moved.json();
        assert_eq!((moved["name"].as_str(), moved["parent_id"].as_str(), moved["kind"].as_str()), (Some("واحد ب جدید"), Some(a.as_str()), Some("affiliated_entity")));
        let kept = app.patch(&format!("/api/v1/units/{b}")).bearer(&admin).json(&json!({"active": false})).send().await.json();
        assert_eq!(kept["parent_id"], a.as_str(), "an absent parent_id leaves the parent");
        let top = app.patch(&format!("/api/v1/units/{b}")).bearer(&admin).json(&json!({"parent_id": null})).send().await.json();
        assert_eq!(top["parent_id"], serde_json::Value::Null, "null clears the parent");
        assert_eq!(top["active"], false);
    }

    async fn a_unit_cannot_be_put_under_itself_or_its_descendants(app) {
        let admin = app.admin_token().await;
        let top = app.create_unit(&admin, "بالا", None).await;
        let middle = app.create_unit(&admin, "میانه", Some(&top)).await;
        let bottom = app.create_unit(&admin, "پایین", Some(&middle)).await;
        let before = app.snapshot();
        for parent in [&top, &bottom] {
            let reply = app.patch(&format!("/api/v1/units/{top}")).bearer(&admin).json(&json!({"parent_id": parent})).send().await;
            reply.assert_problem(422, "validation");
            assert_eq!(reply.json()["errors"][0]["code"], "cycle");
        }
        let unknown = app.patch(&format!("/api/v1/units/{top}")).bearer(&admin)
            .json(&json!({"parent_id": "00000000-0000-4000-8000-000000000000"})).send().await;
        unknown.assert_problem(422, "validation");
        assert_eq!(app.snapshot(), before);
    }

    async fn an_unused_unit_is_deleted_and_a_unit_in_use_is_refused(app) {
        let admin = app.admin_token().await;
        let parent = app.create_unit(&admin, "معاونت", None).await;
        let child = app.create_unit(&admin, "زیرواحد", Some(&parent)).await;
        let staffed = app.create_unit(&admin, "واحد با کارمند", None).await;
        app.create_user(&admin, "staffer", "unit_staff", Some(&staffed)).await;
        let before = app.snapshot();
        for in_use in [&parent, &staffed] {
            let reply = app.delete(&format!("/api/v1/units/{in_use}")).bearer(&admin).send().await;
            let body = reply.assert_problem(409, "unit-in-use");
            assert!(body["detail"].as_str().unwrap().contains("deactivate"));
        }
        assert_eq!(app.snapshot(), before);
        let deleted = app.delete(&format!("/api/v1/units/{child}")).bearer(&admin).send().await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text());
        app.get(&format!("/api/v1/units/{child}")).bearer(&admin).send().await.assert_problem(404, "not-found");
        app.delete(&format!("/api/v1/units/{child}")).bearer(&admin).send().await.assert_problem(404, "not-found");
        let now_unused = app.delete(&format!("/api/v1/units/{parent}")).bearer(&admin).send().await;
        assert_eq!(now_unused.status, StatusCode::NO_CONTENT);
    }

    async fn staff_cannot_join_a_deactivated_unit(app) {
        let admin = app.admin_token().await;
        let unit = app.create_unit(&admin, "واحد تعطیل", None).await;
        app.patch(&format!("/api/v1/units/{unit}")).bearer(&admin).json(&json!({"active": false})).send().await;
        let reply = app.post("/api/v1/users").bearer(&admin)
            .json(&json!({"username": "late", "display_name": "دیرآمده", "password": "a long pass phrase", "role": "unit_staff", "unit_id": unit}))
            .send().await;
        reply.assert_problem(422, "validation");
        assert_eq!(reply.json()["errors"][0]["code"], "inactive_unit");
    }
}
