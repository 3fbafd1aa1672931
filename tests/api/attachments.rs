//! Attachments end to end: a file is uploaded on its own, then listed by id in a submission or a
//! message; images lose their metadata before they are kept; a citizen's file reaches a unit
//! only when the desk releases it (404 before); wrong types, oversized and truncated files are
//! refused with nothing stored; a submission is atomic and idempotent with its files. Each test
//! checks the answers, the stored rows and bytes, and the SMS.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::conversation::{MOBILE, QUESTION, ask, referred};
use crate::handling::{complaint, desk, ok};
use crate::public::NAME;
use crate::support::{Reply, TestApp, on_every_store};

const PHOTO: &[u8] = include_bytes!("../fixtures/photo-with-gps.jpg");
const PNG: &[u8] = include_bytes!("../fixtures/photo-with-gps.png");
/// A whole PDF, a few hundred bytes.
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

/// What the fixtures' metadata plants: the camera, its serial, the position.
const PLANTED: [&[u8]; 6] = [
    b"SERIAL-4711-XYZ",
    b"PlantedCam",
    b"Model X1",
    b"GPSLatitude",
    b"Exif\0\0",
    b"http://ns.adobe.com/xap/1.0/",
];

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn assert_no_metadata(what: &str, bytes: &[u8]) {
    for planted in PLANTED {
        assert!(
            !contains(bytes, planted),
            "{what} still holds {:?}",
            String::from_utf8_lossy(planted)
        );
    }
}

async fn upload(app: &TestApp, name: &str, bytes: &[u8]) -> Reply {
    app.post("/api/v1/public/uploads")
        .file(name, bytes)
        .send()
        .await
}

/// Uploads a file as the citizen; returns its view.
async fn uploaded(app: &TestApp, name: &str, bytes: &[u8]) -> Value {
    let reply = upload(app, name, bytes).await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text());
    reply.json()
}

fn with_files(mut body: Value, ids: &[&Value]) -> Value {
    body["attachments"] = json!(ids.iter().map(|v| v["id"].clone()).collect::<Vec<_>>());
    body
}

async fn submit(app: &TestApp, body: &Value, key: Option<&str>) -> Reply {
    let call = app.post("/api/v1/public/requests").json(body);
    match key {
        Some(key) => call.header("Idempotency-Key", key),
        None => call,
    }
    .send()
    .await
}

/// Submits `body` and returns (request id, tracking code).
async fn submitted(app: &TestApp, body: &Value) -> (String, String) {
    let reply = submit(app, body, None).await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text());
    let code = reply.json()["tracking_code"].as_str().unwrap().to_owned();
    (crate::public::request_id(app, &code).await, code)
}

/// The bytes the store keeps under `sha256`.
fn stored(app: &TestApp, sha256: &str) -> Vec<u8> {
    let mut conn = app.pool.get().expect("connection");
    app.files
        .store
        .get(&mut conn, sha256)
        .expect("store")
        .expect("the content is kept")
}

/// Every row of `attachments` and every kept content: what "nothing stored" is checked on.
async fn kept(app: &TestApp) -> (i64, i64) {
    (app.count("attachments"), app.contents_kept().await)
}

/// The files the citizen reads, proven by the mobile.
async fn citizen_files(app: &TestApp, code: &str) -> Value {
    ok(app
        .post(&format!("/api/v1/public/requests/{code}/attachments"))
        .json(&json!({"mobile": MOBILE}))
        .send()
        .await)
    .await
}

fn assert_download(reply: &Reply, content_type: &str) {
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text());
    assert_eq!(reply.header("content-type").as_deref(), Some(content_type));
    let disposition = reply.header("content-disposition").unwrap_or_default();
    assert!(
        disposition.starts_with("attachment;"),
        "served inline: {disposition}"
    );
    assert_eq!(
        reply.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert!(
        reply
            .header("content-security-policy")
            .is_some_and(|csp| csp.contains("sandbox")),
        "no sandboxing CSP"
    );
}

on_every_store! {
    async fn a_submission_carries_photos_that_lose_their_metadata(app) {
        assert!(contains(PHOTO, b"SERIAL-4711-XYZ") && contains(PHOTO, b"Exif\0\0"));
        let photo = uploaded(&app, "IMG_20261129_0830.jpg", PHOTO).await;
        assert_eq!(photo["content_type"], "image/jpeg");
        assert_eq!(photo["file_name"], "IMG_20261129_0830.jpg");
        let png = uploaded(&app, "screenshot.PNG", PNG).await;
        assert_eq!(png["content_type"], "image/png");
        assert_eq!(png["file_name"], "screenshot.png");
        let pdf = uploaded(&app, "letter.html", PDF).await;
        assert_eq!(pdf["content_type"], "application/pdf");
        assert_eq!(pdf["file_name"], "letter.pdf", "the extension follows the content");
        assert_eq!(pdf["size"], PDF.len());

        let (id, _) = submitted(&app, &with_files(complaint(), &[&photo, &png, &pdf])).await;

        for (view, original) in [(&photo, PHOTO), (&png, PNG)] {
            let kept = stored(&app, view["sha256"].as_str().unwrap());
            assert_no_metadata("the stored image", &kept);
            assert!(kept.len() < original.len());
            assert_eq!(view["size"], kept.len());
        }
        let admin = app.admin_token().await;
        let list = ok(app.get(&format!("/api/v1/requests/{id}/attachments")).bearer(&admin).send().await).await;
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert!(items.iter().all(|f| f["author"] == "citizen" && f["message_id"].is_null()));
        assert!(items.iter().all(|f| f["released_to"] == json!([])));

        let served = app
            .get(&format!("/api/v1/requests/{id}/attachments/{}", photo["id"].as_str().unwrap()))
            .bearer(&admin)
            .send()
            .await;
        assert_download(&served, "image/jpeg");
        assert_no_metadata("the served image", &served.body);
        assert_eq!(served.body, stored(&app, photo["sha256"].as_str().unwrap()));
        let disposition = served.header("content-disposition").unwrap();
        assert!(disposition.contains("IMG_20261129_0830.jpg"), "{disposition}");
    }

    async fn a_citizens_file_reaches_a_unit_only_once_the_desk_releases_it(app) {
        let desk = desk(&app).await;
        let (id, code, referral) = referred(&app, &desk).await;
        // The unit asks; the citizen is told by SMS and answers, naming themself, with a
        // scanned letter.
        ask(&app, &desk, &referral, QUESTION).await;
        let sms = crate::conversation::waiting_sms(&app, &id);
        assert_eq!(sms.len(), 1, "{sms:?}");
        assert_eq!(sms[0].0, "+989123456789");
        assert_eq!(sms[0].1["tracking_code"], code);
        let letter = uploaded(&app, "نامه-علی-رضایی.pdf", PDF).await;
        let reply = app
            .post(&format!("/api/v1/public/requests/{code}/messages"))
            .json(&json!({"mobile": MOBILE, "text": format!("من {NAME} هستم؛ نامه‌ی اداره را پیوست کردم."), "attachments": [letter["id"]]}))
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.text());
        let message = reply.json()["id"].clone();
        let file = letter["id"].as_str().unwrap();

        // The identifying reply waits for the desk; the unit sees only that one waits.
        let unit_view = ok(app.get(&format!("/api/v1/referrals/{referral}/messages")).bearer(&desk.unit_staff).send().await).await;
        let waiting = unit_view["items"].as_array().unwrap().iter().find(|m| m["id"] == message).expect("the reply is listed").clone();
        assert_eq!((waiting["waiting_for_desk"].as_bool(), waiting["text"].is_null()), (Some(true), true));
        assert!(!unit_view.to_string().contains(NAME));
        // Released as the anonymiser proposes: the unit reads it without the name; the file
        // still waits for a release of its own.
        ok(app
            .post(&format!("/api/v1/requests/{id}/messages/{}/release", message.as_str().unwrap()))
            .bearer(&desk.reviewer)
            .json(&json!({}))
            .send()
            .await)
        .await;
        let unit_view = ok(app.get(&format!("/api/v1/referrals/{referral}/messages")).bearer(&desk.unit_staff).send().await).await;
        let released = unit_view["items"].as_array().unwrap().iter().find(|m| m["id"] == message).unwrap().clone();
        assert!(released["text"].as_str().is_some_and(|t| t.contains("نامه") && !t.contains(NAME)), "{released}");

        // The unit does not read the file: listed nowhere, 404 to download.
        let unit_files = ok(app.get(&format!("/api/v1/referrals/{referral}/attachments")).bearer(&desk.unit_staff).send().await).await;
        assert_eq!(unit_files["items"], json!([]));
        app.get(&format!("/api/v1/referrals/{referral}/attachments/{file}"))
            .bearer(&desk.unit_staff)
            .send()
            .await
            .assert_problem(404, "not-found");
        // Another unit cannot even see the referral.
        app.get(&format!("/api/v1/referrals/{referral}/attachments/{file}"))
            .bearer(&desk.other_unit_staff)
            .send()
            .await
            .assert_problem(404, "not-found");

        // The desk sees it with the message that carried it, and releases it.
        let desk_files = ok(app.get(&format!("/api/v1/requests/{id}/attachments")).bearer(&desk.reviewer).send().await).await;
        assert_eq!(desk_files["items"][0]["message_id"], message);
        assert_eq!(desk_files["items"][0]["file_name"], "نامه-علی-رضایی.pdf");
        let released = ok(app
            .post(&format!("/api/v1/requests/{id}/attachments/{file}/release"))
            .bearer(&desk.reviewer)
            .json(&json!({"referral_id": referral}))
            .send()
            .await)
        .await;
        assert_eq!(released["released_to"], json!([referral]));
        // Twice changes nothing, and records one event.
        ok(app
            .post(&format!("/api/v1/requests/{id}/attachments/{file}/release"))
            .bearer(&desk.reviewer)
            .json(&json!({"referral_id": referral}))
            .send()
            .await)
        .await;
        assert_eq!(app.count("attachment_releases"), 1);

        // Now the unit reads it, under a neutral name (the citizen's file name named them).
        let unit_files = ok(app.get(&format!("/api/v1/referrals/{referral}/attachments")).bearer(&desk.unit_staff).send().await).await;
        let item = &unit_files["items"][0];
        assert_eq!(item["file_name"], format!("attachment-{}.pdf", &file[..8]));
        assert!(item.get("released_to").is_none());
        assert!(!unit_files.to_string().contains("رضایی"));
        let served = app
            .get(&format!("/api/v1/referrals/{referral}/attachments/{file}"))
            .bearer(&desk.unit_staff)
            .send()
            .await;
        assert_download(&served, "application/pdf");
        assert_eq!(served.body, PDF);
        assert!(!served.header("content-disposition").unwrap().contains("%D8%B1%D8%B6"));
        // Still not the other unit's.
        app.get(&format!("/api/v1/referrals/{referral}/attachments/{file}"))
            .bearer(&desk.other_unit_staff)
            .send()
            .await
            .assert_problem(404, "not-found");

        // The release is in the staff history, not in the public one.
        let detail = ok(app.get(&format!("/api/v1/requests/{id}")).bearer(&desk.reviewer).send().await).await;
        let actions: Vec<&str> = detail["history"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
        assert_eq!(actions.iter().filter(|a| **a == "attachment_released").count(), 1, "{actions:?}");
        let public = ok(app.get(&format!("/api/v1/public/requests/{code}")).send().await).await;
        assert!(!public.to_string().contains("attachment"), "{public}");
    }

    async fn the_citizen_reads_their_files_and_those_sent_to_them_with_proof(app) {
        let desk = desk(&app).await;
        let photo = uploaded(&app, "photo.jpg", PHOTO).await;
        let (id, code) = submitted(&app, &with_files(complaint(), &[&photo])).await;
        // The desk writes back with a file of its own.
        let answer = app.post("/api/v1/uploads").bearer(&desk.reviewer).file("پاسخ.pdf", PDF).send().await;
        assert_eq!(answer.status.as_u16(), 201, "{}", answer.text());
        let answer = answer.json();
        let sent = app
            .post(&format!("/api/v1/requests/{id}/messages"))
            .bearer(&desk.reviewer)
            .json(&json!({"text": "پاسخ اداره پیوست است.", "attachments": [answer["id"]]}))
            .send()
            .await;
        assert_eq!(sent.status.as_u16(), 201, "{}", sent.text());
        assert_eq!(crate::conversation::waiting_sms(&app, &id).len(), 1, "the citizen is told by SMS");

        let listed = citizen_files(&app, &code).await;
        let authors: Vec<&str> = listed["items"].as_array().unwrap().iter().filter_map(|f| f["author"].as_str()).collect();
        assert_eq!(authors, ["citizen", "desk"]);
        let served = app
            .post(&format!("/api/v1/public/requests/{code}/attachments/{}", answer["id"].as_str().unwrap()))
            .json(&json!({"mobile": MOBILE}))
            .send()
            .await;
        assert_download(&served, "application/pdf");
        assert_eq!(served.body, PDF);
        // Another mobile is refused; the bare lookup shows no file.
        app.post(&format!("/api/v1/public/requests/{code}/attachments/{}", answer["id"].as_str().unwrap()))
            .json(&json!({"mobile": "09350000000"}))
            .send()
            .await
            .assert_problem(403, "forbidden");
        let public = ok(app.get(&format!("/api/v1/public/requests/{code}")).send().await).await;
        assert!(!public.to_string().contains(answer["id"].as_str().unwrap()));
        // A staff upload cannot be attached by the citizen, nor by another staff member.
        let other = app.post("/api/v1/uploads").bearer(&desk.reviewer).file("x.pdf", PDF).send().await.json();
        let reply = app
            .post(&format!("/api/v1/public/requests/{code}/messages"))
            .json(&json!({"mobile": MOBILE, "text": "پیوست", "attachments": [other["id"]]}))
            .send()
            .await;
        reply.assert_problem(422, "validation");
        assert_eq!(reply.error_fields(), ["attachments"]);
    }

    async fn files_of_the_wrong_type_oversized_or_cut_short_are_refused_with_nothing_stored(app) {
        let before = app.snapshot();
        let cases: [(&str, &[u8], u16, &str); 5] = [
            ("page.html", b"<!DOCTYPE html><html><script>alert(1)</script></html>", 415, "unsupported-media-type"),
            ("logo.svg", b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>", 415, "unsupported-media-type"),
            ("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", 415, "unsupported-media-type"),
            ("cut.jpg", &PHOTO[..PHOTO.len() / 2], 422, "validation"),
            ("cut.pdf", &PDF[..40], 422, "validation"),
        ];
        for (name, bytes, status, kind) in cases {
            let reply = upload(&app, name, bytes).await;
            let problem = reply.assert_problem(status, kind);
            if status == 422 {
                assert_eq!(problem["errors"][0]["field"], "file", "{problem}");
                assert_eq!(problem["errors"][0]["code"], "truncated", "{problem}");
            }
        }
        // Not multipart at all; no `file` part; two files in one upload.
        app.post("/api/v1/public/uploads").json(&json!({"file": "x"})).send().await.assert_problem(415, "unsupported-media-type");
        let none = app.post("/api/v1/public/uploads").multipart(&[("other", None, b"x")]).send().await;
        none.assert_problem(422, "validation");
        assert_eq!(none.error_fields(), ["file"]);
        app.post("/api/v1/public/uploads")
            .multipart(&[("file", Some("a.pdf"), PDF), ("file", Some("b.pdf"), PDF)])
            .send()
            .await
            .assert_problem(400, "bad-parameter");
        assert_eq!(kept(&app).await, (0, 0), "nothing is stored");
        assert_eq!(app.snapshot(), before);
    }

    async fn the_desk_releases_only_the_citizens_files_to_a_referral_of_the_same_request(app) {
        let desk = desk(&app).await;
        let (id, _, referral) = referred(&app, &desk).await;
        let (other_id, _, other_referral) = referred(&app, &desk).await;
        let staff_file = app.post("/api/v1/uploads").bearer(&desk.reviewer).file("note.pdf", PDF).send().await.json();
        let sent = app
            .post(&format!("/api/v1/requests/{id}/messages"))
            .bearer(&desk.reviewer)
            .json(&json!({"text": "یادداشت", "attachments": [staff_file["id"]]}))
            .send()
            .await;
        assert_eq!(sent.status.as_u16(), 201, "{}", sent.text());
        let file = staff_file["id"].as_str().unwrap();
        app.post(&format!("/api/v1/requests/{id}/attachments/{file}/release"))
            .bearer(&desk.reviewer)
            .json(&json!({"referral_id": referral}))
            .send()
            .await
            .assert_problem(409, "not-the-citizens");
        let wrong = app
            .post(&format!("/api/v1/requests/{id}/attachments/{file}/release"))
            .bearer(&desk.reviewer)
            .json(&json!({"referral_id": other_referral}))
            .send()
            .await;
        wrong.assert_problem(422, "validation");
        assert_eq!(wrong.error_fields(), ["referral_id"]);
        // A file of this request is not found under another request.
        app.get(&format!("/api/v1/requests/{other_id}/attachments/{file}"))
            .bearer(&desk.reviewer)
            .send()
            .await
            .assert_problem(404, "not-found");
        // Unit staff may not release.
        app.post(&format!("/api/v1/requests/{id}/attachments/{file}/release"))
            .bearer(&desk.unit_staff)
            .json(&json!({"referral_id": referral}))
            .send()
            .await
            .assert_problem(403, "forbidden");
        assert_eq!(app.count("attachment_releases"), 0);
    }

    async fn a_unit_sends_the_citizen_a_file_with_its_question(app) {
        let desk = desk(&app).await;
        let (_, code, referral) = referred(&app, &desk).await;
        let form = app.post("/api/v1/uploads").bearer(&desk.unit_staff).file("فرم.pdf", PDF).send().await.json();
        let asked = app
            .post(&format!("/api/v1/referrals/{referral}/messages"))
            .bearer(&desk.unit_staff)
            .json(&json!({"text": QUESTION, "attachments": [form["id"]]}))
            .send()
            .await;
        assert_eq!(asked.status.as_u16(), 201, "{}", asked.text());
        let unit_files = ok(app.get(&format!("/api/v1/referrals/{referral}/attachments")).bearer(&desk.unit_staff).send().await).await;
        assert_eq!(unit_files["items"][0]["author"], "unit");
        assert_eq!(unit_files["items"][0]["file_name"], "فرم.pdf", "the unit's own file keeps its name");
        let citizen = citizen_files(&app, &code).await;
        assert_eq!(citizen["items"][0]["author"], "unit");
        // Another unit's staff cannot attach to this referral's conversation, nor see the file.
        app.get(&format!("/api/v1/referrals/{referral}/attachments"))
            .bearer(&desk.other_unit_staff)
            .send()
            .await
            .assert_problem(404, "not-found");

        // The unit answers the referral with a report: the desk reads it, the citizen does not
        // (the answer is the desk's to pass on).
        let report = app.post("/api/v1/uploads").bearer(&desk.unit_staff).file("گزارش.pdf", &[PDF, b"% report\n"].concat()).send().await.json();
        ok(app
            .post(&format!("/api/v1/referrals/{referral}/answer"))
            .bearer(&desk.unit_staff)
            .json(&json!({"answer": "با کارمند مربوط گفت‌وگو شد؛ گزارش پیوست است", "attachments": [report["id"]]}))
            .send()
            .await)
        .await;
        let id = crate::public::request_id(&app, &code).await;
        let desk_files = ok(app.get(&format!("/api/v1/requests/{id}/attachments")).bearer(&desk.reviewer).send().await).await;
        let answer_file = desk_files["items"].as_array().unwrap().iter().find(|f| f["id"] == report["id"]).expect("the report").clone();
        assert_eq!((answer_file["author"].as_str(), answer_file["message_id"].is_null()), (Some("unit"), true));
        let citizen = citizen_files(&app, &code).await;
        assert!(!citizen.to_string().contains(report["id"].as_str().unwrap()));
    }
}

on_every_store! {
    with &[("MARDOM_ATTACHMENT_MAX_BYTES", "2048"), ("MARDOM_ATTACHMENTS_PER_REQUEST", "2")];

    async fn an_oversized_upload_is_refused_at_the_limit(app) {
        let mut big = PDF[..9].to_vec();
        big.extend(vec![b' '; 64 * 1024]);
        big.extend(b"%%EOF");
        let reply = upload(&app, "big.pdf", &big).await;
        let problem = reply.assert_problem(413, "payload-too-large");
        assert!(problem["detail"].as_str().unwrap().contains("2 KB"), "{problem}");
        assert_eq!(kept(&app).await, (0, 0));
    }

    async fn a_submission_is_atomic_and_idempotent_with_its_files(app) {
        let (a, b, c) = (
            uploaded(&app, "a.pdf", PDF).await,
            uploaded(&app, "b.jpg", PHOTO).await,
            uploaded(&app, "c.png", PNG).await,
        );
        let before = app.snapshot();
        // An unknown upload: 422, and nothing filed (no request, no SMS, no key claimed).
        let unknown = json!({"id": "00000000-0000-4000-8000-000000000000"});
        let refused = submit(&app, &with_files(complaint(), &[&a, &unknown]), Some("key-1")).await;
        refused.assert_problem(422, "validation");
        assert_eq!(refused.error_fields(), ["attachments"]);
        assert_eq!(app.snapshot(), before);
        // Three files where two are allowed: 422, nothing filed, the uploads still free.
        let refused = submit(&app, &with_files(complaint(), &[&a, &b, &c]), Some("key-1")).await;
        refused.assert_problem(422, "validation");
        assert_eq!(refused.json()["errors"][0]["code"], "too_many");
        assert_eq!(app.snapshot(), before);
        // The same file twice.
        let refused = submit(&app, &with_files(complaint(), &[&a, &a]), None).await;
        assert_eq!(refused.json()["errors"][0]["code"], "duplicate");
        assert_eq!(app.snapshot(), before);

        // Corrected, under the same key: filed once; a retry (files listed in another order)
        // is the same submission and replays the answer.
        let first = submit(&app, &with_files(complaint(), &[&a, &b]), Some("key-1")).await;
        assert_eq!(first.status.as_u16(), 201, "{}", first.text());
        let again = submit(&app, &with_files(complaint(), &[&b, &a]), Some("key-1")).await;
        assert_eq!(again.status.as_u16(), 201, "{}", again.text());
        assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
        assert_eq!(again.body, first.body);
        assert_eq!(app.count("requests"), 1);
        // Other files under the same key: another submission, refused.
        let other = submit(&app, &with_files(complaint(), &[&a, &c]), Some("key-1")).await;
        other.assert_problem(422, "validation");
        assert_eq!(other.error_fields(), ["Idempotency-Key"]);
        // An attached upload is not attached again, by another submission.
        let reused = submit(&app, &with_files(complaint(), &[&a]), Some("key-2")).await;
        assert_eq!(reused.json()["errors"][0]["code"], "unknown_upload");
        assert_eq!(app.count("requests"), 1);
        let code = first.json()["tracking_code"].as_str().unwrap().to_owned();
        let id = crate::public::request_id(&app, &code).await;
        let admin = app.admin_token().await;
        let files = ok(app.get(&format!("/api/v1/requests/{id}/attachments")).bearer(&admin).send().await).await;
        assert_eq!(files["items"].as_array().unwrap().len(), 2);
        // One tracking-code SMS, for the one request.
        assert_eq!(app.count("notifications"), 1);
    }

    async fn concurrent_submissions_attach_one_upload_once_and_replies_keep_the_file_limit(app) {
        attach_once_and_keep_the_file_limit(&app, &app).await;
    }
}

/// Six concurrent submissions naming one upload, then six concurrent replies with a file each
/// on a request allowed two, sent alternately through `a` and `b` (one app, or two instances
/// on one database): one submission files, two replies are written.
async fn attach_once_and_keep_the_file_limit(a: &TestApp, b: &TestApp) {
    let through = |i: usize| if i.is_multiple_of(2) { a } else { b };
    let shared = uploaded(a, "a.pdf", PDF).await;
    let body = with_files(complaint(), &[&shared]);
    let replies = join_all((0..6).map(|i| {
        let mut body = body.clone();
        body["mobile"] = json!(format!("0912000000{i}"));
        let app = through(i);
        async move { submit(app, &body, None).await.status.as_u16() }
    }))
    .await;
    assert_eq!(
        replies.iter().filter(|s| **s == 201).count(),
        1,
        "{replies:?}"
    );
    assert_eq!(
        replies.iter().filter(|s| **s == 422).count(),
        5,
        "{replies:?}"
    );
    assert_eq!(a.count("requests"), 1);

    let (_, code) = submitted(a, &complaint()).await;
    let mut uploads = Vec::new();
    for i in 0..6 {
        let bytes = [PDF, format!("% {i}\n").as_bytes()].concat();
        uploads.push(uploaded(through(i), &format!("{i}.pdf"), &bytes).await);
    }
    let replies = join_all(uploads.iter().enumerate().map(|(i, file)| {
        let app = through(i);
        let code = code.clone();
        async move {
            app.post(&format!("/api/v1/public/requests/{code}/messages"))
                .json(&json!({"mobile": MOBILE, "text": "پیوست", "attachments": [file["id"]]}))
                .send()
                .await
                .status
                .as_u16()
        }
    }))
    .await;
    assert_eq!(
        replies.iter().filter(|s| **s == 201).count(),
        2,
        "{replies:?}"
    );
    assert_eq!(a.count("messages"), 2, "a refused reply leaves no message");
    assert_eq!(a.count("attachments WHERE request_id IS NOT NULL"), 3);
}

/// The same across two server instances on one PostgreSQL database, as two replicas behind a
/// balancer run.
#[cfg(postgres_tests)]
#[actix_web::test]
async fn two_instances_attach_one_upload_once_and_keep_the_file_limit() {
    let env = [
        ("MARDOM_ATTACHMENT_MAX_BYTES", "2048"),
        ("MARDOM_ATTACHMENTS_PER_REQUEST", "2"),
    ];
    let a = TestApp::postgres(&env).await;
    let b = a.second_instance(&env).await;
    attach_once_and_keep_the_file_limit(&a, &b).await;
}

on_every_store! {
    async fn uploads_never_attached_are_swept_with_their_content(app) {
        let kept_one = uploaded(&app, "kept.pdf", PDF).await;
        let (_, _) = submitted(&app, &with_files(complaint(), &[&kept_one])).await;
        let forgotten = uploaded(&app, "forgotten.jpg", PHOTO).await;
        // The same bytes as an attached file: swept as an upload, kept as content.
        let twin = uploaded(&app, "twin.pdf", PDF).await;
        assert_eq!(twin["sha256"], kept_one["sha256"]);
        assert_eq!(kept(&app).await, (3, 2));

        let mut conn = app.pool.get().unwrap();
        let now = mardom::db::now();
        // Not yet: their hour is not over.
        assert_eq!(mardom::app::attachments::sweep(&mut conn, &app.files, now).unwrap(), 0);
        let later = now + chrono::Duration::minutes(61);
        assert_eq!(mardom::app::attachments::sweep(&mut conn, &app.files, later).unwrap(), 2);
        assert_eq!(kept(&app).await, (1, 1));
        assert!(app.files.store.get(&mut conn, forgotten["sha256"].as_str().unwrap()).unwrap().is_none());
        assert!(app.files.store.get(&mut conn, kept_one["sha256"].as_str().unwrap()).unwrap().is_some());
        drop(conn);
        // An upload past its time can no longer be attached (even before the sweep ran).
        let late = uploaded(&app, "late.pdf", &[PDF, b"% late\n"].concat()).await;
        diesel::RunQueryDsl::execute(
            diesel::sql_query(format!(
                "UPDATE attachments SET created_at = '2000-01-01 00:00:00' WHERE id = '{}'",
                late["id"].as_str().unwrap()
            )),
            &mut *app.pool.get().unwrap(),
        )
        .unwrap();
        let refused = submit(&app, &with_files(complaint(), &[&late]), None).await;
        assert_eq!(refused.json()["errors"][0]["code"], "unknown_upload");
    }
}
