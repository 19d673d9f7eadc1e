//! Shared by the DynamoDB test suites: a client for the moto server of this test process
//! and a fresh table per test (tests never share or reset state).

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use pulse_store::dynamodb::{DynamoStore, create_table};

/// A client for `endpoint` with dummy credentials.
pub fn client(endpoint: &str) -> Client {
    Client::from_conf(config(endpoint).build())
}

pub fn config(endpoint: &str) -> aws_sdk_dynamodb::config::Builder {
    aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
}

/// A table name no other test of any process uses.
pub fn unique_table(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The moto server of this process, with a new table created for the caller.
pub async fn fresh_table(prefix: &str) -> (Client, String) {
    let moto = pulse_e2e::moto::moto();
    let client = client(&moto.endpoint);
    let table = unique_table(prefix);
    create_table(&client, &table)
        .await
        .unwrap_or_else(|error| panic!("creating table {table}: {error}"));
    (client, table)
}

/// A store on a new table of the moto server of this process.
pub async fn fresh_store() -> Box<DynamoStore> {
    let (client, table) = fresh_table("pulse").await;
    Box::new(DynamoStore::new(client, &table))
}

pub mod faults;

/// A store on an existing table whose client goes through `faults`.
pub fn store_with(table: &str, faults: &faults::Faults) -> DynamoStore {
    let moto = pulse_e2e::moto::moto();
    let client = Client::from_conf(config(&moto.endpoint).interceptor(faults.clone()).build());
    DynamoStore::new(client, table)
}

/// A store on an existing table of the moto server of this process.
pub fn store_on(table: &str) -> DynamoStore {
    DynamoStore::new(client(&pulse_e2e::moto::moto().endpoint), table)
}
