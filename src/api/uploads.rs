//! Uploads (`attachments` tag): a file on its own, as `multipart/form-data` with one part named
//! `file`, answered with an id that a submission or message then lists in `attachments`.
//!
//! The part is read as it streams: its type is decided from its first bytes (415 at once for
//! anything else), and its size is checked with every chunk (413 as soon as it passes the
//! limit, nothing more read), so an upload costs at most the limit per file in memory however
//! large the body a client sends.

use actix_multipart::{Multipart, MultipartError};
use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

use super::client::ClientAddress;
use super::error::{ApiError, Kind, Problem};
use super::staff::Staff;
use super::state::AppState;
use super::views::utc;
use crate::app::attachments::{self, Files, HEAD_LEN, Upload, Uploader};
use crate::domain::conversation::UPLOADERS;
use crate::domain::limits::Limit;

/// The form of an upload.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // Only its schema is used: the handler reads the stream itself.
pub struct UploadForm {
    /// The file: JPEG, PNG, WebP or PDF (decided by its content). Its name is kept (tidied,
    /// with the extension of its real type).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// An upload waiting to be attached: list its `id` in the `attachments` of a submission or
/// message before `expires_at`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "3d9a7c1e-5b2f-4c8a-9e0d-1f2a3b4c5d6e", "file_name": "letter.pdf",
    "content_type": "application/pdf", "size": 183204,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "expires_at": "2026-12-02T10:30:00Z"
}))]
pub struct UploadView {
    #[schema(format = Uuid)]
    pub id: String,
    /// The name it is shown and downloaded under.
    pub file_name: String,
    /// The type found in its content.
    pub content_type: String,
    /// Bytes as kept (an image without its metadata).
    pub size: u64,
    /// SHA-256 of the bytes as kept, hex.
    pub sha256: String,
    /// Attach it before this, or it is deleted.
    pub expires_at: DateTime<Utc>,
}

impl From<Upload> for UploadView {
    fn from(upload: Upload) -> Self {
        Self {
            id: upload.id.to_string(),
            file_name: upload.file_name,
            content_type: upload.file_type.mime().to_owned(),
            size: upload.size,
            sha256: upload.sha256,
            expires_at: utc(upload.expires_at),
        }
    }
}

fn multipart_error(error: MultipartError) -> ApiError {
    match error {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible => ApiError::new(
            Kind::UnsupportedMediaType,
            "an upload is multipart/form-data with one part named `file`",
        ),
        other => ApiError::new(
            Kind::BadParameter,
            format!("the upload is not readable: {other}"),
        ),
    }
}

/// Reads the one `file` part: (the name the client gave it, its bytes), refused as soon as its
/// first bytes or its size rule it out. Other parts are skipped.
async fn read_file(
    files: &Files,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(Option<String>, Vec<u8>), ApiError> {
    let mut multipart = Multipart::new(req.headers(), payload);
    let mut found = None;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(multipart_error)?;
        if field.name() != Some("file") {
            continue;
        }
        if found.is_some() {
            return Err(ApiError::new(
                Kind::BadParameter,
                "one file per upload: send each file on its own",
            ));
        }
        let name = field
            .content_disposition()
            .and_then(|disposition| disposition.get_filename())
            .map(str::to_owned);
        let mut bytes: Vec<u8> = Vec::new();
        let mut kind = None;
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(multipart_error)?;
            if let Some(kind) = kind {
                attachments::check_size(files, kind, (bytes.len() + chunk.len()) as u64)?;
            }
            bytes.extend_from_slice(&chunk);
            if kind.is_none() && bytes.len() >= HEAD_LEN {
                let sniffed = attachments::check_start(files, &bytes)?;
                attachments::check_size(files, sniffed, bytes.len() as u64)?;
                kind = Some(sniffed);
            }
        }
        if kind.is_none() {
            attachments::check_start(files, &bytes)?;
        }
        found = Some((name, bytes));
    }
    found.ok_or_else(|| {
        ApiError::validation(vec![crate::domain::FieldError::new(
            "file",
            "required",
            "the upload has no part named `file`",
        )])
    })
}

/// Upload a file for your submission or reply (no account needed).
///
/// Send `multipart/form-data` with one part, `file`. The type is decided by the content
/// (JPEG, PNG, WebP, PDF); images lose their metadata (EXIF with GPS and camera serials, XMP,
/// comments) before they are kept. Then list the `id` in `attachments` of the submission or
/// reply, within `MARDOM_UPLOAD_TTL_MINUTES`. Limited per client address (429).
#[utoipa::path(
    tag = "attachments",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Kept, waiting to be attached", body = UploadView),
        (status = 400, description = "Not a readable multipart body, or more than one file", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than `MARDOM_ATTACHMENT_MAX_BYTES`; refused as it streamed", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart, or the file is not of an accepted type (by its content)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No `file` part, or the file is cut short (`truncated`) or damaged (`malformed`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many uploads from this address; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/uploads")]
pub async fn public_upload(
    req: HttpRequest,
    client: ClientAddress,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let limits = state.limits.clone();
    state
        .db(move |conn| {
            limits
                .hit(conn, Limit::UploadsPerClient, &client.0)
                .map(|_| ())
        })
        .await?;
    let (name, bytes) = read_file(&state.files, &req, payload).await?;
    let files = state.files.clone();
    let upload = state
        .db(move |conn| {
            attachments::upload(conn, &files, Uploader::Citizen, name.as_deref(), bytes)
        })
        .await?;
    Ok(HttpResponse::Created().json(UploadView::from(upload)))
}

/// Upload a file for a message (reviewer, head, admin, unit staff).
///
/// As the public upload; the upload can be attached only by the one who uploaded it.
#[utoipa::path(
    tag = "attachments", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Kept, waiting to be attached", body = UploadView),
        (status = 400, description = "Not a readable multipart body, or more than one file", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than `MARDOM_ATTACHMENT_MAX_BYTES`; refused as it streamed", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart, or the file is not of an accepted type (by its content)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No `file` part, or the file is cut short (`truncated`) or damaged (`malformed`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/uploads")]
pub async fn staff_upload(
    req: HttpRequest,
    staff: Staff,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    staff.require(UPLOADERS)?;
    let (name, bytes) = read_file(&state.files, &req, payload).await?;
    let (files, user) = (state.files.clone(), staff.user().clone());
    let upload = state
        .db(move |conn| {
            attachments::upload(conn, &files, Uploader::Staff(&user), name.as_deref(), bytes)
        })
        .await?;
    Ok(HttpResponse::Created().json(UploadView::from(upload)))
}
