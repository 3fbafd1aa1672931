//! The queue of SQLite writers: one per pool, carried by each of the pool's connections.
//!
//! SQLite admits one writer per database file, and `write_transaction` lines writers up in
//! arrival order (`FifoGate`, see its module for why) before `BEGIN IMMEDIATE`. The line
//! belongs to the database, not to the process: the tests open dozens of databases in one
//! process, and while one line served them all, every test's writes waited behind the writes
//! of whichever tests ran beside it. A served process opens one pool on one file, so there one
//! line per pool is one line per database, as before. (Two pools on one file, which nothing
//! opens, would each line up their own writers and meet in SQLite's busy handler, as two
//! processes on one file do.)
//!
//! How a connection finds its pool's line: `write_transaction` is handed a `&mut DbConnection`
//! and nothing else, and a pooled connection does not know which pool it came from. Diesel
//! keeps one value of the caller's own type with every connection, for the connection's whole
//! life, and hands it back by type: the connection's instrumentation
//! (`Connection::set_instrumentation`, read back through `instrumentation()` and a checked
//! downcast). The pool's connection manager puts the line there when it opens a connection
//! (`attach`); `write_transaction` reads it back (`of`). The value still passes every event on
//! to diesel's default instrumentation when one is installed, so nothing that watches queries
//! is lost. The other ways weighed: a registry keyed by the database file needs the file's name
//! from the connection, one `PRAGMA database_list` before every write; a wrapper type around
//! the connection changes the signature of every use case and query; a thread-local "current
//! pool" is wrong as soon as a connection is used on another thread than the one that took it.

use std::sync::Arc;

use diesel::SqliteConnection;
use diesel::connection::{
    Connection, Instrumentation, InstrumentationEvent, get_default_instrumentation,
};

use super::fifo_gate::FifoGate;

/// The line of one pool's writers, kept in a connection's instrumentation slot.
struct Writers {
    line: Arc<FifoGate>,
    /// Diesel's default instrumentation, which this value displaces from the slot.
    watcher: Option<Box<dyn Instrumentation>>,
}

impl Instrumentation for Writers {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let Some(watcher) = &mut self.watcher {
            watcher.on_connection_event(event);
        }
    }
}

/// Makes `conn` one of the writers that queue in `line`.
pub fn attach(conn: &mut SqliteConnection, line: Arc<FifoGate>) {
    conn.set_instrumentation(Writers {
        line,
        watcher: get_default_instrumentation(),
    });
}

/// The line `conn`'s writes queue in; none for a connection that no pool opened.
pub fn of(conn: &mut SqliteConnection) -> Option<Arc<FifoGate>> {
    conn.instrumentation()
        .downcast_ref::<Writers>()
        .map(|writers| writers.line.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn connection() -> SqliteConnection {
        SqliteConnection::establish(":memory:").unwrap()
    }

    #[test]
    fn a_connection_gives_back_the_line_it_was_given() {
        let line = FifoGate::new(1);
        let mut conn = connection();
        assert!(of(&mut conn).is_none(), "no pool, no line");
        attach(&mut conn, line.clone());
        let found = of(&mut conn).unwrap();
        assert!(Arc::ptr_eq(&found, &line));
        // Still there after queries (diesel does not replace the slot).
        diesel::connection::SimpleConnection::batch_execute(&mut conn, "SELECT 1").unwrap();
        assert!(of(&mut conn).is_some_and(|l| Arc::ptr_eq(&l, &line)));
    }

    /// A pool's connections share one line; another pool's (another database's) is its own.
    #[test]
    fn each_pool_has_its_own_line() {
        let dir = tempfile::tempdir().unwrap();
        let pool = |name: &str| {
            let backend = crate::db::Backend::Sqlite(dir.path().join(name));
            crate::db::connect_pool(&backend, 2, crate::db::DEFAULT_LOCK_WAIT).unwrap()
        };
        let line = |conn: &mut crate::db::DbConnection| match conn {
            crate::db::DbConnection::Sqlite(c) => of(c).unwrap(),
            crate::db::DbConnection::Postgresql(_) => unreachable!(),
        };
        let (a, b) = (pool("a.db"), pool("b.db"));
        let (mut a1, mut a2, mut b1) = (a.get().unwrap(), a.get().unwrap(), b.get().unwrap());
        assert!(Arc::ptr_eq(&line(&mut a1), &line(&mut a2)));
        assert!(!Arc::ptr_eq(&line(&mut a1), &line(&mut b1)));
    }

    #[test]
    fn writers_of_two_lines_do_not_wait_for_each_other() {
        let (mut a, mut b) = (connection(), connection());
        attach(&mut a, FifoGate::new(1));
        attach(&mut b, FifoGate::new(1));
        let _held = of(&mut a)
            .unwrap()
            .enter(Duration::from_millis(10))
            .unwrap();
        assert!(of(&mut b).unwrap().enter(Duration::from_millis(10)).is_ok());
        assert!(
            of(&mut a)
                .unwrap()
                .enter(Duration::from_millis(10))
                .is_err()
        );
    }
}
