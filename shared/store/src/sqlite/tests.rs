//! The SQLite adapter: the conformance suite every store passes, then what only the embedded
//! file promises — it survives a restart, its schema is versioned, and group commit loses
//! nothing when many requests write at once.

use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

use pulse_core::SubjectKind;
use serde_json::json;
use tempfile::TempDir;

use super::{DATABASE_FILE, SCHEMA_VERSION, SqliteStore};
use crate::conformance::fixtures::{
    PROFILE, batch, canonical, computation, daily_count, day, group, identity, ingest, lifetime,
    member, new_workspace, profile, save, scoring_data, span, spans, track, track_in, workspace,
};
use crate::{ApiKeyRecord, IngestChange, KeyKind, SpanFilter, Store, StoreError};

/// A store in its own temporary directory, removed when the test ends.
struct TempStore {
    store: SqliteStore,
    _dir: TempDir,
}

impl Deref for TempStore {
    type Target = SqliteStore;
    fn deref(&self) -> &SqliteStore {
        &self.store
    }
}

async fn fresh_store() -> TempStore {
    let dir = tempfile::tempdir().expect("creating a temporary directory");
    let store = SqliteStore::open(dir.path()).expect("opening a store in an empty directory");
    TempStore { store, _dir: dir }
}

mod conformance {
    use super::fresh_store;

    crate::conformance_tests!(fresh_store());
}

fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open(dir).unwrap_or_else(|error| panic!("opening {}: {error}", dir.display()))
}

fn user_version(dir: &Path) -> i64 {
    rusqlite::Connection::open(dir.join(DATABASE_FILE))
        .and_then(|connection| connection.query_row("PRAGMA user_version", [], |row| row.get(0)))
        .expect("reading the schema version")
}

#[tokio::test]
async fn reopening_the_data_directory_keeps_everything() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let key = ApiKeyRecord {
        hash: "ab".repeat(32),
        workspace: workspace("acme", "Acme").id,
        kind: KeyKind::Write,
        created_at: workspace("acme", "Acme").created_at,
    };
    let calls = batch(
        "2026-12-01T18:00:00Z",
        &[
            group(
                "m1",
                "u-1",
                "acme-inc",
                json!({"plan": "pro"}),
                "2026-12-01T09:00:00Z",
            ),
            track("m2", "u-1", "Report Created", "2026-12-01T10:00:00Z"),
        ],
    );
    let day_one = computation(
        "2026-12-01",
        vec![member("u-1", 80.0, &["most_engaged"])],
        vec![],
    );
    let before = {
        let store = open(dir.path());
        store
            .create_workspace(&workspace("acme", "Acme"), std::slice::from_ref(&key))
            .await
            .expect("create");
        let acme = workspace("acme", "Acme").id;
        ingest(&store, &acme, &calls).await;
        store
            .put_profile(&acme, &profile(PROFILE, "CS"))
            .await
            .expect("put profile");
        save(&store, &acme, &day_one).await;
        canonical(scoring_data(&store, &acme, "2026-11-01").await)
    };

    let store = open(dir.path());
    let acme = workspace("acme", "Acme").id;

    assert_eq!(
        store.workspace(&acme).await.expect("read"),
        Some(workspace("acme", "Acme"))
    );
    assert_eq!(store.key_by_hash(&key.hash).await.expect("read"), Some(key));
    assert_eq!(
        canonical(scoring_data(&store, &acme, "2026-11-01").await),
        before
    );
    assert_eq!(
        store.profile(&acme, PROFILE).await.expect("read"),
        Some(profile(PROFILE, "CS"))
    );
    assert_eq!(
        store.latest_day(&acme, PROFILE).await.expect("read"),
        Some(day("2026-12-01"))
    );
    let body = store
        .snapshot(&acme, PROFILE, SubjectKind::Users, "u-1", day("2026-12-01"))
        .await
        .expect("read");
    assert_eq!(
        body,
        Some(serde_json::from_str(&day_one.users[0].body).unwrap())
    );
    assert_eq!(
        spans(
            &store,
            &acme,
            SubjectKind::Users,
            SpanFilter::Subject("u-1")
        )
        .await,
        vec![span("most_engaged", "u-1", "2026-12-01", None)]
    );
    let retry = ingest(&store, &acme, &calls).await;
    assert_eq!(
        (retry.stored, retry.duplicates),
        (0, 2),
        "accepted message ids survive a restart"
    );
}

#[tokio::test]
async fn a_new_database_records_its_schema_version_and_reopening_keeps_it() {
    let dir = tempfile::tempdir().expect("temporary directory");

    drop(open(dir.path()));
    let created = user_version(dir.path());
    drop(open(dir.path()));
    let reopened = user_version(dir.path());

    assert_eq!(created, SCHEMA_VERSION as i64);
    assert_ne!(created, 0, "a new database is at a real version");
    assert_eq!(
        reopened, SCHEMA_VERSION as i64,
        "reopening migrates nothing twice"
    );
}

#[tokio::test]
async fn a_database_from_a_newer_pulse_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    drop(open(dir.path()));
    let newer = SCHEMA_VERSION as i64 + 1;
    rusqlite::Connection::open(dir.path().join(DATABASE_FILE))
        .and_then(|connection| connection.pragma_update(None, "user_version", newer))
        .expect("marking the database as newer");

    let refused = SqliteStore::open(dir.path());

    let Err(StoreError::Invalid(message)) = refused else {
        panic!(
            "a newer schema must be refused as Invalid, got {:?}",
            refused.map(|_| "a store")
        );
    };
    assert!(message.contains("newer"), "the error says why: {message}");
    assert!(
        message.contains("upgrade"),
        "the error says what to do: {message}"
    );
    assert_eq!(
        user_version(dir.path()),
        newer,
        "the refused database is left as it was"
    );
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_refused_with_an_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(
        dir.path().join(DATABASE_FILE),
        "these are notes, not a database\n".repeat(100),
    )
    .expect("writing the file");

    let refused = SqliteStore::open(dir.path());

    assert!(refused.is_err(), "a store opened over a text file");
}

const TASKS: usize = 20;
const BATCHES: usize = 10;

/// Batch `b` of task `t`: four reports by the task's user on day `b`, inside account
/// `acme-inc`, and one invite by a user every task shares.
fn task_batch(task: usize, batch_number: usize) -> crate::IngestBatch {
    let on = format!("2026-11-{:02}", 10 + batch_number);
    let user = format!("u-{task}");
    let mut calls: Vec<_> = (0..4)
        .map(|call| {
            track_in(
                &format!("t{task}-b{batch_number}-c{call}"),
                &user,
                "Report Created",
                "acme-inc",
                &format!("{on}T{:02}:00:00Z", 8 + call),
            )
        })
        .collect();
    calls.push(track(
        &format!("t{task}-b{batch_number}-shared"),
        "shared",
        "Invite Sent",
        &format!("{on}T{:02}:30:00Z", task % 24),
    ));
    batch("2026-12-01T00:00:00Z", &calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_ingestion_from_many_tasks_loses_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = Arc::new(open(dir.path()));
    let acme = new_workspace(store.as_ref(), "acme").await;

    let writers: Vec<_> = (0..TASKS)
        .map(|task| {
            let (store, acme) = (Arc::clone(&store), acme.clone());
            tokio::spawn(async move {
                let mut outcomes = Vec::new();
                for batch_number in 0..BATCHES {
                    outcomes.push(
                        store
                            .ingest(&acme, task_batch(task, batch_number))
                            .await
                            .expect("ingest"),
                    );
                }
                outcomes.push(
                    store
                        .ingest(&acme, task_batch(task, 0))
                        .await
                        .expect("retry"),
                );
                outcomes
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for writer in writers {
        outcomes.extend(writer.await.expect("a writer task panicked"));
    }
    let data = scoring_data(store.as_ref(), &acme, "2026-11-01").await;

    let stored: usize = outcomes.iter().map(|outcome| outcome.stored).sum();
    let duplicates: usize = outcomes.iter().map(|outcome| outcome.duplicates).sum();
    assert_eq!(stored, TASKS * BATCHES * 5);
    assert_eq!(duplicates, TASKS * 5, "each task's retried first batch");
    let changes: Vec<&IngestChange> = outcomes
        .iter()
        .flat_map(|outcome| &outcome.changes)
        .collect();
    let created = changes
        .iter()
        .filter(|change| matches!(change, IngestChange::AccountCreated { .. }))
        .count();
    let first_members = changes
        .iter()
        .filter(|change| {
            matches!(
                change,
                IngestChange::UserJoinedAccount {
                    account_existed: false,
                    ..
                }
            )
        })
        .count();
    assert_eq!(
        (created, first_members, changes.len()),
        (1, 1, 1 + TASKS),
        "one account created, every user joined once"
    );
    for task in 0..TASKS {
        let key = format!("u:u-{task}");
        assert_eq!(
            daily_count(&data, &key, "2026-11-15", "Report Created"),
            4,
            "{key} on one day"
        );
        assert_eq!(
            lifetime(&data, &key, "Report Created").count,
            (BATCHES * 4) as u64,
            "{key} all time"
        );
        assert_eq!(identity(&data, &key).event_days.len(), BATCHES);
    }
    assert_eq!(
        daily_count(&data, "u:shared", "2026-11-12", "Invite Sent"),
        TASKS as u64
    );
    assert_eq!(
        lifetime(&data, "u:shared", "Invite Sent").count,
        (TASKS * BATCHES) as u64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_write_does_not_undo_the_writes_committed_with_it() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = Arc::new(open(dir.path()));
    let beta = new_workspace(store.as_ref(), "beta").await;

    let creates: Vec<_> = (0..10)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .create_workspace(&workspace("acme", "Acme"), &[])
                    .await
            })
        })
        .collect();
    let ingests: Vec<_> = (0..10)
        .map(|task| {
            let (store, beta) = (Arc::clone(&store), beta.clone());
            tokio::spawn(async move { store.ingest(&beta, task_batch(task, 0)).await })
        })
        .collect();
    let mut created = 0;
    for create in creates {
        match create.await.expect("a task panicked") {
            Ok(()) => created += 1,
            Err(StoreError::AlreadyExists(_)) => {}
            Err(other) => panic!("a concurrent create failed with {other}"),
        }
    }
    for ingest in ingests {
        let outcome = ingest
            .await
            .expect("a task panicked")
            .expect("an ingest sharing a commit with a refused create");
        assert_eq!(outcome.stored, 5);
    }
    let data = scoring_data(store.as_ref(), &beta, "2026-11-01").await;

    assert_eq!(created, 1, "exactly one of ten concurrent creates wins");
    assert_eq!(lifetime(&data, "u:shared", "Invite Sent").count, 10);
}

/// Reads during writes see a state some sequence of commits produced: here every batch
/// adds one daily and one lifetime count, so the two totals must always agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scoring_data_read_during_ingestion_is_one_consistent_state() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = Arc::new(open(dir.path()));
    let acme = new_workspace(store.as_ref(), "acme").await;
    let writer = {
        let (store, acme) = (Arc::clone(&store), acme.clone());
        tokio::spawn(async move {
            for number in 0..400 {
                let call = track(
                    &format!("m{number}"),
                    &format!("u-{}", number % 7),
                    "Report Created",
                    "2026-12-01T10:00:00Z",
                );
                store
                    .ingest(&acme, batch("2026-12-01T18:00:00Z", &[call]))
                    .await
                    .expect("ingest");
            }
        })
    };

    let mut mismatches = Vec::new();
    let mut reads = 0;
    while !writer.is_finished() {
        let data = scoring_data(store.as_ref(), &acme, "2026-11-01").await;
        let daily: u64 = data.usage.iter().map(|usage| usage.count).sum();
        let all_time: u64 = data.lifetime.iter().map(|usage| usage.count).sum();
        if daily != all_time {
            mismatches.push((daily, all_time));
        }
        reads += 1;
    }
    writer.await.expect("the writer panicked");

    assert!(reads > 0);
    assert!(
        mismatches.is_empty(),
        "{} of {reads} reads mixed two states (daily total, lifetime total): {:?}",
        mismatches.len(),
        &mismatches[..mismatches.len().min(5)]
    );
}
