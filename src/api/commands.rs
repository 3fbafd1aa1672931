//! What the document says of every command on a versioned resource, said once here instead of
//! on each of the fourteen handlers: it takes `If-Match`, and it can answer 404 (no such
//! resource), 409 (the command does not fit now) and 412 (`If-Match` names an older version).
//!
//! A command is a `POST` on a verb under a versioned resource (`POST /requests/{id}/refer`,
//! `POST /referrals/{id}/accept`); the versioned resources are those whose read answers with
//! an `ETag` (`VERSIONED`, also read by `contract` for that header). A handler that has more
//! to say about its 404 or 409 (which conflict codes, whose referral) states that response
//! itself, and this pass leaves it as stated.
//!
//! It runs once the handlers' paths are collected (a `Modify` of the `#[openapi]` derive would
//! run before them), and before `contract::finish`, which gives every operation that takes
//! `If-Match` its `ETag` header.

use utoipa::Modify;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Required, Response, ResponseBuilder};

use super::error::PROBLEM_JSON;
use super::versioning::IF_MATCH_PATTERN;

/// A resource whose version is its `ETag`, and what a command on it answers by default.
pub struct Versioned {
    /// The path of the read that answers with the `ETag`; commands are `POST` on `{item}/{verb}`.
    pub item: &'static str,
    /// The 404 of a command.
    missing: &'static str,
    /// The 409 of a command that names no conflict of its own.
    conflict: &'static str,
}

pub const VERSIONED: [Versioned; 2] = [
    Versioned {
        item: "/api/v1/requests/{id}",
        missing: "No such request",
        conflict: "Not possible now",
    },
    Versioned {
        item: "/api/v1/referrals/{id}",
        missing: "No such referral, or another unit's",
        conflict: "Not possible in this status",
    },
];

const STALE: &str = "`If-Match` names an older version";

/// The lists under a versioned resource that a `POST` adds to (a message to a conversation):
/// not commands on the resource, which they leave at its version.
const ADDED_TO: [&str; 1] = ["messages"];

/// Whether `path` is the read of a versioned resource.
pub fn is_versioned_read(path: &str) -> bool {
    VERSIONED.iter().any(|v| v.item == path)
}

/// The versioned resource `path` is a command on, if it is one: `{item}/{verb}`.
fn commanded(path: &str) -> Option<&'static Versioned> {
    VERSIONED.iter().find(|v| {
        path.strip_prefix(v.item)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|verb| {
                !verb.is_empty() && !verb.contains('/') && !ADDED_TO.contains(&verb)
            })
    })
}

/// Adds `If-Match` and the shared 404/409/412 to every command.
pub struct Commands;

impl Modify for Commands {
    fn modify(&self, doc: &mut OpenApi) {
        for (path, item) in doc.paths.paths.iter_mut() {
            let (Some(resource), Some(command)) = (commanded(path), item.post.as_mut()) else {
                continue;
            };
            let parameters = command.parameters.get_or_insert_with(Vec::new);
            let declared = |p: &RefOr<Parameter>| matches!(p, RefOr::T(p) if p.name == "If-Match");
            if !parameters.iter().any(declared) {
                parameters.push(RefOr::T(if_match()));
            }
            for (status, description) in [
                ("404", resource.missing),
                ("409", resource.conflict),
                ("412", STALE),
            ] {
                command
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| RefOr::T(problem(description)));
            }
        }
    }
}

fn if_match() -> Parameter {
    ParameterBuilder::new()
        .name("If-Match")
        .parameter_in(ParameterIn::Header)
        .description(Some("The ETag last read, e.g. `\"3\"`"))
        .required(Required::False)
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(IF_MATCH_PATTERN)),
        ))
        .build()
}

fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_verbs_under_a_versioned_item() {
        let item = |path| commanded(path).map(|v| v.item);
        assert_eq!(
            item("/api/v1/requests/{id}/refer"),
            Some("/api/v1/requests/{id}")
        );
        assert_eq!(
            item("/api/v1/referrals/{id}/accept"),
            Some("/api/v1/referrals/{id}")
        );
        for not_one in [
            "/api/v1/requests/{id}",
            "/api/v1/requests/{id}/",
            "/api/v1/requests",
            "/api/v1/notifications/{id}/retry",
            "/api/v1/public/requests/{tracking_code}/withdrawal",
            "/api/v1/requests/{id}/a/b",
        ] {
            assert_eq!(item(not_one), None, "{not_one}");
        }
    }
}
