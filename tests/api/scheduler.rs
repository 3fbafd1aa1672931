//! The scheduler: a job runs when due, once per period, whichever instances tick.

use chrono::Duration;
use mardom::db::jobs;

use crate::support::{TestApp, on_both_backends};

/// How many times the upload sweep has run, across instances.
fn sweeps(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().unwrap();
    jobs::runs(&mut conn, "sweep-uploads").unwrap()
}

/// The jobs one tick ran, each having succeeded.
fn ran(scheduler: &mardom::scheduler::Scheduler) -> Vec<&'static str> {
    scheduler
        .tick()
        .unwrap()
        .into_iter()
        .inspect(|run| assert!(run.outcome.is_ok(), "{run:?}"))
        .map(|run| run.job)
        .collect()
}

on_both_backends! {
    async fn a_job_runs_when_due_and_once_a_period(app) {
        let scheduler = app.scheduler();
        assert!(ran(&scheduler).contains(&"sweep-uploads"));
        assert_eq!(sweeps(&app), 1);
        // Not due again until five minutes have passed, however often the scheduler looks.
        for _ in 0..3 {
            assert!(!ran(&scheduler).contains(&"sweep-uploads"));
        }
        app.advance(Duration::minutes(4));
        assert!(!ran(&scheduler).contains(&"sweep-uploads"));
        app.advance(Duration::minutes(1));
        assert!(ran(&scheduler).contains(&"sweep-uploads"));
        assert_eq!(sweeps(&app), 2);
        // A second scheduler of the same instance (a restart) finds the job not due.
        assert!(!ran(&app.scheduler()).contains(&"sweep-uploads"));
        assert_eq!(sweeps(&app), 2);
    }
}

/// Two instances on one PostgreSQL database, each with three schedulers ticking at once, an
/// hour of simulated time a minute at a time: the sweep runs once per five minutes.
#[actix_web::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "MARDOM_TEST_POSTGRES_URL was not set when the tests were built"
)]
async fn two_instances_run_each_period_once() {
    let first = TestApp::postgres(&[]).await;
    let second = first.second_instance(&[]).await;
    let schedulers: Vec<_> = (0..3)
        .flat_map(|_| [first.scheduler(), second.scheduler()])
        .map(std::sync::Arc::new)
        .collect();
    let mut total = 0;
    for _ in 0..60 {
        total += TestApp::tick_together(&schedulers)
            .iter()
            .filter(|r| r.job == "sweep-uploads")
            .count();
        first.advance(Duration::minutes(1));
    }
    assert_eq!(total, 12, "sixty minutes, a run every five");
    assert_eq!(sweeps(&first), 12);
}
