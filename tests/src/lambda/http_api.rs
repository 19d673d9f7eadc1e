//! API Gateway HTTP API events (payload format 2.0), as the `ingest` and `api` functions
//! receive them, built from a plain request: method, path with query, headers, body.
//!
//! What API Gateway does is reproduced where a function can tell: header names lower-cased
//! and repeated headers joined with commas, cookies moved to `cookies`, the query split into
//! `queryStringParameters`, the route chosen as the template's routes choose it (the most
//! specific wins) with `{proxy+}` in `pathParameters`, and a body that is not text (a gzip
//! body from a Segment library) base64-encoded with `isBase64Encoded: true`.
//! [`HttpApiResponse`] reads what the function answers back (`lambda_http`'s v2 response).

use std::collections::BTreeMap;
use std::io::Write;

use base64::Engine;
use serde_json::{Map, Value, json};

/// The HTTP API's routes in template.yaml and the function each one invokes
/// (tests/tests/template.rs checks the two agree).
pub const HTTP_API_ROUTES: &[(&str, &str)] = &[
    ("POST /v1/batch", "IngestFunction"),
    ("POST /v1/import", "IngestFunction"),
    ("POST /v1/track", "IngestFunction"),
    ("POST /v1/identify", "IngestFunction"),
    ("POST /v1/group", "IngestFunction"),
    ("POST /v1/page", "IngestFunction"),
    ("POST /v1/screen", "IngestFunction"),
    ("POST /v1/alias", "IngestFunction"),
    ("GET /health", "ApiFunction"),
    ("ANY /v1/{proxy+}", "ApiFunction"),
];

/// The API id in the events' `requestContext` and host.
pub const API_ID: &str = "pulse0api1";

/// The route API Gateway picks for a request, and the function behind it: an exact
/// route first, then the greedy `/v1/{proxy+}`; `None` where API Gateway answers 404 itself.
pub fn route_for(method: &str, path: &str) -> Option<(&'static str, &'static str)> {
    let method = method.to_ascii_uppercase();
    let exact = HTTP_API_ROUTES.iter().find(|(route, _)| {
        route
            .split_once(' ')
            .is_some_and(|(route_method, route_path)| route_method == method && route_path == path)
    });
    if let Some(&(route, function)) = exact {
        return Some((route, function));
    }
    match path.strip_prefix("/v1/") {
        Some(rest) if !rest.is_empty() => Some(("ANY /v1/{proxy+}", "ApiFunction")),
        _ => None,
    }
}

/// gzip, as Segment libraries compress bodies (`Content-Encoding: gzip`).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .expect("gzip into memory")
}

/// The HTTP API v2 event for `method path` (the path may carry `?query`) with `headers` and
/// `body` (the bytes on the wire: already gzip-compressed when `content-encoding: gzip`).
pub fn http_api_event(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Value {
    let method = method.to_ascii_uppercase();
    let (raw_path, raw_query) = path.split_once('?').unwrap_or((path, ""));
    let domain = format!("{API_ID}.execute-api.us-east-1.amazonaws.com");

    let mut header_map: BTreeMap<String, String> = BTreeMap::new();
    let mut cookies = Vec::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if name == "cookie" {
            cookies.extend(value.split(';').map(|cookie| cookie.trim().to_string()));
            continue;
        }
        header_map
            .entry(name)
            .and_modify(|existing| {
                existing.push(',');
                existing.push_str(value);
            })
            .or_insert_with(|| value.to_string());
    }
    header_map.entry("host".into()).or_insert(domain.clone());
    header_map
        .entry("content-length".into())
        .or_insert(body.len().to_string());
    header_map
        .entry("x-forwarded-for".into())
        .or_insert("127.0.0.1".into());
    header_map
        .entry("x-forwarded-port".into())
        .or_insert("443".into());
    header_map
        .entry("x-forwarded-proto".into())
        .or_insert("https".into());

    let encoded = header_map
        .get("content-encoding")
        .is_some_and(|encoding| encoding.contains("gzip"));
    let text = if encoded {
        None
    } else {
        std::str::from_utf8(body).ok()
    };

    let (route_key, path_parameters) = match route_for(&method, raw_path) {
        Some(("ANY /v1/{proxy+}", _)) => (
            "ANY /v1/{proxy+}".to_string(),
            Some(json!({"proxy": raw_path.trim_start_matches("/v1/")})),
        ),
        Some((route, _)) => (route.to_string(), None),
        None => ("$default".to_string(), None),
    };

    let now = chrono::Utc::now();
    let mut event = Map::new();
    event.insert("version".into(), json!("2.0"));
    event.insert("routeKey".into(), json!(route_key));
    event.insert("rawPath".into(), json!(raw_path));
    event.insert("rawQueryString".into(), json!(raw_query));
    if !cookies.is_empty() {
        event.insert("cookies".into(), json!(cookies));
    }
    let user_agent = header_map.get("user-agent").cloned().unwrap_or_default();
    event.insert("headers".into(), json!(header_map));
    if !raw_query.is_empty() {
        event.insert("queryStringParameters".into(), query_parameters(raw_query));
    }
    if let Some(parameters) = path_parameters {
        event.insert("pathParameters".into(), parameters);
    }
    event.insert(
        "requestContext".into(),
        json!({
            "accountId": super::ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": domain,
            "domainPrefix": API_ID,
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": user_agent,
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.timestamp_millis(),
        }),
    );
    if !body.is_empty() {
        match text {
            Some(text) => {
                event.insert("body".into(), json!(text));
                event.insert("isBase64Encoded".into(), json!(false));
            }
            None => {
                let encoded = base64::engine::general_purpose::STANDARD.encode(body);
                event.insert("body".into(), json!(encoded));
                event.insert("isBase64Encoded".into(), json!(true));
            }
        }
    } else {
        event.insert("isBase64Encoded".into(), json!(false));
    }
    Value::Object(event)
}

/// A function's answer to an HTTP API v2 event, as API Gateway turns it into an HTTP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpApiResponse {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: BTreeMap<String, String>,
    pub cookies: Vec<String>,
    pub body: Vec<u8>,
}

impl HttpApiResponse {
    /// Reads `{"statusCode", "headers", "cookies", "body", "isBase64Encoded"}`.
    pub fn from_value(value: &Value) -> anyhow::Result<HttpApiResponse> {
        let status = value["statusCode"]
            .as_u64()
            .and_then(|status| u16::try_from(status).ok())
            .ok_or_else(|| anyhow::anyhow!("no statusCode in {value}"))?;
        let headers = value["headers"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, value)| {
                let text = value
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| value.to_string());
                (name.to_ascii_lowercase(), text)
            })
            .collect();
        let cookies = value["cookies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|cookie| cookie.as_str().map(str::to_string))
            .collect();
        let text = value["body"].as_str().unwrap_or_default();
        let body = if value["isBase64Encoded"] == true {
            base64::engine::general_purpose::STANDARD.decode(text)?
        } else {
            text.as_bytes().to_vec()
        };
        Ok(HttpApiResponse {
            status,
            headers,
            cookies,
            body,
        })
    }

    /// The body as JSON.
    pub fn json(&self) -> anyhow::Result<Value> {
        Ok(serde_json::from_slice(&self.body)?)
    }
}

/// `a=1&b=x%20y&a=2` → `{"a": "1,2", "b": "x y"}` (API Gateway joins repeated names).
fn query_parameters(raw_query: &str) -> Value {
    let mut parameters: BTreeMap<String, String> = BTreeMap::new();
    for pair in raw_query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        parameters
            .entry(percent_decode(name))
            .and_modify(|existing| {
                existing.push(',');
                existing.push_str(&percent_decode(value));
            })
            .or_insert_with(|| percent_decode(value));
    }
    json!(parameters)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| text.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_route_wins() {
        assert_eq!(
            route_for("post", "/v1/batch"),
            Some(("POST /v1/batch", "IngestFunction"))
        );
        assert_eq!(
            route_for("GET", "/v1/batch"),
            Some(("ANY /v1/{proxy+}", "ApiFunction"))
        );
        assert_eq!(
            route_for("GET", "/v1/accounts/acme"),
            Some(("ANY /v1/{proxy+}", "ApiFunction"))
        );
        assert_eq!(
            route_for("GET", "/health"),
            Some(("GET /health", "ApiFunction"))
        );
        assert_eq!(route_for("GET", "/v2/anything"), None);
        assert_eq!(route_for("GET", "/v1/"), None);
    }

    #[test]
    fn queries_are_split_and_decoded() {
        assert_eq!(
            query_parameters("a=1&b=x%20y&a=2&flag"),
            json!({"a": "1,2", "b": "x y", "flag": ""})
        );
    }
}
