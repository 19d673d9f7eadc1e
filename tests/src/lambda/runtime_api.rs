//! The Lambda Runtime API emulator (version 2018-06-01): what a function's runtime client
//! talks to. `GET /runtime/invocation/next` long-polls for the next queued invocation and
//! answers with its payload and the `Lambda-Runtime-Aws-Request-Id`, `-Deadline-Ms`,
//! `-Invoked-Function-Arn` and `-Trace-Id` headers; `POST /runtime/invocation/{id}/response`
//! and `…/{id}/error` complete it (`202`, or `400` for an id nobody waits for); `POST
//! /runtime/init/error` fails every waiting and later invocation until the next start.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::{Notify, oneshot};

/// How an invocation failed, as Lambda reports it (`errorType`, `errorMessage`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionError {
    pub error_type: String,
    pub message: String,
}

impl std::fmt::Display for FunctionError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}: {}", self.error_type, self.message)
    }
}

impl std::error::Error for FunctionError {}

type Outcome = Result<Value, FunctionError>;

struct QueuedInvocation {
    request_id: String,
    body: Bytes,
    deadline_ms: u128,
    trace_id: String,
}

struct Shared {
    function_arn: String,
    queue: Mutex<VecDeque<QueuedInvocation>>,
    queued: Notify,
    waiting: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init_error: Mutex<Option<FunctionError>>,
}

/// The Runtime API emulator: a server a runtime client polls for invocations.
pub struct RuntimeApi {
    address: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    /// Starts the emulator for a function with this ARN.
    pub async fn start(function_arn: &str) -> Result<RuntimeApi> {
        let shared = Arc::new(Shared {
            function_arn: function_arn.to_string(),
            queue: Mutex::new(VecDeque::new()),
            queued: Notify::new(),
            waiting: Mutex::new(HashMap::new()),
            init_error: Mutex::new(None),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
            .route(
                "/2018-06-01/runtime/invocation/{request_id}/response",
                post(invocation_response),
            )
            .route(
                "/2018-06-01/runtime/invocation/{request_id}/error",
                post(invocation_error),
            )
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the Runtime API emulator")?;
        let address = listener.local_addr()?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RuntimeApi {
            address,
            shared,
            server,
        })
    }

    /// `host:port`, the form `AWS_LAMBDA_RUNTIME_API` takes.
    pub fn address(&self) -> String {
        self.address.to_string()
    }

    /// Queues an invocation; the receiver gets its outcome. `timeout` sets its deadline.
    pub fn enqueue(
        &self,
        event: &Value,
        timeout: Duration,
    ) -> (String, oneshot::Receiver<Outcome>) {
        let request_id = uuid::Uuid::new_v4().to_string();
        let (sender, receiver) = oneshot::channel();
        if let Some(error) = lock(&self.shared.init_error).clone() {
            let _ = sender.send(Err(error));
            return (request_id, receiver);
        }
        lock(&self.shared.waiting).insert(request_id.clone(), sender);
        lock(&self.shared.queue).push_back(QueuedInvocation {
            request_id: request_id.clone(),
            body: Bytes::from(event.to_string()),
            deadline_ms: now_ms() + timeout.as_millis(),
            trace_id: trace_id(),
        });
        self.shared.queued.notify_one();
        (request_id, receiver)
    }

    /// Drops an invocation nobody waits for any more (timed out, or its process died).
    pub fn forget(&self, request_id: &str) {
        lock(&self.shared.queue).retain(|queued| queued.request_id != request_id);
        lock(&self.shared.waiting).remove(request_id);
    }

    /// What the function posted to `/runtime/init/error`, if it did.
    pub fn init_error(&self) -> Option<FunctionError> {
        lock(&self.shared.init_error).clone()
    }

    /// Forgets a reported init error: a new process initialises afresh.
    pub fn clear_init_error(&self) {
        *lock(&self.shared.init_error) = None;
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis())
        .unwrap_or_default()
}

/// An X-Ray trace header as Lambda passes it: `Root=1-<epoch hex>-<96-bit id>;Parent=…;Sampled=0`.
fn trace_id() -> String {
    let epoch = (now_ms() / 1000) as u64;
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "Root=1-{epoch:08x}-{};Parent={};Sampled=0",
        &id[..24],
        &id[16..32]
    )
}

async fn next_invocation(State(shared): State<Arc<Shared>>) -> Response {
    loop {
        // Register interest before looking, so an enqueue in between is not missed.
        let queued = shared.queued.notified();
        if let Some(invocation) = lock(&shared.queue).pop_front() {
            return (
                StatusCode::OK,
                [
                    ("content-type", "application/json".to_string()),
                    ("lambda-runtime-aws-request-id", invocation.request_id),
                    (
                        "lambda-runtime-deadline-ms",
                        invocation.deadline_ms.to_string(),
                    ),
                    (
                        "lambda-runtime-invoked-function-arn",
                        shared.function_arn.clone(),
                    ),
                    ("lambda-runtime-trace-id", invocation.trace_id),
                ],
                invocation.body,
            )
                .into_response();
        }
        queued.await;
    }
}

fn accepted() -> Response {
    (StatusCode::ACCEPTED, axum::Json(json!({"status": "OK"}))).into_response()
}

fn unknown_request(request_id: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({
            "errorType": "InvalidRequestID",
            "errorMessage": format!("no invocation {request_id} is waiting for an answer"),
        })),
    )
        .into_response()
}

fn complete(shared: &Shared, request_id: &str, outcome: Outcome) -> Response {
    match lock(&shared.waiting).remove(request_id) {
        Some(sender) => {
            let _ = sender.send(outcome);
            accepted()
        }
        None => unknown_request(request_id),
    }
}

async fn invocation_response(
    State(shared): State<Arc<Shared>>,
    UrlPath(request_id): UrlPath<String>,
    body: Bytes,
) -> Response {
    let value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    complete(&shared, &request_id, Ok(value))
}

/// The error document a runtime posts (`{"errorType": …, "errorMessage": …}`); the
/// `Lambda-Runtime-Function-Error-Type` header stands in for a missing type.
fn function_error(headers: &HeaderMap, body: &[u8]) -> FunctionError {
    let document: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let header_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("Unhandled");
    FunctionError {
        error_type: document["errorType"]
            .as_str()
            .unwrap_or(header_type)
            .to_string(),
        message: document["errorMessage"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned()),
    }
}

async fn invocation_error(
    State(shared): State<Arc<Shared>>,
    UrlPath(request_id): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let error = function_error(&headers, &body);
    complete(&shared, &request_id, Err(error))
}

async fn init_error(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let error = function_error(&headers, &body);
    *lock(&shared.init_error) = Some(error.clone());
    // Lambda fails every invocation of an environment whose init failed.
    for (_, sender) in lock(&shared.waiting).drain() {
        let _ = sender.send(Err(error.clone()));
    }
    accepted()
}
