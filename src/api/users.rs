//! `users`: staff accounts, administered by admins.

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::cursor;
use super::error::ApiError;
use super::json::ValidJson;
use super::list_query::{ListQuery, PageParams};
use super::staff::Staff;
use super::state::AppState;
use super::views::{present_or_null, utc};
use crate::app::users::{self, NewUser, UserChanges, UserFilter};
use crate::domain::{Role, StaffUser};

/// A staff account. Never carries the password or its hash.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "5f0c2f7e-4a8e-4d4b-9a57-1c1b2f0e9a11", "username": "sara.ahmadi", "display_name": "سارا احمدی",
    "role": "reviewer", "unit_id": null, "active": true, "mobile": "+989121234567",
    "created_at": "2026-11-28T08:30:00Z", "updated_at": "2026-11-28T08:30:00Z"
}))]
pub struct UserView {
    #[schema(format = Uuid)]
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The unit of a `unit_staff` account; null for every other role.
    #[schema(format = Uuid)]
    pub unit_id: Option<String>,
    pub active: bool,
    /// Where the staff SMS go (deadline reminders and escalations, an objection): canonical
    /// `+989…`; null when none was given, and then the inbox alone tells them.
    pub mobile: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<StaffUser> for UserView {
    fn from(user: StaffUser) -> Self {
        Self {
            id: user.id.into(),
            username: user.username,
            display_name: user.display_name,
            role: user.role,
            unit_id: user.unit_id.map(Into::into),
            active: user.active,
            mobile: user.mobile,
            created_at: utc(user.created_at),
            updated_at: utc(user.updated_at),
        }
    }
}

/// A new staff account.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "username": "sara.ahmadi", "display_name": "سارا احمدی", "password": "a long pass phrase",
    "role": "unit_staff", "unit_id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10"
}))]
pub struct NewUserBody {
    /// Sign-in name, compared in lower case.
    #[schema(
        min_length = 3,
        max_length = 64,
        pattern = "^[A-Za-z0-9][A-Za-z0-9._-]*$"
    )]
    pub username: String,
    /// Shown to colleagues; Persian letters are normalised.
    #[schema(min_length = 2, max_length = 100)]
    pub display_name: String,
    /// At least 10 characters, not one character repeated.
    #[schema(min_length = 10, max_length = 128, format = Password)]
    pub password: String,
    pub role: Role,
    /// Required for `unit_staff`, refused for every other role. Must be an active unit.
    pub unit_id: Option<Uuid>,
    /// A mobile number for the staff SMS, in any usual form; optional.
    #[schema(example = "09121234567")]
    pub mobile: Option<String>,
}

/// A change to an account; absent fields stay as they are. Changing the role away from
/// `unit_staff` clears the unit; changing it to `unit_staff` requires `unit_id`.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "unit_staff", "unit_id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10", "active": true}))]
pub struct UserPatch {
    #[schema(min_length = 2, max_length = 100)]
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub unit_id: Option<Uuid>,
    /// `false` signs the user out at once and keeps them out.
    pub active: Option<bool>,
    /// A new mobile number for the staff SMS; `null` removes it (no more SMS, the inbox only).
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<String>)]
    pub mobile: Option<Option<String>>,
}

/// A new password set by an admin; every token of the account stops working.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"password": "another long phrase"}))]
pub struct PasswordReset {
    #[schema(min_length = 10, max_length = 128, format = Password)]
    pub password: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    pub role: Option<Role>,
    pub unit_id: Option<Uuid>,
    pub active: Option<bool>,
}

/// One page of accounts, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

const ADMIN: &[Role] = &[Role::Admin];

/// Create a staff account (admin).
#[utoipa::path(
    tag = "users", security(("bearer" = [])), request_body = NewUserBody,
    responses(
        (status = 201, description = "Created; `Location` names the new account", body = UserView),
        (status = 409, description = "The username is taken (`username-taken`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    staff: Staff,
    body: ValidJson<NewUserBody>,
) -> Result<HttpResponse, ApiError> {
    staff.require(ADMIN)?;
    let body = body.into_inner()?;
    let input = NewUser {
        username: body.username,
        display_name: body.display_name,
        password: body.password,
        role: body.role,
        unit_id: body.unit_id.map(Into::into),
        mobile: body.mobile,
    };
    let user = state.db(move |conn| users::create(conn, input)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", user.id)))
        .json(UserView::from(user)))
}

/// List staff accounts (admin), filtered, newest first, in pages.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(UserQuery, PageParams), responses((status = 200, description = "One page of accounts", body = UserList)))]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    staff: Staff,
    query: ListQuery<UserQuery>,
) -> Result<HttpResponse, ApiError> {
    staff.require(ADMIN)?;
    let (query, page) = query.into_parts()?;
    let filter = UserFilter {
        role: query.role,
        unit_id: query.unit_id.map(Into::into),
        active: query.active,
    };
    let page = state
        .db(move |conn| users::list(conn, filter, &page))
        .await?;
    Ok(HttpResponse::Ok().json(UserList {
        items: page.items.into_iter().map(UserView::from).collect(),
        next_cursor: page.next.as_ref().map(cursor::encode),
    }))
}

/// Read one staff account (admin).
#[utoipa::path(
    tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account", body = UserView),
        (status = 404, description = "No such account", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    staff.require(ADMIN)?;
    let id = id.into_inner().into();
    let user = state.db(move |conn| users::get(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}

/// Change an account's name, role, unit or active flag (admin). The last active admin cannot be
/// demoted or deactivated.
#[utoipa::path(
    tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The account's id")), request_body = UserPatch,
    responses(
        (status = 200, description = "The changed account", body = UserView),
        (status = 404, description = "No such account", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "It is the last active admin (`last-admin`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<UserPatch>,
) -> Result<HttpResponse, ApiError> {
    staff.require(ADMIN)?;
    let id = id.into_inner().into();
    let body = body.into_inner()?;
    let changes = UserChanges {
        display_name: body.display_name,
        role: body.role,
        unit_id: body.unit_id.map(Into::into),
        active: body.active,
        mobile: body.mobile,
    };
    let user = state
        .db(move |conn| users::update(conn, &id, changes))
        .await?;
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}

/// Set a new password for an account (admin); the account's existing tokens stop working.
#[utoipa::path(
    tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The account's id")), request_body = PasswordReset,
    responses(
        (status = 204, description = "The password was changed"),
        (status = 404, description = "No such account", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users/{id}/password")]
pub async fn reset_password(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<PasswordReset>,
) -> Result<HttpResponse, ApiError> {
    staff.require(ADMIN)?;
    let id = id.into_inner().into();
    let password = body.into_inner()?.password;
    state
        .db(move |conn| users::reset_password(conn, &id, &password))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
