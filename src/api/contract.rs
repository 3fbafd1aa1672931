//! The last pass over the OpenAPI document: the conventions that hold for every operation and
//! every view, written once here instead of on 60 handlers and 40 structs, so that a client
//! generated from the document (openapi-python-client, openapi-typescript…) takes it unedited.
//!
//! - Every operation is explicit about security: public ones say `security: []`.
//! - Every operation has a description (its summary, when the handler's comment has one line).
//! - Header parameters are plain optional strings, never `["string", "null"]`: a header is sent
//!   or not, and a generated client that may send `null` sends the text "None".
//! - The headers the server always sends are declared where it sends them: `X-Request-Id` on
//!   every answer, `Retry-After` on 429 and 503, `ETag` where the operation takes `If-Match` or
//!   reads a versioned resource, `Location` on 201.
//! - A view's every property is `required` (nullable where it can be null): the server always
//!   sends each one, so a client need not handle "absent" beside "null". Request bodies keep
//!   their optional fields.
//! - An object schema without properties is free-form and says so (`additionalProperties`).
//! - What a parser accepts is declared as a pattern where a pattern can say it: tracking codes
//!   in a path, mobile numbers in a body, cursors.
//!
//! The pass works on the document as JSON (utoipa's types round-trip through serde exactly).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};
use utoipa::openapi::OpenApi;

/// Answers that leave out what does not apply, as RFC 9457 lets a problem do: their optional
/// members stay optional.
const PARTIAL_VIEWS: [&str; 2] = ["Problem", "FieldError"];

/// Applies the conventions; on the (impossible) failure to read the document back, returns it
/// as it was.
pub fn finish(doc: OpenApi) -> OpenApi {
    let Ok(mut json) = serde_json::to_value(&doc) else {
        return doc;
    };
    apply(&mut json);
    serde_json::from_value(json).unwrap_or(doc)
}

fn apply(doc: &mut Value) {
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        let readable: Vec<String> = paths
            .iter()
            .filter(|(_, item)| item.get("get").is_some())
            .map(|(path, _)| path.clone())
            .collect();
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            let located = has_item_read(&readable, path);
            for (method, operation) in item.iter_mut() {
                if let Some(operation) = operation.as_object_mut() {
                    let takes = operation_conventions(operation);
                    let etag = if takes.if_none_match {
                        Some(super::conditional::ETAG_DESCRIPTION)
                    } else {
                        (takes.if_match
                            || (method == "get" && super::commands::is_versioned_read(path)))
                        .then_some(VERSION_ETAG)
                    };
                    if let Some(responses) = operation.get_mut("responses") {
                        response_headers(responses, etag, located);
                    }
                }
            }
        }
    }
    if let Some(responses) = doc
        .pointer_mut("/components/responses")
        .and_then(Value::as_object_mut)
    {
        for (name, response) in responses.iter_mut() {
            let retry = matches!(name.as_str(), "Unavailable" | "TooManyRequests");
            add_headers(response, retry);
        }
    }
    let views = view_schemas(doc);
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in schemas.iter_mut() {
            free_form_objects(schema);
            if views.contains(name) {
                if !PARTIAL_VIEWS.contains(&name.as_str()) {
                    require_every_property(schema);
                }
            } else {
                mobile_patterns(schema);
            }
        }
    }
}

/// The `ETag` of what reads or changes a versioned resource without answering conditionally.
const VERSION_ETAG: &str = "The version as an entity tag (`\"3\"`; a request's is followed by a digest of its view, `\"3.1f0c…\"`): send it back as `If-Match`";

/// The conditional headers an operation takes.
struct Takes {
    if_match: bool,
    if_none_match: bool,
}

/// Security, description and parameter conventions; returns the conditional headers the
/// operation takes.
fn operation_conventions(operation: &mut Map<String, Value>) -> Takes {
    operation
        .entry("security")
        .or_insert_with(|| Value::Array(Vec::new()));
    if operation.get("description").is_none_or(Value::is_null)
        && let Some(summary) = operation.get("summary").cloned()
    {
        operation.insert("description".to_owned(), summary);
    }
    let mut takes = Takes {
        if_match: false,
        if_none_match: false,
    };
    if let Some(parameters) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    {
        for parameter in parameters.iter_mut() {
            let pattern = match (parameter["in"].as_str(), parameter["name"].as_str()) {
                (Some("path"), Some("tracking_code")) => {
                    Some(crate::domain::tracking_code::PATTERN)
                }
                // The keyset cursor of every list.
                (Some("query"), Some("cursor")) => Some(super::cursor::PATTERN),
                _ => None,
            };
            if let (Some(pattern), Some(schema)) = (pattern, parameter.get_mut("schema")) {
                schema["pattern"] = Value::String(pattern.to_owned());
            }
            if parameter["in"] == "header" {
                takes.if_match |= parameter["name"] == "If-Match";
                takes.if_none_match |= parameter["name"] == "If-None-Match";
                if let Some(schema) = parameter.get_mut("schema") {
                    not_nullable(schema);
                }
            }
        }
    }
    takes
}

/// Whether what a POST on `collection` creates can be read at `collection/{…}` (then its 201
/// says where, in `Location`; a contact, listed only, has no such place).
fn has_item_read(readable: &[String], collection: &str) -> bool {
    readable.iter().any(|path| {
        path.strip_prefix(collection)
            .and_then(|rest| rest.strip_prefix("/{"))
            .is_some_and(|rest| !rest.contains('/'))
    })
}

/// The headers every answer carries, `ETag` where `etag` (what reads or changes a versioned
/// resource: the reads answer with it although they take no `If-Match`), and `Location` on a
/// 201 whose resource can be read.
fn response_headers(responses: &mut Value, etag: Option<&str>, located: bool) {
    let Some(responses) = responses.as_object_mut() else {
        return;
    };
    for (status, response) in responses.iter_mut() {
        if response.get("$ref").is_some() {
            continue; // shared responses get their headers in the components
        }
        add_headers(response, status == "429" || status == "503");
        if let Some(description) = etag.filter(|_| status == "200" || status == "304") {
            add_header(response, "ETag", description, json!({"type": "string"}));
        }
        if status == "201" && located {
            add_header(
                response,
                "Location",
                "Where the new resource is read",
                json!({"type": "string"}),
            );
        }
    }
}

/// `X-Request-Id` on every answer, and `Retry-After` where asked.
fn add_headers(response: &mut Value, retry_after: bool) {
    add_header(
        response,
        "X-Request-Id",
        "This answer's id (yours, when you sent a short printable `X-Request-Id`): quote it to support",
        json!({"type": "string"}),
    );
    if retry_after {
        add_header(
            response,
            "Retry-After",
            "Seconds to wait before trying again",
            json!({"type": "integer", "minimum": 0}),
        );
    }
}

fn add_header(response: &mut Value, name: &str, description: &str, schema: Value) {
    let Some(response) = response.as_object_mut() else {
        return;
    };
    let headers = response
        .entry("headers")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(headers) = headers.as_object_mut() {
        let header = headers
            .entry(name.to_owned())
            .or_insert_with(|| json!({"schema": schema.clone()}));
        if let Some(header) = header.as_object_mut() {
            header
                .entry("description")
                .or_insert_with(|| Value::String(description.to_owned()));
            if let Some(s) = header.get_mut("schema") {
                not_nullable(s);
            }
        }
    }
}

/// A mobile number a client sends is described as the parser reads it.
fn mobile_patterns(schema: &mut Value) {
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, property) in properties.iter_mut() {
            if name == "mobile" || name == "citizen_mobile" {
                property["pattern"] = Value::String(crate::domain::phone::PATTERN.to_owned());
            }
        }
    }
}

/// `["string", "null"]` → `"string"`.
fn not_nullable(schema: &mut Value) {
    if let Some(types) = schema.get("type").and_then(Value::as_array) {
        let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        if kept.len() == 1 {
            schema["type"] = kept[0].clone();
        }
    }
}

/// An object schema with no `properties` (and no `additionalProperties`) is free-form.
fn free_form_objects(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let is_object = map.get("type").is_some_and(|t| {
                t == "object"
                    || t.as_array()
                        .is_some_and(|a| a.iter().any(|x| x == "object"))
            });
            if is_object
                && !map.contains_key("properties")
                && !map.contains_key("additionalProperties")
                && !map.contains_key("$ref")
            {
                map.insert("additionalProperties".to_owned(), Value::Bool(true));
            }
            for value in map.values_mut() {
                free_form_objects(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(free_form_objects),
        _ => {}
    }
}

fn require_every_property(schema: &mut Value) {
    let Some(names) = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().map(Value::String).collect::<Vec<_>>())
    else {
        // `allOf` compositions (a flattened view) require within each part.
        if let Some(parts) = schema.get_mut("allOf").and_then(Value::as_array_mut) {
            parts.iter_mut().for_each(require_every_property);
        }
        return;
    };
    schema["required"] = Value::Array(names);
}

/// The component schemas that only answers use: reachable from a response and not from any
/// request body or parameter.
fn view_schemas(doc: &Value) -> BTreeSet<String> {
    let schemas = doc
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or(Value::Null);
    let mut answers = BTreeSet::new();
    let mut asked = BTreeSet::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for item in paths.values() {
            for operation in item.as_object().into_iter().flat_map(|o| o.values()) {
                collect_refs(&operation["responses"], &schemas, &mut answers);
                collect_refs(&operation["requestBody"], &schemas, &mut asked);
                collect_refs(&operation["parameters"], &schemas, &mut asked);
            }
        }
    }
    if let Some(responses) = doc.pointer("/components/responses") {
        collect_refs(responses, &schemas, &mut answers);
    }
    answers.difference(&asked).cloned().collect()
}

/// Every schema `value` refers to, transitively.
fn collect_refs(value: &Value, schemas: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                && found.insert(name.to_owned())
            {
                collect_refs(&schemas[name], schemas, found);
            }
            for value in map.values() {
                collect_refs(value, schemas, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, schemas, found)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_headers_become_plain_strings() {
        let mut schema = json!({"type": ["string", "null"], "pattern": "x"});
        not_nullable(&mut schema);
        assert_eq!(schema, json!({"type": "string", "pattern": "x"}));
    }

    #[test]
    fn only_schemas_that_answers_alone_use_are_views() {
        let doc = json!({
            "paths": {"/a": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Body"}}}},
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/View"}}}}}
            }}},
            "components": {"schemas": {
                "Body": {"type": "object", "properties": {"kind": {"$ref": "#/components/schemas/Kind"}}},
                "View": {"type": "object", "properties": {"kind": {"$ref": "#/components/schemas/Kind"}, "part": {"$ref": "#/components/schemas/Part"}}},
                "Part": {"type": "object", "properties": {"n": {"type": "integer"}}},
                "Kind": {"type": "string", "enum": ["a"]}
            }}
        });
        assert_eq!(
            view_schemas(&doc).into_iter().collect::<Vec<_>>(),
            ["Part", "View"]
        );
    }
}
