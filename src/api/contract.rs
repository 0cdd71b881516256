//! What every operation of the API promises, applied in one place around all of them, so no route can
//! forget it:
//!
//! - a path or query that carries what PostgreSQL text cannot hold (U+0000, bytes that are not UTF-8) is
//!   refused with 400 before any handler, extractor or query sees it;
//! - a JSON body whose value is a number or a boolean where the schema says string is refused with 400
//!   (the framework alone would read `0` as `"0"`), so a body is taken only as documented;
//! - a method a path does not serve is answered 405 with `Allow` naming the ones it does (`OPTIONS`: 204
//!   with `Allow`);
//! - every operation that takes a bearer token documents 401 and 403;
//! - every optional property is documented as nullable: the API writes an absent value as `null`, and
//!   reads `null` as absent (or as the property's default).

use super::error::{AllowedMethods, ApiError, ErrorBody};
use poem::http::{header, Method, StatusCode};
use poem::{EndpointExt, IntoResponse, Request, Response};
use poem_openapi::registry::{
    MetaApi, MetaMediaType, MetaResponse, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::Type;
use poem_openapi::OpenApi;
use std::collections::HashMap;
use std::sync::Arc;

/// The APIs `T`, held to the promises above.
pub struct Contract<T>(pub T);

/// Methods a path without a handler for them answers 405 (or, for `OPTIONS`, 204) with `Allow`, in the
/// order `Allow` names them. Other extension methods get the router's 405, without `Allow`.
fn methods() -> Vec<Method> {
    let mut methods = vec![
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
        Method::TRACE,
        Method::CONNECT,
    ];
    methods.extend(Method::from_bytes(b"QUERY").ok());
    methods
}

type Schemas = std::collections::BTreeMap<String, MetaSchema>;

/// A path as a shape both the spec (`/a/{id}`) and the router (`/a/:param0`) reduce to (`/a/*`).
fn shape(path: &str) -> String {
    path.split('/')
        .map(|s| match s.starts_with(':') || s.starts_with('{') {
            true => "*",
            false => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The JSON request body schema of every operation, by path shape and method.
fn json_bodies(apis: &[MetaApi]) -> HashMap<(String, Method), MetaSchemaRef> {
    let mut bodies = HashMap::new();
    for path in apis.iter().flat_map(|api| api.paths.iter()) {
        for operation in &path.operations {
            let contents = operation.request.iter().flat_map(|r| r.content.iter());
            for content in contents.filter(|c| c.content_type.starts_with("application/json")) {
                bodies.insert(
                    (shape(&path.path), operation.method.clone()),
                    content.schema.clone(),
                );
            }
        }
    }
    bodies
}

type RouteTable = HashMap<String, HashMap<Method, poem::endpoint::BoxEndpoint<'static>>>;

impl<T: OpenApi> OpenApi for Contract<T> {
    fn meta() -> Vec<MetaApi> {
        let mut apis = T::meta();
        for operation in apis
            .iter_mut()
            .flat_map(|api| api.paths.iter_mut())
            .flat_map(|path| path.operations.iter_mut())
        {
            if operation.security.is_empty() {
                continue;
            }
            let responses = &mut operation.responses.responses;
            for (status, description) in [
                (401, "No valid bearer token."),
                (403, "The token is valid but may not do this."),
            ] {
                if !responses.iter().any(|r| r.status == Some(status)) {
                    responses.push(error_response(status, description));
                }
            }
            responses.sort_by_key(|r| r.status.unwrap_or(u16::MAX));
            for response in responses.iter_mut() {
                for content in &mut response.content {
                    if content.content_type.starts_with("text/event-stream") {
                        content.schema = server_sent_event();
                    }
                }
            }
        }
        apis
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
        let names: Vec<String> = registry.schemas.keys().cloned().collect();
        for name in names {
            let Some(mut schema) = registry.schemas.remove(&name) else {
                continue;
            };
            optional_is_nullable(&mut schema, registry);
            registry.schemas.insert(name, schema);
        }
    }

    fn add_routes(self, route_table: &mut RouteTable) {
        let mut registry = Registry::new();
        T::register(&mut registry);
        let schemas = Arc::new(std::mem::take(&mut registry.schemas));
        let bodies = json_bodies(&T::meta());
        let methods_known = methods();
        let mut inner = RouteTable::new();
        self.0.add_routes(&mut inner);
        for (path, mut methods) in inner {
            let mut served: Vec<Method> = methods.keys().cloned().collect();
            if served.contains(&Method::GET) {
                served.push(Method::HEAD);
            }
            served.push(Method::OPTIONS);
            served.sort_by_key(|m| methods_known.iter().position(|known| known == m));
            let allow = AllowedMethods(
                served
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            let mut routes: HashMap<Method, poem::endpoint::BoxEndpoint<'static>> = HashMap::new();
            for (method, ep) in methods.drain() {
                let ep = match bodies.get(&(shape(&path), method.clone())) {
                    Some(body) => {
                        let (body, schemas) = (Arc::new(body.clone()), schemas.clone());
                        ep.before(move |req| strict_json(req, body.clone(), schemas.clone()))
                            .boxed()
                    }
                    None => ep,
                };
                routes.insert(method, ep.before(refuse_unstorable_text).boxed());
            }
            for method in methods_known.iter().cloned() {
                // HEAD is answered by GET where there is one.
                if served.contains(&method) && method != Method::OPTIONS {
                    continue;
                }
                let allow = allow.clone();
                let options = method == Method::OPTIONS;
                let answer = poem::endpoint::make(move |_req: Request| {
                    let allow = allow.clone();
                    async move { not_served(options, allow) }
                });
                routes.insert(method, answer.boxed());
            }
            route_table.entry(path).or_default().extend(routes);
        }
    }
}

/// 204 with `Allow` for `OPTIONS`; for any other method the path does not serve, 405 with `Allow`
/// (rendered in the API's error shape by [`super::error::render`]).
fn not_served(options: bool, allow: AllowedMethods) -> poem::Result<Response> {
    if options {
        return Ok(StatusCode::NO_CONTENT
            .with_header(header::ALLOW, allow.0)
            .into_response());
    }
    let mut error = poem::Error::from_status(StatusCode::METHOD_NOT_ALLOWED);
    error.set_data(allow);
    Err(error)
}

/// Refuses a path or query whose decoded text PostgreSQL could not hold: U+0000 anywhere, or bytes that
/// are not UTF-8. Checked on the raw URI, so it covers every parameter of every operation, present and
/// future, before any of them is parsed.
async fn refuse_unstorable_text(req: Request) -> poem::Result<Request> {
    let uri = req.uri();
    for (part, raw) in [("path", Some(uri.path())), ("query", uri.query())] {
        let Some(raw) = raw else { continue };
        if let Err(reason) = storable_text(raw) {
            let error = ApiError::bad_request(
                "invalid_parameter",
                format!("the {part} {reason}: no parameter may hold it"),
            );
            return Err(poem::Error::from_response(error.into_response()));
        }
    }
    Ok(req)
}

/// Refuses a JSON body with a number or boolean where its schema says string. Bodies that are not JSON
/// are left to the operation's own parsing, which refuses them.
async fn strict_json(
    mut req: Request,
    schema: Arc<MetaSchemaRef>,
    schemas: Arc<Schemas>,
) -> poem::Result<Request> {
    if !req
        .content_type()
        .is_some_and(|c| c.starts_with("application/json"))
    {
        return Ok(req);
    }
    let bytes = req.take_body().into_bytes().await?;
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) {
        if let Some(at) = not_text(&value, &schema, &schemas, "body") {
            let error = ApiError::bad_request(
                "invalid_request",
                format!("{at} must be a string, as the API's schema says"),
            );
            return Err(poem::Error::from_response(error.into_response()));
        }
    }
    req.set_body(bytes);
    Ok(req)
}

/// Where `value` holds a number or boolean that `schema` says is a string.
fn not_text(
    value: &serde_json::Value,
    schema: &MetaSchemaRef,
    schemas: &Schemas,
    at: &str,
) -> Option<String> {
    use serde_json::Value;
    let schema = match schema {
        MetaSchemaRef::Inline(schema) => schema.as_ref(),
        MetaSchemaRef::Reference(name) => schemas.get(name)?,
    };
    if schema.ty == "string" && (value.is_number() || value.is_boolean()) {
        return Some(at.to_owned());
    }
    if let Some(found) = schema
        .all_of
        .iter()
        .find_map(|part| not_text(value, part, schemas, at))
    {
        return Some(found);
    }
    // A union: the branch its discriminator names.
    if let Some(discriminator) = &schema.discriminator {
        let kind = value
            .get(discriminator.property_name)
            .and_then(Value::as_str);
        let branch = discriminator
            .mapping
            .iter()
            .find(|(name, _)| Some(name.as_str()) == kind)
            .and_then(|(_, target)| target.rsplit('/').next());
        if let Some(branch) = branch {
            let branch = MetaSchemaRef::Reference(branch.to_owned());
            return not_text(value, &branch, schemas, at);
        }
    }
    match value {
        Value::Object(fields) => schema.properties.iter().find_map(|(name, property)| {
            let field = fields.get(*name)?;
            not_text(field, property, schemas, &format!("{at}.{name}"))
        }),
        Value::Array(items) => {
            let item = schema.items.as_deref()?;
            items
                .iter()
                .enumerate()
                .find_map(|(i, value)| not_text(value, item, schemas, &format!("{at}[{i}]")))
        }
        _ => None,
    }
}

/// Whether percent-decoded `raw` is text PostgreSQL can store; the reason if not.
fn storable_text(raw: &str) -> Result<(), &'static str> {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                decoded.push(value as u8);
                i += 3;
            }
            (b, _, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    if decoded.contains(&0) {
        return Err("carries U+0000 (NUL)");
    }
    if std::str::from_utf8(&decoded).is_err() {
        return Err("carries bytes that are not UTF-8");
    }
    Ok(())
}

fn error_response(status: u16, description: &'static str) -> MetaResponse {
    MetaResponse {
        description,
        status: Some(status),
        status_range: None,
        content: vec![MetaMediaType {
            content_type: "application/json; charset=utf-8",
            schema: ErrorBody::schema_ref(),
        }],
        headers: Vec::new(),
    }
}

/// One event of a `text/event-stream` response, as OpenAPI 3.0 describes a stream: each event, not the
/// whole stream.
fn server_sent_event() -> MetaSchemaRef {
    let text = |description: &'static str| {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            description: Some(description),
            ..MetaSchema::new("string")
        }))
    };
    MetaSchemaRef::Inline(Box::new(MetaSchema {
        description: Some("One Server-Sent Event."),
        required: vec!["data"],
        properties: vec![
            (
                "event",
                text("The kind of change (`message` or `conversation`)."),
            ),
            (
                "id",
                text("Send back as `Last-Event-ID` to resume after this event."),
            ),
            ("data", text("The change as JSON (a `LiveChange`).")),
        ],
        ..MetaSchema::new("object")
    }))
}

/// Marks every optional property (not required) of `schema`, and of the objects inside it, nullable: an
/// absent value is written as `null`, and `null` is read as absent (or as the property's default).
fn optional_is_nullable(schema: &mut MetaSchema, registry: &Registry) {
    let required = schema.required.clone();
    for (name, property) in &mut schema.properties {
        let optional = !required.contains(name);
        match property {
            MetaSchemaRef::Inline(inner) => {
                optional_is_nullable(inner, registry);
                if optional {
                    inner.nullable = true;
                    if inner.ty.is_empty() {
                        inner.ty = referenced_type(&inner.all_of, registry);
                    }
                }
            }
            MetaSchemaRef::Reference(target) if optional => {
                // OpenAPI 3.0 reads `nullable` only beside a `type`, and never beside a bare `$ref`.
                let all_of = vec![MetaSchemaRef::Reference(target.clone())];
                let ty = referenced_type(&all_of, registry);
                *property = MetaSchemaRef::Inline(Box::new(MetaSchema {
                    all_of,
                    nullable: true,
                    ..MetaSchema::new(ty)
                }));
            }
            MetaSchemaRef::Reference(_) => {}
        }
    }
    for inner in schema
        .items
        .iter_mut()
        .chain(schema.additional_properties.iter_mut())
        .map(Box::as_mut)
        .chain(schema.all_of.iter_mut())
        .chain(schema.any_of.iter_mut())
        .chain(schema.one_of.iter_mut())
    {
        if let MetaSchemaRef::Inline(inner) = inner {
            optional_is_nullable(inner, registry);
        }
    }
}

/// The `type` of the schema an `allOf` refers to (empty when it has none, such as a union).
fn referenced_type(all_of: &[MetaSchemaRef], registry: &Registry) -> &'static str {
    all_of
        .iter()
        .find_map(|s| match s {
            MetaSchemaRef::Reference(name) => registry.schemas.get(name.as_str()).map(|s| s.ty),
            MetaSchemaRef::Inline(_) => None,
        })
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::storable_text;

    #[test]
    fn text_postgres_cannot_hold_is_found_however_it_is_encoded() {
        for bad in ["a%00b", "%00", "q=%c3%28", "x%FF", "%F0%9F%98"] {
            assert!(storable_text(bad).is_err(), "{bad}");
        }
        for good in [
            "/api/v1/conversations/1-2",
            "q=caf%C3%A9&limit=5",
            "%",
            "a%2",
            "%zz",
            "q=%F0%9F%98%80",
        ] {
            assert_eq!(storable_text(good), Ok(()), "{good}");
        }
    }
}
