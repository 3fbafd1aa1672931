//! `requests`: registration on a citizen's behalf (intake, operator) and reading (every staff
//! role but unit staff, who never see a request, only referrals; to them every request is 404).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::cursor;
use super::error::{ApiError, Problem};
use super::json::ValidJson;
use super::list_query::{ListQuery, PageParams};
use super::staff::Staff;
use super::state::AppState;
use super::views::utc;
use crate::app::requests::{
    self, Event, Identity, Registrar, Request, RequestDetail, RequestFilter, RequestInput,
};
use crate::domain::Role;
use crate::domain::contact::ContactChannel;
use crate::domain::ids::AttachmentId;
use crate::domain::lifecycle::Action;
use crate::domain::notification::NotificationStatus;
use crate::domain::referral::{ReferralReason, ReferralStatus, Step};

use super::meetings::MeetingView;
use crate::domain::request::{ActorKind, Channel, RequestKind, Resolution, Status, Subject};

/// Roles that register requests on a citizen's behalf.
pub const REGISTRARS: &[Role] = &[Role::Intake, Role::Operator];
/// Roles that read requests with the citizen's identity.
pub const READERS: &[Role] = &[
    Role::Intake,
    Role::Operator,
    Role::Reviewer,
    Role::Head,
    Role::Admin,
];

/// Declares a registration body: the fields every registration carries (the citizen and what
/// they ask), after the body's own leading fields. One list, so that online and staff
/// registrations cannot drift apart.
macro_rules! registration_body {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)* }
    ) => {
        #[derive(Debug, Clone, Deserialize, ToSchema, Validate)]
        #[serde(deny_unknown_fields)]
        $(#[$meta])*
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            /// The citizen's name, 2 to 100 characters.
            #[schema(min_length = 2, max_length = 100)]
            pub name: String,
            /// An Iranian mobile number in any usual form and digits: `09121234567`,
            /// `+98 912 123 4567`, `۰۹۱۲۱۲۳۴۵۶۷`. The tracking code is sent to it.
            #[schema(example = "09121234567")]
            pub mobile: String,
            /// کد ملی: 10 digits with a valid check digit.
            #[schema(example = "0499370899")]
            pub national_id: Option<String>,
            #[schema(format = Email)]
            pub email: Option<String>,
            /// What the citizen asks or reports, 10 to 4000 characters.
            #[schema(min_length = 10, max_length = 4000)]
            pub text: String,
            /// What the citizen thinks the request is; the desk decides on review.
            pub proposed_kind: Option<RequestKind>,
            /// For feedback: whom it is about.
            pub subject: Option<Subject>,
            /// The unit it is about, where known (see `GET /api/v1/units`); requires `subject`.
            pub subject_unit_id: Option<Uuid>,
        }

        impl $name {
            /// The registration as the use cases take it.
            pub fn request_input(&self) -> RequestInput {
                RequestInput {
                    name: self.name.clone(),
                    mobile: self.mobile.clone(),
                    national_id: self.national_id.clone(),
                    email: self.email.clone(),
                    text: self.text.clone(),
                    proposed_kind: self.proposed_kind,
                    subject: self.subject,
                    subject_unit_id: self.subject_unit_id.map(Into::into),
                    attachments: Vec::new(),
                }
            }
        }
    };
}

registration_body! {
    /// A request as the citizen describes it: submitted online, or registered with a contact.
    #[schema(example = json!({
        "name": "مریم حسینی", "mobile": "0912 345 6789", "national_id": "0499370899",
        "text": "درخواست ملاقات با ریاست مرکز درباره‌ی تأخیر در پرداخت مطالبات بیمارستان",
        "proposed_kind": "meeting"
    }))]
    pub struct CitizenRequest {}
}

registration_body! {
    /// A request submitted online: the citizen's request, with the files uploaded for it
    /// (`POST /api/v1/public/uploads`) listed by id.
    #[schema(example = json!({
        "name": "مریم حسینی", "mobile": "0912 345 6789",
        "text": "تصویر نامه‌ی ارسالی به اداره را پیوست کرده‌ام؛ پاسخی دریافت نکرده‌ام.",
        "proposed_kind": "complaint", "attachments": ["3d9a7c1e-5b2f-4c8a-9e0d-1f2a3b4c5d6e"]
    }))]
    pub struct OnlineSubmission {
        /// Uploads to attach, each listed once; they are attached with the request, all or
        /// none. Part of what makes a retry "the same submission".
        #[schema(max_items = 20)]
        pub attachments: Option<Vec<Uuid>>,
    }
}

impl OnlineSubmission {
    /// The submission as the use cases take it, with its attachments.
    pub fn submission_input(&self) -> RequestInput {
        RequestInput {
            attachments: self
                .attachments
                .iter()
                .flatten()
                .map(|id| AttachmentId::from(*id))
                .collect(),
            ..self.request_input()
        }
    }
}

registration_body! {
    /// A request registered by staff for a citizen who came in or called.
    #[schema(example = json!({
        "channel": "in_person", "name": "علی رضایی", "mobile": "۰۹۱۲۳۴۵۶۷۸۹",
        "text": "شکایت از برخورد نامناسب کارکنان واحد پذیرش در تاریخ ۵ آذر",
        "proposed_kind": "complaint", "subject": "unit", "subject_unit_id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10"
    }))]
    pub struct StaffRequestBody {
        /// How the citizen reached the desk.
        pub channel: ContactChannel,
    }
}

/// A request without the citizen's identity: the list item.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "8b3f6a9e-1f0c-4b8e-9d2a-5c7e1a2b3c4d", "tracking_code": "483920175523", "channel": "phone",
    "status": "registered", "resolution": null, "kind": null, "proposed_kind": "complaint",
    "subject": "unit", "subject_unit_id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10",
    "text": "شکایت از برخورد نامناسب کارکنان واحد پذیرش", "version": 1,
    "registered_by": "5f0c2f7e-4a8e-4d4b-9a57-1c1b2f0e9a11",
    "created_at": "2026-11-29T08:30:00Z", "updated_at": "2026-11-29T08:30:00Z", "closed_at": null
}))]
pub struct RequestView {
    #[schema(format = Uuid)]
    pub id: String,
    pub tracking_code: String,
    pub channel: Channel,
    pub status: Status,
    pub resolution: Option<Resolution>,
    /// Set on review.
    pub kind: Option<RequestKind>,
    /// As the citizen proposed it.
    pub proposed_kind: Option<RequestKind>,
    pub subject: Option<Subject>,
    #[schema(format = Uuid)]
    pub subject_unit_id: Option<String>,
    pub text: String,
    /// Bumped by every change; send it back as `If-Match` on lifecycle calls.
    pub version: i32,
    /// The staff member who registered it; null for online submissions.
    #[schema(format = Uuid)]
    pub registered_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl From<Request> for RequestView {
    fn from(r: Request) -> Self {
        Self {
            id: r.id.into(),
            tracking_code: r.tracking_code,
            channel: r.channel,
            status: r.status,
            resolution: r.resolution,
            kind: r.kind,
            proposed_kind: r.proposed_kind,
            subject: r.subject,
            subject_unit_id: r.subject_unit_id.map(Into::into),
            text: r.text,
            version: r.version,
            registered_by: r.registered_by.map(Into::into),
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
            closed_at: r.closed_at.map(utc),
        }
    }
}

/// Who filed a request, masked (`name` as initials, `mobile` as `+98912***6789`, the national
/// ID but its last two digits, the email but its first letter and top-level domain) unless
/// revealed with `POST /api/v1/requests/{id}/reveal`, which is recorded.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"name": "ع. ر.", "mobile": "+98912***6789", "national_id": null, "email": null}))]
pub struct IdentityView {
    pub name: String,
    /// E.164, masked unless revealed.
    pub mobile: String,
    pub national_id: Option<String>,
    pub email: Option<String>,
}

impl From<Identity> for IdentityView {
    fn from(i: Identity) -> Self {
        Self {
            name: i.name,
            mobile: i.mobile,
            national_id: i.national_id,
            email: i.email,
        }
    }
}

/// One event of a request's history, as staff see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "seq": 1, "at": "2026-11-29T08:30:00Z", "actor_kind": "staff",
    "actor_id": "5f0c2f7e-4a8e-4d4b-9a57-1c1b2f0e9a11", "action": "registered",
    "from_status": null, "to_status": "registered", "public": true, "details": {"channel": "phone"}
}))]
pub struct EventView {
    /// 1, 2, 3… in order.
    pub seq: i32,
    pub at: DateTime<Utc>,
    pub actor_kind: ActorKind,
    /// The staff member, for staff actions.
    #[schema(format = Uuid)]
    pub actor_id: Option<String>,
    pub action: String,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    /// Whether the citizen sees this step on the public lookup.
    pub public: bool,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<Event> for EventView {
    fn from(e: Event) -> Self {
        Self {
            seq: e.seq,
            at: utc(e.at),
            actor_kind: e.actor_kind,
            actor_id: e.actor_id.map(Into::into),
            action: e.action,
            from_status: e.from_status,
            to_status: e.to_status,
            public: e.public,
            details: e.details,
        }
    }
}

/// A request with the citizen's identity and the whole history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestDetailView {
    #[serde(flatten)]
    pub request: RequestView,
    /// Masked; `null` once erased at the end of the retention period.
    pub citizen: Option<IdentityView>,
    /// When the citizen's identity and own text were erased (retention), if they were; the
    /// text is then empty.
    pub identity_erased_at: Option<DateTime<Utc>>,
    pub history: Vec<EventView>,
    /// The SMS sent about it and where each stands (details in `GET /api/v1/notifications`).
    pub notifications: Vec<NotificationSummary>,
    /// The commands that fit now for your role: show these as the buttons. Decided by the same
    /// rules as the commands themselves (`close` only once every referral is accepted,
    /// `outcome` only once the meeting has started).
    pub allowed_actions: Vec<Action>,
    /// Its referrals, oldest first.
    pub referrals: Vec<RequestReferralView>,
    /// Its latest meeting, whatever became of it; null if none was ever scheduled.
    pub meeting: Option<MeetingView>,
}

/// One referral of a request, as the desk follows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestReferralView {
    #[schema(format = Uuid)]
    pub id: String,
    /// The referral's own reference (`R-…`), as the unit knows it.
    pub reference: String,
    #[schema(format = Uuid)]
    pub unit_id: String,
    pub unit_name: String,
    pub reason: ReferralReason,
    pub status: ReferralStatus,
    /// The anonymised text the unit received.
    pub text: String,
    pub due_at: DateTime<Utc>,
    /// Past due and not yet answered.
    pub overdue: bool,
    /// The unit's answer, once given.
    pub answer: Option<String>,
    /// Why the desk returned it for more work.
    pub return_reason: Option<String>,
    /// Send as `If-Match` to its steps.
    pub version: i32,
    /// The steps you may take on it now (`POST /api/v1/referrals/{id}/{step}`).
    pub allowed_actions: Vec<Step>,
}

/// Where one SMS about a request stands.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationSummary {
    #[schema(format = Uuid)]
    pub id: String,
    pub template: String,
    pub status: NotificationStatus,
    pub created_at: DateTime<Utc>,
}

impl From<RequestDetail> for RequestDetailView {
    fn from(d: RequestDetail) -> Self {
        Self {
            request: d.request.into(),
            citizen: d.identity.map(Into::into),
            identity_erased_at: d.erased_at.map(super::views::utc),
            history: d.history.into_iter().map(EventView::from).collect(),
            allowed_actions: d.allowed_actions,
            referrals: d
                .referrals
                .into_iter()
                .map(|r| RequestReferralView {
                    overdue: r.referral.overdue,
                    id: r.referral.id.into(),
                    reference: r.referral.reference,
                    unit_id: r.referral.unit_id.into(),
                    unit_name: r.unit_name,
                    reason: r.referral.reason,
                    status: r.referral.status,
                    text: r.referral.text,
                    due_at: utc(r.referral.due_at),
                    answer: r.referral.answer,
                    return_reason: r.referral.return_reason,
                    version: r.referral.version,
                    allowed_actions: r.allowed_steps,
                })
                .collect(),
            meeting: d.meeting.map(MeetingView::from),
            notifications: d
                .notifications
                .into_iter()
                .map(|(id, template, status, created_at)| NotificationSummary {
                    id: id.into(),
                    template: template.as_str().to_owned(),
                    status,
                    created_at: utc(created_at),
                })
                .collect(),
        }
    }
}

/// One page of requests, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestList {
    pub items: Vec<RequestView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    pub status: Option<Status>,
    /// The kind set on review, or while unreviewed, the kind the citizen proposed.
    pub kind: Option<RequestKind>,
    pub channel: Option<Channel>,
    /// Requests about this unit.
    pub unit_id: Option<Uuid>,
    /// Registered at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Registered before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Words to find in the request text; Persian and Arabic letter forms, digit scripts and
    /// diacritics do not matter.
    #[param(max_length = 200)]
    pub q: Option<String>,
}

/// Register a request for a citizen who came in or called (intake, operator).
///
/// The request is stored with status `registered`, its first history event and the SMS that
/// sends the tracking code to the citizen's mobile, all in one transaction. To log the contact
/// at the same time, use `POST /api/v1/contacts` with outcome `registered` instead.
#[utoipa::path(
    tag = "requests", security(("bearer" = [])), request_body = StaffRequestBody,
    responses((status = 201, description = "Registered; `Location` names the request", body = RequestDetailView))
)]
#[post("/requests")]
pub async fn register_request(
    state: web::Data<AppState>,
    staff: Staff,
    body: ValidJson<StaffRequestBody>,
) -> Result<HttpResponse, ApiError> {
    staff.require(REGISTRARS)?;
    let body = body.into_inner()?;
    let input = body.request_input();
    let role = staff.user().role;
    let registrar = Registrar::Staff {
        user_id: staff.user().id.clone(),
        channel: body.channel.request_channel(),
    };
    let rules = state.deadlines.clone();
    let detail = state
        .db(move |conn| {
            let registered = requests::register(conn, &rules, &input, &registrar)?;
            requests::detail(conn, &registered.request.id, role, &rules)
        })
        .await?;
    Ok(created(detail))
}

/// 201 with `Location` and the request's detail.
pub fn created(detail: RequestDetail) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/requests/{}", detail.request.id),
        ))
        .json(RequestDetailView::from(detail))
}

/// List requests, filtered, newest first, in pages (every staff role but unit staff).
#[utoipa::path(tag = "requests", security(("bearer" = [])), params(RequestQuery, PageParams), responses((status = 200, description = "One page of requests", body = RequestList)))]
#[get("/requests")]
pub async fn list_requests(
    state: web::Data<AppState>,
    staff: Staff,
    query: ListQuery<RequestQuery>,
) -> Result<HttpResponse, ApiError> {
    staff.require(READERS)?;
    let (query, page) = query.into_parts()?;
    if query.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::new(
            super::error::Kind::BadParameter,
            "q has at most 200 characters",
        ));
    }
    let filter = RequestFilter {
        status: query.status,
        kind: query.kind,
        channel: query.channel,
        unit_id: query.unit_id.map(Into::into),
        created_from: query.from.map(|t| t.naive_utc()),
        created_before: query.to.map(|t| t.naive_utc()),
        text: query.q,
    };
    let page = state
        .db(move |conn| requests::list(conn, filter, &page))
        .await?;
    Ok(HttpResponse::Ok().json(RequestList {
        items: page.items.into_iter().map(RequestView::from).collect(),
        next_cursor: page.next.as_ref().map(cursor::encode),
    }))
}

/// Read one request with the citizen's identity and the whole history (every staff role but
/// unit staff, to whom every request is 404).
///
/// Answers with an `ETag` led by the request's version; sent back as `If-None-Match`, it gets
/// `304 Not Modified` without a body while nothing shown here has changed.
#[utoipa::path(
    tag = "requests", security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The request's id"),
        ("If-None-Match" = Option<String>, Header, description = "The `ETag` of an earlier read: 304 if the request still reads the same"),
    ),
    responses(
        (status = 200, description = "The request", body = RequestDetailView),
        (status = 304, description = "Not modified: the `ETag` sent as `If-None-Match` is still current"),
        (status = 404, description = "No such request (or the caller is unit staff)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/requests/{id}")]
pub async fn get_request(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    if !READERS.contains(&staff.user().role) {
        // Unit staff must not learn that a request exists: the same 404 as for a wrong id.
        return Err(ApiError::not_found("request"));
    }
    let id = id.into_inner().into();
    let role = staff.user().role;
    let rules = state.deadlines.clone();
    let detail = state
        .db(move |conn| requests::read(conn, &id, role, &rules))
        .await?;
    super::handling::answered(Some(&req), detail)
}
