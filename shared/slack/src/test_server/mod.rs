//! A Slack-like incoming-webhook server for tests (feature `test-server`).
//!
//! It listens on loopback, records every post, and answers from a per-path script,
//! so this crate's tests and other crates' end-to-end tests can check what Pulse sent
//! and how it coped with Slack's failures, without the network.

mod script;

pub use script::ScriptedResponse;

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::webhook_url::WebhookUrl;

/// One post as the server received it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedRequest {
    /// The request path, e.g. `/services/T1/B1/secret`.
    pub path: String,
    /// The body as JSON (`Value::Null` when it was not JSON).
    pub body: Value,
    pub at: DateTime<Utc>,
}

#[derive(Default)]
struct Recorder {
    scripts: Mutex<HashMap<String, VecDeque<ScriptedResponse>>>,
    received: Mutex<Vec<ReceivedRequest>>,
}

/// A running test server; it stops on [`SlackServer::shutdown`] or when dropped.
pub struct SlackServer {
    addr: SocketAddr,
    recorder: Arc<Recorder>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl SlackServer {
    /// Starts on `127.0.0.1` with a free port.
    ///
    /// # Panics
    /// If no loopback port can be bound, which leaves a test nothing to do but fail.
    pub async fn start() -> Self {
        let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
        Self::start_on(any_port)
            .await
            .expect("the Slack test server could not bind a loopback port")
    }

    /// Starts on a given address, e.g. the one of a server that was shut down, to
    /// test that delivery resumes after an outage.
    pub async fn start_on(addr: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let recorder = Arc::new(Recorder::default());
        let app = Router::new()
            .route("/services/{a}/{b}/{c}", post(answer))
            .fallback(|| async { script::plain(404, "no_service") })
            .with_state(Arc::clone(&recorder));
        let (stop, stopped) = oneshot::channel::<()>();
        let server = axum::serve(listener, app).with_graceful_shutdown(async {
            // A dropped sender means the server handle is gone: stop as well.
            let _ = stopped.await;
        });
        let task = tokio::spawn(async move { server.await });
        Ok(Self {
            addr,
            recorder,
            stop: Some(stop),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The full URL for a webhook path such as `/services/T1/B1/secret`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, normalize(path))
    }

    /// [`Self::url`] as a [`WebhookUrl`].
    ///
    /// # Panics
    /// If `path` makes the URL invalid (a mistake in the test itself).
    pub fn webhook_url(&self, path: &str) -> WebhookUrl {
        WebhookUrl::parse(&self.url(path)).expect("the test server's URL is valid")
    }

    /// Queues answers for a path; once they run out, the path answers 200 `ok`.
    pub fn respond(&self, path: &str, responses: impl IntoIterator<Item = ScriptedResponse>) {
        lock(&self.recorder.scripts)
            .entry(normalize(path))
            .or_default()
            .extend(responses);
    }

    /// The bodies posted to a path, oldest first.
    pub fn received(&self, path: &str) -> Vec<Value> {
        self.requests(path).into_iter().map(|r| r.body).collect()
    }

    /// The posts to a path with their arrival times, oldest first.
    pub fn requests(&self, path: &str) -> Vec<ReceivedRequest> {
        let path = normalize(path);
        lock(&self.recorder.received)
            .iter()
            .filter(|request| request.path == path)
            .cloned()
            .collect()
    }

    /// Every post the server received, oldest first.
    pub fn all_requests(&self) -> Vec<ReceivedRequest> {
        lock(&self.recorder.received).clone()
    }

    /// Stops accepting connections, lets answers in progress finish and frees the port.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            // The server's own result does not matter once it is asked to stop.
            let _ = task.await;
        }
    }
}

impl Drop for SlackServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn answer(State(recorder): State<Arc<Recorder>>, uri: Uri, body: Bytes) -> Response {
    let path = uri.path().to_owned();
    let payload: Option<Value> = serde_json::from_slice(&body).ok();
    lock(&recorder.received).push(ReceivedRequest {
        path: path.clone(),
        body: payload.clone().unwrap_or(Value::Null),
        at: Utc::now(),
    });
    let scripted = lock(&recorder.scripts)
        .get_mut(&path)
        .and_then(VecDeque::pop_front)
        .unwrap_or(ScriptedResponse::Ok);
    if let Some(delay) = scripted.delay() {
        tokio::time::sleep(delay).await;
    }
    scripted.answer(payload.as_ref())
}

fn normalize(path: &str) -> String {
    format!("/{}", path.trim_start_matches('/'))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not hide the records from the assertions after it.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
