//! Attached files over HTTP (`attachments` tag), one door per party, each listing and
//! downloading only what `domain::attachment::may_read` lets it: the desk
//! (`/requests/{id}/attachments`, and the release of a citizen's file to a referral), a unit
//! (`/referrals/{id}/attachments`: what was released to it, and its own), and the citizen
//! (`/public/requests/{code}/attachments`, proven by the mobile in the body).
//!
//! A download is always `Content-Disposition: attachment` with the type found in the content,
//! `X-Content-Type-Options: nosniff` and a sandboxing CSP: a browser saves it, never renders it
//! as a page of ours (and only JPEG, PNG, WebP and PDF are ever kept: no HTML, no SVG).

use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::client::ClientAddress;
use super::conversation::CitizenProof;
use super::error::{ApiError, Problem};
use super::json::ValidJson;
use super::staff::Staff;
use super::state::AppState;
use super::views::utc;
use crate::app::attachments::{self, Attachment, Reading};
use crate::app::public;
use crate::domain::conversation::{AuthorKind, DESK_READERS, REFERRAL_READERS, RELEASERS};
use crate::domain::ids::{AttachmentId, ReferralId, RequestId};

/// A file as the desk reads it, with the referrals it was released to.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "3d9a7c1e-5b2f-4c8a-9e0d-1f2a3b4c5d6e", "file_name": "نامه.pdf",
    "content_type": "application/pdf", "size": 183204, "author": "citizen", "message_id": null,
    "released_to": ["6a1f0c2e-9b8d-4e7f-a5c3-2d1e0f9a8b7c"], "created_at": "2026-11-29T08:30:00Z"
}))]
pub struct DeskAttachmentView {
    #[schema(format = Uuid)]
    pub id: String,
    pub file_name: String,
    /// The type found in its content.
    pub content_type: String,
    pub size: u64,
    pub author: AuthorKind,
    /// The message that carried it; null for the submission's own files.
    #[schema(format = Uuid)]
    pub message_id: Option<String>,
    /// The referrals whose unit may read it.
    pub released_to: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// A file as a unit or the citizen reads it. A unit reads a citizen's file under a neutral
/// name (`attachment-3d9a7c1e.pdf`): the name a citizen gave it can identify them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "3d9a7c1e-5b2f-4c8a-9e0d-1f2a3b4c5d6e", "file_name": "attachment-3d9a7c1e.pdf",
    "content_type": "application/pdf", "size": 183204, "author": "citizen", "message_id": null,
    "created_at": "2026-11-29T08:30:00Z"
}))]
pub struct AttachmentView {
    #[schema(format = Uuid)]
    pub id: String,
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
    pub author: AuthorKind,
    #[schema(format = Uuid)]
    pub message_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Attachment> for DeskAttachmentView {
    fn from(file: Attachment) -> Self {
        Self {
            id: file.id.to_string(),
            file_name: file.file_name,
            content_type: file.file_type.mime().to_owned(),
            size: file.size,
            author: file.author,
            message_id: file.message_id,
            released_to: file.released_to.into_iter().map(String::from).collect(),
            created_at: utc(file.created_at),
        }
    }
}

impl From<Attachment> for AttachmentView {
    fn from(file: Attachment) -> Self {
        Self {
            id: file.id.to_string(),
            file_name: file.file_name,
            content_type: file.file_type.mime().to_owned(),
            size: file.size,
            author: file.author,
            message_id: file.message_id,
            created_at: utc(file.created_at),
        }
    }
}

/// A request's files, for the desk.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeskAttachments {
    pub items: Vec<DeskAttachmentView>,
}

/// The files a unit or the citizen may read.
#[derive(Debug, Serialize, ToSchema)]
pub struct Attachments {
    pub items: Vec<AttachmentView>,
}

/// A file's bytes, in the type its `Content-Type` names.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // Only its schema is used.
pub struct FileContent(Vec<u8>);

/// Which referral a file is released to.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"referral_id": "6a1f0c2e-9b8d-4e7f-a5c3-2d1e0f9a8b7c"}))]
pub struct AttachmentRelease {
    /// One of the request's referrals, still in progress.
    pub referral_id: Uuid,
}

/// The answer carrying a file: saved by a browser, never rendered as one of our pages.
fn file_response(file: &Attachment, bytes: Vec<u8>) -> HttpResponse {
    let fallback: String = file
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(fallback),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".to_owned()),
                language_tag: None,
                value: file.file_name.as_bytes().to_vec(),
            }),
        ],
    };
    HttpResponse::Ok()
        .content_type(file.file_type.mime())
        .insert_header(disposition)
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ))
        .body(bytes)
}

/// A request's files, every one (reviewer, head, admin).
#[utoipa::path(
    tag = "attachments", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The request's id")),
    responses(
        (status = 200, description = "The files, oldest first", body = DeskAttachments),
        (status = 404, description = "No such request", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/requests/{id}/attachments")]
pub async fn desk_attachments(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    staff.require(DESK_READERS)?;
    let id = RequestId::from(id.into_inner());
    let files = state
        .db(move |conn| attachments::readable(conn, Reading::Desk { request_id: &id }))
        .await?;
    Ok(HttpResponse::Ok().json(DeskAttachments {
        items: files.into_iter().map(Into::into).collect(),
    }))
}

/// Download one of a request's files (reviewer, head, admin).
#[utoipa::path(
    tag = "attachments", security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The request's id"),
        ("attachment_id" = Uuid, Path, description = "The file's id"),
    ),
    responses(
        (status = 200, description = "The file, as an attachment to save", content(
            (FileContent = "image/jpeg"), (FileContent = "image/png"), (FileContent = "image/webp"), (FileContent = "application/pdf")),
            headers(("Content-Disposition" = String, description = "`attachment`, with the file's name"))),
        (status = 404, description = "No such request or file", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/requests/{id}/attachments/{attachment_id}")]
pub async fn desk_download(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    staff.require(DESK_READERS)?;
    let (id, file) = path.into_inner();
    let (id, file) = (RequestId::from(id), AttachmentId::from(file));
    let files = state.files.clone();
    let (found, bytes) = state
        .db(move |conn| {
            attachments::download(conn, &files, Reading::Desk { request_id: &id }, &file)
        })
        .await?;
    Ok(file_response(&found, bytes))
}

/// Release a citizen's file to a referral (reviewer, admin): the referral's unit may then read
/// it. Look at it first: a scanned ID card or a signed letter identifies the citizen.
#[utoipa::path(
    tag = "attachments", security(("bearer" = [])), request_body = AttachmentRelease,
    params(
        ("id" = Uuid, Path, description = "The request's id"),
        ("attachment_id" = Uuid, Path, description = "The file's id"),
    ),
    responses(
        (status = 200, description = "Released (releasing again changes nothing)", body = DeskAttachmentView),
        (status = 404, description = "No such request or file", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not the citizen's file (`not-the-citizens`), or the referral is finished (`referral-finished`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`referral_id` is not a referral of this request", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/requests/{id}/attachments/{attachment_id}/release")]
pub async fn release_attachment(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(Uuid, Uuid)>,
    body: ValidJson<AttachmentRelease>,
) -> Result<HttpResponse, ApiError> {
    staff.require(RELEASERS)?;
    let referral = ReferralId::from(body.into_inner()?.referral_id);
    let (id, file) = path.into_inner();
    let (id, file) = (RequestId::from(id), AttachmentId::from(file));
    let user = staff.user().clone();
    let released = state
        .db(move |conn| attachments::release(conn, &user, &id, &file, &referral))
        .await?;
    Ok(HttpResponse::Ok().json(DeskAttachmentView::from(released)))
}

/// A referral's files (its unit's staff, and the desk): those the desk released to it, and
/// those its unit sent.
#[utoipa::path(
    tag = "attachments", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The files, oldest first", body = Attachments),
        (status = 404, description = "No such referral, or another unit's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/referrals/{id}/attachments")]
pub async fn unit_attachments(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    staff.require(REFERRAL_READERS)?;
    let id = ReferralId::from(id.into_inner());
    let user = staff.user().clone();
    let files = state
        .db(move |conn| {
            attachments::readable(
                conn,
                Reading::Unit {
                    staff: &user,
                    referral_id: &id,
                },
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(Attachments {
        items: files.into_iter().map(Into::into).collect(),
    }))
}

/// Download one of a referral's files (its unit's staff, and the desk). A file not released
/// to the referral is 404, as if it did not exist.
#[utoipa::path(
    tag = "attachments", security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The referral's id"),
        ("attachment_id" = Uuid, Path, description = "The file's id"),
    ),
    responses(
        (status = 200, description = "The file, as an attachment to save", content(
            (FileContent = "image/jpeg"), (FileContent = "image/png"), (FileContent = "image/webp"), (FileContent = "application/pdf")),
            headers(("Content-Disposition" = String, description = "`attachment`, with the file's name"))),
        (status = 404, description = "No such referral or file, or not released to it", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/referrals/{id}/attachments/{attachment_id}")]
pub async fn unit_download(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    staff.require(REFERRAL_READERS)?;
    let (id, file) = path.into_inner();
    let (id, file) = (ReferralId::from(id), AttachmentId::from(file));
    let (files, user) = (state.files.clone(), staff.user().clone());
    let (found, bytes) = state
        .db(move |conn| {
            let reading = Reading::Unit {
                staff: &user,
                referral_id: &id,
            };
            attachments::download(conn, &files, reading, &file)
        })
        .await?;
    Ok(file_response(&found, bytes))
}

/// The files of your request (tracking code + the mobile it was filed with, in the body):
/// yours, and those the Center sent you with a message.
#[utoipa::path(
    tag = "public", request_body = CitizenProof,
    params(("tracking_code" = String, Path, description = "The 12-digit tracking code", example = "483920175523")),
    responses(
        (status = 200, description = "The files, oldest first", body = Attachments),
        (status = 403, description = "The mobile number is not the one the request was filed with", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No request has this code", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/requests/{tracking_code}/attachments")]
pub async fn citizen_attachments(
    client: ClientAddress,
    state: web::Data<AppState>,
    code: web::Path<String>,
    body: ValidJson<CitizenProof>,
) -> Result<HttpResponse, ApiError> {
    let mobile = body.into_inner()?.mobile;
    let (limits, vault) = (state.limits.clone(), state.vault());
    let files = state
        .db(move |conn| public::attachments(conn, (&limits, &vault), &client.0, (&code, &mobile)))
        .await?;
    Ok(HttpResponse::Ok().json(Attachments {
        items: files.into_iter().map(Into::into).collect(),
    }))
}

/// Download one of your request's files (tracking code + mobile, in the body: a POST so that
/// the number never sits in a URL or a log line).
#[utoipa::path(
    tag = "public", request_body = CitizenProof,
    params(
        ("tracking_code" = String, Path, description = "The 12-digit tracking code", example = "483920175523"),
        ("attachment_id" = Uuid, Path, description = "The file's id"),
    ),
    responses(
        (status = 200, description = "The file, as an attachment to save", content(
            (FileContent = "image/jpeg"), (FileContent = "image/png"), (FileContent = "image/webp"), (FileContent = "application/pdf")),
            headers(("Content-Disposition" = String, description = "`attachment`, with the file's name"))),
        (status = 403, description = "The mobile number is not the one the request was filed with", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No request has this code, or no such file of it for you", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/requests/{tracking_code}/attachments/{attachment_id}")]
pub async fn citizen_download(
    client: ClientAddress,
    state: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
    body: ValidJson<CitizenProof>,
) -> Result<HttpResponse, ApiError> {
    let mobile = body.into_inner()?.mobile;
    let (code, file) = path.into_inner();
    let file = AttachmentId::from(file);
    let (limits, files, vault) = (state.limits.clone(), state.files.clone(), state.vault());
    let (found, bytes) = state
        .db(move |conn| {
            let proof = (&*limits, &*files, &*vault);
            public::attachment(conn, proof, &client.0, (&code, &mobile), &file)
        })
        .await?;
    Ok(file_response(&found, bytes))
}
