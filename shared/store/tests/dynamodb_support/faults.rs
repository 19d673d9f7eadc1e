//! Fault injection at the HTTP boundary of the SDK client (an interceptor), in front of the
//! real moto server: a process that dies after its n-th write (with the write's request
//! lost, or applied with its response lost), throttled writes, and a record of how many
//! items each batch request carried.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeDeserializationInterceptorContextRef,
    BeforeTransmitInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;

const WRITES: &[&str] = &[
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
];

/// How the process dies at its crash point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crash {
    /// The n-th write never reaches DynamoDB.
    BeforeWrite(usize),
    /// The n-th write is applied, and its answer is lost with the process.
    AfterWrite(usize),
}

#[derive(Debug, Default)]
struct State {
    writes: AtomicUsize,
    crash: Mutex<Option<Crash>>,
    crashed: AtomicBool,
    throttle_next_writes: AtomicUsize,
    throttled: AtomicUsize,
    /// (operation, items in the request) of every batch request.
    batches: Mutex<Vec<(String, usize)>>,
}

/// The interceptor and the handle tests read it through (clones share state).
#[derive(Clone, Debug, Default)]
pub struct Faults {
    state: Arc<State>,
}

impl Faults {
    pub fn crash(crash: Crash) -> Faults {
        let faults = Faults::default();
        *faults.state.crash.lock().unwrap() = Some(crash);
        faults
    }

    pub fn throttle_next_writes(count: usize) -> Faults {
        let faults = Faults::default();
        faults
            .state
            .throttle_next_writes
            .store(count, Ordering::SeqCst);
        faults
    }

    pub fn writes(&self) -> usize {
        self.state.writes.load(Ordering::SeqCst)
    }

    pub fn crashed(&self) -> bool {
        self.state.crashed.load(Ordering::SeqCst)
    }

    pub fn throttled(&self) -> usize {
        self.state.throttled.load(Ordering::SeqCst)
    }

    pub fn batches(&self) -> Vec<(String, usize)> {
        self.state.batches.lock().unwrap().clone()
    }
}

fn operation(target: &str) -> &str {
    target.rsplit('.').next().unwrap_or(target)
}

/// Items of a BatchWriteItem or keys of a BatchGetItem request.
fn batch_items(operation: &str, body: &[u8]) -> Option<usize> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    let tables = json.get("RequestItems")?.as_object()?;
    Some(
        tables
            .values()
            .map(|table| match operation {
                "BatchWriteItem" => table.as_array().map_or(0, Vec::len),
                _ => table
                    .get("Keys")
                    .and_then(serde_json::Value::as_array)
                    .map_or(0, Vec::len),
            })
            .sum(),
    )
}

const THROTTLED: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#;
/// A throttled write is sent under an operation name moto does not know, which it answers
/// with an HTML error page: nothing else the adapter sends gets one.
const UNKNOWN_OPERATION: &str = "DynamoDB_20120810.ThrottledByTheTest";

impl Intercept for Faults {
    fn name(&self) -> &'static str {
        "Faults"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.crashed() {
            return Err("the process crashed".into());
        }
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or_default()
            .to_string();
        let operation = operation(&target);
        if matches!(operation, "BatchWriteItem" | "BatchGetItem")
            && let Some(count) = context
                .request()
                .body()
                .bytes()
                .and_then(|body| batch_items(operation, body))
        {
            self.state
                .batches
                .lock()
                .unwrap()
                .push((operation.to_string(), count));
        }
        if !WRITES.contains(&operation) {
            return Ok(());
        }
        let throttle = self
            .state
            .throttle_next_writes
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok();
        if throttle {
            // Sent as an operation moto refuses; its answer becomes a throttling error below.
            let request = context.request_mut();
            request
                .headers_mut()
                .insert("x-amz-target", UNKNOWN_OPERATION);
            request.headers_mut().insert("content-length", "2");
            *request.body_mut() = "{}".into();
            return Ok(());
        }
        let number = self.state.writes.fetch_add(1, Ordering::SeqCst) + 1;
        match *self.state.crash.lock().unwrap() {
            Some(Crash::BeforeWrite(at)) if number >= at => {
                self.state.crashed.store(true, Ordering::SeqCst);
                Err("the process crashed before this write".into())
            }
            Some(Crash::AfterWrite(at)) if number >= at => {
                self.state.crashed.store(true, Ordering::SeqCst);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let throttled = context
            .response()
            .headers()
            .get("content-type")
            .is_some_and(|kind| kind.starts_with("text/html"));
        if throttled {
            self.state.throttled.fetch_add(1, Ordering::SeqCst);
            let response = context.response_mut();
            *response.status_mut() = 400u16.try_into().expect("a status code");
            let headers = response.headers_mut();
            headers.insert("content-type", "application/x-amz-json-1.0");
            headers.insert("x-amzn-errortype", "ThrottlingException");
            headers.insert("content-length", THROTTLED.len().to_string());
            *response.body_mut() = THROTTLED.into();
        }
        Ok(())
    }

    fn read_before_deserialization(
        &self,
        _context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.crashed() {
            return Err("the process crashed; this answer is lost".into());
        }
        Ok(())
    }
}
