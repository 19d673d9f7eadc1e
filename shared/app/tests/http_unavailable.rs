//! When storage is unavailable (SPEC §2): `503` with `Retry-After` and a generic JSON body
//! that keeps the cause out of the response, and a retry after recovery counts once.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use http::{StatusCode, header};
use pulse_app::{App, AppConfig, ManualClock};
use pulse_core::records::{AccountRecord, IdentityRecord, ScoringData};
use pulse_core::snapshot::SnapshotKeys;
use pulse_core::{Day, Profile, SubjectKind, WorkspaceId};
use pulse_store::sqlite::SqliteStore;
use pulse_store::{
    AlertQuery, AlertRecord, ApiKeyRecord, Computation, DefinitionKind, HistoryPoint, IngestBatch,
    IngestOutcome, ListQuery, Page, SegmentSpan, SegmentTransition, SpanFilter, Store, StoreError,
    StoreResult, Workspace,
};
use serde_json::{Value, json};
use support::{NOW, TestApp, at, batch, track_with_id};

const CAUSE: &str = "disk /var/lib/pulse is on fire";

/// The SQLite store behind a switch that makes every operation fail as unavailable.
struct Switchable {
    inner: SqliteStore,
    down: AtomicBool,
}

impl Switchable {
    fn check(&self) -> StoreResult<()> {
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable(CAUSE.into()));
        }
        Ok(())
    }
}

#[async_trait]
impl Store for Switchable {
    async fn create_workspace(
        &self,
        workspace: &Workspace,
        keys: &[ApiKeyRecord],
    ) -> StoreResult<()> {
        self.check()?;
        self.inner.create_workspace(workspace, keys).await
    }
    async fn workspace(&self, id: &WorkspaceId) -> StoreResult<Option<Workspace>> {
        self.check()?;
        self.inner.workspace(id).await
    }
    async fn workspaces(&self) -> StoreResult<Vec<Workspace>> {
        self.check()?;
        self.inner.workspaces().await
    }
    async fn key_by_hash(&self, hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
        self.check()?;
        self.inner.key_by_hash(hash).await
    }
    async fn ingest(
        &self,
        workspace: &WorkspaceId,
        batch: IngestBatch,
    ) -> StoreResult<IngestOutcome> {
        self.check()?;
        self.inner.ingest(workspace, batch).await
    }
    async fn is_computed(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        day: Day,
    ) -> StoreResult<bool> {
        self.check()?;
        self.inner.is_computed(workspace, profile, day).await
    }
    async fn purge_message_ids(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.check()?;
        self.inner.purge_message_ids(before).await
    }
    async fn scoring_data(
        &self,
        workspace: &WorkspaceId,
        usage_from: Day,
    ) -> StoreResult<ScoringData> {
        self.check()?;
        self.inner.scoring_data(workspace, usage_from).await
    }
    async fn scoring_data_shard(
        &self,
        workspace: &WorkspaceId,
        usage_from: Day,
        shard: u32,
        shards: u32,
    ) -> StoreResult<ScoringData> {
        self.check()?;
        self.inner
            .scoring_data_shard(workspace, usage_from, shard, shards)
            .await
    }
    async fn account_records(&self, workspace: &WorkspaceId) -> StoreResult<Vec<AccountRecord>> {
        self.check()?;
        self.inner.account_records(workspace).await
    }
    async fn put_recompute_parts(
        &self,
        workspace: &WorkspaceId,
        run: &str,
        shard: u32,
        chunks: Vec<Vec<u8>>,
    ) -> StoreResult<()> {
        self.check()?;
        self.inner
            .put_recompute_parts(workspace, run, shard, chunks)
            .await
    }
    async fn recompute_parts(
        &self,
        workspace: &WorkspaceId,
        run: &str,
    ) -> StoreResult<Vec<Vec<u8>>> {
        self.check()?;
        self.inner.recompute_parts(workspace, run).await
    }
    async fn finish_recompute_shard(
        &self,
        workspace: &WorkspaceId,
        run: &str,
        shard: u32,
        shards: u32,
    ) -> StoreResult<bool> {
        self.check()?;
        self.inner
            .finish_recompute_shard(workspace, run, shard, shards)
            .await
    }
    async fn delete_recompute_run(&self, workspace: &WorkspaceId, run: &str) -> StoreResult<()> {
        self.check()?;
        self.inner.delete_recompute_run(workspace, run).await
    }
    async fn put_profile(&self, workspace: &WorkspaceId, profile: &Profile) -> StoreResult<()> {
        self.check()?;
        self.inner.put_profile(workspace, profile).await
    }
    async fn profile(&self, workspace: &WorkspaceId, id: &str) -> StoreResult<Option<Profile>> {
        self.check()?;
        self.inner.profile(workspace, id).await
    }
    async fn profiles(&self, workspace: &WorkspaceId) -> StoreResult<Vec<Profile>> {
        self.check()?;
        self.inner.profiles(workspace).await
    }
    async fn delete_profile(&self, workspace: &WorkspaceId, id: &str) -> StoreResult<bool> {
        self.check()?;
        self.inner.delete_profile(workspace, id).await
    }
    async fn save_computation(
        &self,
        workspace: &WorkspaceId,
        computation: &Computation,
    ) -> StoreResult<Vec<SegmentTransition>> {
        self.check()?;
        self.inner.save_computation(workspace, computation).await
    }
    async fn latest_day(&self, workspace: &WorkspaceId, profile: &str) -> StoreResult<Option<Day>> {
        self.check()?;
        self.inner.latest_day(workspace, profile).await
    }
    async fn scores_on(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        day: Day,
    ) -> StoreResult<HashMap<String, f64>> {
        self.check()?;
        self.inner.scores_on(workspace, profile, kind, day).await
    }
    async fn snapshot(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        subject: &str,
        day: Day,
    ) -> StoreResult<Option<Value>> {
        self.check()?;
        self.inner
            .snapshot(workspace, profile, kind, subject, day)
            .await
    }
    async fn snapshots(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        day: Day,
        query: &ListQuery,
    ) -> StoreResult<Page<Value>> {
        self.check()?;
        self.inner
            .snapshots(workspace, profile, kind, day, query)
            .await
    }
    async fn segment_sizes(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        day: Day,
    ) -> StoreResult<HashMap<String, u64>> {
        self.check()?;
        self.inner
            .segment_sizes(workspace, profile, kind, day)
            .await
    }
    async fn history(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        subject: &str,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<HistoryPoint>> {
        self.check()?;
        self.inner
            .history(workspace, profile, kind, subject, from, to)
            .await
    }
    async fn segment_spans(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        filter: SpanFilter<'_>,
    ) -> StoreResult<Vec<SegmentSpan>> {
        self.check()?;
        self.inner
            .segment_spans(workspace, profile, kind, filter)
            .await
    }
    async fn account_record(
        &self,
        workspace: &WorkspaceId,
        account: &str,
    ) -> StoreResult<Option<AccountRecord>> {
        self.check()?;
        self.inner.account_record(workspace, account).await
    }
    async fn identity_record(
        &self,
        workspace: &WorkspaceId,
        identity: &str,
    ) -> StoreResult<Option<IdentityRecord>> {
        self.check()?;
        self.inner.identity_record(workspace, identity).await
    }
    async fn keys_on(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        day: Day,
    ) -> StoreResult<HashMap<String, SnapshotKeys>> {
        self.check()?;
        self.inner.keys_on(workspace, profile, kind, day).await
    }
    async fn previous_day(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        day: Day,
    ) -> StoreResult<Option<Day>> {
        self.check()?;
        self.inner.previous_day(workspace, profile, day).await
    }
    async fn put_rule_matches(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        day: Day,
        matches: &BTreeMap<String, BTreeSet<String>>,
    ) -> StoreResult<()> {
        self.check()?;
        self.inner
            .put_rule_matches(workspace, profile, day, matches)
            .await
    }
    async fn rule_matches(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        day: Day,
    ) -> StoreResult<BTreeMap<String, BTreeSet<String>>> {
        self.check()?;
        self.inner.rule_matches(workspace, profile, day).await
    }
    async fn put_definition(
        &self,
        workspace: &WorkspaceId,
        kind: DefinitionKind,
        id: &str,
        body: &Value,
    ) -> StoreResult<()> {
        self.check()?;
        self.inner.put_definition(workspace, kind, id, body).await
    }
    async fn definition(
        &self,
        workspace: &WorkspaceId,
        kind: DefinitionKind,
        id: &str,
    ) -> StoreResult<Option<Value>> {
        self.check()?;
        self.inner.definition(workspace, kind, id).await
    }
    async fn definitions(
        &self,
        workspace: &WorkspaceId,
        kind: DefinitionKind,
    ) -> StoreResult<Vec<Value>> {
        self.check()?;
        self.inner.definitions(workspace, kind).await
    }
    async fn delete_definition(
        &self,
        workspace: &WorkspaceId,
        kind: DefinitionKind,
        id: &str,
    ) -> StoreResult<bool> {
        self.check()?;
        self.inner.delete_definition(workspace, kind, id).await
    }
    async fn insert_alerts(
        &self,
        workspace: &WorkspaceId,
        alerts: &[AlertRecord],
    ) -> StoreResult<Vec<String>> {
        self.check()?;
        self.inner.insert_alerts(workspace, alerts).await
    }
    async fn alert(&self, workspace: &WorkspaceId, id: &str) -> StoreResult<Option<AlertRecord>> {
        self.check()?;
        self.inner.alert(workspace, id).await
    }
    async fn update_alert(&self, workspace: &WorkspaceId, alert: &AlertRecord) -> StoreResult<()> {
        self.check()?;
        self.inner.update_alert(workspace, alert).await
    }
    async fn due_alerts(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<(WorkspaceId, AlertRecord)>> {
        self.check()?;
        self.inner.due_alerts(now, limit).await
    }
    async fn alerts(
        &self,
        workspace: &WorkspaceId,
        query: &AlertQuery,
    ) -> StoreResult<Page<AlertRecord>> {
        self.check()?;
        self.inner.alerts(workspace, query).await
    }
    async fn last_alerts(
        &self,
        workspace: &WorkspaceId,
        rule: &str,
    ) -> StoreResult<HashMap<String, DateTime<Utc>>> {
        self.check()?;
        self.inner.last_alerts(workspace, rule).await
    }
}

/// A harness on the switchable store, and the switch.
async fn switchable() -> (TestApp, Arc<Switchable>, support::Tenant) {
    let data = tempfile::TempDir::new().expect("a temporary data directory");
    let store = Arc::new(Switchable {
        inner: SqliteStore::open(data.path()).expect("the store opens"),
        down: AtomicBool::new(false),
    });
    let clock = ManualClock::new(at(NOW));
    let app = App::new(store.clone(), Arc::new(clock.clone()), AppConfig::default());
    let test = TestApp::from_parts(app, clock, data);
    let tenant = test.tenant("Test").await;
    (test, store, tenant)
}

fn assert_unavailable(reply: &support::Reply) {
    let message = reply.assert_error(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable");
    assert!(
        !message.contains("fire"),
        "the cause stays in the log: {message}"
    );
    let retry_after = reply
        .headers
        .get(header::RETRY_AFTER)
        .expect("a Retry-After header");
    assert!(
        retry_after
            .to_str()
            .ok()
            .and_then(|seconds| seconds.parse::<u32>().ok())
            .is_some_and(|s| s > 0)
    );
}

#[tokio::test]
async fn ingestion_answers_503_with_retry_after_while_storage_is_down() {
    let (test, store, tenant) = switchable().await;
    let body = batch(vec![
        track_with_id("m-1", "alice", "A"),
        track_with_id("m-2", "alice", "A"),
    ]);
    store.down.store(true, Ordering::SeqCst);

    let reply = test.ingest(&tenant, "/v1/batch", &body).await;

    assert_unavailable(&reply);
    store.down.store(false, Ordering::SeqCst);
    assert_eq!(test.stored(&tenant).await.count("u:alice", "A"), 0);
}

#[tokio::test]
async fn a_retry_after_storage_recovers_is_counted_once() {
    let (test, store, tenant) = switchable().await;
    let body = batch(vec![
        track_with_id("m-1", "alice", "A"),
        track_with_id("m-2", "alice", "A"),
    ]);
    store.down.store(true, Ordering::SeqCst);
    test.ingest(&tenant, "/v1/batch", &body).await;
    store.down.store(false, Ordering::SeqCst);

    let first_retry = test.ingest(&tenant, "/v1/batch", &body).await;
    let second_retry = test.ingest(&tenant, "/v1/batch", &body).await;

    first_retry.assert_accepted();
    second_retry.assert_accepted();
    assert_eq!(test.stored(&tenant).await.count("u:alice", "A"), 2);
}

#[tokio::test]
async fn the_admin_api_answers_503_while_storage_is_down() {
    let (test, store, tenant) = switchable().await;
    test.put_profile(&tenant, "simple", support::dataset::ONE_EVENT_PROFILE)
        .await;
    store.down.store(true, Ordering::SeqCst);

    let read = test.get(&tenant, "/v1/profiles").await;
    let recompute = test
        .recompute(&tenant, Some(json!({"as_of": "2026-12-07"})))
        .await;

    assert_unavailable(&read);
    assert_unavailable(&recompute);
    store.down.store(false, Ordering::SeqCst);
    assert_eq!(
        test.app
            .store
            .latest_day(&tenant.id, "simple")
            .await
            .expect("latest day"),
        None
    );
}
