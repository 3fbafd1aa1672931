//! The conversation of a request over HTTP (`conversation` tag), one door per party: the desk
//! (`/requests/{id}/messages`: everything, as written; write to the citizen; release a held
//! reply to its unit), a unit (`/referrals/{id}/messages`: its questions and the replies let
//! through), and the citizen (`/public/requests/{code}/conversation` and `…/messages`, proven
//! by the mobile number in the body, so that it never sits in a URL or a log line).

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::client::ClientAddress;
use super::error::{ApiError, Problem};
use super::json::ValidJson;
use super::staff::Staff;
use super::state::AppState;
use super::views::utc;
use crate::app::conversation::{self, CitizenMessage, DeskMessage, UnitMessage};
use crate::app::public;
use crate::domain::Role;
use crate::domain::conversation::{
    AuthorKind, DESK_READERS, DESK_WRITERS, REFERRAL_READERS, RELEASERS, Release,
};
use crate::domain::ids::{AttachmentId, ReferralId, RequestId};

/// A message to write.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "لطفاً تاریخ دقیق مراجعه را بنویسید."}))]
pub struct MessageBody {
    /// 1 to 2000 characters.
    #[schema(min_length = 1, max_length = 2000)]
    pub text: String,
    /// Your uploads (`POST /api/v1/uploads`) to send with it, each listed once; attached with
    /// the message, all or none.
    #[schema(max_items = 20)]
    pub attachments: Option<Vec<Uuid>>,
}

/// Upload ids as the use cases take them.
fn attachment_ids(ids: Option<Vec<Uuid>>) -> Vec<AttachmentId> {
    ids.into_iter().flatten().map(AttachmentId::from).collect()
}

/// How a held reply reaches its unit: as the desk edited it, or (without `text`) as the
/// anonymiser proposes (`unit_text` of the held message).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "[نام] می‌گوید هنوز پاسخی نگرفته است."}))]
pub struct ReleaseBody {
    /// 1 to 2000 characters; refused (422 `identifies_citizen`) while it identifies the citizen.
    #[schema(min_length = 1, max_length = 2000)]
    pub text: Option<String>,
}

/// The citizen's proof that the request is theirs.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mobile": "09121234567"}))]
pub struct CitizenProof {
    /// The mobile number the request was filed with.
    pub mobile: String,
}

/// The citizen's reply.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mobile": "09121234567", "text": "روز دوشنبه ۵ آذر ساعت ۱۰ مراجعه کردم."}))]
pub struct CitizenReplyBody {
    /// The mobile number the request was filed with.
    pub mobile: String,
    /// 1 to 2000 characters.
    #[schema(min_length = 1, max_length = 2000)]
    pub text: String,
    /// Your uploads (`POST /api/v1/public/uploads`) to send with it, each listed once.
    #[schema(max_items = 20)]
    pub attachments: Option<Vec<Uuid>>,
}

/// A message as the desk reads it: as written, with where it went.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeskMessageView {
    #[schema(format = Uuid)]
    pub id: String,
    /// Its place in the conversation, from 1.
    pub seq: i32,
    pub author: AuthorKind,
    /// The desk's role, on the desk's messages.
    pub author_role: Option<Role>,
    /// The unit, on a unit's question and a reply to it.
    pub unit_name: Option<String>,
    #[schema(format = Uuid)]
    pub referral_id: Option<String>,
    /// As written.
    pub text: String,
    /// On a citizen's reply to a unit: `held` (waiting for the desk) or `released`.
    pub release: Option<Release>,
    /// What the unit reads (released), or what the anonymiser proposes (held).
    pub unit_text: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<DeskMessage> for DeskMessageView {
    fn from(m: DeskMessage) -> Self {
        Self {
            id: m.id,
            seq: m.seq,
            author: m.author,
            author_role: m.author_role,
            unit_name: m.unit_name,
            referral_id: m.referral_id.map(Into::into),
            text: m.text,
            release: m.release,
            unit_text: m.unit_text,
            created_at: utc(m.created_at),
        }
    }
}

/// A message as a unit reads it. A citizen's reply shows its text only once the desk released
/// it; before, `waiting_for_desk` says one is there.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitMessageView {
    #[schema(format = Uuid)]
    pub id: String,
    pub seq: i32,
    /// `unit` (a question) or `citizen` (a reply).
    pub author: AuthorKind,
    pub text: Option<String>,
    pub waiting_for_desk: bool,
    pub created_at: DateTime<Utc>,
}

impl From<UnitMessage> for UnitMessageView {
    fn from(m: UnitMessage) -> Self {
        Self {
            id: m.id,
            seq: m.seq,
            author: m.author,
            text: m.text,
            waiting_for_desk: m.waiting_for_desk,
            created_at: utc(m.created_at),
        }
    }
}

/// A message as the citizen reads it: a unit by its name, the desk by its role.
#[derive(Debug, Serialize, ToSchema)]
pub struct CitizenMessageView {
    #[schema(format = Uuid)]
    pub id: String,
    pub seq: i32,
    pub author: AuthorKind,
    pub unit_name: Option<String>,
    pub staff_role: Option<Role>,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

impl From<CitizenMessage> for CitizenMessageView {
    fn from(m: CitizenMessage) -> Self {
        Self {
            id: m.id,
            seq: m.seq,
            author: m.author,
            unit_name: m.unit_name,
            staff_role: m.staff_role,
            text: m.text,
            created_at: utc(m.created_at),
        }
    }
}

/// A conversation as the desk reads it, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeskConversation {
    pub items: Vec<DeskMessageView>,
}

/// A referral's conversation as its unit reads it, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitConversation {
    pub items: Vec<UnitMessageView>,
}

/// A conversation as the citizen reads it, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct CitizenConversation {
    pub items: Vec<CitizenMessageView>,
}

/// The conversation of a request, every message as written (reviewer, head, admin).
#[utoipa::path(
    tag = "conversation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The request's id")),
    responses(
        (status = 200, description = "The conversation, oldest first", body = DeskConversation),
        (status = 404, description = "No such request", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/requests/{id}/messages")]
pub async fn desk_conversation(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    staff.require(DESK_READERS)?;
    let id = RequestId::from(id.into_inner());
    let vault = state.vault();
    let messages = state
        .db(move |conn| conversation::for_desk(conn, &vault, &id))
        .await?;
    Ok(HttpResponse::Ok().json(DeskConversation {
        items: messages.into_iter().map(Into::into).collect(),
    }))
}

/// Write to the citizen (reviewer, head, admin; any open status). The citizen is told by SMS
/// ("a message about your request is waiting"), at most `MARDOM_CONVERSATION_SMS_PER_REQUEST_DAY`
/// a day per request; past that the message is written all the same, without an SMS.
#[utoipa::path(
    tag = "conversation", security(("bearer" = [])), request_body = MessageBody,
    params(("id" = Uuid, Path, description = "The request's id")),
    responses(
        (status = 201, description = "Written", body = DeskMessageView),
        (status = 404, description = "No such request", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The request is closed (`conversation-ended`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/requests/{id}/messages")]
pub async fn desk_write(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<MessageBody>,
) -> Result<HttpResponse, ApiError> {
    staff.require(DESK_WRITERS)?;
    let MessageBody { text, attachments } = body.into_inner()?;
    let ids = attachment_ids(attachments);
    let id = RequestId::from(id.into_inner());
    let (limits, files, user, vault) = (
        state.limits.clone(),
        state.files.clone(),
        staff.user().clone(),
        state.vault(),
    );
    let message = state
        .db(move |conn| {
            let with = (&*limits, &*files, &*vault);
            conversation::desk_write(conn, with, &user, &id, (&text, &ids))
        })
        .await?;
    Ok(HttpResponse::Created().json(DeskMessageView::from(message)))
}

/// Release a citizen's held reply to its unit (reviewer, admin): as edited (`text`) or as the
/// anonymiser proposes. Checked like a referral's text.
#[utoipa::path(
    tag = "conversation", security(("bearer" = [])), request_body = ReleaseBody,
    params(
        ("id" = Uuid, Path, description = "The request's id"),
        ("message_id" = Uuid, Path, description = "The held reply's id"),
    ),
    responses(
        (status = 200, description = "Released: the unit reads `unit_text`", body = DeskMessageView),
        (status = 404, description = "No such request or message", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The message is not a held reply (`not-held`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/requests/{id}/messages/{message_id}/release")]
pub async fn release_reply(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(Uuid, Uuid)>,
    body: ValidJson<ReleaseBody>,
) -> Result<HttpResponse, ApiError> {
    staff.require(RELEASERS)?;
    let text = body.into_inner()?.text;
    let (id, message) = path.into_inner();
    let (id, message) = (RequestId::from(id), message.to_string());
    let (user, vault) = (staff.user().clone(), state.vault());
    let released = state
        .db(move |conn| conversation::release(conn, &vault, &user, &id, &message, text.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(DeskMessageView::from(released)))
}

/// A referral's conversation as its unit reads it (its unit's staff, and the desk): the unit's
/// questions, and the citizen's replies once the desk let them through.
#[utoipa::path(
    tag = "conversation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The conversation, oldest first", body = UnitConversation),
        (status = 404, description = "No such referral, or another unit's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/referrals/{id}/messages")]
pub async fn unit_conversation(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    staff.require(REFERRAL_READERS)?;
    let id = ReferralId::from(id.into_inner());
    let user = staff.user().clone();
    let messages = state
        .db(move |conn| conversation::for_unit(conn, &user, &id))
        .await?;
    Ok(HttpResponse::Ok().json(UnitConversation {
        items: messages.into_iter().map(Into::into).collect(),
    }))
}

/// Ask the citizen a question about the referral (its unit's staff, while the unit works on
/// it). The unit writes to "the citizen" and never learns who it is; the citizen is told by SMS.
#[utoipa::path(
    tag = "conversation", security(("bearer" = [])), request_body = MessageBody,
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 201, description = "Asked; the referral waits for the answer", body = UnitMessageView),
        (status = 404, description = "No such referral, or another unit's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The request is closed (`conversation-ended`) or the referral finished (`referral-finished`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/referrals/{id}/messages")]
pub async fn unit_ask(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<MessageBody>,
) -> Result<HttpResponse, ApiError> {
    staff.require(&[Role::UnitStaff])?;
    let MessageBody { text, attachments } = body.into_inner()?;
    let ids = attachment_ids(attachments);
    let id = ReferralId::from(id.into_inner());
    let (limits, files, user) = (
        state.limits.clone(),
        state.files.clone(),
        staff.user().clone(),
    );
    let rules = state.deadlines.clone();
    let message = state
        .db(move |conn| {
            conversation::unit_ask(conn, (&limits, &files, &rules), &user, &id, (&text, &ids))
        })
        .await?;
    Ok(HttpResponse::Created().json(UnitMessageView::from(message)))
}

/// The conversation of your request (no account: the tracking code and the mobile number it was
/// filed with, in the body). Never part of the bare lookup by tracking code.
#[utoipa::path(
    tag = "public", request_body = CitizenProof,
    params(("tracking_code" = String, Path, description = "The 12-digit tracking code", example = "483920175523")),
    responses(
        (status = 200, description = "The conversation, oldest first", body = CitizenConversation),
        (status = 403, description = "The mobile number is not the one the request was filed with", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No request has this code", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/requests/{tracking_code}/conversation")]
pub async fn citizen_conversation(
    client: ClientAddress,
    state: web::Data<AppState>,
    code: web::Path<String>,
    body: ValidJson<CitizenProof>,
) -> Result<HttpResponse, ApiError> {
    let mobile = body.into_inner()?.mobile;
    let (limits, vault) = (state.limits.clone(), state.vault());
    let messages = state
        .db(move |conn| public::conversation(conn, (&limits, &vault), &client.0, &code, &mobile))
        .await?;
    Ok(HttpResponse::Ok().json(CitizenConversation {
        items: messages.into_iter().map(Into::into).collect(),
    }))
}

/// Answer on your request (tracking code + mobile). The desk reads it as written; the unit that
/// asked last reads it straight when it identifies no one, and only after the desk released it
/// (anonymised) when it does. At most `MARDOM_CITIZEN_MESSAGES_PER_REQUEST_DAY` a day.
#[utoipa::path(
    tag = "public", request_body = CitizenReplyBody,
    params(("tracking_code" = String, Path, description = "The 12-digit tracking code", example = "483920175523")),
    responses(
        (status = 201, description = "Sent", body = CitizenMessageView),
        (status = 403, description = "The mobile number is not the one the request was filed with", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No request has this code", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The request is closed (`conversation-ended`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts or messages; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/requests/{tracking_code}/messages")]
pub async fn citizen_reply(
    client: ClientAddress,
    state: web::Data<AppState>,
    code: web::Path<String>,
    body: ValidJson<CitizenReplyBody>,
) -> Result<HttpResponse, ApiError> {
    let CitizenReplyBody {
        mobile,
        text,
        attachments,
    } = body.into_inner()?;
    let ids = attachment_ids(attachments);
    let (limits, files) = (state.limits.clone(), state.files.clone());
    let rules = state.deadlines.clone();
    let message = state
        .db(move |conn| {
            public::reply(
                conn,
                (&limits, &files, &rules),
                &client.0,
                (&code, &mobile),
                (&text, &ids),
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(CitizenMessageView::from(message)))
}
