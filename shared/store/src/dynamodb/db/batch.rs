//! Batch requests: BatchGetItem at most 100 keys a request and BatchWriteItem at most 25
//! items (DynamoDB's limits, which moto does not enforce), with unprocessed keys and items
//! resent under back-off.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::{
    DeleteRequest, KeysAndAttributes, PutRequest, ReturnConsumedCapacity, WriteRequest,
};

use super::{
    Db, MAX_ATTEMPTS, MAX_BATCH_GET, MAX_BATCH_WRITE, Write, backoff, gsi_units, store_error,
};
use crate::dynamodb::attrs::{Item, item_size, key_item, key_of, read_units, write_units};
use crate::dynamodb::concurrent;
use crate::dynamodb::keys::Key;
use crate::error::StoreError;

impl Db {
    /// Reads many items (strongly consistent), 100 keys a request, unprocessed keys retried.
    pub async fn batch_get(&self, keys: &[Key]) -> Result<HashMap<Key, Item>, StoreError> {
        let unique: Vec<&Key> = {
            let mut seen = HashSet::new();
            keys.iter().filter(|key| seen.insert(*key)).collect()
        };
        let mut found = HashMap::new();
        for chunk in unique.chunks(MAX_BATCH_GET) {
            let mut pending: Vec<Item> = chunk.iter().map(|key| key_item(key)).collect();
            let mut attempt = 0;
            while !pending.is_empty() {
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(pending.clone()))
                    .consistent_read(true)
                    .build()
                    .map_err(|error| StoreError::Invalid(error.to_string()))?;
                let output = self
                    .send(|| {
                        self.client
                            .batch_get_item()
                            .request_items(self.table.as_ref(), request.clone())
                            .return_consumed_capacity(ReturnConsumedCapacity::Total)
                            .send()
                    })
                    .await
                    .map_err(|error| store_error("BatchGetItem", error))?;
                self.report(false, output.consumed_capacity());
                let returned = output
                    .responses
                    .and_then(|mut tables| tables.remove(self.table.as_ref()))
                    .unwrap_or_default();
                let unprocessed = output
                    .unprocessed_keys
                    .and_then(|mut tables| tables.remove(self.table.as_ref()))
                    .map(|request| request.keys)
                    .unwrap_or_default();
                let misses = pending.len() - returned.len() - unprocessed.len();
                self.estimate(
                    returned
                        .iter()
                        .map(|item| read_units(item_size(item)))
                        .sum::<f64>()
                        + misses as f64,
                    0.0,
                );
                for item in returned {
                    found.insert(key_of(&item)?, item);
                }
                pending = unprocessed;
                if !pending.is_empty() {
                    attempt += 1;
                    if attempt >= MAX_ATTEMPTS {
                        return Err(StoreError::Unavailable(format!(
                            "DynamoDB left {} keys unprocessed after {MAX_ATTEMPTS} attempts (throttled): retry later",
                            pending.len()
                        )));
                    }
                    backoff(attempt).await;
                }
            }
        }
        Ok(found)
    }

    /// Puts and deletes, 25 a request (several requests at once), unprocessed items retried
    /// with back-off. Items must not repeat a key.
    pub async fn batch_write(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let mut requests = Vec::new();
        for chunk in writes.chunks(MAX_BATCH_WRITE) {
            let mut pending = Vec::with_capacity(chunk.len());
            for write in chunk {
                let request = match write {
                    Write::Put(item) => {
                        self.estimate(0.0, write_units(item_size(item)) + gsi_units(item));
                        WriteRequest::builder()
                            .put_request(
                                PutRequest::builder()
                                    .set_item(Some(item.clone()))
                                    .build()
                                    .map_err(|error| StoreError::Invalid(error.to_string()))?,
                            )
                            .build()
                    }
                    Write::Delete(key) => {
                        self.estimate(0.0, 1.0);
                        WriteRequest::builder()
                            .delete_request(
                                DeleteRequest::builder()
                                    .set_key(Some(key_item(key)))
                                    .build()
                                    .map_err(|error| StoreError::Invalid(error.to_string()))?,
                            )
                            .build()
                    }
                };
                pending.push(request);
            }
            let db = self.clone();
            requests.push(async move { db.write_chunk(pending).await });
        }
        for result in concurrent::all(requests).await? {
            result?;
        }
        Ok(())
    }

    async fn write_chunk(&self, mut pending: Vec<WriteRequest>) -> Result<(), StoreError> {
        let mut attempt = 0;
        while !pending.is_empty() {
            let output = self
                .send(|| {
                    self.client
                        .batch_write_item()
                        .request_items(self.table.as_ref(), pending.clone())
                        .return_consumed_capacity(ReturnConsumedCapacity::Total)
                        .send()
                })
                .await
                .map_err(|error| store_error("BatchWriteItem", error))?;
            self.report(true, output.consumed_capacity());
            pending = output
                .unprocessed_items
                .and_then(|mut tables| tables.remove(self.table.as_ref()))
                .unwrap_or_default();
            if !pending.is_empty() {
                attempt += 1;
                if attempt >= MAX_ATTEMPTS {
                    return Err(StoreError::Unavailable(format!(
                        "DynamoDB left {} writes unprocessed after {MAX_ATTEMPTS} attempts (throttled): retry later",
                        pending.len()
                    )));
                }
                backoff(attempt).await;
            }
        }
        Ok(())
    }
}
