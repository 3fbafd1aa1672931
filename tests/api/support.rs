//! The test harness: a fresh database per test on SQLite (a temp file) and on PostgreSQL (a
//! database created from a migrated template, dropped afterwards), the real app built on it,
//! and small helpers to call it and read problem bodies.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_service::boxed::{self, BoxService};
use actix_service::{Service, ServiceExt};
use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::{Method, StatusCode, header};
use actix_web::test::TestRequest;
use diesel::{Connection, PgConnection, RunQueryDsl};
use mardom::api::build_app;
use mardom::config::Settings;
use mardom::db::{DbPool, MIGRATIONS_DIGEST};
use mardom::server;
use serde_json::{Value, json};

pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
pub const TEST_SECRET: &str = "test-secret-0123456789abcdef0123456789abcdef";
/// The identity keyring of every test instance (instances on one database share it).
pub const TEST_IDENTITY_KEYS: &str = "t1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
pub const TEST_BLIND_INDEX_KEY: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";
pub const BODY_LIMIT: usize = 16 * 1024;
/// The address requests come from unless a test says otherwise.
pub const CLIENT_ADDRESS: &str = "203.0.113.7:40000";

/// One test body as one test on one backend: the variants `on_both_backends` and
/// `on_every_store` are made of.
macro_rules! backend_test {
    (sqlite, $env:expr, $app:ident, $body:block) => {
        #[actix_web::test]
        async fn sqlite() {
            let $app = $crate::support::TestApp::sqlite($env).await;
            $body
        }
    };
    (postgres, $env:expr, $app:ident, $body:block) => {
        #[actix_web::test]
        #[cfg_attr(not(postgres_tests), ignore = "MARDOM_TEST_POSTGRES_URL was not set when the tests were built")]
        async fn postgres() {
            let $app = $crate::support::TestApp::postgres($env).await;
            $body
        }
    };
    (object_store, $env:expr, $app:ident, $body:block) => {
        #[actix_web::test]
        #[cfg_attr(not(all(postgres_tests, s3_tests)), ignore = "MARDOM_TEST_POSTGRES_URL and MARDOM_TEST_S3_URL were not both set when the tests were built")]
        async fn object_store() {
            let $app = $crate::support::TestApp::postgres_with_object_store($env).await;
            $body
        }
    };
}
pub(crate) use backend_test;

/// Runs each test body once per backend, as `<name>::sqlite` and `<name>::postgres`; after
/// `with ENV;` the apps get those settings.
macro_rules! on_both_backends {
    (with $env:expr; $($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block)*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                $crate::support::backend_test!(sqlite, $env, $app, $body);
                $crate::support::backend_test!(postgres, $env, $app, $body);
            }
        )*
    };
    ($($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block)*) => {
        $crate::support::on_both_backends!(with &[]; $($(#[$meta])* async fn $name($app) $body)*);
    };
}
pub(crate) use on_both_backends;

/// As `on_both_backends`, and a third time as `<name>::object_store`: on PostgreSQL with the
/// files in an S3-compatible store (a bucket of its own on `MARDOM_TEST_S3_URL`), as production
/// runs when the database is not to hold them.
macro_rules! on_every_store {
    (with $env:expr; $($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block)*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                $crate::support::backend_test!(sqlite, $env, $app, $body);
                $crate::support::backend_test!(postgres, $env, $app, $body);
                $crate::support::backend_test!(object_store, $env, $app, $body);
            }
        )*
    };
    ($($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block)*) => {
        $crate::support::on_every_store!(with &[]; $($(#[$meta])* async fn $name($app) $body)*);
    };
}
pub(crate) use on_every_store;

type AppService = BoxService<actix_http::Request, ServiceResponse<BoxBody>, actix_web::Error>;

pub struct TestApp {
    service: AppService,
    pub pool: DbPool,
    /// The app's file store and attachment limits, for the sweep and for reading what is kept.
    pub files: std::sync::Arc<mardom::app::attachments::Files>,
    /// The bucket's URL when the files are in an object store.
    pub bucket: Option<String>,
    /// The database's URL, for a second instance on it (PostgreSQL only: SQLite is one
    /// instance by design).
    #[cfg_attr(not(postgres_tests), allow(dead_code))]
    pub url: String,
    /// The app's clock: tests move it instead of sleeping.
    pub clock: mardom::clock::Clock,
    /// The app's rules (the clock's, and the vault identities are sealed in).
    pub rules: mardom::app::deadlines::SharedRules,
    settings: Settings,
    _database: TestDatabase,
}

enum TestDatabase {
    /// Another instance's: it is dropped with that one.
    #[cfg_attr(not(postgres_tests), allow(dead_code))]
    Shared,
    /// Held so that the folder lives as long as the app.
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name } = self
            && let Ok(mut conn) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

/// A new, empty PostgreSQL database (no migrations applied), dropped with this value.
#[cfg(postgres_tests)]
pub struct EmptyPostgres {
    pub url: String,
    _database: TestDatabase,
}

#[cfg(postgres_tests)]
impl EmptyPostgres {
    pub fn new() -> Self {
        let admin_url = std::env::var("MARDOM_TEST_POSTGRES_URL").expect(
            "MARDOM_TEST_POSTGRES_URL names the PostgreSQL server these tests were built for",
        );
        let name = format!("mardom_e_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(&admin_url).expect("connect");
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .expect("create database");
        EmptyPostgres {
            url: database_url(&admin_url, &name),
            _database: TestDatabase::Postgres { admin_url, name },
        }
    }
}

impl TestApp {
    /// The app on a fresh SQLite file; `env` overrides settings.
    pub async fn sqlite(env: &[(&str, &str)]) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/mardom.db", dir.path().display());
        Self::start(&url, TestDatabase::Sqlite { _dir: dir }, env).await
    }

    /// The app on a fresh PostgreSQL database made from `MARDOM_TEST_POSTGRES_URL`. Only the
    /// tests armed by `cfg(postgres_tests)` (see build.rs) call it, so a missing variable here
    /// is a failure, never a silent pass.
    pub async fn postgres(env: &[(&str, &str)]) -> TestApp {
        let admin_url = std::env::var("MARDOM_TEST_POSTGRES_URL")
            .ok()
            .filter(|v| !v.is_empty())
            .expect(
                "MARDOM_TEST_POSTGRES_URL names the PostgreSQL server these tests were built for",
            );
        let name = format!("mardom_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn =
            PgConnection::establish(&admin_url).expect("connect to MARDOM_TEST_POSTGRES_URL");
        // A test run of other migrations (another checkout on this server) drops templates it
        // does not know, ours included: then build ours again and retry once.
        let create = |conn: &mut PgConnection| {
            let template = postgres_template(&admin_url);
            diesel::sql_query(format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
            ))
            .execute(conn)
        };
        if create(&mut conn).is_err() {
            forget_postgres_template();
            create(&mut conn).expect("create test database");
        }
        let url = database_url(&admin_url, &name);
        Self::start(&url, TestDatabase::Postgres { admin_url, name }, env).await
    }

    /// The app on a fresh PostgreSQL database with its files in a fresh bucket of the S3
    /// server at `MARDOM_TEST_S3_URL` (created by an unsigned PUT, which moto accepts).
    pub async fn postgres_with_object_store(env: &[(&str, &str)]) -> TestApp {
        let server = std::env::var("MARDOM_TEST_S3_URL")
            .ok()
            .filter(|v| !v.is_empty())
            .expect("MARDOM_TEST_S3_URL names the S3 server these tests were built for");
        let bucket = format!("mardom-{}", uuid::Uuid::new_v4().simple());
        let created = reqwest::Client::new()
            .put(format!("{server}/{bucket}"))
            .send()
            .await
            .expect("the S3 server answers");
        assert!(
            created.status().is_success(),
            "create bucket: {}",
            created.status()
        );
        let mut vars: Vec<(&str, &str)> = vec![
            ("MARDOM_FILE_STORE", "s3"),
            ("MARDOM_S3_ENDPOINT", &server),
            ("MARDOM_S3_BUCKET", &bucket),
            ("MARDOM_S3_ACCESS_KEY_ID", "test"),
            ("MARDOM_S3_SECRET_ACCESS_KEY", "test"),
            ("MARDOM_S3_PREFIX", "files/"),
        ];
        vars.extend(env.iter().copied());
        let mut app = Self::postgres(&vars).await;
        app.bucket = Some(format!("{server}/{bucket}"));
        app
    }

    /// How many contents the file store keeps: rows of `file_contents`, or objects in the
    /// test's bucket.
    pub async fn contents_kept(&self) -> i64 {
        match &self.bucket {
            None => self.count("file_contents"),
            Some(bucket) => {
                let listing = reqwest::Client::new()
                    .get(format!("{bucket}?list-type=2"))
                    .send()
                    .await
                    .expect("list the bucket")
                    .text()
                    .await
                    .expect("the listing");
                listing.matches("<Key>").count() as i64
            }
        }
    }

    /// The app on a database that something else owns (and drops).
    #[cfg(postgres_tests)]
    pub async fn on_url(url: &str, env: &[(&str, &str)]) -> TestApp {
        Self::start(url, TestDatabase::Shared, env).await
    }

    /// Another instance of the app (its own pool, limits in memory, everything a process has)
    /// on this one's database, as a second replica behind a balancer would be.
    #[cfg(postgres_tests)]
    ///
    /// Its clock is this one's: two machines agree on the time, and a test that moves one
    /// moves both.
    pub async fn second_instance(&self, env: &[(&str, &str)]) -> TestApp {
        Self::start_at(&self.url, TestDatabase::Shared, env, self.clock.clone()).await
    }

    /// This app stopped and started again on its database with `env`: another version of the
    /// configuration (a new key, say), as an operator's restart gives.
    pub async fn restarted(self, env: &[(&str, &str)]) -> TestApp {
        let TestApp {
            url,
            clock,
            _database,
            ..
        } = self;
        Self::start_at(&url, _database, env, clock).await
    }

    async fn start(url: &str, database: TestDatabase, env: &[(&str, &str)]) -> TestApp {
        Self::start_at(url, database, env, mardom::clock::Clock::system()).await
    }

    async fn start_at(
        url: &str,
        database: TestDatabase,
        env: &[(&str, &str)],
        clock: mardom::clock::Clock,
    ) -> TestApp {
        let limit = BODY_LIMIT.to_string();
        let mut vars: HashMap<&str, &str> = HashMap::from([
            ("DATABASE_URL", url),
            ("MARDOM_JWT_SECRET", TEST_SECRET),
            ("MARDOM_IDENTITY_KEYS", TEST_IDENTITY_KEYS),
            ("MARDOM_BLIND_INDEX_KEY", TEST_BLIND_INDEX_KEY),
            ("MARDOM_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("MARDOM_DB_POOL_SIZE", "4"),
            ("MARDOM_BODY_LIMIT_BYTES", &limit),
            // Tests file many meeting requests from one number; the limit's own tests set it.
            ("MARDOM_MEETING_REQUESTS_PER_MOBILE", "off"),
        ]);
        vars.extend(env.iter().copied());
        let settings = Settings::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned()))
            .expect("settings");
        let pool = server::open_database(&settings).expect("open database");
        server::bootstrap(&settings, &pool).expect("bootstrap");
        let secret = settings.resolve_jwt_secret().expect("secret");
        let vault = std::sync::Arc::new(settings.resolve_vault().expect("vault"));
        let mut state =
            server::app_state(&settings, &secret, vault.clone(), pool.clone()).expect("state");
        state.deadlines =
            std::sync::Arc::new(server::deadline_rules(&settings, clock.clone(), vault));
        let rules = state.deadlines.clone();
        let files = state.files.clone();
        let app =
            actix_web::test::init_service(build_app(state, server::http_settings(&settings))).await;
        let service = boxed::service(app.map(|res: ServiceResponse<_>| res.map_into_boxed_body()));
        TestApp {
            service,
            pool,
            files,
            bucket: None,
            url: url.to_owned(),
            clock,
            rules,
            settings,
            _database: database,
        }
    }

    /// The SMS dispatcher of this instance, on its settings (the `log` provider unless a test
    /// says otherwise).
    pub fn sms_dispatcher(&self) -> mardom::notify::dispatcher::Dispatcher {
        let vault = std::sync::Arc::new(self.settings.resolve_vault().expect("vault"));
        server::dispatcher(&self.settings, self.pool.clone(), vault).expect("dispatcher")
    }

    /// A webhook dispatcher of this instance, on its settings (allowlist, retries).
    pub fn webhook_dispatcher(&self) -> mardom::notify::webhook_dispatcher::WebhookDispatcher {
        let vault = std::sync::Arc::new(self.settings.resolve_vault().expect("vault"));
        server::webhook_dispatcher(&self.settings, self.pool.clone(), vault).expect("webhooks")
    }

    /// A scheduler of this instance: its jobs, its pool, its clock. Tests call `tick`.
    pub fn scheduler(&self) -> mardom::scheduler::Scheduler {
        server::scheduler(
            &self.settings,
            self.pool.clone(),
            self.files.clone(),
            self.rules.clone(),
        )
    }

    /// One tick of every scheduler at once, each on its own thread, as instances do: every
    /// job run of the tick, each having succeeded.
    pub fn tick_together(
        schedulers: &[std::sync::Arc<mardom::scheduler::Scheduler>],
    ) -> Vec<mardom::scheduler::Ran> {
        let ticks: Vec<_> = schedulers
            .iter()
            .map(|s| {
                let s = s.clone();
                std::thread::spawn(move || s.tick().expect("a tick"))
            })
            .collect();
        let ran: Vec<_> = ticks
            .into_iter()
            .flat_map(|t| t.join().expect("a ticking thread"))
            .collect();
        for run in &ran {
            assert!(run.outcome.is_ok(), "{run:?}");
        }
        ran
    }

    /// Moves this instance's clock (and its scheduler's) forward.
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    pub fn get(&self, path: &str) -> Call<'_> {
        self.call(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Call<'_> {
        self.call(Method::POST, path)
    }

    pub fn patch(&self, path: &str) -> Call<'_> {
        self.call(Method::PATCH, path)
    }

    pub fn delete(&self, path: &str) -> Call<'_> {
        self.call(Method::DELETE, path)
    }

    pub fn call(&self, method: Method, path: &str) -> Call<'_> {
        Call {
            app: self,
            request: TestRequest::default()
                .method(method)
                .uri(path)
                .peer_addr(CLIENT_ADDRESS.parse().expect("address")),
        }
    }

    /// Signs in and returns the bearer token.
    pub async fn token(&self, username: &str, password: &str) -> String {
        let response = self
            .post("/api/v1/auth/token")
            .json(&json!({"username": username, "password": password}))
            .send()
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "sign-in of {username}: {}",
            response.text()
        );
        response.json()["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    pub async fn admin_token(&self) -> String {
        self.token("admin", ADMIN_PASSWORD).await
    }

    /// Creates a unit as admin and returns its id.
    pub async fn create_unit(&self, admin: &str, name: &str, parent: Option<&str>) -> String {
        let response = self
            .post("/api/v1/units")
            .bearer(admin)
            .json(&json!({"name": name, "kind": "unit", "parent_id": parent}))
            .send()
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
        response.json()["id"].as_str().expect("unit id").to_owned()
    }

    /// Creates an account as admin (password `<username>-password`) and returns its id.
    pub async fn create_user(
        &self,
        admin: &str,
        username: &str,
        role: &str,
        unit: Option<&str>,
    ) -> String {
        let response = self
            .post("/api/v1/users")
            .bearer(admin)
            .json(&json!({
                "username": username, "display_name": "کاربر آزمایشی", "password": format!("{username}-password"),
                "role": role, "unit_id": unit
            }))
            .send()
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
        response.json()["id"].as_str().expect("user id").to_owned()
    }

    /// Creates an account of `role` and signs it in.
    pub async fn token_for_role(&self, admin: &str, role: &str) -> String {
        let unit = if role == "unit_staff" {
            Some(self.create_unit(admin, "واحد آزمایشی نقش", None).await)
        } else {
            None
        };
        let username = format!("{}-user", role.replace('_', "-"));
        self.create_user(admin, &username, role, unit.as_deref())
            .await;
        self.token(&username, &format!("{username}-password")).await
    }

    /// Every stored row that a request could write, to show that a refused one wrote nothing.
    pub fn snapshot(&self) -> String {
        use diesel::prelude::*;
        use mardom::db::schema::{
            contacts, idempotency_keys, meetings, notifications, ratings, referrals,
            request_events, request_identities, requests, units, users,
        };
        let mut conn = self.pool.get().expect("connection");
        type UserRow = (String, String, String, String, Option<String>, bool, i32);
        let users: Vec<UserRow> = users::table
            .select((
                users::id,
                users::username,
                users::display_name,
                users::role,
                users::unit_id,
                users::active,
                users::token_version,
            ))
            .order(users::id)
            .load(&mut *conn)
            .expect("users");
        let units: Vec<(String, String, String, Option<String>, bool)> = units::table
            .select((
                units::id,
                units::name,
                units::kind,
                units::parent_id,
                units::active,
            ))
            .order(units::id)
            .load(&mut *conn)
            .expect("units");
        let requests: Vec<(String, String, String, i32)> = requests::table
            .select((
                requests::id,
                requests::tracking_code,
                requests::status,
                requests::version,
            ))
            .order(requests::id)
            .load(&mut *conn)
            .expect("requests");
        let identities: i64 = request_identities::table
            .count()
            .get_result(&mut *conn)
            .expect("identities");
        let events: i64 = request_events::table
            .count()
            .get_result(&mut *conn)
            .expect("events");
        let notifications: i64 = notifications::table
            .count()
            .get_result(&mut *conn)
            .expect("notifications");
        let contacts: i64 = contacts::table
            .count()
            .get_result(&mut *conn)
            .expect("contacts");
        let keys: i64 = idempotency_keys::table
            .count()
            .get_result(&mut *conn)
            .expect("keys");
        let referrals: Vec<(String, String, i32)> = referrals::table
            .select((referrals::id, referrals::status, referrals::version))
            .order(referrals::id)
            .load(&mut *conn)
            .expect("referrals");
        let meetings: i64 = meetings::table
            .count()
            .get_result(&mut *conn)
            .expect("meetings");
        let ratings: i64 = ratings::table
            .count()
            .get_result(&mut *conn)
            .expect("ratings");
        format!(
            "{users:?}\n{units:?}\n{requests:?}\n{referrals:?}\nidentities {identities}, events {events}, \
             notifications {notifications}, contacts {contacts}, keys {keys}, meetings {meetings}, ratings {ratings}"
        )
    }

    /// The identity of request `id` in full, revealed by `token`'s holder (and recorded).
    pub async fn revealed(&self, token: &str, id: &str) -> Value {
        let reply = self
            .post(&format!("/api/v1/requests/{id}/reveal"))
            .bearer(token)
            .json(&serde_json::json!({}))
            .send()
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        reply.json()["citizen"].clone()
    }

    /// A sealed mobile number, opened.
    pub fn opened(&self, sealed: &str) -> String {
        self.rules
            .vault
            .open(mardom::vault::Field::Mobile, sealed)
            .expect("a sealed number")
    }

    /// `mobile` sealed as the app seals it.
    pub fn sealed(&self, mobile: &str) -> String {
        self.rules.vault.seal(mardom::vault::Field::Mobile, mobile)
    }

    /// The outbox rows of a request: (template, recipient opened, params as JSON, status).
    pub fn notifications_of(&self, request_id: &str) -> Vec<(String, String, Value, String)> {
        let mut conn = self.pool.get().expect("connection");
        mardom::db::notifications::for_request(
            &mut conn,
            &mardom::domain::ids::RequestId::stored(request_id.to_owned()),
        )
        .expect("notifications")
        .into_iter()
        .map(|n| {
            (
                n.template.as_str().to_owned(),
                self.opened(&n.recipient),
                serde_json::from_str(&n.params).expect("params JSON"),
                n.status.as_str().to_owned(),
            )
        })
        .collect()
    }

    /// Moves the request's scheduled meeting back so that it started `minutes_ago` (keeping its
    /// length): a meeting is scheduled in the future, and its outcome waits for its start.
    pub fn meeting_started(&self, request_id: &str, minutes_ago: i64) {
        use diesel::prelude::*;
        use mardom::db::schema::meetings;
        let mut conn = self.pool.get().expect("connection");
        let (id, starts_at, ends_at): (String, chrono::NaiveDateTime, chrono::NaiveDateTime) =
            meetings::table
                .filter(meetings::request_id.eq(request_id))
                .filter(meetings::status.eq("scheduled"))
                .select((meetings::id, meetings::starts_at, meetings::ends_at))
                .first(&mut *conn)
                .expect("a scheduled meeting");
        let start = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(minutes_ago);
        diesel::update(meetings::table.find(id))
            .set((
                meetings::starts_at.eq(start),
                meetings::ends_at.eq(start + (ends_at - starts_at)),
            ))
            .execute(&mut *conn)
            .expect("move the meeting");
    }

    /// How many rows a table has.
    pub fn count(&self, table: &str) -> i64 {
        use diesel::prelude::*;
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.pool.get().expect("connection");
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<Count>(&mut *conn)
            .expect("count")
            .n
    }

    /// Every non-null value of `column` in `table`, as text.
    pub fn column_values(&self, table: &str, column: &str) -> Vec<String> {
        use diesel::prelude::*;
        #[derive(diesel::QueryableByName)]
        struct Value {
            #[diesel(sql_type = diesel::sql_types::Text)]
            v: String,
        }
        let mut conn = self.pool.get().expect("connection");
        diesel::sql_query(format!(
            "SELECT CAST({column} AS TEXT) AS v FROM {table} WHERE {column} IS NOT NULL"
        ))
        .load::<Value>(&mut *conn)
        .expect("values")
        .into_iter()
        .map(|row| row.v)
        .collect()
    }
}

/// One request being built.
pub struct Call<'a> {
    app: &'a TestApp,
    request: TestRequest,
}

impl Call<'_> {
    pub fn bearer(mut self, token: &str) -> Self {
        self.request = self
            .request
            .insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        self
    }

    /// Sends from another client address (for the per-address rate limits).
    pub fn sent_from(mut self, address: &str) -> Self {
        self.request = self
            .request
            .peer_addr(address.parse().expect("socket address"));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request = self
            .request
            .insert_header((name.to_owned(), value.to_owned()));
        self
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.request = self
            .request
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload(body.to_string());
        self
    }

    /// A raw body with the given content type.
    pub fn body(mut self, content_type: &str, body: impl Into<actix_web::web::Bytes>) -> Self {
        self.request = self
            .request
            .insert_header((header::CONTENT_TYPE, content_type.to_owned()))
            .set_payload(body.into());
        self
    }

    /// A `multipart/form-data` body of the given parts: (name, file name, bytes).
    pub fn multipart(self, parts: &[(&str, Option<&str>, &[u8])]) -> Self {
        const BOUNDARY: &str = "mardom-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, file_name, bytes) in parts {
            body.extend(format!("--{BOUNDARY}\r\n").as_bytes());
            let disposition = match file_name {
                Some(file) => format!("form-data; name=\"{name}\"; filename=\"{file}\""),
                None => format!("form-data; name=\"{name}\""),
            };
            body.extend(format!("Content-Disposition: {disposition}\r\n").as_bytes());
            body.extend(b"Content-Type: application/octet-stream\r\n\r\n");
            body.extend(*bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
        self.body(&format!("multipart/form-data; boundary={BOUNDARY}"), body)
    }

    /// An upload of one file, as a browser sends it.
    pub fn file(self, file_name: &str, bytes: &[u8]) -> Self {
        self.multipart(&[("file", Some(file_name), bytes)])
    }

    pub async fn send(self) -> Reply {
        let response = self
            .app
            .service
            .call(self.request.to_request())
            .await
            .expect("the app answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body = actix_web::test::read_body(response).await.to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// Asserts an RFC 9457 problem with this status and `type` name; returns the body.
    pub fn assert_problem(&self, status: u16, name: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "status; body: {}",
            self.text()
        );
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json"),
            "{}",
            self.text()
        );
        let body = self.json();
        assert_eq!(body["type"], format!("urn:mardom:problem:{name}"), "{body}");
        assert_eq!(body["status"], status, "{body}");
        assert!(
            body["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{body}"
        );
        body
    }

    /// The fields named in a validation problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

static TEMPLATE: Mutex<Option<String>> = Mutex::new(None);

/// Makes the next `postgres_template` check the server again instead of trusting its memory.
fn forget_postgres_template() {
    *TEMPLATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
}

/// A migrated template database for the current migrations, made once (across processes too).
fn postgres_template(admin_url: &str) -> String {
    let mut made = TEMPLATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(name) = made.as_ref() {
        return name.clone();
    }
    let name = format!("mardom_tpl_{MIGRATIONS_DIGEST}");
    let mut conn = PgConnection::establish(admin_url).expect("connect to MARDOM_TEST_POSTGRES_URL");
    diesel::sql_query("SELECT pg_advisory_lock(7261001)")
        .execute(&mut conn)
        .expect("lock");
    if !database_exists(&mut conn, &name) {
        // Build under a temporary name and rename when complete, so that a crash never leaves
        // a half-migrated template behind under the real name.
        let building = format!("{name}_building");
        // Templates of other migration sets are dropped, but the two newest are kept: another
        // checkout testing at this moment (a branch beside main) is copying from its own.
        for stale in database_names(&mut conn, "mardom_tpl_%")
            .into_iter()
            .skip(2)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{stale}\" WITH (FORCE)"))
                .execute(&mut conn);
        }
        diesel::sql_query(format!("CREATE DATABASE \"{building}\""))
            .execute(&mut conn)
            .expect("create template");
        {
            let settings = Settings::from_lookup(|var| {
                (var == "DATABASE_URL").then(|| database_url(admin_url, &building))
            })
            .expect("settings");
            let pool = server::open_database(&settings).expect("migrate template");
            drop(pool);
        }
        diesel::sql_query(format!(
            "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
        ))
        .execute(&mut conn)
        .expect("rename template");
    }
    diesel::sql_query("SELECT pg_advisory_unlock(7261001)")
        .execute(&mut conn)
        .expect("unlock");
    *made = Some(name.clone());
    name
}

fn database_exists(conn: &mut PgConnection, name: &str) -> bool {
    database_names(conn, name).iter().any(|n| n == name)
}

fn database_names(conn: &mut PgConnection, pattern: &str) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    // Newest first (object ids grow).
    diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY oid DESC")
        .bind::<diesel::sql_types::Text, _>(pattern)
        .load::<Name>(conn)
        .expect("list databases")
        .into_iter()
        .map(|n| n.datname)
        .collect()
}

/// The admin URL with its database name replaced.
fn database_url(admin_url: &str, database: &str) -> String {
    let (base, query) = admin_url
        .split_once('?')
        .map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let without_db = match base.rfind('/') {
        Some(slash) if slash > "postgres://".len() => &base[..slash],
        _ => base,
    };
    match query {
        Some(query) => format!("{without_db}/{database}?{query}"),
        None => format!("{without_db}/{database}"),
    }
}
