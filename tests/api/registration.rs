//! Writing a new request whole (`db::registration`), below the HTTP layer: all or nothing, and
//! the ways it declines, which the API reaches only by chance (a tracking code drawn twice) or
//! by a race (a twin submission), so they are provoked here directly.

use mardom::db::idempotency::IdempotencyRow;
use mardom::db::notifications::NotificationRow;
use mardom::db::registration::{self, NewRegistration, Written};
use mardom::db::{self, requests, write_transaction};
use mardom::domain::ids::{NotificationId, RequestId};

use crate::public::{request_id, submission, submit};
use crate::support::{TestApp, on_both_backends};

/// The stored rows of a submitted request, under a new id: a second request that differs from
/// the first only where the test says.
struct Copy {
    request: requests::RequestRow,
    identity: requests::IdentityRow,
    event: requests::EventRow,
    messages: Vec<NotificationRow>,
    deadline: db::deadlines::DeadlineRow,
}

async fn copy_of_a_submitted_request(app: &TestApp) -> Copy {
    let code = submit(app, &submission()).await["tracking_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = RequestId::stored(request_id(app, &code).await);
    let mut conn = app.pool.get().unwrap();
    let new_id = RequestId::generate();
    let mut request = requests::find(&mut conn, &id).unwrap().unwrap();
    request.id.clone_from(&new_id);
    let mut identity = requests::find_identity(&mut conn, &id).unwrap().unwrap();
    identity.request_id.clone_from(&new_id);
    let mut event = requests::events(&mut conn, &id, false).unwrap().remove(0);
    event.id = db::new_id();
    event.request_id.clone_from(&new_id);
    let messages = db::notifications::for_request(&mut conn, &id)
        .unwrap()
        .into_iter()
        .map(|m| NotificationRow {
            id: NotificationId::generate(),
            request_id: Some(new_id.clone()),
            ..m
        })
        .collect();
    let mut deadline = db::deadlines::of_request(&mut conn, &id).unwrap().remove(0);
    deadline.id = mardom::domain::ids::DeadlineId::generate();
    deadline.request_id.clone_from(&new_id);
    Copy {
        request,
        identity,
        event,
        messages,
        deadline,
    }
}

fn claim_of(key: &str) -> IdempotencyRow {
    let now = db::now();
    IdempotencyRow {
        scope: "public_request".to_owned(),
        idempotency_key: key.to_owned(),
        fingerprint: "f".to_owned(),
        response_status: 201,
        response_body: "{}".to_owned(),
        created_at: now,
        expires_at: now + chrono::Duration::hours(1),
    }
}

fn write(app: &TestApp, copy: &Copy, claim: Option<&IdempotencyRow>) -> Written {
    let mut conn = app.pool.get().unwrap();
    let new = NewRegistration {
        request: &copy.request,
        identity: &copy.identity,
        event: &copy.event,
        messages: &copy.messages,
        deadline: &copy.deadline,
        claim,
        portal: None,
        webhooks: &[],
    };
    registration::insert(&mut conn, &new).unwrap()
}

fn counts(app: &TestApp) -> Vec<i64> {
    [
        "requests",
        "request_identities",
        "request_events",
        "notifications",
        "idempotency_keys",
        "deadlines",
    ]
    .iter()
    .map(|table| app.count(table))
    .collect()
}

on_both_backends! {
    async fn a_tracking_code_already_taken_writes_nothing(app) {
        let copy = copy_of_a_submitted_request(&app).await;
        let before = counts(&app);
        assert_eq!(write(&app, &copy, Some(&claim_of("fresh"))), Written::CodeTaken);
        assert_eq!(write(&app, &copy, None), Written::CodeTaken);
        assert_eq!(counts(&app), before);
    }

    async fn a_free_code_writes_every_row_and_claims_the_key(app) {
        let mut copy = copy_of_a_submitted_request(&app).await;
        copy.request.tracking_code = "1000000000001".to_owned();
        let claim = claim_of("fresh");
        assert_eq!(write(&app, &copy, Some(&claim)), Written::Registered);
        assert_eq!(counts(&app), vec![2, 2, 2, 2, 1, 2]);
        let mut conn = app.pool.get().unwrap();
        let stored = requests::find(&mut conn, &copy.request.id).unwrap().unwrap();
        assert_eq!(stored, copy.request);
        let identity = requests::find_identity(&mut conn, &copy.request.id).unwrap().unwrap();
        assert_eq!(identity, copy.identity);
        assert_eq!(requests::events(&mut conn, &copy.request.id, false).unwrap(), vec![copy.event.clone()]);
        assert_eq!(db::notifications::for_request(&mut conn, &copy.request.id).unwrap(), copy.messages);
        assert_eq!(db::deadlines::of_request(&mut conn, &copy.request.id).unwrap(), vec![copy.deadline.clone()]);
        let key = db::idempotency::find(&mut conn, "public_request", "fresh", db::now()).unwrap();
        assert_eq!(key, Some(claim));
    }

    async fn inside_a_transaction_it_writes_in_that_transaction(app) {
        let mut copy = copy_of_a_submitted_request(&app).await;
        copy.request.tracking_code = "1000000000001".to_owned();
        let before = counts(&app);
        let mut conn = app.pool.get().unwrap();
        let rolled_back = write_transaction(&mut conn, |c| -> Result<(), diesel::result::Error> {
            let new = NewRegistration {
                request: &copy.request,
                identity: &copy.identity,
                event: &copy.event,
                messages: &copy.messages,
                deadline: &copy.deadline,
                claim: None,
                portal: None,
                webhooks: &[],
            };
            assert_eq!(registration::insert(c, &new)?, Written::Registered);
            Err(diesel::result::Error::RollbackTransaction)
        });
        assert!(rolled_back.is_err());
        drop(conn);
        assert_eq!(counts(&app), before, "the caller's rollback took the rows with it");
    }

    async fn a_key_already_claimed_writes_nothing(app) {
        let mut copy = copy_of_a_submitted_request(&app).await;
        copy.request.tracking_code = "1000000000001".to_owned();
        let mut conn = app.pool.get().unwrap();
        db::idempotency::claim(&mut conn, &claim_of("held")).unwrap();
        drop(conn);
        let before = counts(&app);
        assert_eq!(write(&app, &copy, Some(&claim_of("held"))), Written::KeyTaken);
        assert_eq!(counts(&app), before);
    }
}
