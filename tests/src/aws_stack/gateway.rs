//! A local stand-in for the stack's API Gateway HTTP API: an HTTP server on 127.0.0.1 that
//! turns each request into the payload 2.0 event API Gateway would send
//! ([`http_api_event`]: a gzip body base64-encoded), picks the function by the template's
//! routes ([`route_for`]: ingestion routes → ingest, the rest of `/v1/` and `/health` → api),
//! invokes it through the Runtime API emulator and answers with what it returned. So an
//! unchanged Segment library (or `reqwest`) can be pointed at [`HttpApiGateway::url`].
//!
//! Like API Gateway it answers `404 {"message":"Not Found"}` for a path no route matches,
//! `500 {"message":"Internal Server Error"}` when the function fails or answers something
//! that is not a response, and `503 {"message":"Service Unavailable"}` when it times out.
//! Every exchange is recorded, with the exact event, so a test can invoke a function again
//! with it (a retry) or wait for an answer it expects.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::{Function, lock};
use crate::lambda::{FunctionError, HttpApiResponse, LambdaFunction, http_api_event, route_for};

/// One request through the gateway.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub method: String,
    /// The path with its query, as requested.
    pub path: String,
    /// The function the route picked.
    pub function: Function,
    /// The event the function was invoked with.
    pub event: Value,
    /// What the function returned, or how it failed.
    pub outcome: Result<HttpApiResponse, FunctionError>,
    /// The status the client got.
    pub status: u16,
}

struct Routes {
    ingest: Arc<LambdaFunction>,
    api: Arc<LambdaFunction>,
    exchanges: Mutex<Vec<Exchange>>,
}

/// The running gateway; it stops when dropped.
pub struct HttpApiGateway {
    url: String,
    routes: Arc<Routes>,
    server: tokio::task::JoinHandle<()>,
}

impl HttpApiGateway {
    /// Serves on 127.0.0.1 and a free port, in front of the two HTTP functions.
    pub async fn start(
        ingest: Arc<LambdaFunction>,
        api: Arc<LambdaFunction>,
    ) -> Result<HttpApiGateway> {
        let routes = Arc::new(Routes {
            ingest,
            api,
            exchanges: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .fallback(forward)
            // API Gateway takes payloads up to 10 MB; the functions enforce their own limits.
            .layer(DefaultBodyLimit::max(10 * 1024 * 1024))
            .with_state(routes.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the HTTP API gateway")?;
        let url = format!("http://{}", listener.local_addr()?);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(HttpApiGateway {
            url,
            routes,
            server,
        })
    }

    /// `http://127.0.0.1:<port>`: the "API URL" output of the stack.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every exchange so far, oldest first.
    pub fn exchanges(&self) -> Vec<Exchange> {
        lock(&self.routes.exchanges).clone()
    }

    /// Waits until an exchange after the first `skip` ones matches `wanted` (checking every
    /// 20 ms), up to `timeout`.
    pub async fn wait_for(
        &self,
        skip: usize,
        timeout: Duration,
        wanted: impl Fn(&Exchange) -> bool,
    ) -> Option<Exchange> {
        let started = Instant::now();
        loop {
            let found = self
                .exchanges()
                .into_iter()
                .skip(skip)
                .find(|exchange| wanted(exchange));
            if found.is_some() {
                return found;
            }
            if started.elapsed() > timeout {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for HttpApiGateway {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn forward(
    State(routes): State<Arc<Routes>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri
        .path_and_query()
        .map(|path| path.as_str().to_string())
        .unwrap_or_else(|| uri.path().to_string());
    let Some((_, logical_id)) = route_for(method.as_str(), uri.path()) else {
        return message(StatusCode::NOT_FOUND, "Not Found");
    };
    let (function, lambda) = if logical_id == Function::Ingest.logical_id() {
        (Function::Ingest, &routes.ingest)
    } else {
        (Function::Api, &routes.api)
    };
    let header_pairs: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let event = http_api_event(method.as_str(), &path, &header_pairs, &body);
    let outcome = match lambda.invoke(event.clone()).await {
        Ok(answer) => HttpApiResponse::from_value(&answer).map_err(|error| FunctionError {
            error_type: "Gateway.MalformedResponse".into(),
            message: format!("{error:#}: {answer}"),
        }),
        Err(error) => Err(error),
    };
    let response = match &outcome {
        Ok(answer) => http_response(answer),
        Err(error) if error.error_type == "Sandbox.Timedout" => {
            message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
        }
        Err(_) => message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
    };
    lock(&routes.exchanges).push(Exchange {
        method: method.to_string(),
        path,
        function,
        event,
        outcome,
        status: response.status().as_u16(),
    });
    response
}

/// The function's v2 answer as HTTP: status, headers, cookies, body.
fn http_response(answer: &HttpApiResponse) -> Response {
    let mut response = Response::new(Body::from(answer.body.clone()));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in &answer.headers {
        // The body is sent as received: its length is the server's to set.
        if matches!(name.as_str(), "content-length" | "transfer-encoding") {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    for cookie in &answer.cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            headers.append("set-cookie", value);
        }
    }
    response
}

/// API Gateway's own answers: `{"message": …}`.
fn message(status: StatusCode, text: &str) -> Response {
    let mut response = Response::new(Body::from(json!({ "message": text }).to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}
