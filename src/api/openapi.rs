//! The OpenAPI document: the description of the API, its security scheme, and the problem
//! responses every operation can give (added here once instead of on every handler).

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::error::{Kind, PROBLEM_JSON};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "mardom - People's Communications API",
        description = "**ارتباطات مردمی** — the backend of a People's Communications desk: citizens reach a public Center in \
person, by phone or online; the desk registers, reviews, refers (anonymised) and answers their \
requests and arranges meetings with the head of the Center.\n\n\
Staff sign in with `POST /api/v1/auth/token` and send `Authorization: Bearer <token>`. \
Every error is `application/problem+json` (RFC 9457) with a stable `type`; a validation \
error names each field in `errors`. When it points into a text (`findings` of an \
`identifies_citizen` error), offsets count Unicode code points (not bytes, not UTF-16 units), \
`end` exclusive, in the normalised text it returns as `checked_text`.",
        license(name = "MIT")
    ),
    servers((url = "/", description = "The server that serves this document")),
    components(schemas(
        super::error::Problem,
        crate::domain::webhook::payload::RequestWebhook,
        crate::domain::webhook::payload::RequestChange,
        crate::domain::webhook::payload::DisabledWebhook,
        crate::domain::webhook::payload::Disabled,
        crate::domain::webhook::payload::NotificationWebhook,
        crate::domain::webhook::payload::NotificationChange,
    )),
    modifiers(&BearerScheme),
    tags(
        (name = "auth", description = "Staff sign-in and the current user"),
        (name = "users", description = "Staff accounts (admin)"),
        (name = "units", description = "Units, deputy offices and affiliated entities"),
        (name = "public", description = "What citizens do without an account: submit, follow by tracking code, withdraw"),
        (name = "contacts", description = "The log of every walk-in and call"),
        (name = "requests", description = "Requests: registration by staff, lists, one request with identity and history, and the desk's commands"),
        (name = "meetings", description = "The head's calendar and the meeting commands"),
        (name = "referrals", description = "Referrals: a unit's inbox (anonymised) and the referral lifecycle"),
        (name = "attachments", description = "Files that travel with a request: uploaded first, then listed by id in a submission or message; a citizen's file reaches a unit only when the desk releases it"),
        (name = "conversation", description = "Messages between the desk, the units and the citizen: a unit never learns who the citizen is, and reads a reply only anonymised"),
        (name = "notifications", description = "The SMS outbox and the providers' delivery reports"),
        (name = "inbox", description = "The staff inbox: reminders and escalations of the deadlines (working days, Solar Hijri calendar), each member's own"),
        (name = "audit", description = "Revealing a citizen's identity (masked everywhere else) and the audit log every reveal writes"),
        (name = "stats", description = "Counts and handling times for dashboards"),
        (name = "portals", description = "Other systems that call in (admin): each with scopes and a key shown once"),
        (name = "webhooks", description = "Portals' webhook subscriptions, signed per Standard Webhooks, and their delivery log; the payloads are under `webhooks` in this document"),
        (name = "open311", description = "Open311 GeoReport v2: services (the request kinds), filing with the portal's key as `api_key`, reading back its own; JSON or XML by the extension. Deviations are in each operation and in the README"),
        (name = "portal", description = "What a portal does with its key: file requests for citizens, read back its own"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

/// The name of the security scheme every staff endpoint requires.
pub const BEARER: &str = "bearer";

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".to_owned());
        components.add_security_scheme(BEARER, SecurityScheme::Http(scheme));
        // The citizen's token, from a one-time code (`POST /api/v1/public/otp/verify`): a
        // scheme of its own, since a staff token is never one and it is never a staff token.
        let mut citizen = Http::new(HttpAuthScheme::Bearer);
        citizen.bearer_format = Some("JWT".to_owned());
        citizen.description = Some(
            "A citizen's token: ask for a one-time code by SMS (`POST /api/v1/public/otp`), then exchange it (`POST /api/v1/public/otp/verify`). It lasts 15 minutes by default and stands for the mobile number the code went to.".to_owned(),
        );
        components.add_security_scheme(super::citizen_door::CITIZEN, SecurityScheme::Http(citizen));
        let mut portal = Http::new(HttpAuthScheme::Bearer);
        portal.bearer_format = Some("mdp_ key".to_owned());
        portal.description = Some(
            "A portal's key (`mdp_…`), issued by an admin (`POST /api/v1/portals`) and shown once. Open311 takes it as `api_key`.".to_owned(),
        );
        components.add_security_scheme(super::portal_key::PORTAL, SecurityScheme::Http(portal));
    }
}

/// Shared problem responses: (component name, kind shown as the example, description).
const SHARED: [(&str, Kind, &str); 8] = [
    (
        "BadRequest",
        Kind::MalformedJson,
        "The body is not well-formed JSON, or a path or query parameter is not valid",
    ),
    (
        "Unauthenticated",
        Kind::Unauthenticated,
        "No token, or an invalid, expired or revoked one",
    ),
    (
        "Forbidden",
        Kind::Forbidden,
        "The signed-in role may not call this endpoint",
    ),
    (
        "PayloadTooLarge",
        Kind::PayloadTooLarge,
        "The body is larger than the configured limit",
    ),
    (
        "UnsupportedMediaType",
        Kind::UnsupportedMediaType,
        "The body is not sent as application/json",
    ),
    (
        "ValidationFailed",
        Kind::Validation,
        "The body is well-formed but a field is wrong or unknown; `errors` lists them",
    ),
    (
        "InternalError",
        Kind::Internal,
        "An unexpected failure; the cause is logged, not shown",
    ),
    (
        "Unavailable",
        Kind::Unavailable,
        "The database is unreachable or saturated; retry after `Retry-After`",
    ),
];

/// The operations that send a text to a unit, and so may refuse it for identifying the citizen.
const TAKE_A_TEXT_FOR_A_UNIT: [&str; 3] = ["refer", "redirect", "outcome"];
const IDENTIFIES_CITIZEN: &str = "IdentifiesCitizen";

/// The 422 of an operation that sends a text to a unit, described and exemplified once.
fn identifies_citizen() -> utoipa::openapi::Response {
    let example = serde_json::json!({
        "type": Kind::Validation.type_uri(), "title": Kind::Validation.title(), "status": 422,
        "detail": "1 field is not valid",
        "errors": [{"field": "text", "code": "identifies_citizen",
            "message": "the text still identifies someone: tracking_code; use the proposed anonymised text or remove them",
            "checked_text": "پیرو درخواست قبلی‌ام با کد رهگیری ۴۵۰۳ ۳۷۵۱ ۹۷۰۷ رسیدگی کنید",
            "findings": [{"kind": "tracking_code", "start": 34, "end": 48}]}]
    });
    ResponseBuilder::new()
        .description(
            "A field is not valid; a text for the unit that still identifies the citizen is \
             `identifies_citizen`, with the normalised text checked (`checked_text`) and each \
             identifier found in it (`findings`: kind, and code point offsets, end exclusive)",
        )
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .example(Some(example))
                .build(),
        )
        .build()
}

/// Adds the shared problem responses to the components and refers each operation to those it
/// can give: body errors where there is a body, 400 where there are parameters, 401/403 where
/// it is secured, 500 and 503 everywhere.
pub fn add_problem_responses(doc: &mut Document) {
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, kind, description) in SHARED {
        let example = serde_json::json!({
            "type": kind.type_uri(), "title": kind.title(), "status": kind.status().as_u16(),
        });
        let content = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .example(Some(example))
            .build();
        let response = ResponseBuilder::new()
            .description(description)
            .content(PROBLEM_JSON, content)
            .build();
        components
            .responses
            .insert(name.to_owned(), RefOr::T(response));
    }
    components.responses.insert(
        IDENTIFIES_CITIZEN.to_owned(),
        RefOr::T(identifies_citizen()),
    );
    for item in doc.paths.paths.values_mut() {
        let path_has_params = item.parameters.as_ref().is_some_and(|p| !p.is_empty());
        for operation in operations_mut(item) {
            let mut shared = Vec::new();
            let has_params =
                path_has_params || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let takes_unit_text = operation
                .operation_id
                .as_deref()
                .is_some_and(|id| TAKE_A_TEXT_FOR_A_UNIT.contains(&id));
            if takes_unit_text {
                shared.push(("422", IDENTIFIES_CITIZEN));
            }
            if operation.request_body.is_some() {
                shared.extend([
                    ("400", "BadRequest"),
                    ("413", "PayloadTooLarge"),
                    ("415", "UnsupportedMediaType"),
                    ("422", "ValidationFailed"),
                ]);
            } else if has_params {
                shared.push(("400", "BadRequest"));
            }
            if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                shared.extend([("401", "Unauthenticated"), ("403", "Forbidden")]);
            }
            shared.extend([("500", "InternalError"), ("503", "Unavailable")]);
            for (status, name) in shared {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
            }
        }
    }
}

/// Every operation of a path item.
pub fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.options.as_mut(),
        item.head.as_mut(),
        item.patch.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// The HTTP methods a path item answers, upper case.
pub fn methods(item: &PathItem) -> Vec<&'static str> {
    [
        ("GET", item.get.is_some()),
        ("PUT", item.put.is_some()),
        ("POST", item.post.is_some()),
        ("DELETE", item.delete.is_some()),
        ("OPTIONS", item.options.is_some()),
        ("HEAD", item.head.is_some()),
        ("PATCH", item.patch.is_some()),
        ("TRACE", item.trace.is_some()),
    ]
    .into_iter()
    .filter_map(|(method, present)| present.then_some(method))
    .collect()
}
