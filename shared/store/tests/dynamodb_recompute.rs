//! A sharded recompute on DynamoDB, beyond the conformance suite: which partitions a shard
//! Queries, that the final read is Queries of the run's partition only, and what a retried
//! shard, a finish and a delete leave in the table (no stale chunk, TTL on every item).

mod dynamodb_support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Utc;
use dynamodb_support::{config, fresh_table};
use pulse_store::conformance::fixtures::{batch, day, ingest, new_workspace, track};
use pulse_store::dynamodb::{DynamoStore, keys};
use pulse_store::{MAX_RECOMPUTE_CHUNK_BYTES, Store, recompute_shard_of};

/// A request sent: its operation and its `:pk` value, if any.
type Sent = (String, Option<String>);

/// Records every request the client sends.
#[derive(Clone, Debug, Default)]
struct Requests(Arc<Mutex<Vec<Sent>>>);

impl Requests {
    fn take(&self) -> Vec<Sent> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

impl Intercept for Requests {
    fn name(&self) -> &'static str {
        "Requests"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        let operation = target.rsplit('.').next().unwrap_or(target).to_string();
        let pk = request
            .body()
            .bytes()
            .and_then(|body| serde_json::from_slice::<serde_json::Value>(body).ok())
            .and_then(|json| {
                json["ExpressionAttributeValues"][":pk"]["S"]
                    .as_str()
                    .map(str::to_string)
            });
        self.0.lock().unwrap().push((operation, pk));
        Ok(())
    }
}

/// A store on a new table whose requests are recorded, and a plain client for inspecting it.
async fn recorded_store() -> (DynamoStore, Requests, Client, String) {
    let (client, table) = fresh_table("recompute").await;
    let requests = Requests::default();
    let endpoint = pulse_e2e::moto::moto().endpoint.clone();
    let recorded = Client::from_conf(config(&endpoint).interceptor(requests.clone()).build());
    (DynamoStore::new(recorded, &table), requests, client, table)
}

/// Every item of one partition, read directly.
async fn partition(
    client: &Client,
    table: &str,
    pk: &str,
) -> Vec<BTreeMap<String, AttributeValue>> {
    let output = client
        .query()
        .table_name(table)
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(pk.to_string()))
        .consistent_read(true)
        .send()
        .await
        .expect("querying a partition");
    output
        .items
        .unwrap_or_default()
        .into_iter()
        .map(|item| item.into_iter().collect())
        .collect()
}

fn text(item: &BTreeMap<String, AttributeValue>, name: &str) -> String {
    match item.get(name) {
        Some(AttributeValue::S(text)) => text.clone(),
        other => panic!("`{name}` is not a string: {other:?}"),
    }
}

#[tokio::test]
async fn a_recompute_shard_queries_only_the_partitions_of_its_shard() {
    let (store, requests, _, _) = recorded_store().await;
    let acme = new_workspace(&store, "acme").await;
    let calls: Vec<_> = (0..6)
        .map(|n| {
            track(
                &format!("m{n}"),
                &format!("user-{n}"),
                "Report Created",
                "2026-12-01T10:00:00Z",
            )
        })
        .collect();
    ingest(&store, &acme, &batch("2026-12-01T18:00:00Z", &calls)).await;

    for (shard, shards) in [(1, 3), (0, 16), (0, 1)] {
        requests.take();
        let data = store
            .scoring_data_shard(&acme, day("2026-11-01"), shard, shards)
            .await
            .expect("reading a shard");
        let sent = requests.take();
        assert!(
            sent.iter().all(|(operation, _)| operation == "Query"),
            "a shard read is Queries only: {sent:?}"
        );
        let queried: BTreeSet<String> = sent.into_iter().filter_map(|(_, pk)| pk).collect();
        let expected: BTreeSet<String> = (0..keys::SHARDS)
            .filter(|partition| partition % shards == shard)
            .flat_map(|partition| {
                [
                    keys::identity_partition("acme", partition),
                    keys::usage_partition("acme", partition),
                ]
            })
            .collect();
        assert_eq!(queried, expected, "shard {shard} of {shards}");
        assert!(
            data.identities
                .iter()
                .all(|record| recompute_shard_of(&record.key, shards) == shard)
        );
    }
}

#[tokio::test]
async fn a_retried_shard_leaves_no_stale_item_every_item_expires_and_delete_empties_the_run() {
    let (store, requests, client, table) = recorded_store().await;
    let acme = new_workspace(&store, "acme").await;
    let run_partition = keys::recompute_run_partition("acme", "run-1");
    let big = vec![7u8; MAX_RECOMPUTE_CHUNK_BYTES];
    store
        .put_recompute_parts(
            &acme,
            "run-1",
            0,
            vec![big.clone(), big.clone(), b"c".to_vec()],
        )
        .await
        .unwrap();
    store
        .put_recompute_parts(&acme, "run-1", 3, vec![big.clone(), b"d".to_vec()])
        .await
        .unwrap();
    store
        .put_recompute_parts(&acme, "run-1", 0, vec![b"a".to_vec()])
        .await
        .unwrap();
    assert!(
        !store
            .finish_recompute_shard(&acme, "run-1", 0, 4)
            .await
            .unwrap()
    );

    let items = partition(&client, &table, &run_partition).await;
    let kinds: Vec<String> = items.iter().map(|item| text(item, "et")).collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|kind| *kind == "recompute_part")
            .count(),
        3,
        "shard 0's first three chunks are gone, its new one and shard 3's two are left: {kinds:?}"
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|kind| *kind == "recompute_shard")
            .count(),
        2
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|kind| *kind == "recompute_done")
            .count(),
        1
    );
    let now = Utc::now().timestamp();
    for item in &items {
        let Some(AttributeValue::N(expires)) = item.get(keys::EXPIRES_AT) else {
            panic!("a staged item without a TTL: {:?}", item.get("SK"));
        };
        let expires: i64 = expires.parse().unwrap();
        assert!(
            (now + 2 * 86_400 - 120..=now + 2 * 86_400 + 120).contains(&expires),
            "staged items expire 2 days after they are written, not at {expires} (now {now})"
        );
    }

    requests.take();
    let parts = store.recompute_parts(&acme, "run-1").await.unwrap();
    assert_eq!(parts, vec![b"a".to_vec(), big, b"d".to_vec()]);
    let sent = requests.take();
    assert!(
        !sent.is_empty()
            && sent.iter().all(
                |(operation, pk)| operation == "Query" && pk.as_deref() == Some(&run_partition)
            ),
        "the final read is one (paginated) Query of the run's partition: {sent:?}"
    );

    store.delete_recompute_run(&acme, "run-1").await.unwrap();
    assert_eq!(
        partition(&client, &table, &run_partition).await,
        Vec::new(),
        "a deleted run leaves nothing"
    );
}
