//! What EventBridge and Lambda's asynchronous invocation do between the functions, played
//! over moto: moto delivers each event a rule matches to the rule's target queue at once (the
//! EventBridge envelope as the message body); the pump drains those queues and invokes the
//! consuming function with each body, as the rule's Lambda target would.
//!
//! EventBridge invokes a function asynchronously, so a failed invocation is retried by Lambda
//! (`EventInvokeConfig.MaximumRetryAttempts` in the template; without the minutes of waiting
//! in between) and, when every attempt failed, Lambda sends an `OnFailure` destination record
//! — `requestPayload` being the event — to the function's dead-letter queue.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::Function;
use crate::lambda::{FunctionError, LambdaFunction};

/// One event handed to a function, with every attempt Lambda made.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub function: Function,
    /// The envelope's `detail-type`.
    pub detail_type: String,
    /// The EventBridge envelope, as the function received it.
    pub event: Value,
    /// The outcome of each invocation, first to last.
    pub attempts: Vec<Result<Value, FunctionError>>,
    /// Every attempt failed: the event went to the function's dead-letter queue.
    pub parked: bool,
}

impl Delivery {
    pub fn succeeded(&self) -> bool {
        matches!(self.attempts.last(), Some(Ok(_)))
    }

    /// The successful invocation's answer.
    pub fn answer(&self) -> Option<&Value> {
        self.attempts.last()?.as_ref().ok()
    }
}

/// A rule's target queue and the function behind it.
pub(super) struct Consumer {
    pub function: Function,
    pub lambda: Arc<LambdaFunction>,
    pub queue_url: String,
    pub dead_letter_queue_url: String,
}

/// Drains the queues until a full round finds all of them empty twice in a row, invoking
/// the consumers in the order their events arrived. Fails after `limit`.
pub(super) async fn pump(
    sqs: &aws_sdk_sqs::Client,
    consumers: &[Consumer],
    limit: Duration,
) -> Result<Vec<Delivery>> {
    let started = Instant::now();
    let mut deliveries = Vec::new();
    let mut quiet_rounds = 0;
    while quiet_rounds < 2 {
        if started.elapsed() > limit {
            bail!(
                "the queues were still not quiet after {limit:?} ({} deliveries): an event loop?",
                deliveries.len()
            );
        }
        let mut any = false;
        for consumer in consumers {
            for body in receive(sqs, &consumer.queue_url).await? {
                any = true;
                let event: Value = serde_json::from_str(&body)
                    .with_context(|| format!("a rule target message that is not JSON: {body}"))?;
                deliveries.push(deliver(sqs, consumer, event).await?);
            }
        }
        if any {
            quiet_rounds = 0;
        } else {
            quiet_rounds += 1;
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }
    Ok(deliveries)
}

/// Invokes the consumer with one event, retrying as Lambda does, and parks it when every
/// attempt failed.
async fn deliver(sqs: &aws_sdk_sqs::Client, consumer: &Consumer, event: Value) -> Result<Delivery> {
    let attempts_allowed = 1 + consumer.function.async_retries();
    let mut attempts = Vec::new();
    for _ in 0..attempts_allowed {
        let outcome = consumer.lambda.invoke(event.clone()).await;
        let done = outcome.is_ok();
        attempts.push(outcome);
        if done {
            break;
        }
    }
    let parked = !matches!(attempts.last(), Some(Ok(_)));
    if parked {
        let Some(Err(error)) = attempts.last() else {
            unreachable!("a parked event has a failed attempt");
        };
        let record = json!({
            "version": "1.0",
            "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "requestContext": {
                "requestId": uuid::Uuid::new_v4().to_string(),
                "functionArn": format!("arn:aws:lambda:us-east-1:{}:function:{}:$LATEST",
                    crate::lambda::ACCOUNT_ID, consumer.lambda.name()),
                "condition": "RetriesExhausted",
                "approximateInvokeCount": attempts.len(),
            },
            "requestPayload": event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": {"errorType": error.error_type, "errorMessage": error.message},
        });
        sqs.send_message()
            .queue_url(&consumer.dead_letter_queue_url)
            .message_body(record.to_string())
            .send()
            .await
            .context("parking a failed event in the dead-letter queue")?;
    }
    Ok(Delivery {
        function: consumer.function,
        detail_type: event["detail-type"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        event,
        attempts,
        parked,
    })
}

/// Takes every message waiting in a queue (received and deleted), oldest first as far as
/// SQS orders them.
pub(super) async fn receive(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> Result<Vec<String>> {
    let mut bodies = Vec::new();
    loop {
        let messages = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .send()
            .await
            .with_context(|| format!("receiving from {queue_url}"))?
            .messages
            .unwrap_or_default();
        if messages.is_empty() {
            return Ok(bodies);
        }
        for message in messages {
            if let Some(handle) = message.receipt_handle() {
                sqs.delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .with_context(|| format!("deleting a message from {queue_url}"))?;
            }
            bodies.extend(message.body);
        }
    }
}
