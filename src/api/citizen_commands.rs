//! `public`: what the citizen does with their token (`citizen` scheme) instead of the tracking
//! code and the mobile number in every body: withdraw, rate, object, read the conversation and
//! answer in it, on `/public/me/requests/{tracking_code}/…`. Each is the same use case as its
//! tracking-code twin, given the token's number as the proof: the same rules, limits and answers
//! (another number's request is 403 there, and 404 here, since the citizen names only their own).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::citizen_door::{as_citizen, citizen_token};
use super::client::ClientAddress;
use super::conversation::{CitizenConversation, CitizenMessageView};
use super::error::{ApiError, Problem};
use super::json::ValidJson;
use super::public::PublicRequestView;
use super::state::AppState;
use crate::app::citizen_door::own;
use crate::app::public;
use crate::domain::ids::AttachmentId;

/// A rating, by the token's holder.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"score": 5, "comment": "سریع و محترمانه پاسخ دادند"}))]
pub struct MyRating {
    /// 1 (poor) to 5 (excellent).
    #[schema(minimum = 1, maximum = 5)]
    pub score: i32,
    #[schema(max_length = 1000)]
    pub comment: Option<String>,
}

/// An objection, by the token's holder.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "پاسخ واحد به موضوع شکایت من نپرداخته است"}))]
pub struct MyObjection {
    #[schema(min_length = 10, max_length = 4000)]
    pub text: String,
}

/// An answer in the conversation, by the token's holder.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "بله، روز شنبه مراجعه کرده بودم"}))]
pub struct MyReply {
    #[schema(min_length = 1, max_length = 2000)]
    pub text: String,
    /// Your uploads (`POST /api/v1/public/uploads`), each listed once.
    #[schema(max_items = 20)]
    pub attachments: Option<Vec<Uuid>>,
}

/// Withdraw one of your requests (the citizen's token).
#[utoipa::path(
    tag = "public", security(("citizen" = [])),
    params(("tracking_code" = String, Path, description = "The 12-digit tracking code", example = "483920175523")),
    responses(
        (status = 200, description = "Withdrawn", body = PublicRequestView),
        (status = 401, description = "No valid citizen's token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "None of your requests has this code", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The request is closed already (`transition-not-allowed`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/me/requests/{tracking_code}/withdrawal")]
pub async fn my_withdrawal(
    req: HttpRequest,
    client: ClientAddress,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token = citizen_token(&req, &state)?;
    let (limits, rules, code) = (
        state.limits.clone(),
        state.deadlines.clone(),
        code.into_inner(),
    );
    let withdrawn = as_citizen(token, &state, move |conn, _, mobile| {
        public::withdraw(conn, (&limits, &rules), &client.0, &code, mobile.as_str()).map_err(own)
    })
    .await?;
    Ok(HttpResponse::Ok().json(PublicRequestView::from(&withdrawn)))
}

/// Rate one of your closed requests, once (the citizen's token).
#[utoipa::path(
    tag = "public", security(("citizen" = [])), request_body = MyRating,
    params(("tracking_code" = String, Path, description = "The 12-digit tracking code", example = "483920175523")),
    responses(
        (status = 200, description = "Rated", body = PublicRequestView),
        (status = 401, description = "No valid citizen's token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "None of your requests has this code", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not closed (`not-closed`) or rated already (`already-rated`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/me/requests/{tracking_code}/rating")]
pub async fn my_rating(
    req: HttpRequest,
    client: ClientAddress,
    state: web::Data<AppState>,
    code: web::Path<String>,
    body: ValidJson<MyRating>,
) -> Result<HttpResponse, ApiError> {
    let token = citizen_token(&req, &state)?;
    let body = body.into_inner()?;
    let (limits, code) = (state.limits.clone(), code.into_inner());
    let rated = as_citizen(token, &state, move |conn, rules, mobile| {
        let input = public::RatingInput {
            mobile: mobile.as_str().to_owned(),
            score: body.score,
            comment: body.comment,
        };
        public::rate(conn, (&limits, rules), &client.0, &code, input).map_err(own)
    })
    .await?;
    Ok(HttpResponse::Ok().json(PublicRequestView::from(&rated)))
}

/// Object to how one of your requests ended, once, in its window (the citizen's token).
#[utoipa::path(
    tag = "public", security(("citizen" = [])), request_body = MyObjection,
    params(("tracking_code" = String, Path, description = "The 12-digit tracking code", example = "483920175523")),
    responses(
        (status = 200, description = "Objected: back in review", body = PublicRequestView),
        (status = 401, description = "No valid citizen's token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "None of your requests has this code", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not closed with an outcome (`transition-not-allowed`), objected already (`objected-already`), or too late (`objection-window-closed`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A text shorter than 10 or longer than 4000 characters", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/me/requests/{tracking_code}/objection")]
pub async fn my_objection(
    req: HttpRequest,
    client: ClientAddress,
    state: web::Data<AppState>,
    code: web::Path<String>,
    body: ValidJson<MyObjection>,
) -> Result<HttpResponse, ApiError> {
    let token = citizen_token(&req, &state)?;
    let text = body.into_inner()?.text;
    let (limits, rules, code) = (
        state.limits.clone(),
        state.deadlines.clone(),
        code.into_inner(),
    );
    let objected = as_citizen(token, &state, move |conn, _, mobile| {
        crate::app::objection::object(
            conn,
            (&limits, &rules),
            &client.0,
            (&code, mobile.as_str()),
            &text,
        )
        .map_err(own)
    })
    .await?;
    Ok(HttpResponse::Ok().json(PublicRequestView::from(&objected)))
}

/// The conversation of one of your requests (the citizen's token).
#[utoipa::path(
    tag = "public", security(("citizen" = [])),
    params(("tracking_code" = String, Path, description = "The 12-digit tracking code", example = "483920175523")),
    responses(
        (status = 200, description = "The conversation, oldest first", body = CitizenConversation),
        (status = 401, description = "No valid citizen's token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "None of your requests has this code", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/public/me/requests/{tracking_code}/conversation")]
pub async fn my_conversation(
    req: HttpRequest,
    client: ClientAddress,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token = citizen_token(&req, &state)?;
    let (limits, code) = (state.limits.clone(), code.into_inner());
    let messages = as_citizen(token, &state, move |conn, rules, mobile| {
        public::conversation(
            conn,
            (&limits, &rules.vault),
            &client.0,
            &code,
            mobile.as_str(),
        )
        .map_err(own)
    })
    .await?;
    Ok(HttpResponse::Ok().json(CitizenConversation {
        items: messages.into_iter().map(Into::into).collect(),
    }))
}

/// Answer in the conversation of one of your requests (the citizen's token).
#[utoipa::path(
    tag = "public", security(("citizen" = [])), request_body = MyReply,
    params(("tracking_code" = String, Path, description = "The 12-digit tracking code", example = "483920175523")),
    responses(
        (status = 201, description = "Sent", body = CitizenMessageView),
        (status = 401, description = "No valid citizen's token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "None of your requests has this code", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The request is closed (`conversation-ended`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many messages; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/me/requests/{tracking_code}/messages")]
pub async fn my_reply(
    req: HttpRequest,
    client: ClientAddress,
    state: web::Data<AppState>,
    code: web::Path<String>,
    body: ValidJson<MyReply>,
) -> Result<HttpResponse, ApiError> {
    let token = citizen_token(&req, &state)?;
    let MyReply { text, attachments } = body.into_inner()?;
    let ids: Vec<AttachmentId> = attachments
        .into_iter()
        .flatten()
        .map(AttachmentId::from)
        .collect();
    let (limits, files, rules) = (
        state.limits.clone(),
        state.files.clone(),
        state.deadlines.clone(),
    );
    let code = code.into_inner();
    let message = as_citizen(token, &state, move |conn, _, mobile| {
        public::reply(
            conn,
            (&limits, &files, &rules),
            &client.0,
            (&code, mobile.as_str()),
            (&text, &ids),
        )
        .map_err(own)
    })
    .await?;
    Ok(HttpResponse::Created().json(CitizenMessageView::from(message)))
}
