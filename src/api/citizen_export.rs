//! The citizen's download of everything held about them (`GET /public/me/export`, the
//! citizen's token): each of their requests with its public record, their own text, their
//! identity in full (it is theirs), the conversation, their rating, and the record of every
//! time staff read their identity. JSON, as an attachment to save.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::citizen_door::{MyRequestView, as_citizen, citizen_token, mine};
use super::conversation::CitizenMessageView;
use super::error::{ApiError, Problem};
use super::requests::IdentityView;
use super::state::AppState;
use crate::app::citizen_door;

/// Everything held about the citizen of the token's number.
#[derive(Debug, Serialize, ToSchema)]
pub struct CitizenExport {
    /// The number the token stands for.
    pub mobile: String,
    pub exported_at: DateTime<Utc>,
    /// Newest first.
    pub requests: Vec<HeldRequestView>,
}

/// One request in the download.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldRequestView {
    #[serde(flatten)]
    pub request: MyRequestView,
    /// The identity as filed, in full.
    pub identity: IdentityView,
    pub conversation: Vec<CitizenMessageView>,
    /// The rating given, if any.
    pub rating: Option<HeldRating>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HeldRating {
    pub score: i32,
    pub comment: Option<String>,
}

/// Download everything held about you (the citizen's token).
///
/// Your requests with their records, your texts and identity, the conversation, your ratings,
/// and when (and by which role) staff read your identity: one JSON file.
#[utoipa::path(
    tag = "public", security(("citizen" = [])),
    responses(
        (status = 200, description = "Everything held about the token's number", body = CitizenExport,
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"mardom-my-data.json\"`"))),
        (status = 401, description = "No citizen's token, or an expired or invalid one", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/public/me/export")]
pub async fn my_export(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = citizen_token(&req, &state)?;
    let (held, mobile, at) = as_citizen(token, &state, |conn, rules, mobile| {
        let held = citizen_door::everything(conn, rules, mobile)?;
        Ok((held, mobile.as_str().to_owned(), rules.now()))
    })
    .await?;
    let export = CitizenExport {
        mobile,
        exported_at: super::views::utc(at),
        requests: held
            .into_iter()
            .map(|held| HeldRequestView {
                request: mine(&held.mine),
                identity: held.identity.into(),
                conversation: held.conversation.into_iter().map(Into::into).collect(),
                rating: held
                    .rating
                    .map(|(score, comment)| HeldRating { score, comment }),
            })
            .collect(),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"mardom-my-data.json\"",
        ))
        .json(export))
}
