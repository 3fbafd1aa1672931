//! Open311 GeoReport v2 (<https://wiki.open311.org/GeoReport_v2>) under `/open311/v2/`: the
//! standard interface hundreds of civic systems speak. Services are the request kinds (the
//! subject an attribute); a portal files with its key as `api_key` and is answered the
//! tracking code as `service_request_id`; it reads back what it filed. JSON or XML, by the
//! path's extension, as the specification asks.
//!
//! Deviations, each on purpose:
//! - **No location.** `lat`/`long`/`address_string`/`address_id` are not required (a request
//!   to a People's Communications desk is about a person, a unit or a meeting, not a place) and
//!   are not kept; `address`, `lat`, `long`, `zipcode` are never answered.
//! - **No `description` in answers**, and no identity: a request's text and who filed it stay
//!   with the desk (the public view's rule). `description` is required when filing (it is the
//!   request's text), and so is `phone` (the mobile the tracking code goes to by SMS).
//! - **Reading needs the key** and shows only the portal's own requests (the specification's
//!   lists are public; ours would hand out other citizens' tracking codes).
//! - **Errors are RFC 9457 problems** (`application/problem+json`), as everywhere in this API,
//!   with the HTTP status the specification names (400, 403, 404), not its `[{code,
//!   description}]` list.
//! - `media_url` is not fetched (files go through the citizen's own upload).

mod views;
mod xml;

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use self::views::{Attribute, AttributeValue, Service};
use self::views::{Filed, ServiceDefinition, ServiceRequest, definition, service, service_request};
use self::xml::{AsXml, definition_xml, xml_list};
use super::body::RawBody;
use super::error::{ApiError, Kind, Problem};
use super::json::BodyLimit;
use super::portal_key::authenticate;
use super::public::submit_as;
use super::state::AppState;
use crate::app::portals::{FiledFilter, KindFilter};
use crate::app::requests::RequestInput;
use crate::app::{portals, public};
use crate::domain::FieldError;
use crate::domain::portal::Scope;
use crate::domain::request::{RequestKind, Subject};

/// The answer's format, from the path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

fn format(raw: &str) -> Result<Format, ApiError> {
    match raw {
        "json" => Ok(Format::Json),
        "xml" => Ok(Format::Xml),
        _ => Err(ApiError::new(Kind::NotFound, "the format is .json or .xml")),
    }
}

fn answer<T: Serialize + AsXml>(format: Format, root: &str, items: &[T]) -> HttpResponse {
    match format {
        Format::Json => HttpResponse::Ok().json(items),
        Format::Xml => HttpResponse::Ok()
            .content_type("text/xml; charset=utf-8")
            .body(xml_list(root, items)),
    }
}

/// The services: the kinds of request (GeoReport v2 `GET services`).
#[utoipa::path(
    tag = "open311",
    params(("format" = String, Path, description = "`json` or `xml`", example = "json")),
    responses(
        (status = 200, description = "The services", content((Vec<Service> = "application/json"), (Vec<Service> = "text/xml"))),
        (status = 404, description = "Neither `.json` nor `.xml`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/open311/v2/services.{format}")]
pub async fn open311_services(raw: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let format = format(&raw)?;
    let all: Vec<Service> = RequestKind::ALL.iter().map(|k| service(*k)).collect();
    Ok(answer(format, "services", &all))
}

/// One service's attributes (GeoReport v2 `GET services/{service_code}`).
#[utoipa::path(
    tag = "open311",
    params(
        ("service_code" = String, Path, description = "A request kind", example = "complaint"),
        ("format" = String, Path, description = "`json` or `xml`", example = "json"),
    ),
    responses(
        (status = 200, description = "Its attributes", content((ServiceDefinition = "application/json"), (ServiceDefinition = "text/xml"))),
        (status = 404, description = "No such service, or neither `.json` nor `.xml`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/open311/v2/services/{service_code}.{format}")]
pub async fn open311_service_definition(
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (code, raw) = path.into_inner();
    let format = format(&raw)?;
    let kind = RequestKind::parse(&code).ok_or_else(|| ApiError::not_found("service"))?;
    let definition = definition(kind);
    Ok(match format {
        Format::Json => HttpResponse::Ok().json(&definition),
        Format::Xml => HttpResponse::Ok()
            .content_type("text/xml; charset=utf-8")
            .body(definition_xml(&definition)),
    })
}

/// The form fields of `POST requests` (`application/x-www-form-urlencoded`).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({
    "api_key": "mdp_Xq3v9aK2m0pL7sTe4rWb1cYd8fHg6jNu5iQo3xZaVkE", "service_code": "complaint",
    "attribute[subject]": "unit", "first_name": "مریم", "last_name": "حسینی", "phone": "09121234567",
    "description": "از برخورد کارکنان واحد پذیرش شکایت دارم"
}))]
pub struct NewServiceRequest {
    /// The portal's key (scope `submit`).
    pub api_key: String,
    pub service_code: String,
    /// The `subject` attribute: `person`, `unit` or `affiliated_entity`.
    #[serde(rename = "attribute[subject]")]
    pub subject: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// The citizen's mobile (required: the tracking code goes to it by SMS).
    pub phone: String,
    pub email: Option<String>,
    /// The request's text (required).
    pub description: String,
    /// Accepted and ignored (see the deviations).
    pub lat: Option<String>,
    pub long: Option<String>,
    pub address_string: Option<String>,
    /// Accepted and not fetched. (`address_id`, `device_id` and `account_id` are accepted and
    /// ignored too.)
    pub media_url: Option<String>,
}

/// File a service request (GeoReport v2 `POST requests`), with the portal's key as `api_key`.
///
/// Answered with the tracking code as `service_request_id`; the citizen gets it by SMS too.
/// Every field error is named in the problem's `errors`; nothing is filed then.
#[utoipa::path(
    tag = "open311",
    params(("format" = String, Path, description = "`json` or `xml`", example = "json")),
    request_body(content = NewServiceRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Filed", content((Vec<Filed> = "application/json"), (Vec<Filed> = "text/xml"))),
        (status = 400, description = "The form could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No portal holds this `api_key`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the `submit` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Neither `.json` nor `.xml`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many submissions from this portal or for this mobile; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/open311/v2/requests.{format}")]
pub async fn open311_file_request(
    state: web::Data<AppState>,
    raw: web::Path<String>,
    body: RawBody<BodyLimit>,
) -> Result<HttpResponse, ApiError> {
    let format = format(&raw)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|e| {
        ApiError::new(
            Kind::MalformedJson,
            format!("the form could not be read: {e}"),
        )
    })?;
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let key = field("api_key")
        .ok_or_else(|| ApiError::unauthenticated("send the portal's key as `api_key`"))?;
    let caller = authenticate(&state, key).await?;
    caller.require(Scope::Submit)?;
    let (input, mut errors) = form_input(&field);
    let parsed = match public::parse_submission(&input) {
        Ok(parsed) if errors.is_empty() => parsed,
        Ok(_) => return Err(ApiError::validation(errors)),
        Err(crate::app::AppError::Invalid(more)) => {
            errors.extend(more.into_iter().map(rename_field));
            return Err(ApiError::validation(errors));
        }
        Err(other) => return Err(other.into()),
    };
    let submitted = submit_as(&state, public::Submitter::Portal(caller.id), parsed, None).await?;
    let view: super::public::PublicRequestView =
        serde_json::from_str(&submitted.body).map_err(ApiError::internal)?;
    let filed = Filed {
        service_request_id: view.tracking_code,
        service_notice: "کد رهگیری با پیامک برای شهروند فرستاده شد".to_owned(),
    };
    Ok(answer(format, "service_requests", &[filed]))
}

/// The submission a form describes, and the errors of the fields only Open311 has.
fn form_input(field: &dyn Fn(&str) -> Option<String>) -> (RequestInput, Vec<FieldError>) {
    let mut errors = Vec::new();
    let kind = field("service_code").and_then(|c| RequestKind::parse(&c));
    if kind.is_none() {
        errors.push(FieldError::new(
            "service_code",
            "unknown",
            "one of the codes of `GET services`",
        ));
    }
    let subject = match field("attribute[subject]") {
        None => None,
        Some(raw) => match Subject::parse(&raw) {
            Some(subject) => Some(subject),
            None => {
                errors.push(FieldError::new(
                    "attribute[subject]",
                    "unknown",
                    "person, unit or affiliated_entity",
                ));
                None
            }
        },
    };
    let name = [field("first_name"), field("last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let input = RequestInput {
        name,
        mobile: field("phone").unwrap_or_default(),
        national_id: None,
        email: field("email"),
        text: field("description").unwrap_or_default(),
        proposed_kind: kind,
        subject,
        subject_unit_id: None,
        attachments: Vec::new(),
    };
    (input, errors)
}

/// Names a submission's field as Open311 calls it.
fn rename_field(mut error: FieldError) -> FieldError {
    error.field = match error.field.as_str() {
        "name" => "first_name".to_owned(),
        "mobile" => "phone".to_owned(),
        "text" => "description".to_owned(),
        other => other.to_owned(),
    };
    error
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyQuery {
    /// The portal's key (scope `read`).
    pub api_key: Option<String>,
}

/// One service request this portal filed (GeoReport v2 `GET requests/{id}`).
#[utoipa::path(
    tag = "open311",
    params(
        ("service_request_id" = String, Path, description = "The tracking code", example = "483920175523"),
        ("format" = String, Path, description = "`json` or `xml`", example = "json"),
        KeyQuery,
    ),
    responses(
        (status = 200, description = "The request, as a list of one", content((Vec<ServiceRequest> = "application/json"), (Vec<ServiceRequest> = "text/xml"))),
        (status = 401, description = "No portal holds this `api_key`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the `read` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "This portal filed no such request, or neither `.json` nor `.xml`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a tracking code, or its check digit is wrong", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/open311/v2/requests/{service_request_id}.{format}")]
pub async fn open311_get_request(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<KeyQuery>,
) -> Result<HttpResponse, ApiError> {
    let (code, raw) = path.into_inner();
    let format = format(&raw)?;
    let caller = reader(&state, query.into_inner().api_key).await?;
    let rules = state.deadlines.clone();
    let found = state
        .db(move |conn| portals::own_request(conn, &rules, &caller.id, &code))
        .await?;
    Ok(answer(
        format,
        "service_requests",
        &[service_request(&found)],
    ))
}

async fn reader(state: &AppState, key: Option<String>) -> Result<portals::Caller, ApiError> {
    let key = key
        .filter(|k| !k.trim().is_empty())
        .ok_or_else(|| ApiError::unauthenticated("send the portal's key as `api_key`"))?;
    let caller = authenticate(state, key).await?;
    caller.require(Scope::Read)?;
    Ok(caller)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The portal's key (scope `read`).
    pub api_key: Option<String>,
    /// Tracking codes, comma-separated; the other filters are then ignored.
    pub service_request_id: Option<String>,
    pub service_code: Option<String>,
    /// Filed at or after (RFC 3339).
    pub start_date: Option<DateTime<Utc>>,
    /// Filed before (RFC 3339).
    pub end_date: Option<DateTime<Utc>>,
    /// `open` or `closed`.
    pub status: Option<String>,
}

/// The service requests this portal filed, newest first, at most 1000 (GeoReport v2 `GET
/// requests`). Without dates, the last 90 days, as the specification suggests.
#[utoipa::path(
    tag = "open311",
    params(("format" = String, Path, description = "`json` or `xml`", example = "json"), ListQuery),
    responses(
        (status = 200, description = "Its requests", content((Vec<ServiceRequest> = "application/json"), (Vec<ServiceRequest> = "text/xml"))),
        (status = 401, description = "No portal holds this `api_key`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the `read` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Neither `.json` nor `.xml`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`status` is neither `open` nor `closed`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/open311/v2/requests.{format}")]
pub async fn open311_list_requests(
    state: web::Data<AppState>,
    raw: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = format(&raw)?;
    let query = query.into_inner();
    let caller = reader(&state, query.api_key.clone()).await?;
    let rules = state.deadlines.clone();
    let closed = match query.status.as_deref() {
        None => None,
        Some("open") => Some(false),
        Some("closed") => Some(true),
        Some(_) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "status",
                "unknown",
                "open or closed",
            )]));
        }
    };
    let found = state
        .db(move |conn| {
            if let Some(ids) = &query.service_request_id {
                return portals::own_requests_by_codes(
                    conn,
                    &rules,
                    &caller.id,
                    ids.split(',').map(str::trim),
                );
            }
            let end: NaiveDateTime = query
                .end_date
                .map(|d| d.naive_utc())
                .unwrap_or_else(|| rules.now() + chrono::Duration::seconds(1));
            let start = query
                .start_date
                .map(|d| d.naive_utc())
                .unwrap_or(end - chrono::Duration::days(90));
            let kind = match query.service_code.as_deref() {
                None => None,
                Some(views::UNCLASSIFIED) => Some(KindFilter::Unclassified),
                Some(code) => match RequestKind::parse(code) {
                    Some(kind) => Some(KindFilter::Kind(kind)),
                    // No request shows a service that does not exist.
                    None => return Ok(Vec::new()),
                },
            };
            let filter = FiledFilter {
                from: Some(start),
                to: Some(end),
                closed,
                kind,
            };
            portals::own_requests(conn, &rules, &caller.id, &filter, 1000)
        })
        .await?;
    let items: Vec<ServiceRequest> = found.iter().map(service_request).collect();
    Ok(answer(format, "service_requests", &items))
}
