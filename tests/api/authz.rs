//! The authorisation matrix: every endpoint of the OpenAPI document, called as every role and
//! anonymously, against the rule written here. An endpoint without a rule fails the test, so a
//! new endpoint cannot ship without someone deciding who may call it.

use std::collections::BTreeSet;

use actix_web::http::Method;
use serde_json::json;

use crate::privacy::body_for;
use crate::support::on_both_backends;

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Anyone, signed in or not.
    Public,
    /// These staff roles; other roles get 403, anonymous callers 401.
    Roles(&'static [&'static str]),
    /// Like `Roles`, but other staff get 404 rather than 403 (they must not learn it exists).
    RolesElse404(&'static [&'static str]),
    /// Providers only, by a shared secret: everyone without it gets 401.
    CallbackSecret,
    /// Anyone holding the tracking code, proven by the filing mobile number: with another
    /// citizen's number (as sent here) everyone, staff included, gets 403.
    CitizenProof,
    /// The citizen's token from a one-time code: everyone without one, staff included, 401.
    CitizenToken,
    /// A portal's key: everyone without one, staff included, 401.
    PortalKey,
}

const ALL: &[&str] = &[
    "admin",
    "intake",
    "operator",
    "reviewer",
    "head",
    "unit_staff",
];
const ADMIN: &[&str] = &["admin"];
const REGISTRARS: &[&str] = &["intake", "operator"];
const READERS: &[&str] = &["intake", "operator", "reviewer", "head", "admin"];
const DESK: &[&str] = &["reviewer", "admin"];
const CALENDAR: &[&str] = &["reviewer", "head", "admin"];
const MEETING_MOVERS: &[&str] = &["reviewer", "head", "admin"];
const HEAD: &[&str] = &["head", "admin"];
const INBOX: &[&str] = &["unit_staff", "reviewer", "head", "admin"];
const UNIT: &[&str] = &["unit_staff"];
const OUTBOX: &[&str] = &["reviewer", "admin"];

fn rule(method: &str, path: &str) -> Option<Rule> {
    use Rule::*;
    Some(match (method, path) {
        (_, "/health/live" | "/health/ready" | "/metrics") => Public,
        ("post", "/api/v1/auth/token") => Public,
        ("get", "/api/v1/me") => Roles(ALL),
        (_, p) if p.starts_with("/api/v1/me/notifications") => Roles(ALL),
        ("get", "/api/v1/deadlines/overdue") => Roles(INBOX),
        ("post", "/api/v1/referrals/{id}/extend") => Roles(DESK),
        ("post", "/api/v1/meetings/check-in") => Roles(&["intake", "reviewer", "admin"]),
        ("get", "/api/v1/meetings/today") => Roles(CALENDAR),
        (_, p) if p.starts_with("/api/v1/users") => Roles(ADMIN),
        ("get", "/api/v1/units" | "/api/v1/units/{id}") => Roles(ALL),
        (_, p) if p.starts_with("/api/v1/units") => Roles(ADMIN),
        ("post", "/api/v1/contacts") => Roles(REGISTRARS),
        ("get", "/api/v1/contacts") => Roles(READERS),
        ("post", "/api/v1/requests") => Roles(REGISTRARS),
        ("get", "/api/v1/requests") => Roles(READERS),
        ("get", "/api/v1/requests/{id}") => RolesElse404(READERS),
        ("get", "/api/v1/requests/{id}/anonymised-text") => Roles(DESK),
        // Intake and operator staff may reveal only what they registered: on any other
        // request (or none) they hear 403 like a role that may not.
        ("post", "/api/v1/requests/{id}/reveal") => Roles(&["reviewer", "head", "admin"]),
        ("get", "/api/v1/audit") => Roles(ADMIN),
        ("get" | "post", "/api/v1/requests/{id}/messages") => Roles(CALENDAR),
        ("post", "/api/v1/requests/{id}/messages/{message_id}/release") => Roles(DESK),
        ("post", "/api/v1/uploads") => Roles(INBOX),
        (
            "get",
            "/api/v1/requests/{id}/attachments"
            | "/api/v1/requests/{id}/attachments/{attachment_id}",
        ) => Roles(CALENDAR),
        ("post", "/api/v1/requests/{id}/attachments/{attachment_id}/release") => Roles(DESK),
        (
            "get",
            "/api/v1/referrals/{id}/attachments"
            | "/api/v1/referrals/{id}/attachments/{attachment_id}",
        ) => Roles(INBOX),
        ("get", "/api/v1/referrals/{id}/messages") => Roles(INBOX),
        ("post", "/api/v1/referrals/{id}/messages") => Roles(UNIT),
        ("post", p) if p.starts_with("/api/v1/requests/{id}/") => match p.rsplit('/').next() {
            Some(
                "classify" | "refer" | "thank" | "close" | "schedule" | "redirect" | "decline",
            ) => Roles(DESK),
            Some("reschedule" | "cancel") => Roles(MEETING_MOVERS),
            Some("outcome") => Roles(HEAD),
            _ => return None,
        },
        ("get", "/api/v1/referrals" | "/api/v1/referrals/{id}") => Roles(INBOX),
        ("post", "/api/v1/referrals/{id}/acknowledge" | "/api/v1/referrals/{id}/answer") => {
            Roles(UNIT)
        }
        ("post", "/api/v1/referrals/{id}/accept" | "/api/v1/referrals/{id}/return") => Roles(DESK),
        ("get", "/api/v1/meetings" | "/api/v1/meetings/{id}") => Roles(CALENDAR),
        (
            "post",
            "/api/v1/public/requests/{tracking_code}/withdrawal"
            | "/api/v1/public/requests/{tracking_code}/rating"
            | "/api/v1/public/requests/{tracking_code}/objection"
            | "/api/v1/public/requests/{tracking_code}/conversation"
            | "/api/v1/public/requests/{tracking_code}/messages"
            | "/api/v1/public/requests/{tracking_code}/attachments"
            | "/api/v1/public/requests/{tracking_code}/attachments/{attachment_id}",
        ) => CitizenProof,
        (_, p) if p.starts_with("/api/v1/public/me/") => CitizenToken,
        (_, p) if p.starts_with("/api/v1/portals") || p.starts_with("/api/v1/webhooks") => {
            Roles(ADMIN)
        }
        (_, p) if p.starts_with("/api/v1/portal/") => PortalKey,
        ("get", p) if p.starts_with("/open311/v2/services") => Public,
        (_, p) if p.starts_with("/open311/v2/requests") => PortalKey,
        (_, p) if p.starts_with("/api/v1/public/") => Public,
        ("get", "/api/v1/stats") => Roles(CALENDAR),
        ("post", "/api/v1/delivery-reports/{provider}") => CallbackSecret,
        (_, p) if p.starts_with("/api/v1/notifications") => Roles(OUTBOX),
        _ => return None,
    })
}

on_both_backends! {
    async fn every_endpoint_answers_every_role_by_its_rule(app) {
        let admin = app.admin_token().await;
        let mut tokens = vec![("admin", admin.clone())];
        let unit = app.create_unit(&admin, "واحد آزمون دسترسی", None).await;
        for role in ["intake", "operator", "reviewer", "head"] {
            tokens.push((role, app.token_for_role(&admin, role).await));
        }
        app.create_user(&admin, "unitperson", "unit_staff", Some(&unit)).await;
        // The account `/users/{id}` calls act on (an admin resetting its password must not sign
        // out one of the callers).
        let other_user = app.create_user(&admin, "bystander", "operator", None).await;
        tokens.push(("unit_staff", app.token("unitperson", "unitperson-password").await));
        let reviewer = tokens.iter().find(|(r, _)| *r == "reviewer").unwrap().1.clone();
        // One request in review, referred to the unit: objects for every `{id}`.
        let code = crate::public::submit(&app, &crate::public::submission()).await["tracking_code"].as_str().unwrap().to_owned();
        let request = crate::public::request_id(&app, &code).await;
        app.post(&format!("/api/v1/requests/{request}/classify")).bearer(&reviewer).json(&json!({"kind": "complaint"})).send().await;
        app.post(&format!("/api/v1/requests/{request}/refer")).bearer(&reviewer)
            .json(&json!({"unit_id": unit, "text": "شکایت بی‌نام برای واحد آزمون"})).send().await;
        let referral = app.get("/api/v1/referrals").bearer(&reviewer).send().await.json()["items"][0]["id"].as_str().unwrap().to_owned();

        let document = serde_json::to_value(mardom::api::openapi_document()).unwrap();
        let mut unruled = BTreeSet::new();
        let mut checked = 0;
        for (template, item) in document["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                let Some(rule) = rule(method, template) else {
                    unruled.insert(format!("{method} {template}"));
                    continue;
                };
                let id = if template.starts_with("/api/v1/referrals/") { &referral }
                    else if template.starts_with("/api/v1/users/") { &other_user }
                    else if template.starts_with("/api/v1/units/") { &unit }
                    else { &request };
                let path = template.replace("{id}", id).replace("{tracking_code}", &code).replace("{provider}", "log").replace("{message_id}", "5b0c8f7e-2d4a-4c1e-9f3a-7e6d5c4b3a21").replace("{attachment_id}", "7c1d9e2f-3a4b-4c5d-8e6f-9a0b1c2d3e4f").replace("{delivery}", "7c1d9e2f-3a4b-4c5d-8e6f-9a0b1c2d3e4f").replace("{format}", "json").replace("{service_code}", "complaint").replace("{service_request_id}", &code);
                let http_method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let callers = std::iter::once(("anonymous", None)).chain(tokens.iter().map(|(r, t)| (*r, Some(t.as_str()))));
                for (role, token) in callers {
                    let mut call = app.call(http_method.clone(), &path);
                    if let Some(token) = token {
                        call = call.bearer(token);
                    }
                    if http_method == Method::POST || http_method == Method::PATCH {
                        call = call.json(&body_for(&path));
                    }
                    let status = call.send().await.status.as_u16();
                    checked += 1;
                    assert!(status < 500, "{method} {path} as {role}: {status}");
                    match (rule, token) {
                        (Rule::Public, _) => assert!(status != 401 && status != 403, "{method} {path} as {role}: {status}"),
                        (Rule::CallbackSecret, _) => assert_eq!(status, 401, "{method} {path} as {role}"),
                        (Rule::CitizenProof, _) => assert_eq!(status, 403, "{method} {path} as {role} with another's mobile"),
                        (Rule::CitizenToken, _) => assert_eq!(status, 401, "{method} {path} as {role} without a citizen's token"),
                        (Rule::PortalKey, _) => assert_eq!(status, 401, "{method} {path} as {role} without a portal's key"),
                        (Rule::Roles(_) | Rule::RolesElse404(_), None) => assert_eq!(status, 401, "{method} {path} anonymously"),
                        (Rule::Roles(roles), Some(_)) | (Rule::RolesElse404(roles), Some(_)) if roles.contains(&role) => {
                            assert!(status != 401 && status != 403, "{method} {path} as {role} (allowed): {status}");
                        }
                        (Rule::Roles(_), Some(_)) => assert_eq!(status, 403, "{method} {path} as {role} (not allowed)"),
                        (Rule::RolesElse404(_), Some(_)) => assert_eq!(status, 404, "{method} {path} as {role} (hidden)"),
                    }
                    // Authorisation comes first: a role without the right gets the same answer
                    // for an object that does not exist and a body that is wrong, never a 404,
                    // 412 or 422 that tells it something.
                    if let (Rule::Roles(roles), Some(token)) = (rule, token)
                        && !roles.contains(&role)
                    {
                        let unknown = template.replace("{id}", "00000000-0000-4000-8000-000000000000").replace("{tracking_code}", &code).replace("{provider}", "log").replace("{message_id}", "5b0c8f7e-2d4a-4c1e-9f3a-7e6d5c4b3a21").replace("{attachment_id}", "7c1d9e2f-3a4b-4c5d-8e6f-9a0b1c2d3e4f").replace("{delivery}", "7c1d9e2f-3a4b-4c5d-8e6f-9a0b1c2d3e4f").replace("{format}", "json").replace("{service_code}", "complaint").replace("{service_request_id}", &code);
                        let mut call = app.call(http_method.clone(), &unknown).bearer(token).header("If-Match", "\"999\"");
                        if http_method == Method::POST || http_method == Method::PATCH {
                            call = call.json(&json!({"not_a_field": true}));
                        }
                        let status = call.send().await.status.as_u16();
                        assert_eq!(status, 403, "{method} {unknown} as {role} (not allowed), unknown object, bad body");
                    }
                }
            }
        }
        assert!(unruled.is_empty(), "endpoints without an authorisation rule: {unruled:?}");
        assert!(checked > 300, "{checked}");
    }

    async fn clients_cannot_set_what_the_server_decides(app) {
        let admin = app.admin_token().await;
        let intake = app.token_for_role(&admin, "intake").await;
        let before = app.snapshot();
        let mut submission = crate::public::submission();
        for (field, value) in [("status", json!("closed")), ("tracking_code", json!("100000000009")), ("kind", json!("meeting")), ("channel", json!("phone"))] {
            let mut body = submission.clone();
            body[field] = value.clone();
            let reply = app.post("/api/v1/public/requests").json(&body).send().await;
            reply.assert_problem(422, "validation");
            assert_eq!(reply.error_fields(), [field]);
            let mut staff = json!({"channel": "phone", "name": "رضا کریمی", "mobile": "09121112233", "text": "متن درخواست آزمایشی"});
            staff[field] = value;
            if field != "channel" {
                let reply = app.post("/api/v1/requests").bearer(&intake).json(&staff).send().await;
                reply.assert_problem(422, "validation");
                assert_eq!(reply.error_fields(), [field]);
            }
        }
        submission["registered_by"] = json!("someone");
        app.post("/api/v1/public/requests").json(&submission).send().await.assert_problem(422, "validation");
        let contact = json!({"channel": "phone", "summary": "راهنمایی", "outcome": "guided", "staff_id": "someone-else"});
        let reply = app.post("/api/v1/contacts").bearer(&intake).json(&contact).send().await;
        reply.assert_problem(422, "validation");
        assert_eq!(reply.error_fields(), ["staff_id"]);
        // Users cannot promote themselves or move to a unit: only admins reach PATCH /users.
        let me = app.get("/api/v1/me").bearer(&intake).send().await.json();
        app.patch(&format!("/api/v1/users/{}", me["id"].as_str().unwrap())).bearer(&intake).json(&json!({"role": "admin"})).send().await
            .assert_problem(403, "forbidden");
        assert_eq!(app.snapshot(), before);
    }
}

/// Keeps the role lists honest: every role appears in some rule.
#[test]
fn every_role_is_named_by_some_rule() {
    let named: BTreeSet<&str> = [
        ADMIN,
        REGISTRARS,
        READERS,
        DESK,
        CALENDAR,
        MEETING_MOVERS,
        HEAD,
        INBOX,
        UNIT,
        OUTBOX,
    ]
    .iter()
    .flat_map(|roles| roles.iter().copied())
    .collect();
    assert_eq!(named, ALL.iter().copied().collect());
}
