//! Open311 GeoReport v2: a client's whole flow (services → definition → POST → GET by id →
//! list), in JSON and XML, its answers checked against the fields of the specification's own
//! examples, and none carrying the citizen's text or identity.

use actix_web::http::StatusCode;
use serde_json::Value;

use crate::public::assert_no_identity;
use crate::support::{TestApp, on_both_backends};
use crate::webhooks::portal;

/// The fields of the GeoReport v2 examples (wiki.open311.org/GeoReport_v2): a service, the
/// answer to `POST requests`, a service request.
const SERVICE_FIELDS: &[&str] = &[
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
];
const FILED_FIELDS: &[&str] = &[
    "service_request_id",
    "service_notice",
    "account_id",
    "token",
];
const REQUEST_FIELDS: &[&str] = &[
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
];

fn within(item: &Value, fields: &[&str]) {
    for key in item.as_object().unwrap().keys() {
        assert!(
            fields.contains(&key.as_str()),
            "{key} is not a GeoReport v2 field: {item}"
        );
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

async fn file(app: &TestApp, pairs: &[(&str, &str)]) -> crate::support::Reply {
    app.post("/open311/v2/requests.json")
        .body("application/x-www-form-urlencoded", form(pairs))
        .send()
        .await
}

const TEXT: &str = "از برخورد کارکنان واحد پذیرش در تاریخ دوم آذر شکایت دارم";

on_both_backends! {
    async fn an_open311_client_files_and_follows_a_request(app) {
        let admin = app.admin_token().await;
        let (_, key) = portal(&app, &admin, "درگاه شهری", &["submit", "read"]).await;
        let (_, other) = portal(&app, &admin, "درگاه دیگر", &["submit", "read"]).await;

        let services = app.get("/open311/v2/services.json").send().await;
        assert_eq!(services.status, StatusCode::OK);
        let services = services.json();
        let codes: Vec<&str> = services.as_array().unwrap().iter().map(|s| s["service_code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["meeting", "suggestion", "criticism", "complaint", "report"]);
        for service in services.as_array().unwrap() {
            within(service, SERVICE_FIELDS);
            assert_eq!(service["type"], "realtime");
            assert!(service["metadata"].is_boolean());
        }
        let xml = app.get("/open311/v2/services.xml").send().await;
        assert_eq!(xml.header("content-type").as_deref(), Some("text/xml; charset=utf-8"));
        let xml = xml.text();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<services><service><service_code>meeting</service_code>"), "{xml}");
        assert_eq!(xml.matches("<service>").count(), 5);
        let definition = app.get("/open311/v2/services/complaint.json").send().await.json();
        assert_eq!(definition["service_code"], "complaint");
        let subject = &definition["attributes"][0];
        assert_eq!((subject["code"].as_str(), subject["datatype"].as_str(), subject["variable"].as_bool()), (Some("subject"), Some("singlevaluelist"), Some(true)));
        let keys: Vec<&str> = subject["values"].as_array().unwrap().iter().map(|v| v["key"].as_str().unwrap()).collect();
        assert_eq!(keys, ["person", "unit", "affiliated_entity"]);
        app.get("/open311/v2/services/unknown.json").send().await.assert_problem(404, "not-found");
        app.get("/open311/v2/services.csv").send().await.assert_problem(404, "not-found");

        let filed = file(&app, &[("api_key", &key), ("service_code", "complaint"), ("attribute[subject]", "unit"),
            ("first_name", "مریم"), ("last_name", "حسینی"), ("phone", "۰۹۱۲۳۴۵۶۷۸۹"), ("email", "maryam.hosseini@example.org"),
            ("description", TEXT), ("lat", "35.7"), ("long", "51.4")]).await;
        assert_eq!(filed.status, StatusCode::OK, "{}", filed.text());
        let filed = filed.json();
        within(&filed[0], FILED_FIELDS);
        let code = filed[0]["service_request_id"].as_str().unwrap().to_owned();
        assert_eq!(code.len(), 12);
        let id = crate::public::request_id(&app, &code).await;
        let sms = app.notifications_of(&id);
        assert_eq!(sms.len(), 1, "the tracking code goes to the citizen by SMS");
        assert_eq!(sms[0].0, "tracking_code_issued");
        assert_eq!(app.count("request_portals"), 1);

        let one = app.get(&format!("/open311/v2/requests/{code}.json?api_key={key}")).send().await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.text());
        let raw = one.text();
        let one = one.json();
        within(&one[0], REQUEST_FIELDS);
        assert_eq!(one[0]["service_request_id"], code.as_str());
        assert_eq!(one[0]["status"], "open");
        assert_eq!(one[0]["service_code"], "complaint");
        for absent in ["description", "address", "lat", "long", "media_url"] {
            assert!(one[0].get(absent).is_none(), "{absent}");
        }
        assert_no_identity(&raw);
        assert!(!raw.contains("برخورد کارکنان"), "no text");
        let xml = app.get(&format!("/open311/v2/requests/{code}.xml?api_key={key}")).send().await.text();
        assert!(xml.contains(&format!("<service_requests><request><service_request_id>{code}</service_request_id><status>open</status>")), "{xml}");
        assert_no_identity(&xml);

        let list = app.get(&format!("/open311/v2/requests.json?api_key={key}")).send().await.json();
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["service_request_id"], code.as_str());
        // Unknown, malformed and mistyped codes are left out; the portal's own is listed.
        let by_id = app.get(&format!("/open311/v2/requests.json?api_key={key}&service_request_id={code},100000000009,12,abc")).send().await.json();
        assert_eq!(by_id.as_array().unwrap().len(), 1, "{by_id}");
        let closed = app.get(&format!("/open311/v2/requests.json?api_key={key}&status=closed")).send().await.json();
        assert_eq!(closed, serde_json::json!([]));
        let open = app.get(&format!("/open311/v2/requests.json?api_key={key}&status=open&service_code=complaint")).send().await.json();
        assert_eq!(open.as_array().unwrap().len(), 1, "the filters are the query's: {open}");
        for other_kind in ["suggestion", "unclassified", "nonsense"] {
            let none = app.get(&format!("/open311/v2/requests.json?api_key={key}&service_code={other_kind}")).send().await.json();
            assert_eq!(none, serde_json::json!([]), "{other_kind}");
        }
        let past = app.get(&format!("/open311/v2/requests.json?api_key={key}&end_date=2020-01-01T00:00:00Z")).send().await.json();
        assert_eq!(past, serde_json::json!([]));

        // Another portal reads nothing of it; no key is 401.
        app.get(&format!("/open311/v2/requests/{code}.json?api_key={other}")).send().await.assert_problem(404, "not-found");
        let theirs = app.get(&format!("/open311/v2/requests.json?api_key={other}")).send().await.json();
        assert_eq!(theirs, serde_json::json!([]));
        app.get(&format!("/open311/v2/requests/{code}.json")).send().await.assert_problem(401, "unauthenticated");
    }

    async fn bad_open311_calls_are_refused_and_file_nothing(app) {
        let admin = app.admin_token().await;
        let (_, key) = portal(&app, &admin, "درگاه شهری", &["submit", "read"]).await;
        let (_, reader) = portal(&app, &admin, "درگاه خواننده", &["read"]).await;
        let before = app.count("requests");
        let good = [("api_key", key.as_str()), ("service_code", "complaint"), ("first_name", "مریم"), ("phone", "09123456789"), ("description", TEXT)];
        let without = |name: &str| good.iter().copied().filter(|(k, _)| *k != name).collect::<Vec<_>>();
        file(&app, &without("api_key")).await.assert_problem(401, "unauthenticated");
        let mut wrong = without("api_key");
        wrong.push(("api_key", "mdp_nope"));
        file(&app, &wrong).await.assert_problem(401, "unauthenticated");
        let mut read_only = without("api_key");
        read_only.push(("api_key", &reader));
        file(&app, &read_only).await.assert_problem(403, "forbidden");
        for (missing, field) in [("phone", "phone"), ("description", "description"), ("first_name", "first_name")] {
            let problem = file(&app, &without(missing)).await.assert_problem(422, "validation");
            assert!(problem["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "{missing}: {problem}");
        }
        let mut bad = without("service_code");
        bad.push(("service_code", "parking"));
        bad.push(("attribute[subject]", "weather"));
        let problem = file(&app, &bad).await.assert_problem(422, "validation");
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["service_code", "attribute[subject]"]);
        let malformed = app.post("/open311/v2/requests.json").body("application/x-www-form-urlencoded", "%%%=&&").send().await;
        assert!(malformed.status.is_client_error(), "{}", malformed.text());
        app.post("/open311/v2/requests.txt").body("application/x-www-form-urlencoded", form(&good)).send().await.assert_problem(404, "not-found");
        assert_eq!(app.count("requests"), before, "nothing was filed");
        app.get(&format!("/open311/v2/requests.json?api_key={key}&status=pending")).send().await.assert_problem(422, "validation");
    }
}
