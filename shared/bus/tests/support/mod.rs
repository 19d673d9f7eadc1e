//! What the EventBridge adapter's tests share: SDK clients pointed at moto_server, a bus with
//! one rule routing chosen detail-types to a real SQS queue, reading the queue back, and a
//! fault-injecting proxy in front of moto.
//!
//! moto answers every PutEvents entry that is well-formed, so the failures real EventBridge
//! sometimes gives (one entry `InternalFailure` in a `200`, a throttled request) are made by
//! [`FaultProxy`]: it forwards every request to moto, but withholds the entries it was told to
//! fail and splices their failures into moto's real answer at the right positions.

#![allow(dead_code)] // each test file uses part of it

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_eventbridge::config::retry::RetryConfig;
use aws_sdk_eventbridge::config::{Credentials, Region};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use bytes::Bytes;
use pulse_bus::DomainEvent;
use pulse_bus::eventbridge::RuleEvent;
use serde_json::{Value, json};

/// SDK configuration for `endpoint` with dummy credentials; the SDK's own retries are off so
/// that the tests see the adapter's.
pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .retry_config(RetryConfig::disabled())
        .load()
        .await
}

/// A bus named `name`, a rule on it matching `source: ["pulse"]` and `detail_types`, and an
/// SQS queue as the rule's target (moto fails PutEvents when a target queue is missing, so
/// the queue comes first). Returns the queue URL.
pub async fn bus_routed_to_queue(endpoint: &str, name: &str, detail_types: &[&str]) -> String {
    let config = sdk_config(endpoint).await;
    let events = aws_sdk_eventbridge::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    events
        .create_event_bus()
        .name(name)
        .send()
        .await
        .expect("creating the bus");
    let queue_url = sqs
        .create_queue()
        .queue_name(format!("{name}-target"))
        .send()
        .await
        .expect("creating the queue")
        .queue_url
        .expect("a queue URL");
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("reading the queue ARN")
        .attributes
        .and_then(|attributes| {
            attributes
                .get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("the queue ARN");
    let pattern = json!({"source": ["pulse"], "detail-type": detail_types});
    events
        .put_rule()
        .name(format!("{name}-rule"))
        .event_bus_name(name)
        .event_pattern(pattern.to_string())
        .send()
        .await
        .expect("creating the rule");
    events
        .put_targets()
        .rule(format!("{name}-rule"))
        .event_bus_name(name)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(queue_arn)
                .build()
                .expect("a target"),
        )
        .send()
        .await
        .expect("adding the queue target");
    queue_url
}

/// Reads the queue until `expected` messages arrived (then a short while longer, to catch
/// extras), each an EventBridge envelope around a Pulse event.
pub async fn drain_queue(endpoint: &str, queue_url: &str, expected: usize) -> Vec<RuleEvent> {
    let sqs = aws_sdk_sqs::Client::new(&sdk_config(endpoint).await);
    let mut received = Vec::new();
    let started = Instant::now();
    let mut quiet_rounds = 0;
    while started.elapsed() < Duration::from_secs(20) {
        let messages = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .send()
            .await
            .expect("receiving")
            .messages
            .unwrap_or_default();
        if messages.is_empty() {
            if received.len() >= expected {
                quiet_rounds += 1;
                if quiet_rounds == 2 {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        // Received messages stay invisible for the queue's 30 s visibility timeout: longer
        // than a test reads, so nothing needs deleting.
        for message in messages {
            let body = message.body.expect("a message body");
            let event: RuleEvent = serde_json::from_str(&body)
                .unwrap_or_else(|error| panic!("not a Pulse rule event ({error}): {body}"));
            received.push(event);
        }
    }
    received
}

pub fn joined(identity: &str) -> DomainEvent {
    DomainEvent::UserJoinedAccount {
        workspace: "ws".into(),
        account: "acme".into(),
        identity: identity.into(),
        account_existed: true,
        at: "2026-12-01T10:00:00Z".parse().expect("a time"),
    }
}

pub fn created(account: &str) -> DomainEvent {
    DomainEvent::AccountCreated {
        workspace: "ws".into(),
        account: account.into(),
        identity: "u:1".into(),
        at: "2026-12-01T10:00:00Z".parse().expect("a time"),
    }
}

pub fn identity_of(event: &DomainEvent) -> &str {
    match event {
        DomainEvent::UserJoinedAccount { identity, .. } => identity,
        other => panic!("expected UserJoinedAccount, got {other:?}"),
    }
}

/// What the proxy does to PutEvents requests.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Entries whose Detail contains the text fail with `InternalFailure` this many times.
    FailEntries { containing: String, times: usize },
    /// The first this-many PutEvents requests are answered `400 ThrottlingException`.
    Throttle { requests: usize },
}

#[derive(Default)]
struct ProxyState {
    target: String,
    fault: Option<Fault>,
    put_events_requests: usize,
    failures_by_detail: HashMap<String, usize>,
}

/// A loopback HTTP proxy to moto that injects [`Fault`]s into PutEvents.
pub struct FaultProxy {
    pub endpoint: String,
    state: Arc<Mutex<ProxyState>>,
}

impl FaultProxy {
    pub async fn start(target: &str, fault: Fault) -> FaultProxy {
        let state = Arc::new(Mutex::new(ProxyState {
            target: target.to_string(),
            fault: Some(fault),
            ..ProxyState::default()
        }));
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the proxy");
        let endpoint = format!("http://{}", listener.local_addr().expect("an address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        FaultProxy { endpoint, state }
    }

    /// PutEvents requests seen (forwarded or answered by the proxy).
    pub fn put_events_requests(&self) -> usize {
        self.state.lock().expect("proxy state").put_events_requests
    }
}

async fn forward(
    State(state): State<Arc<Mutex<ProxyState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_put_events = headers
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        == Some("AWSEvents.PutEvents");
    let (target, withheld, body) = {
        let mut state = state.lock().expect("proxy state");
        if !is_put_events {
            (state.target.clone(), Vec::new(), body)
        } else {
            state.put_events_requests += 1;
            match state.fault.clone() {
                Some(Fault::Throttle { requests }) if state.put_events_requests <= requests => {
                    return throttled();
                }
                Some(Fault::FailEntries { containing, times }) => {
                    let mut request: Value =
                        serde_json::from_slice(&body).expect("PutEvents sends JSON");
                    let entries = request["Entries"].as_array().cloned().unwrap_or_default();
                    let mut withheld = Vec::new();
                    let mut kept = Vec::new();
                    for (index, entry) in entries.into_iter().enumerate() {
                        let detail = entry["Detail"].as_str().unwrap_or_default().to_string();
                        let failures = state.failures_by_detail.entry(detail.clone()).or_default();
                        if detail.contains(&containing) && *failures < times {
                            *failures += 1;
                            withheld.push(index);
                        } else {
                            kept.push(entry);
                        }
                    }
                    request["Entries"] = Value::Array(kept);
                    (
                        state.target.clone(),
                        withheld,
                        Bytes::from(request.to_string()),
                    )
                }
                _ => (state.target.clone(), Vec::new(), body),
            }
        }
    };
    let forwarded_entries = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|request| request["Entries"].as_array().map(Vec::len));
    // Nothing left to forward: answer as EventBridge would for an all-failed request.
    if is_put_events && forwarded_entries == Some(0) {
        return splice(json!({"FailedEntryCount": 0, "Entries": []}), &withheld);
    }
    let client = reqwest::Client::new();
    let mut request = client.request(method, format!("{target}{uri}"));
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    let answer = request.body(body).send().await.expect("moto answers");
    let status = answer.status();
    let content_type = answer.headers().get("content-type").cloned();
    let bytes = answer.bytes().await.expect("moto's body");
    if is_put_events && status.is_success() && !withheld.is_empty() {
        let answer: Value = serde_json::from_slice(&bytes).expect("moto answers JSON");
        return splice(answer, &withheld);
    }
    let mut response = Response::builder().status(status.as_u16());
    if let Some(content_type) = content_type {
        response = response.header("content-type", content_type);
    }
    response.body(Body::from(bytes)).expect("a response")
}

/// moto's PutEvents answer with an `InternalFailure` at each withheld position.
fn splice(answer: Value, withheld: &[usize]) -> Response {
    let mut results: Vec<Value> = answer["Entries"].as_array().cloned().unwrap_or_default();
    for &index in withheld {
        results.insert(
            index,
            json!({"ErrorCode": "InternalFailure", "ErrorMessage": "injected by the test proxy"}),
        );
    }
    let failed = results
        .iter()
        .filter(|result| result.get("ErrorCode").is_some())
        .count();
    let body = json!({"FailedEntryCount": failed, "Entries": results});
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/x-amz-json-1.1")
        .body(Body::from(body.to_string()))
        .expect("a response")
}

fn throttled() -> Response {
    Response::builder()
        .status(StatusCode::BAD_REQUEST)
        .header("content-type", "application/x-amz-json-1.1")
        .body(Body::from(
            json!({"__type": "ThrottlingException", "message": "Rate exceeded"}).to_string(),
        ))
        .expect("a response")
}
