//! What the database holds of a citizen: nothing readable. A citizen with planted identifiers
//! goes through every flow that touches their identity (online and staff registration, a
//! logged call, SMS sent, the one-time code, their own requests, the download, withdrawal, a
//! reveal) and then neither the SQLite file (checkpointed, with its WAL) nor a `pg_dump` of the
//! PostgreSQL database holds any of them. And a key rotation while the app serves leaves every
//! request readable, under the new key alone.

use super::*;
use crate::public::request_id;

const NAME: &str = "کیخسرو بردیاپور";
const MOBILE: &str = "۰۹۳۷ ۷۶۵ ۴۳۲۱";
const STORED: &str = "+989377654321";
const NATIONAL_ID: &str = "7612345676";
const EMAIL: &str = "kaykhosrow.bardia@planted.example";
/// What must appear nowhere at rest.
const PLANTED: [&str; 6] = [
    "کیخسرو",
    "بردیاپور",
    "9377654321",
    NATIONAL_ID,
    "kaykhosrow",
    "planted.example",
];

/// Files request `i` (its own number), each from its own address: the per-address allowance
/// is not what is tested here.
async fn file(app: &TestApp, i: usize) -> String {
    let mut body = crate::public::submission();
    body["mobile"] = json!(format!("0912000{i:04}"));
    let reply = app
        .post("/api/v1/public/requests")
        .sent_from(&format!("198.51.100.{i}:4000"))
        .json(&body)
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text());
    reply.json()["tracking_code"].as_str().unwrap().to_owned()
}

fn planted_submission() -> Value {
    json!({
        "name": NAME, "mobile": MOBILE, "national_id": NATIONAL_ID, "email": EMAIL,
        "text": "درخواست رسیدگی به شکایت از تأخیر در پاسخ‌گویی واحد", "proposed_kind": "complaint"
    })
}

/// Everything the database keeps, as bytes: the SQLite file and its WAL after a checkpoint, or
/// PostgreSQL's own dump of the database.
fn at_rest(app: &TestApp) -> Vec<u8> {
    if let Some(path) = app.url.strip_prefix("sqlite://") {
        use diesel::prelude::*;
        let mut conn = app.pool.get().unwrap();
        diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut *conn)
            .unwrap();
        drop(conn);
        let mut bytes = std::fs::read(path).expect("the SQLite file");
        if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
            bytes.extend(wal);
        }
        bytes
    } else {
        let dump = std::process::Command::new("pg_dump")
            .arg("--no-owner")
            .arg(&app.url)
            .output()
            .expect("pg_dump runs");
        assert!(
            dump.status.success(),
            "pg_dump: {}",
            String::from_utf8_lossy(&dump.stderr)
        );
        dump.stdout
    }
}

fn assert_nothing_planted(bytes: &[u8]) {
    for planted in PLANTED {
        let needle = planted.as_bytes();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{planted:?} is stored in the clear"
        );
    }
}

with_fake! {
    async fn planted_identifiers_are_nowhere_at_rest_yet_every_flow_works(app, fake) {
        accepting(&fake).await;
        let dispatcher = dispatcher(&app, &fake, quick());
        let admin = app.admin_token().await;
        let intake = app.token_for_role(&admin, "intake").await;
        let operator = app.token_for_role(&admin, "operator").await;
        let unit = app.create_unit(&admin, "واحد پشتیبانی", None).await;

        let online = crate::public::submit(&app, &planted_submission()).await;
        let walk_in = app.post("/api/v1/requests").bearer(&intake)
            .json(&json!({"channel": "in_person", "name": NAME, "mobile": MOBILE, "email": EMAIL, "text": "پیگیری همان شکایت به‌صورت حضوری"}))
            .send().await.json();
        let call = app.post("/api/v1/contacts").bearer(&operator)
            .json(&json!({"channel": "phone", "summary": "پرسش درباره‌ی روند رسیدگی", "outcome": "transferred", "unit_id": unit, "citizen_name": NAME, "citizen_mobile": MOBILE}))
            .send().await;
        assert_eq!(call.status.as_u16(), 201, "{}", call.text());
        drain(&dispatcher).await;
        let sent = sends(&fake).await;
        assert_eq!(sent.len(), 2, "both tracking codes went out");
        assert!(sent.iter().all(|sms| sms["to"] == STORED), "sent to the number, opened at sending");

        // The citizen's door, by the number alone.
        app.post("/api/v1/public/otp").json(&json!({"mobile": MOBILE})).send().await;
        drain(&dispatcher).await;
        let text = sends(&fake).await.last().unwrap()["text"].as_str().unwrap().to_owned();
        let digits: String = mardom::domain::text::ascii_digits(&text).chars().filter(char::is_ascii_digit).collect();
        let token = app.post("/api/v1/public/otp/verify").json(&json!({"mobile": MOBILE, "code": &digits[..6]}))
            .send().await.json()["access_token"].as_str().unwrap().to_owned();
        let mine = app.get("/api/v1/public/me/requests").bearer(&token).send().await.json();
        assert_eq!(mine["items"].as_array().unwrap().len(), 2, "{mine}");
        let export = app.get("/api/v1/public/me/export").bearer(&token).send().await.json();
        assert_eq!(export["requests"][1]["identity"], json!({"name": NAME, "mobile": STORED, "national_id": NATIONAL_ID, "email": EMAIL}));
        let code = online["tracking_code"].as_str().unwrap();
        let withdrawn = app.post(&format!("/api/v1/public/requests/{code}/withdrawal"))
            .json(&json!({"mobile": "+989377654321"})).send().await;
        assert_eq!(withdrawn.status.as_u16(), 200, "{}", withdrawn.text());
        let id = request_id(&app, code).await;
        assert_eq!(app.revealed(&admin, &id).await["national_id"], NATIONAL_ID);
        assert_eq!(app.revealed(&intake, walk_in["id"].as_str().unwrap()).await["name"], NAME);

        let kept = at_rest(&app);
        // The search sees what is kept in the clear (a unit's name), so its silence means something.
        assert!(kept.windows("پشتیبانی".len()).any(|w| w == "پشتیبانی".as_bytes()), "the control is found");
        assert_nothing_planted(&kept);
    }

    async fn a_key_rotation_while_serving_leaves_no_request_unreadable(app, fake) {
        accepting(&fake).await;
        const NEW_KEY: &str = "t2:BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=";
        const BEFORE: usize = 60;
        const DURING: usize = 10;
        let mut codes = Vec::new();
        for i in 0..BEFORE {
            codes.push(file(&app, i).await);
        }
        // The new key is known everywhere and becomes the current one.
        let both = format!("{},{NEW_KEY}", crate::support::TEST_IDENTITY_KEYS);
        let mut vars = env(&fake);
        vars.extend([("MARDOM_IDENTITY_KEYS".to_owned(), both), ("MARDOM_IDENTITY_KEY_ID".to_owned(), "t2".to_owned())]);
        let app = app.restarted(&as_refs(&vars)).await;
        let (pool, vault) = (app.pool.clone(), app.rules.vault.clone());
        let rotation = actix_web::rt::task::spawn_blocking(move || {
            let mut conn = pool.get().unwrap();
            mardom::app::sealing::rotate(&mut conn, &vault).unwrap()
        });
        // Serving meanwhile: new requests, and old ones read in full.
        let admin = app.admin_token().await;
        for i in BEFORE..BEFORE + DURING {
            codes.push(file(&app, i).await);
        }
        for code in &codes[..4] {
            let id = request_id(&app, code).await;
            assert_eq!(app.revealed(&admin, &id).await["name"], crate::public::NAME);
        }
        let rotated = rotation.await.unwrap();
        assert!(rotated.identities >= BEFORE && rotated.notifications >= BEFORE, "{rotated:?}");
        for (table, column) in [("request_identities", "name"), ("request_identities", "mobile"), ("request_identities", "email"), ("notifications", "recipient")] {
            let values = app.column_values(table, column);
            assert!(values.iter().all(|v| v.starts_with("v1:t2:")), "{table}.{column}: {values:?}");
        }

        // The old key gone, every request and message still opens.
        let mut vars = env(&fake);
        vars.extend([("MARDOM_IDENTITY_KEYS".to_owned(), NEW_KEY.to_owned())]);
        let app = app.restarted(&as_refs(&vars)).await;
        let admin = app.admin_token().await;
        for (i, code) in codes.iter().enumerate() {
            let id = request_id(&app, code).await;
            let citizen = app.revealed(&admin, &id).await;
            assert_eq!(citizen["mobile"], format!("+98912000{i:04}"), "{code}");
            assert_eq!(citizen["email"], crate::public::EMAIL);
        }
        let dispatcher = dispatcher(&app, &fake, quick());
        drain(&dispatcher).await;
        let sent = sends(&fake).await;
        assert_eq!(sent.len(), BEFORE + DURING, "every tracking code, each to its number");
        let mut to: Vec<String> = sent.iter().map(|sms| sms["to"].as_str().unwrap().to_owned()).collect();
        to.sort();
        assert_eq!(to, (0..BEFORE + DURING).map(|i| format!("+98912000{i:04}")).collect::<Vec<_>>());
    }
}

/// Two instances on one PostgreSQL database through a rotation: one still sealing with the old
/// key, the other with the new one while it re-seals; every request reads on both throughout,
/// and once the first has the new key too, a last pass leaves nothing under the old.
#[cfg(postgres_tests)]
#[actix_web::test]
async fn two_instances_serve_through_a_rotation() {
    const NEW_KEY: &str = "t2:BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=";
    let fake = MockServer::start().await;
    let mut old = env(&fake);
    old.push((
        "MARDOM_IDENTITY_KEYS".to_owned(),
        format!("{},{NEW_KEY}", crate::support::TEST_IDENTITY_KEYS),
    ));
    let mut new = old.clone();
    new.push(("MARDOM_IDENTITY_KEY_ID".to_owned(), "t2".to_owned()));
    let a = TestApp::postgres(&as_refs(&old)).await;
    let b = a.second_instance(&as_refs(&new)).await;
    let mut codes = Vec::new();
    for i in 0..40 {
        codes.push(file(&a, i).await);
    }
    let (pool, vault) = (b.pool.clone(), b.rules.vault.clone());
    let rotation = actix_web::rt::task::spawn_blocking(move || {
        let mut conn = pool.get().unwrap();
        mardom::app::sealing::rotate(&mut conn, &vault).unwrap()
    });
    for i in 40..50 {
        let on = if i % 2 == 0 { &a } else { &b };
        codes.push(file(on, i).await);
    }
    let admin_a = a.admin_token().await;
    let admin_b = b.admin_token().await;
    for (i, code) in codes.iter().enumerate().step_by(7) {
        let id = request_id(&a, code).await;
        let expected = format!("+98912000{i:04}");
        assert_eq!(a.revealed(&admin_a, &id).await["mobile"], expected.as_str());
        assert_eq!(b.revealed(&admin_b, &id).await["mobile"], expected.as_str());
    }
    assert!(rotation.await.unwrap().identities >= 40);
    // The first instance moves to the new key; one more pass catches what it sealed meanwhile.
    let a = a.restarted(&as_refs(&new)).await;
    let mut conn = a.pool.get().unwrap();
    mardom::app::sealing::rotate(&mut conn, &a.rules.vault).unwrap();
    drop(conn);
    let mut only_new = env(&fake);
    only_new.push(("MARDOM_IDENTITY_KEYS".to_owned(), NEW_KEY.to_owned()));
    let c = b.second_instance(&as_refs(&only_new)).await;
    let admin = c.admin_token().await;
    for (i, code) in codes.iter().enumerate() {
        let id = request_id(&c, code).await;
        assert_eq!(
            c.revealed(&admin, &id).await["mobile"],
            format!("+98912000{i:04}")
        );
    }
    let values = c.column_values("request_identities", "mobile");
    assert!(values.iter().all(|v| v.starts_with("v1:t2:")), "{values:?}");
    drop(a);
}
