//! DynamoDB-specific ingestion guarantees, on moto: a crash after any write followed by a
//! retry (whole or regrouped) counts every call once; what a batch changed is announced
//! before its commit, and a failed announcement commits nothing; message ids de-duplicate across
//! batches, days and clock skew; throttling is retried; an outage is `Unavailable`; items
//! DynamoDB would refuse are refused with a message.

mod dynamodb_support;

use dynamodb_support::faults::{Crash, Faults};
use dynamodb_support::{fresh_table, store_on, store_with};
use pulse_store::conformance::fixtures::{
    alias, batch, canonical, daily_count, first_use, first_uses, group, identify, ingest, lifetime,
    new_workspace, scoring_data, track, track_in, watching,
};
use pulse_store::{Announce, IngestBatch, IngestChange, IngestOutcome, Store, StoreError};
use serde_json::json;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Keeps what it is told to announce; refuses while `down` is set (the bus is down).
#[derive(Default)]
struct Recorder {
    told: Mutex<Vec<Vec<IngestChange>>>,
    down: AtomicBool,
}

#[async_trait::async_trait]
impl Announce for Recorder {
    async fn announce(&self, changes: &[IngestChange]) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("the bus is down".into()));
        }
        self.told.lock().unwrap().push(changes.to_vec());
        Ok(())
    }
}

impl Recorder {
    fn told(&self) -> Vec<Vec<IngestChange>> {
        self.told.lock().unwrap().clone()
    }
}

/// Three identities, events on two days, traits, an account with traits, a membership,
/// links and a watched event's first use: every kind of item ingestion writes.
fn mixed_batch() -> IngestBatch {
    let calls = batch(
        "2026-12-02T18:00:00Z",
        &[
            identify("m01", "u-1", json!({"plan": "pro"}), "2026-12-01T08:00:00Z"),
            track("m02", "u-1", "Report Created", "2026-12-01T09:00:00Z"),
            track("m03", "u-1", "Report Created", "2026-12-02T09:00:00Z"),
            group(
                "m04",
                "u-1",
                "acme-inc",
                json!({"name": "Acme"}),
                "2026-12-01T09:30:00Z",
            ),
            track_in(
                "m05",
                "u-2",
                "Invite Sent",
                "acme-inc",
                "2026-12-02T10:00:00Z",
            ),
            alias("m06", "old-2", "u-2", "2026-12-02T10:01:00Z"),
            json!({"type": "page", "messageId": "m07", "anonymousId": "anon-9",
                   "timestamp": "2026-12-02T11:00:00Z"}),
            track("m08", "u-2", "Report Created", "2026-12-02T12:00:00Z"),
        ],
    );
    watching(calls, &["Report Created"])
}

fn sub_batch(whole: &IngestBatch, range: std::ops::Range<usize>) -> IngestBatch {
    IngestBatch {
        calls: whole.calls[range].to_vec(),
        ..whole.clone()
    }
}

struct Reference {
    outcome: IngestOutcome,
    data: pulse_store::conformance::fixtures::CanonicalData,
    writes: usize,
}

/// The batch ingested once without faults: what every recovery must end with.
async fn reference(batch: &IngestBatch) -> Reference {
    let (_, table) = fresh_table("reference").await;
    let counting = Faults::default();
    let store = store_with(&table, &counting);
    let acme = new_workspace(&store, "acme").await;
    let writes_before = counting.writes();
    let outcome = ingest(&store, &acme, batch).await;
    let writes = counting.writes() - writes_before;
    let data = canonical(scoring_data(&store, &acme, "2026-11-01").await);
    Reference {
        outcome,
        data,
        writes,
    }
}

async fn crash_then_retry(batch: &IngestBatch, crash: Crash, reference: &Reference) {
    let (_, table) = fresh_table("crash").await;
    let clean = store_on(&table);
    let acme = new_workspace(&clean, "acme").await;
    let faults = Faults::crash(crash);
    let crashing = store_with(&table, &faults);

    let crashed = crashing.ingest(&acme, batch.clone()).await;
    let retry = clean
        .ingest(&acme, batch.clone())
        .await
        .unwrap_or_else(|error| panic!("{crash:?}: the retry failed: {error}"));
    let again = ingest(&clean, &acme, batch).await;

    assert!(faults.crashed(), "{crash:?} never happened");
    assert!(
        matches!(crashed, Err(StoreError::Unavailable(_))),
        "{crash:?}: the crashed attempt must fail as Unavailable (a 503), got {crashed:?}"
    );
    assert_eq!(
        canonical(scoring_data(&clean, &acme, "2026-11-01").await),
        reference.data,
        "{crash:?}: after the retry the data differs from one clean delivery"
    );
    let total = batch.calls.len();
    assert_eq!(
        retry.stored + retry.duplicates,
        total,
        "{crash:?}: {retry:?}"
    );
    if retry.stored == total {
        assert_eq!(
            retry.changes, reference.outcome.changes,
            "{crash:?}: the retry of an uncommitted batch reports what it changed"
        );
    } else {
        assert_eq!(
            (retry.stored, retry.duplicates),
            (0, total),
            "{crash:?}: a batch is committed whole or not at all"
        );
    }
    assert_eq!(
        (again.stored, again.duplicates, again.changes),
        (0, total, vec![]),
        "{crash:?}: a third delivery is a duplicate"
    );
}

#[tokio::test]
async fn a_crash_after_any_write_then_a_retry_counts_every_call_once() {
    let batch = mixed_batch();
    let reference = reference(&batch).await;
    assert!(
        reference.writes >= 8,
        "the batch writes {} times",
        reference.writes
    );
    assert_eq!(
        first_uses(&reference.outcome),
        vec![first_use(
            "acme-inc",
            "Report Created",
            "u:u-1",
            "2026-12-01T09:00:00Z"
        )],
        "premise: the batch records acme-inc's first report"
    );

    for at in 1..=reference.writes {
        crash_then_retry(&batch, Crash::BeforeWrite(at), &reference).await;
        crash_then_retry(&batch, Crash::AfterWrite(at), &reference).await;
    }
}

#[tokio::test]
async fn a_retry_regrouped_differently_after_a_crash_counts_every_call_once() {
    let whole = mixed_batch();
    let reference = reference(&whole).await;
    for at in [2, reference.writes / 2, reference.writes - 1] {
        let (_, table) = fresh_table("regrouped").await;
        let clean = store_on(&table);
        let acme = new_workspace(&clean, "acme").await;
        let faults = Faults::crash(Crash::AfterWrite(at));
        let _ = store_with(&table, &faults)
            .ingest(&acme, whole.clone())
            .await;

        // The client library re-batches: the second half first, then the first half.
        let late = ingest(&clean, &acme, &sub_batch(&whole, 4..8)).await;
        let early = ingest(&clean, &acme, &sub_batch(&whole, 0..4)).await;
        let again = ingest(&clean, &acme, &whole).await;

        assert_eq!(late.stored + early.stored, 8, "crash after write {at}");
        assert_eq!(again.stored, 0);
        assert_eq!(
            first_uses(&late).len() + first_uses(&early).len(),
            1,
            "crash after write {at}: acme-inc's first report is reported once overall \
             ({late:?}, {early:?})"
        );
        assert_eq!(
            canonical(scoring_data(&clean, &acme, "2026-11-01").await),
            reference.data,
            "crash after write {at}, retried regrouped: the data differs from one clean delivery"
        );
    }
}

#[tokio::test]
async fn message_ids_deduplicate_across_batches_days_and_clock_skew() {
    let (_, table) = fresh_table("dedupe").await;
    let store = store_on(&table);
    let acme = new_workspace(&store, "acme").await;

    let first = ingest(
        &store,
        &acme,
        &batch(
            "2026-12-01T18:00:00Z",
            &[
                track("m1", "u-1", "Report Created", "2026-12-01T10:00:00Z"),
                track("m2", "u-1", "Report Created", "2026-12-01T23:59:59Z"),
                track("m3", "u-1", "Invite Sent", "2026-11-30T10:00:00Z"),
            ],
        ),
    )
    .await;
    // Two days later the client retries m2 with its clock moved past midnight, with a new call.
    let skewed = ingest(
        &store,
        &acme,
        &batch(
            "2026-12-03T09:00:00Z",
            &[
                track("m2", "u-1", "Report Created", "2026-12-02T00:00:01Z"),
                track("m4", "u-1", "Report Created", "2026-12-03T08:00:00Z"),
            ],
        ),
    )
    .await;
    let within_a_week = ingest(
        &store,
        &acme,
        &batch(
            "2026-12-08T17:59:59Z",
            &[track("m1", "u-1", "Report Created", "2026-12-01T10:00:00Z")],
        ),
    )
    .await;
    let after_a_week = ingest(
        &store,
        &acme,
        &batch(
            "2026-12-08T18:00:01Z",
            &[
                track("m1", "u-1", "Report Created", "2026-12-01T10:00:00Z"),
                track("m4", "u-1", "Report Created", "2026-12-03T08:00:00Z"),
            ],
        ),
    )
    .await;
    let data = scoring_data(&store, &acme, "2026-11-01").await;

    assert_eq!((first.stored, first.duplicates), (3, 0));
    assert_eq!(
        (skewed.stored, skewed.duplicates),
        (1, 1),
        "m2 counted once although its retry lands on another day"
    );
    assert_eq!((within_a_week.stored, within_a_week.duplicates), (0, 1));
    assert_eq!(
        (after_a_week.stored, after_a_week.duplicates),
        (1, 1),
        "m1 is 7 days old and counts again; m4 is 5 days old"
    );
    assert_eq!(
        daily_count(&data, "u:u-1", "2026-12-01", "Report Created"),
        3
    );
    assert_eq!(
        daily_count(&data, "u:u-1", "2026-12-02", "Report Created"),
        0
    );
    assert_eq!(
        daily_count(&data, "u:u-1", "2026-12-03", "Report Created"),
        1
    );
    assert_eq!(lifetime(&data, "u:u-1", "Report Created").count, 4);
    assert_eq!(lifetime(&data, "u:u-1", "Invite Sent").count, 1);
}

#[tokio::test]
async fn throttled_writes_are_retried_with_backoff() {
    let (_, table) = fresh_table("throttled").await;
    let faults = Faults::throttle_next_writes(3);
    let store = store_with(&table, &faults);
    let acme = new_workspace(&store, "acme").await;
    let calls = batch(
        "2026-12-01T18:00:00Z",
        &[
            track("m1", "u-1", "Report Created", "2026-12-01T10:00:00Z"),
            track("m2", "u-1", "Report Created", "2026-12-01T11:00:00Z"),
        ],
    );

    let outcome = ingest(&store, &acme, &calls).await;
    let data = scoring_data(&store, &acme, "2026-11-01").await;

    assert_eq!(
        faults.throttled(),
        3,
        "the first three writes were throttled"
    );
    assert_eq!(outcome.stored, 2);
    assert_eq!(
        daily_count(&data, "u:u-1", "2026-12-01", "Report Created"),
        2
    );
}

#[tokio::test]
async fn an_unreachable_dynamodb_is_unavailable() {
    let port = pulse_e2e::moto::free_port();
    let client = dynamodb_support::client(&format!("http://127.0.0.1:{port}"));
    let store = pulse_store::dynamodb::DynamoStore::new(client, "pulse");
    let started = std::time::Instant::now();

    let result = store
        .ingest(
            &pulse_store::conformance::fixtures::workspace_id("acme"),
            batch(
                "2026-12-01T18:00:00Z",
                &[track("m1", "u-1", "Report Created", "2026-12-01T10:00:00Z")],
            ),
        )
        .await;

    assert!(
        matches!(&result, Err(StoreError::Unavailable(message)) if message.contains("could not be reached")),
        "{result:?}"
    );
    assert!(
        started.elapsed().as_secs() < 10,
        "gave up after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_missing_table_is_unavailable_and_says_how_to_create_it() {
    let store = store_on("no-such-table");

    let result = store.workspaces().await;

    assert!(
        matches!(&result, Err(StoreError::Unavailable(message)) if message.contains("--create-table")),
        "{result:?}"
    );
}

#[tokio::test]
async fn traits_over_the_400_kb_item_limit_are_refused_as_invalid() {
    let (_, table) = fresh_table("big").await;
    let store = store_on(&table);
    let acme = new_workspace(&store, "acme").await;
    let huge = "x".repeat(410 * 1024);

    let result = store
        .ingest(
            &acme,
            batch(
                "2026-12-01T18:00:00Z",
                &[identify(
                    "m1",
                    "u-1",
                    json!({"notes": huge}),
                    "2026-12-01T10:00:00Z",
                )],
            ),
        )
        .await;

    assert!(
        matches!(&result, Err(StoreError::Invalid(message)) if message.contains("400 KB")),
        "{result:?}"
    );
}

#[tokio::test]
async fn what_a_batch_changed_is_announced_before_its_commit() {
    let batch = mixed_batch();
    let reference = reference(&batch).await;
    assert!(!reference.outcome.changes.is_empty());
    let (_, table) = fresh_table("announce").await;
    let clean = store_on(&table);
    let acme = new_workspace(&clean, "acme").await;

    // The commit (the batch's last write) is applied and its answer lost: the client hears
    // 503 and its retry is all duplicates, so the announcement must have happened already.
    let faults = Faults::crash(Crash::AfterWrite(reference.writes));
    let first = Recorder::default();
    let crashed = store_with(&table, &faults)
        .ingest_announcing(&acme, batch.clone(), &first)
        .await;
    assert!(faults.crashed());
    assert!(
        matches!(crashed, Err(StoreError::Unavailable(_))),
        "{crashed:?}"
    );
    assert_eq!(first.told(), vec![reference.outcome.changes.clone()]);
    let retry_recorder = Recorder::default();
    let retry = clean
        .ingest_announcing(&acme, batch.clone(), &retry_recorder)
        .await
        .expect("the retry");
    assert_eq!((retry.stored, retry.duplicates), (0, batch.calls.len()));
    assert!(retry_recorder.told().is_empty(), "nothing changed twice");
}

#[tokio::test]
async fn a_failed_announcement_commits_nothing_and_the_retry_announces() {
    let batch = mixed_batch();
    let reference = reference(&batch).await;
    let (_, table) = fresh_table("unannounced").await;
    let store = store_on(&table);
    let acme = new_workspace(&store, "acme").await;

    let recorder = Recorder::default();
    recorder.down.store(true, Ordering::SeqCst);
    let refused = store
        .ingest_announcing(&acme, batch.clone(), &recorder)
        .await;
    assert!(
        matches!(&refused, Err(StoreError::Unavailable(message)) if message.contains("bus")),
        "{refused:?}"
    );

    recorder.down.store(false, Ordering::SeqCst);
    let retry = store
        .ingest_announcing(&acme, batch.clone(), &recorder)
        .await
        .expect("the retry");
    assert_eq!(retry.stored, batch.calls.len(), "not committed before");
    assert_eq!(retry.changes, reference.outcome.changes);
    assert_eq!(recorder.told(), vec![reference.outcome.changes.clone()]);
    assert_eq!(
        canonical(scoring_data(&store, &acme, "2026-11-01").await),
        reference.data,
        "counted once"
    );
}

#[tokio::test]
async fn a_membership_created_before_a_crash_is_reported_by_the_retry() {
    let (_, table) = fresh_table("report").await;
    let clean = store_on(&table);
    let acme = new_workspace(&clean, "acme").await;
    let calls = batch(
        "2026-12-01T18:00:00Z",
        &[track_in(
            "m1",
            "u-1",
            "Report Created",
            "initech",
            "2026-12-01T10:00:00Z",
        )],
    );
    // activity, usage, account, membership: the crash loses the membership's answer.
    let faults = Faults::crash(Crash::AfterWrite(4));
    let _ = store_with(&table, &faults)
        .ingest(&acme, calls.clone())
        .await;

    let retry = ingest(&clean, &acme, &calls).await;

    assert_eq!(
        retry.changes,
        vec![
            IngestChange::AccountCreated {
                account: "initech".into(),
                identity: "u:u-1".into()
            },
            IngestChange::UserJoinedAccount {
                identity: "u:u-1".into(),
                account: "initech".into(),
                account_existed: false
            },
        ],
        "the alert-worthy changes are not lost with the crashed attempt"
    );
}

#[tokio::test]
async fn ids_purged_inside_the_window_count_again_in_full() {
    let (_, table) = fresh_table("purge").await;
    let store = store_on(&table);
    let acme = new_workspace(&store, "acme").await;
    let calls = batch(
        "2026-11-01T12:00:00Z",
        &[
            track("m1", "u-1", "Report Created", "2026-11-01T10:00:00Z"),
            track("m2", "u-1", "Report Created", "2026-11-01T11:00:00Z"),
        ],
    );
    ingest(&store, &acme, &calls).await;

    let purged = store
        .purge_message_ids(pulse_store::conformance::fixtures::at(
            "2026-11-03T00:00:00Z",
        ))
        .await
        .expect("purging");
    let again = ingest(
        &store,
        &acme,
        &pulse_store::conformance::fixtures::received_later(&calls, 3),
    )
    .await;
    let data = scoring_data(&store, &acme, "2026-10-01").await;

    assert_eq!(purged, 2);
    assert_eq!(again.stored, 2);
    assert_eq!(
        daily_count(&data, "u:u-1", "2026-11-01", "Report Created"),
        4,
        "the purge also dropped the markers that would have held the calls back"
    );
    assert_eq!(lifetime(&data, "u:u-1", "Report Created").count, 4);
}
