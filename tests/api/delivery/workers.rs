//! Dispatchers as processes see them: running side by side (`Dispatcher::run`), each with its
//! own lease, against a fake provider that answers slowly. The per-number cap across two of
//! them, a lease kept by its heartbeat under a provider slower than the lease, a dispatcher
//! killed mid-batch (its task aborted, as SIGKILL would) and one stopped mid-batch. Each test
//! prints its figures on a `FIGURES:` line.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::*;

/// A number for the tests that flood one.
const NUMBER: &str = "+989121234567";

/// What the fake provider saw: how many times it accepted each id, when each send arrived, and
/// how many lookups by id it answered.
#[derive(Clone, Default)]
struct Seen {
    accepted: Accepted,
    arrivals: Arc<Mutex<Vec<Instant>>>,
    lookups: Arc<AtomicUsize>,
}

impl Seen {
    fn arrivals(&self) -> Vec<Instant> {
        self.arrivals.lock().unwrap().clone()
    }

    fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }

    /// Asserts that every one of `ids`, and nothing else, was accepted exactly once.
    fn assert_each_once(&self, ids: &[String]) {
        let accepted = self.accepted.lock().unwrap();
        let twice: Vec<_> = accepted.iter().filter(|&(_, &n)| n > 1).collect();
        assert!(twice.is_empty(), "sent twice: {twice:?}");
        assert_eq!(accepted.len(), ids.len(), "every message sent");
        for id in ids {
            assert_eq!(accepted.get(id), Some(&1), "{id}");
        }
    }
}

/// A provider that takes each message as it arrives (as a real one does: the request is in
/// before the answer is out) and answers after `delay`; asked by our id, it tells whether it
/// has the message.
async fn slow_provider(fake: &MockServer, delay: Duration) -> Seen {
    let seen = Seen::default();
    let posts = seen.clone();
    Mock::given(method("POST"))
        .and(path_regex("^/sms$"))
        .respond_with(move |request: &wiremock::Request| {
            posts.arrivals.lock().unwrap().push(Instant::now());
            if let Ok(body) = serde_json::from_slice::<Value>(&request.body)
                && let Some(id) = body["id"].as_str()
            {
                *posts
                    .accepted
                    .lock()
                    .unwrap()
                    .entry(id.to_owned())
                    .or_default() += 1;
            }
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "provider-1"}))
                .set_delay(delay)
        })
        .mount(fake)
        .await;
    let gets = seen.clone();
    Mock::given(method("GET"))
        .and(path_regex("^/sms/.+$"))
        .respond_with(move |request: &wiremock::Request| {
            gets.lookups.fetch_add(1, Ordering::SeqCst);
            let id = request.url.path().rsplit('/').next().unwrap_or_default();
            if gets.accepted.lock().unwrap().contains_key(id) {
                ResponseTemplate::new(200).set_body_json(json!({"status": "queued"}))
            } else {
                ResponseTemplate::new(404)
            }
        })
        .mount(fake)
        .await;
    seen
}

/// A dispatcher running as in production, until stopped or killed.
struct Running {
    worker: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

fn start(dispatcher: Dispatcher) -> Running {
    let worker = dispatcher.worker().to_owned();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = actix_web::rt::spawn(async move {
        dispatcher
            .run(async {
                let _ = stopped.await;
            })
            .await;
    });
    Running { worker, stop, task }
}

impl Running {
    /// Stops it as SIGTERM does, and waits until it has; returns how long that took.
    async fn stop(self) -> Duration {
        let asked = Instant::now();
        let _ = self.stop.send(());
        self.task.await.expect("the dispatcher stops cleanly");
        asked.elapsed()
    }

    /// Kills it as SIGKILL does: its future is dropped wherever it is, sends in flight and all;
    /// nothing more is written for it.
    fn kill(self) {
        self.task.abort();
    }
}

/// Every message in the outbox.
fn all(app: &TestApp) -> Vec<NotificationRow> {
    let mut conn = app.pool.get().unwrap();
    notifications::list(&mut conn, &Default::default(), 10_000).unwrap()
}

/// Which backend the test runs on, for its figures.
fn backend(app: &TestApp) -> &'static str {
    match *app.pool.get().unwrap() {
        mardom::db::DbConnection::Postgresql(_) => "postgres",
        mardom::db::DbConnection::Sqlite(_) => "sqlite",
    }
}

fn all_sent(app: &TestApp) -> bool {
    all(app).iter().all(|r| r.status.as_str() == "sent")
}

/// Waits until `done` holds, at most `limit`; returns how long it took.
async fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done() {
            return Some(started.elapsed());
        }
        tokio_sleep(Duration::from_millis(20)).await;
    }
    None
}

/// `n` messages, each to its own number (so that the cap stays out of the way).
fn queue_distinct(app: &TestApp, n: usize, first: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            enqueue(
                app,
                "resolved",
                &format!("+98912{:07}", first + i),
                json!({"tracking_code": code()}),
            )
        })
        .collect()
}

/// The most of `times` in any window of `window` (each window starting at one of them).
fn most_in_a_window<T: Copy + Ord + std::ops::Add<D, Output = T>, D: Copy>(
    times: &mut [T],
    window: D,
) -> usize {
    times.sort_unstable();
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|&&t| t < times[i] + window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

with_fake! {
    async fn two_dispatchers_hold_one_number_at_its_cap_and_send_the_rest_later(app, fake) {
        const CAP: u32 = 10;
        let window = Duration::from_secs(3);
        let provider = slow_provider(&fake, Duration::from_secs(1)).await;
        let ids: Vec<String> = (0..40)
            .map(|_| enqueue(&app, "resolved", NUMBER, json!({"tracking_code": code()})))
            .collect();
        let admin = app.admin_token().await;
        // Small batches, so that the two claim side by side and each sees the other's claims
        // with their sends still in flight; 7 does not divide the cap, so two claims that both
        // counted before either charged would give 14 slots.
        let settings = DispatcherSettings {
            batch: 7,
            concurrency: 7,
            idle: Duration::from_millis(20),
            per_recipient_cap: CAP,
            cap_window: window,
            ..quick()
        };
        let timeout = Duration::from_secs(5);
        let started = Instant::now();
        let a = start(dispatcher_timed(&app, &fake, settings.clone(), timeout));
        let b = start(dispatcher_timed(&app, &fake, settings, timeout));

        // Two seconds in: the first sends are answered (1 s), the first window is not over (3 s).
        tokio_sleep(Duration::from_secs(2).saturating_sub(started.elapsed())).await;
        let in_first_window = provider.arrivals().len();
        let rows = all(&app);
        let sent = rows.iter().filter(|r| r.status.as_str() == "sent").count();
        let held: Vec<&NotificationRow> = rows.iter().filter(|r| r.status.as_str() == "pending").collect();
        assert_eq!(in_first_window, CAP as usize, "sent within the first window");
        assert_eq!((sent, held.len()), (10, 30));
        for row in &held {
            let reason = row.last_error.as_deref().unwrap_or_default();
            assert!(reason.starts_with("held:"), "{row:?}");
            assert_eq!((row.attempts, row.claimed_by.as_deref()), (0, None), "held, not claimed: {row:?}");
            assert!(row.next_attempt_at > mardom::db::now(), "{row:?}");
        }
        let visible = app.get("/api/v1/notifications?status=pending&limit=100").bearer(&admin).send().await.json();
        let visible = visible["items"].as_array().unwrap();
        assert_eq!(visible.len(), 30, "held messages are visible");
        assert!(visible.iter().all(|n| n["last_error"].as_str().unwrap().contains("held")));

        wait_until(Duration::from_secs(40), || all_sent(&app)).await
            .expect("all 40 sent as the windows allow");
        let drained = started.elapsed();
        a.stop().await;
        b.stop().await;
        provider.assert_each_once(&ids);
        // At the provider: the sends of any window, give or take the few milliseconds between
        // a claim and its request arriving.
        let most_at_provider = most_in_a_window(
            &mut provider.arrivals(),
            window - Duration::from_millis(250),
        );
        assert!(most_at_provider <= CAP as usize, "{most_at_provider} sends in a window");
        // Exactly, at the claims: the slots taken, one per message.
        let mut charges: Vec<chrono::NaiveDateTime> = {
            use diesel::prelude::*;
            use mardom::db::schema::sms_charges;
            let mut conn = app.pool.get().unwrap();
            sms_charges::table.select(sms_charges::charged_at).load(&mut *conn).unwrap()
        };
        assert_eq!(charges.len(), 40, "one slot per message");
        let most_charged = most_in_a_window(&mut charges, chrono::Duration::from_std(window).unwrap());
        assert!(most_charged <= CAP as usize, "{most_charged} claimed in a window");
        eprintln!(
            "FIGURES: cap {CAP} per {window:?}, 40 messages to one number, 2 dispatchers, provider 1 s: \
             sent within the first window {in_first_window}, held {}, all 40 sent after {drained:?}, \
             most sends in any window at the provider {most_at_provider}, most claims in any window {most_charged}, \
             doubles 0 ({})",
            held.len(),
            backend(&app)
        );
    }

    async fn a_dispatcher_killed_mid_batch_is_taken_over_and_nothing_is_sent_twice(app, fake) {
        let provider = slow_provider(&fake, Duration::from_secs(2)).await;
        let ids = queue_distinct(&app, 30, 2_000_000);
        let lease = Duration::from_secs(2);
        let settings = DispatcherSettings {
            batch: 30,
            concurrency: 10,
            lease,
            idle: Duration::from_millis(20),
            ..quick()
        };
        let timeout = Duration::from_secs(10);
        let a = start(dispatcher_timed(&app, &fake, settings.clone(), timeout));
        wait_until(Duration::from_secs(5), || provider.arrivals().len() >= 10).await
            .expect("the first dispatcher's sends in flight");
        // The other dispatcher, running from before the kill: everything is the first one's.
        let b = start(dispatcher_timed(&app, &fake, DispatcherSettings { concurrency: 30, ..settings }, timeout));
        tokio_sleep(Duration::from_millis(300)).await;
        assert!(all(&app).iter().all(|r| r.claimed_by.as_deref() == Some(a.worker.as_str())));
        let in_flight = provider.arrivals().len();
        assert_eq!(in_flight, 10, "the first dispatcher's sends are in flight");
        a.kill();
        let killed = Instant::now();
        let claimed_again = wait_until(Duration::from_secs(15), || {
            all(&app).iter().any(|r| r.claimed_by.as_deref() == Some(b.worker.as_str()))
        }).await.expect("the other dispatcher takes the messages over");
        wait_until(Duration::from_secs(15), || all_sent(&app)).await
            .expect("the killed dispatcher's messages are sent by the other");
        let taken_over = killed.elapsed();
        b.stop().await;
        assert!(taken_over < Duration::from_secs(10), "taken over in {taken_over:?}");
        provider.assert_each_once(&ids);
        for row in all(&app) {
            assert_eq!(row.attempts, 2, "claimed by the killed one, then the other: {row:?}");
        }
        eprintln!(
            "FIGURES: kill: 30 claimed, {in_flight} in flight at the kill, provider 2 s, lease {lease:?}: \
             claimed by the other dispatcher {claimed_again:?} after the kill, all sent {taken_over:?} after it, \
             lookups by id {}, doubles 0 ({})",
            provider.lookups(),
            backend(&app)
        );
    }

    async fn a_provider_slower_than_the_lease_never_gets_a_message_twice(app, fake) {
        let provider = slow_provider(&fake, Duration::from_secs(3)).await;
        let ids = queue_distinct(&app, 15, 3_000_000);
        let lease = Duration::from_secs(1);
        // One dispatcher claims 10, the other 5: half of the first one's batch waits a whole
        // send (3 s, three leases) before it starts, while the other is idle after one send and
        // would take those 5 over if their lease ran out.
        let settings = DispatcherSettings {
            batch: 10,
            concurrency: 5,
            lease,
            idle: Duration::from_millis(20),
            ..quick()
        };
        let timeout = Duration::from_secs(10);
        let a = start(dispatcher_timed(&app, &fake, settings.clone(), timeout));
        let b = start(dispatcher_timed(&app, &fake, settings, timeout));
        let drained = wait_until(Duration::from_secs(30), || all_sent(&app)).await
            .expect("all sent");
        a.stop().await;
        b.stop().await;
        provider.assert_each_once(&ids);
        let taken_over = all(&app).iter().filter(|r| r.attempts != 1).count();
        assert_eq!(taken_over, 0, "no lease ran out under a live dispatcher");
        assert_eq!(provider.lookups(), 0, "no second attempt, so no lookup");
        eprintln!(
            "FIGURES: long provider: 15 messages, 2 dispatchers, provider 3 s, lease {lease:?} renewed every {:?}: \
             all sent in {drained:?}, taken over 0, doubles 0 ({})",
            lease / 3,
            backend(&app)
        );
    }

    async fn a_dispatcher_stopped_mid_batch_finishes_its_sends_and_gives_back_the_rest(app, fake) {
        let provider = slow_provider(&fake, Duration::from_secs(1)).await;
        let ids = queue_distinct(&app, 20, 4_000_000);
        // A lease far longer than the test: a message given back must not wait for it.
        let lease = Duration::from_secs(60);
        let settings = DispatcherSettings {
            batch: 20,
            concurrency: 4,
            lease,
            idle: Duration::from_millis(20),
            ..quick()
        };
        let timeout = Duration::from_secs(5);
        let a = start(dispatcher_timed(&app, &fake, settings.clone(), timeout));
        wait_until(Duration::from_secs(5), || provider.arrivals().len() >= 4).await
            .expect("sends in flight");
        let stopped_in = a.stop().await;
        assert_eq!(provider.arrivals().len(), 4, "no send started after the stop");
        let rows = all(&app);
        let sent: Vec<&NotificationRow> = rows.iter().filter(|r| r.status.as_str() == "sent").collect();
        let released: Vec<&NotificationRow> = rows.iter().filter(|r| r.status.as_str() == "pending").collect();
        assert_eq!((sent.len(), released.len()), (4, 16), "the sends in flight finished and recorded");
        for row in &released {
            assert_eq!((row.claimed_by.as_deref(), row.locked_until), (None, None), "given back: {row:?}");
            assert_eq!(row.attempts, 0, "the attempt not counted: {row:?}");
        }
        let b = start(dispatcher_timed(&app, &fake, DispatcherSettings { concurrency: 16, ..settings }, timeout));
        let resent = wait_until(Duration::from_secs(10), || all_sent(&app)).await
            .expect("the rest sent by the other dispatcher");
        b.stop().await;
        assert!(resent < Duration::from_secs(5), "at once, not after the {lease:?} lease: {resent:?}");
        provider.assert_each_once(&ids);
        assert!(all(&app).iter().all(|r| r.attempts == 1), "one attempt each");
        assert_eq!(provider.lookups(), 0);
        eprintln!(
            "FIGURES: graceful stop: 20 claimed, 4 in flight, provider 1 s: stopped in {stopped_in:?} \
             with the 4 finished and recorded, 16 given back; the other dispatcher sent them in {resent:?} \
             (lease {lease:?}), doubles 0 ({})",
            backend(&app)
        );
    }
}
