//! The HTTP face: routes, extractors, DTOs and the problem+json rendering. Handlers authorise,
//! translate DTOs to use-case inputs, call one use case, and translate the result back.

pub mod attachments;
pub mod audit;
pub mod auth;
mod body;
pub mod citizen_commands;
pub mod citizen_door;
pub mod citizen_export;
pub mod client;
mod commands;
mod conditional;
pub mod contacts;
mod contract;
pub mod conversation;
pub mod cursor;
pub mod deadlines;
pub mod delivery_reports;
mod error;
pub mod fallback;
pub mod handling;
mod head;
pub mod headers;
pub mod health;
pub mod inbox;
pub mod json;
pub mod list_query;
pub mod meetings;
pub mod notifications;
pub mod observe;
pub mod open311;
pub mod openapi;
pub mod portal_key;
pub mod portal_requests;
pub mod portals;
pub mod public;
pub mod referrals;
pub mod requests;
pub mod scorecard;
pub mod staff;
pub mod state;
pub mod stats;
mod stats_csv;
pub mod units;
pub mod uploads;
pub mod users;
pub mod versioning;
pub mod views;
pub mod webhook_docs;
pub mod webhooks;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, web};
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use self::fallback::RouteTable;
pub use self::state::AppState;

/// Where the served OpenAPI document lives.
pub const OPENAPI_PATH: &str = "/api-docs/openapi.json";

/// The OpenAPI document as committed, served as it is. The test
/// `the_served_openapi_document_is_the_committed_one` fails when the code's document
/// (`openapi_document`, what `mardom openapi` prints) differs from it. Finishing the document in
/// every worker (utoipa's structs through serde_json and back, `contract::finish`) and keeping a
/// copy per worker for Swagger UI took some 30 MB of a server's 60 at start (BENCHMARKS.md).
const COMMITTED_OPENAPI: &str = include_str!("../../openapi/openapi.json");

/// HTTP-level settings of the app.
#[derive(Debug, Clone, Default)]
pub struct HttpSettings {
    pub body_limit: usize,
    /// Browser origins allowed to call the API; none means no CORS headers at all.
    pub cors_origins: Vec<String>,
}

/// Registers every endpoint; the OpenAPI document is collected from the same registrations, as
/// utoipa gathers it (`openapi_document` finishes it).
fn routes() -> (
    App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse,
            Error = actix_web::Error,
            InitError = (),
        >,
    >,
    utoipa::openapi::OpenApi,
) {
    App::new()
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .service(health::live)
        .service(health::ready)
        .service(observe::metrics)
        .service(open311::open311_services)
        .service(open311::open311_service_definition)
        .service(open311::open311_file_request)
        .service(open311::open311_list_requests)
        .service(open311::open311_get_request)
        .service(
            scope::scope("/api/v1")
                .configure(accounts)
                .configure(desk)
                .configure(citizens_and_outbox),
        )
        .split_for_parts()
}

/// Signing in, and the admin's users and units.
fn accounts(config: &mut ServiceConfig) {
    config
        .service(auth::token)
        .service(auth::me)
        .service(users::create_user)
        .service(users::list_users)
        .service(users::get_user)
        .service(users::update_user)
        .service(users::reset_password)
        .service(units::create_unit)
        .service(units::list_units)
        .service(units::get_unit)
        .service(units::update_unit)
        .service(units::delete_unit)
        .service(portals::create_portal)
        .service(portals::list_portals)
        .service(portals::get_portal)
        .service(portals::update_portal)
        .service(webhooks::subscribe)
        .service(webhooks::list_subscriptions)
        .service(webhooks::get_subscription)
        .service(webhooks::update_subscription)
        .service(webhooks::deliveries)
        .service(webhooks::retry)
        .service(webhooks::own_subscriptions)
        .service(webhooks::own_deliveries)
        .service(webhooks::own_retry)
        .service(portal_requests::portal_submit)
        .service(portal_requests::portal_read);
}

/// The desk's work: contacts, requests and their commands, meetings, referrals.
fn desk(config: &mut ServiceConfig) {
    config
        .service(contacts::log_contact)
        .service(contacts::list_contacts)
        .service(requests::register_request)
        .service(requests::list_requests)
        .service(requests::get_request)
        .service(audit::reveal)
        .service(audit::list_audit)
        .service(handling::anonymised_text)
        .service(handling::classify)
        .service(handling::refer)
        .service(handling::thank)
        .service(handling::close)
        .service(meetings::schedule)
        .service(meetings::reschedule)
        .service(meetings::cancel)
        .service(meetings::outcome)
        .service(meetings::redirect)
        .service(meetings::decline)
        .service(meetings::calendar)
        .service(meetings::today)
        .service(meetings::check_in)
        .service(meetings::get_meeting)
        .service(referrals::list_referrals)
        .service(referrals::get_referral)
        .service(referrals::acknowledge)
        .service(referrals::answer)
        .service(referrals::accept)
        .service(referrals::return_referral)
        .service(deadlines::extend_referral)
        .service(deadlines::list_overdue)
        .service(inbox::list_inbox)
        .service(inbox::mark_notification)
        .service(inbox::mark_all_read)
        .service(conversation::desk_conversation)
        .service(conversation::desk_write)
        .service(conversation::release_reply)
        .service(conversation::unit_conversation)
        .service(conversation::unit_ask)
        .service(uploads::staff_upload)
        .service(attachments::desk_attachments)
        .service(attachments::desk_download)
        .service(attachments::release_attachment)
        .service(attachments::unit_attachments)
        .service(attachments::unit_download)
        .service(public::submit_request);
}

/// The public door, the dashboard figures and the outbox.
fn citizens_and_outbox(config: &mut ServiceConfig) {
    config
        .service(public::lookup_request)
        .service(public::withdraw_request)
        .service(public::rate_request)
        .service(public::object_to_request)
        .service(citizen_door::send_code)
        .service(citizen_door::verify_code)
        .service(citizen_door::my_requests)
        .service(citizen_door::my_request)
        .service(citizen_export::my_export)
        .service(citizen_commands::my_withdrawal)
        .service(citizen_commands::my_rating)
        .service(citizen_commands::my_objection)
        .service(citizen_commands::my_conversation)
        .service(citizen_commands::my_reply)
        .service(conversation::citizen_conversation)
        .service(conversation::citizen_reply)
        .service(uploads::public_upload)
        .service(attachments::citizen_attachments)
        .service(attachments::citizen_download)
        .service(stats::stats_report)
        .service(notifications::list_notifications)
        .service(notifications::get_notification)
        .service(notifications::retry_notification)
        .service(delivery_reports::delivery_report);
}

/// The OpenAPI document, as served at `/api-docs/openapi.json` and committed in `openapi/`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let mut doc = routes().1;
    utoipa::Modify::modify(&commands::Commands, &mut doc);
    openapi::add_problem_responses(&mut doc);
    webhook_docs::add(contract::finish(doc))
}

/// The whole application: routes, Swagger UI, fallbacks and middleware.
pub fn build_app(
    state: AppState,
    settings: HttpSettings,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    // The paths of the document utoipa gathers while the routes are registered, then dropped:
    // the answer to `/api-docs/openapi.json` is the committed document (`COMMITTED_OPENAPI`).
    let (app, gathered) = routes();
    let route_table = web::Data::new(RouteTable::from_document(&gathered));
    drop(gathered);
    app.app_data(web::Data::new(state))
        .app_data(route_table)
        .app_data(json::BodyLimit(settings.body_limit))
        .app_data(web::QueryConfig::default().error_handler(error::query_error))
        .app_data(web::PathConfig::default().error_handler(error::path_error))
        .route(
            OPENAPI_PATH,
            web::get().to(|| async {
                actix_web::HttpResponse::Ok()
                    .content_type("application/json")
                    .body(COMMITTED_OPENAPI)
            }),
        )
        .service(
            SwaggerUi::new("/swagger-ui/{_:.*}")
                .config(utoipa_swagger_ui::Config::new([OPENAPI_PATH])),
        )
        // The UI lives under `/swagger-ui/`; the bare name people type leads there.
        .route(
            "/swagger-ui",
            web::get().to(|| async {
                actix_web::HttpResponse::PermanentRedirect()
                    .insert_header((actix_web::http::header::LOCATION, "/swagger-ui/"))
                    .finish()
            }),
        )
        .default_service(web::to(fallback::not_found_or_wrong_method))
        .wrap(Condition::new(
            !settings.cors_origins.is_empty(),
            cors(&settings.cors_origins),
        ))
        .wrap(from_fn(head::as_get))
        .wrap(from_fn(headers::problems_only))
        .wrap(headers::security_headers())
        .wrap(from_fn(observe::observe))
}

/// The response headers a browser lets a cross-origin portal read, beyond the few CORS always
/// exposes: every header our answers carry for clients to act on.
pub const EXPOSED_HEADERS: [&str; 5] = [
    "ETag",
    "Location",
    "Retry-After",
    "Idempotent-Replayed",
    "X-Request-Id",
];

fn cors(origins: &[String]) -> Cors {
    let cors = Cors::default()
        .allow_any_method()
        .allow_any_header()
        .expose_headers(EXPOSED_HEADERS)
        .max_age(3600);
    if origins.iter().any(|o| o == "*") {
        return cors.allow_any_origin();
    }
    origins
        .iter()
        .fold(cors, |cors, origin| cors.allowed_origin(origin))
}
