//! The requests the adapter makes, each with its retry policy and capacity accounting:
//! throttling, 5xx and network errors are retried with bounded exponential back-off and
//! full jitter. Single-item requests and transactions are here; batches in [`batch`],
//! Query and Scan in [`query`]. Whatever still fails becomes a [`StoreError`] carrying the
//! service's message, never an SDK type.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConsumedCapacity, ReturnConsumedCapacity, ReturnValue, TransactWriteItem,
};

mod batch;
mod query;

pub use query::{Filter, QuerySpec, Range};

use super::attrs::{Item, item_size, key_item, read_units, write_units};
use super::keys::{self, Key};
use crate::error::StoreError;

/// DynamoDB's per-request limits, enforced here because moto is more lenient.
pub const MAX_BATCH_WRITE: usize = 25;
pub const MAX_BATCH_GET: usize = 100;
pub const MAX_TRANSACT_ITEMS: usize = 100;

/// Attempts for throttled or failing requests (and for unprocessed batch items).
const MAX_ATTEMPTS: u32 = 8;
/// Attempts for requests that could not reach DynamoDB at all.
const MAX_NETWORK_ATTEMPTS: u32 = 3;
const BASE_BACKOFF: Duration = Duration::from_millis(25);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

const THROTTLING: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
];

/// Capacity units, as DynamoDB reports them or as the adapter estimates them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Consumed {
    pub read_units: f64,
    pub write_units: f64,
}

impl Consumed {
    pub fn minus(self, earlier: Consumed) -> Consumed {
        Consumed {
            read_units: self.read_units - earlier.read_units,
            write_units: self.write_units - earlier.write_units,
        }
    }
}

#[derive(Default)]
struct Meter {
    reported: Mutex<Consumed>,
    estimated: Mutex<Consumed>,
}

/// A write's precondition.
#[derive(Clone, Copy, Debug)]
pub enum Condition {
    Always,
    /// The item must not exist yet.
    New,
    /// The item must still carry this version (`v`).
    Version(u64),
    /// The item must exist already (an update of something recorded).
    Exists,
}

impl Condition {
    /// `New` for a version of 0 (never written), `Version` otherwise.
    pub fn from_version(version: u64) -> Condition {
        if version == 0 {
            Condition::New
        } else {
            Condition::Version(version)
        }
    }
}

/// A write whose condition failed, told apart from real failures.
#[derive(Debug)]
pub enum WriteError {
    ConditionFailed,
    Store(StoreError),
}

impl From<StoreError> for WriteError {
    fn from(error: StoreError) -> Self {
        WriteError::Store(error)
    }
}

/// One BatchWriteItem entry.
#[derive(Clone, Debug)]
pub enum Write {
    Put(Item),
    Delete(Key),
}

/// One TransactWriteItems entry.
#[derive(Clone, Debug)]
pub enum TransactWrite {
    Put(Item, Condition),
    Delete(Key),
}

#[derive(Clone)]
pub struct Db {
    client: Client,
    table: Arc<str>,
    meter: Arc<Meter>,
}

impl Db {
    pub fn new(client: Client, table: &str) -> Db {
        Db {
            client,
            table: table.into(),
            meter: Arc::default(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn reported(&self) -> Consumed {
        *self.meter.reported.lock().expect("meter lock")
    }

    pub fn estimated(&self) -> Consumed {
        *self.meter.estimated.lock().expect("meter lock")
    }

    fn report<'a>(&self, write: bool, capacity: impl IntoIterator<Item = &'a ConsumedCapacity>) {
        let units: f64 = capacity
            .into_iter()
            .filter_map(ConsumedCapacity::capacity_units)
            .sum();
        let mut reported = self.meter.reported.lock().expect("meter lock");
        if write {
            reported.write_units += units;
        } else {
            reported.read_units += units;
        }
    }

    fn estimate(&self, read_units: f64, write_units: f64) {
        let mut estimated = self.meter.estimated.lock().expect("meter lock");
        estimated.read_units += read_units;
        estimated.write_units += write_units;
    }

    /// Runs `call` until it succeeds, fails for good or runs out of attempts.
    async fn send<T, E, F, Fut>(&self, mut call: F) -> Result<T, SdkError<E, HttpResponse>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata,
    {
        let mut attempt = 0;
        loop {
            let error = match call().await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let limit = match &error {
                SdkError::ServiceError(context)
                    if THROTTLING.contains(&context.err().code().unwrap_or_default()) =>
                {
                    MAX_ATTEMPTS
                }
                SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => {
                    MAX_NETWORK_ATTEMPTS
                }
                SdkError::TimeoutError(_) | SdkError::ResponseError(_) => MAX_NETWORK_ATTEMPTS,
                _ => 0,
            };
            attempt += 1;
            if attempt >= limit {
                return Err(error);
            }
            tracing::debug!(attempt, code = ?error.code(), "retrying a DynamoDB request");
            backoff(attempt).await;
        }
    }

    pub async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let output = self
            .send(|| {
                self.client
                    .get_item()
                    .table_name(self.table.as_ref())
                    .set_key(Some(key_item(key)))
                    .consistent_read(true)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
            })
            .await
            .map_err(|error| store_error("GetItem", error))?;
        self.report(false, output.consumed_capacity());
        let item = output.item;
        self.estimate(read_units(item.as_ref().map_or(0, item_size)), 0.0);
        Ok(item)
    }

    /// Writes an item whole under a condition; `old_size` is the size of the item it
    /// replaces (0 when new), for the capacity estimate.
    pub async fn put(
        &self,
        item: Item,
        condition: Condition,
        old_size: usize,
    ) -> Result<(), WriteError> {
        let new_size = item_size(&item);
        let (expression, values) = condition_expression(condition);
        let result = self
            .send(|| {
                self.client
                    .put_item()
                    .table_name(self.table.as_ref())
                    .set_item(Some(item.clone()))
                    .set_condition_expression(expression.clone())
                    .set_expression_attribute_values(values.clone())
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
            })
            .await;
        self.estimate(0.0, write_units(new_size.max(old_size)) + gsi_units(&item));
        match result {
            Ok(output) => {
                self.report(true, output.consumed_capacity());
                Ok(())
            }
            Err(error) if is_condition_failure(&error) => Err(WriteError::ConditionFailed),
            Err(error) => Err(WriteError::Store(store_error("PutItem", error))),
        }
    }

    /// An UpdateItem with expressions; returns the item's old attributes when asked.
    pub async fn update(
        &self,
        key: &Key,
        update: &str,
        condition: Option<&str>,
        values: HashMap<String, AttributeValue>,
        return_old: bool,
    ) -> Result<Option<Item>, WriteError> {
        let returns = if return_old {
            ReturnValue::AllOld
        } else {
            ReturnValue::None
        };
        self.update_returning(key, update, condition, values, returns)
            .await
    }

    /// An unconditional UpdateItem returning the whole item as it is after it (`ALL_NEW`):
    /// e.g. a set after an `ADD`.
    pub async fn update_all_new(
        &self,
        key: &Key,
        update: &str,
        values: HashMap<String, AttributeValue>,
    ) -> Result<Item, StoreError> {
        match self
            .update_returning(key, update, None, values, ReturnValue::AllNew)
            .await
        {
            Ok(attributes) => Ok(attributes.unwrap_or_default()),
            Err(WriteError::Store(error)) => Err(error),
            Err(WriteError::ConditionFailed) => Err(StoreError::Unavailable(
                "an unconditional update failed its condition".into(),
            )),
        }
    }

    async fn update_returning(
        &self,
        key: &Key,
        update: &str,
        condition: Option<&str>,
        values: HashMap<String, AttributeValue>,
        returns: ReturnValue,
    ) -> Result<Option<Item>, WriteError> {
        let result = self
            .send(|| {
                self.client
                    .update_item()
                    .table_name(self.table.as_ref())
                    .set_key(Some(key_item(key)))
                    .update_expression(update)
                    .set_condition_expression(condition.map(str::to_string))
                    .set_expression_attribute_values((!values.is_empty()).then(|| values.clone()))
                    .return_values(returns.clone())
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
            })
            .await;
        match result {
            Ok(output) => {
                self.report(true, output.consumed_capacity());
                let old = output.attributes;
                // Billed at the larger of the item before and after; after is at least the
                // values written (the returned attributes approximate either side).
                let before = old.as_ref().map_or(0, item_size);
                let written = item_size(&values);
                self.estimate(0.0, write_units(before.max(written)));
                Ok(old)
            }
            Err(error) if is_condition_failure(&error) => {
                self.estimate(0.0, 1.0);
                Err(WriteError::ConditionFailed)
            }
            Err(error) => Err(WriteError::Store(store_error("UpdateItem", error))),
        }
    }

    /// All-or-nothing puts (at most 100). `Err(ConditionFailed)` when any condition failed.
    pub async fn transact_put(&self, puts: Vec<(Item, Condition)>) -> Result<(), WriteError> {
        self.transact_write(
            puts.into_iter()
                .map(|(item, condition)| TransactWrite::Put(item, condition))
                .collect(),
        )
        .await
    }

    /// All-or-nothing puts and deletes (at most 100). `Err(ConditionFailed)` when any
    /// condition failed (nothing was written then).
    pub async fn transact_write(&self, writes: Vec<TransactWrite>) -> Result<(), WriteError> {
        if writes.len() > MAX_TRANSACT_ITEMS {
            return Err(WriteError::Store(StoreError::Invalid(format!(
                "a transaction of {} items is over DynamoDB's limit of {MAX_TRANSACT_ITEMS}",
                writes.len()
            ))));
        }
        let invalid = |error: aws_sdk_dynamodb::error::BuildError| {
            WriteError::Store(StoreError::Invalid(error.to_string()))
        };
        let mut items = Vec::with_capacity(writes.len());
        for write in &writes {
            let entry = match write {
                TransactWrite::Put(item, condition) => {
                    self.estimate(0.0, 2.0 * write_units(item_size(item)) + gsi_units(item));
                    let (expression, values) = condition_expression(*condition);
                    let put = aws_sdk_dynamodb::types::Put::builder()
                        .table_name(self.table.as_ref())
                        .set_item(Some(item.clone()))
                        .set_condition_expression(expression)
                        .set_expression_attribute_values(values)
                        .build()
                        .map_err(invalid)?;
                    TransactWriteItem::builder().put(put).build()
                }
                TransactWrite::Delete(key) => {
                    self.estimate(0.0, 2.0);
                    let delete = aws_sdk_dynamodb::types::Delete::builder()
                        .table_name(self.table.as_ref())
                        .set_key(Some(key_item(key)))
                        .build()
                        .map_err(invalid)?;
                    TransactWriteItem::builder().delete(delete).build()
                }
            };
            items.push(entry);
        }
        let result = self
            .send(|| {
                self.client
                    .transact_write_items()
                    .set_transact_items(Some(items.clone()))
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
            })
            .await;
        match result {
            Ok(output) => {
                self.report(true, output.consumed_capacity());
                Ok(())
            }
            Err(error) => {
                let conditional = matches!(&error, SdkError::ServiceError(context)
                    if matches!(context.err(), TransactWriteItemsError::TransactionCanceledException(cancelled)
                        if cancelled.cancellation_reasons().iter().any(|reason|
                            reason.code() == Some("ConditionalCheckFailed"))));
                if conditional {
                    Err(WriteError::ConditionFailed)
                } else {
                    Err(WriteError::Store(store_error("TransactWriteItems", error)))
                }
            }
        }
    }

    /// Deletes an item; returns it as it was (`None` when there was none).
    pub async fn delete(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let output = self
            .send(|| {
                self.client
                    .delete_item()
                    .table_name(self.table.as_ref())
                    .set_key(Some(key_item(key)))
                    .return_values(ReturnValue::AllOld)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
            })
            .await
            .map_err(|error| store_error("DeleteItem", error))?;
        self.report(true, output.consumed_capacity());
        let old = output.attributes;
        let size = old.as_ref().map_or(0, item_size);
        self.estimate(0.0, write_units(size) + old.as_ref().map_or(0.0, gsi_units));
        Ok(old)
    }
}

fn condition_expression(
    condition: Condition,
) -> (Option<String>, Option<HashMap<String, AttributeValue>>) {
    match condition {
        Condition::Always => (None, None),
        Condition::New => (Some(format!("attribute_not_exists({})", keys::PK)), None),
        Condition::Exists => (Some(format!("attribute_exists({})", keys::PK)), None),
        Condition::Version(version) => (
            Some("v = :expected_version".to_string()),
            Some(HashMap::from([(
                ":expected_version".to_string(),
                AttributeValue::N(version.to_string()),
            )])),
        ),
    }
}

/// The extra write units of the GSI1 copy of an item that carries GSI1 keys.
fn gsi_units(item: &Item) -> f64 {
    if item.contains_key(keys::GSI1PK) {
        write_units(item_size(item))
    } else {
        0.0
    }
}

fn is_condition_failure<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    matches!(error, SdkError::ServiceError(context)
        if context.err().code() == Some("ConditionalCheckFailedException"))
}

/// Full-jitter exponential back-off: a random wait up to 25 ms × 2^attempt, at most 2 s.
async fn backoff(attempt: u32) {
    let ceiling = BASE_BACKOFF
        .saturating_mul(1 << attempt.min(16))
        .min(MAX_BACKOFF);
    let wait = ceiling.mul_f64(random_fraction());
    tokio::time::sleep(wait).await;
}

/// A random number in [0, 1) for jitter (a fixed midpoint if the OS has no randomness).
pub fn random_fraction() -> f64 {
    getrandom::u64().map_or(0.5, |bits| (bits >> 11) as f64 / (1u64 << 53) as f64)
}

/// What a failed request means for the caller: unreachable, throttled and server errors
/// are `Unavailable` (retry later, HTTP 503); a request DynamoDB calls invalid is `Invalid`.
pub fn store_error<E>(operation: &str, error: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match &error {
        SdkError::ServiceError(context) => {
            let code = context.err().code().unwrap_or("unknown error");
            let message = context.err().message().unwrap_or_default();
            match code {
                "ResourceNotFoundException" => StoreError::Unavailable(format!(
                    "{operation}: the DynamoDB table does not exist ({message}); create it (`pulse serve --store dynamodb --create-table`)"
                )),
                "ValidationException" => StoreError::Invalid(format!(
                    "{operation}: DynamoDB refused the request: {message}"
                )),
                _ => StoreError::Unavailable(format!("{operation}: {code}: {message}")),
            }
        }
        _ => StoreError::Unavailable(format!(
            "{operation}: DynamoDB could not be reached: {}",
            DisplayErrorContext(&error)
        )),
    }
}
