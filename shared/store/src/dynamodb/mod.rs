//! The DynamoDB store: one table, single-table design (`shared/store/README.md` documents
//! every entity, key and access pattern). Ingestion writes merged, crash-safe aggregates
//! with exact message-id de-duplication ([`ingest`]); results are stored per subject with a
//! compact per-day index ([`results`]); alerts are one item each with a due item while they
//! wait for delivery ([`alerts`]). Every request asks for its consumed capacity, and the
//! store keeps running totals ([`DynamoStore::consumed`]).

mod alerts;
mod attrs;
mod chunks;
mod concurrent;
mod db;
mod definitions;
mod ingest;
pub mod keys;
mod lists;
mod lookup;
mod pending;
mod reads;
mod recompute;
mod records;
mod results;
mod table;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use chrono::{DateTime, Utc};
use pulse_core::records::{AccountRecord, IdentityRecord, ScoringData};
use pulse_core::snapshot::SnapshotKeys;
use pulse_core::{Day, Profile, SubjectKind, WorkspaceId};

pub use self::db::Consumed;
use self::db::Db;
pub use self::table::create_table;
use crate::port::{SpanFilter, Store, StoreResult};
use crate::types::{
    AlertQuery, AlertRecord, ApiKeyRecord, Computation, DefinitionKind, HistoryPoint, IngestBatch,
    IngestOutcome, ListQuery, Page, SegmentSpan, SegmentTransition, Workspace,
};

/// How long one request attempt may take when the client sets no limit.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);

/// The Store port on a DynamoDB table (see the crate README for the design).
#[derive(Clone)]
pub struct DynamoStore {
    db: Db,
}

impl DynamoStore {
    /// A store on `table` through `client`. The adapter retries throttling, 5xx and network
    /// errors itself (bounded, with back-off), so the client's own retries are turned off;
    /// a request attempt that hangs is abandoned after 20 s unless the client sets its own
    /// limit.
    pub fn new(client: Client, table: &str) -> DynamoStore {
        let timeouts = client
            .config()
            .timeout_config()
            .cloned()
            .unwrap_or_else(|| TimeoutConfig::builder().build());
        let mut config = client
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled());
        if timeouts.operation_attempt_timeout().is_none() {
            config = config.timeout_config(
                timeouts
                    .to_builder()
                    .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                    .build(),
            );
        }
        DynamoStore {
            db: Db::new(Client::from_conf(config.build()), table),
        }
    }

    /// A store from the standard AWS environment (credentials, `AWS_REGION`,
    /// `AWS_ENDPOINT_URL` for a local DynamoDB-compatible server).
    pub async fn from_env(table: &str) -> DynamoStore {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        DynamoStore::new(Client::new(&config), table)
    }

    /// [`Self::from_env`], first creating the table (as [`create_table`] does) when
    /// `create_table_if_missing` is set — `pulse serve --store dynamodb --create-table`.
    pub async fn connect(
        table: &str,
        create_table_if_missing: bool,
    ) -> Result<DynamoStore, crate::StoreError> {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let client = Client::new(&config);
        if create_table_if_missing {
            create_table(&client, table).await?;
        }
        Ok(DynamoStore::new(client, table))
    }

    pub fn table(&self) -> &str {
        self.db.table()
    }

    /// Capacity units consumed so far, as DynamoDB reported them (`ReturnConsumedCapacity`
    /// on every request). Local emulators report placeholder numbers: see [`Self::estimated`].
    pub fn consumed(&self) -> Consumed {
        self.db.reported()
    }

    /// Capacity units consumed so far, as the adapter computes them from the items it read
    /// and wrote by DynamoDB's sizing rules (1 KB per write unit, 4 KB per strongly
    /// consistent read unit, twice for transactions, GSI copies included). On AWS it should
    /// match [`Self::consumed`]; on emulators it is the number to trust.
    pub fn estimated(&self) -> Consumed {
        self.db.estimated()
    }
}

fn text(workspace: &WorkspaceId) -> &str {
    workspace.as_str()
}

#[async_trait]
impl Store for DynamoStore {
    async fn create_workspace(
        &self,
        workspace: &Workspace,
        keys: &[ApiKeyRecord],
    ) -> StoreResult<()> {
        reads::create_workspace(&self.db, workspace, keys).await
    }

    async fn workspace(&self, id: &WorkspaceId) -> StoreResult<Option<Workspace>> {
        reads::workspace(&self.db, text(id)).await
    }

    async fn workspaces(&self) -> StoreResult<Vec<Workspace>> {
        reads::workspaces(&self.db).await
    }

    async fn key_by_hash(&self, hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
        reads::key_by_hash(&self.db, hash).await
    }

    async fn ingest(
        &self,
        workspace: &WorkspaceId,
        batch: IngestBatch,
    ) -> StoreResult<IngestOutcome> {
        ingest::ingest(&self.db, text(workspace), &batch, None).await
    }

    async fn ingest_announcing(
        &self,
        workspace: &WorkspaceId,
        batch: IngestBatch,
        announce: &dyn crate::Announce,
    ) -> StoreResult<IngestOutcome> {
        ingest::ingest(&self.db, text(workspace), &batch, Some(announce)).await
    }

    async fn purge_message_ids(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        reads::purge_message_ids(&self.db, before).await
    }

    async fn account_record(
        &self,
        workspace: &WorkspaceId,
        account: &str,
    ) -> StoreResult<Option<AccountRecord>> {
        lookup::account_record(&self.db, text(workspace), account).await
    }

    async fn identity_record(
        &self,
        workspace: &WorkspaceId,
        identity: &str,
    ) -> StoreResult<Option<IdentityRecord>> {
        lookup::identity_record(&self.db, text(workspace), identity).await
    }

    async fn scoring_data(
        &self,
        workspace: &WorkspaceId,
        usage_from: Day,
    ) -> StoreResult<ScoringData> {
        reads::scoring_data(&self.db, text(workspace), usage_from).await
    }

    async fn scoring_data_shard(
        &self,
        workspace: &WorkspaceId,
        usage_from: Day,
        shard: u32,
        shards: u32,
    ) -> StoreResult<ScoringData> {
        reads::scoring_data_shard(&self.db, text(workspace), usage_from, shard, shards).await
    }

    async fn account_records(&self, workspace: &WorkspaceId) -> StoreResult<Vec<AccountRecord>> {
        reads::account_records(&self.db, text(workspace)).await
    }

    async fn put_recompute_parts(
        &self,
        workspace: &WorkspaceId,
        run: &str,
        shard: u32,
        chunks: Vec<Vec<u8>>,
    ) -> StoreResult<()> {
        recompute::put_parts(&self.db, text(workspace), run, shard, chunks).await
    }

    async fn recompute_parts(
        &self,
        workspace: &WorkspaceId,
        run: &str,
    ) -> StoreResult<Vec<Vec<u8>>> {
        recompute::parts(&self.db, text(workspace), run).await
    }

    async fn finish_recompute_shard(
        &self,
        workspace: &WorkspaceId,
        run: &str,
        shard: u32,
        shards: u32,
    ) -> StoreResult<bool> {
        recompute::finish_shard(&self.db, text(workspace), run, shard, shards).await
    }

    async fn delete_recompute_run(&self, workspace: &WorkspaceId, run: &str) -> StoreResult<()> {
        recompute::delete_run(&self.db, text(workspace), run).await
    }

    async fn put_profile(&self, workspace: &WorkspaceId, profile: &Profile) -> StoreResult<()> {
        reads::put_profile(&self.db, text(workspace), profile).await
    }

    async fn profile(&self, workspace: &WorkspaceId, id: &str) -> StoreResult<Option<Profile>> {
        reads::profile(&self.db, text(workspace), id).await
    }

    async fn profiles(&self, workspace: &WorkspaceId) -> StoreResult<Vec<Profile>> {
        reads::profiles(&self.db, text(workspace)).await
    }

    async fn delete_profile(&self, workspace: &WorkspaceId, id: &str) -> StoreResult<bool> {
        let (existed, retired) = reads::retire_profile(&self.db, text(workspace), id).await?;
        // The retired generation is invisible already; removing it is housekeeping.
        results::delete_generation(&self.db, text(workspace), id, retired).await?;
        Ok(existed)
    }

    async fn save_computation(
        &self,
        workspace: &WorkspaceId,
        computation: &Computation,
    ) -> StoreResult<Vec<SegmentTransition>> {
        results::save_computation(&self.db, text(workspace), computation).await
    }

    async fn latest_day(&self, workspace: &WorkspaceId, profile: &str) -> StoreResult<Option<Day>> {
        results::latest_day(&self.db, text(workspace), profile).await
    }

    async fn is_computed(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        day: Day,
    ) -> StoreResult<bool> {
        results::is_computed(&self.db, text(workspace), profile, day).await
    }

    async fn scores_on(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        day: Day,
    ) -> StoreResult<HashMap<String, f64>> {
        results::scores_on(&self.db, text(workspace), profile, kind, day).await
    }

    async fn snapshot(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        subject: &str,
        day: Day,
    ) -> StoreResult<Option<serde_json::Value>> {
        results::snapshot(&self.db, text(workspace), profile, kind, subject, day).await
    }

    async fn snapshots(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        day: Day,
        query: &ListQuery,
    ) -> StoreResult<Page<serde_json::Value>> {
        results::snapshots(&self.db, text(workspace), profile, kind, day, query).await
    }

    async fn segment_sizes(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        day: Day,
    ) -> StoreResult<HashMap<String, u64>> {
        results::segment_sizes(&self.db, text(workspace), profile, kind, day).await
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
        results::history(&self.db, text(workspace), profile, kind, subject, from, to).await
    }

    async fn keys_on(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        day: Day,
    ) -> StoreResult<HashMap<String, SnapshotKeys>> {
        results::keys_on(&self.db, text(workspace), profile, kind, day).await
    }

    async fn previous_day(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        day: Day,
    ) -> StoreResult<Option<Day>> {
        results::previous_day(&self.db, text(workspace), profile, day).await
    }

    async fn segment_spans(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        filter: SpanFilter<'_>,
    ) -> StoreResult<Vec<SegmentSpan>> {
        results::segment_spans(&self.db, text(workspace), profile, kind, filter).await
    }

    async fn put_rule_matches(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        day: Day,
        matches: &BTreeMap<String, BTreeSet<String>>,
    ) -> StoreResult<()> {
        results::put_rule_matches(&self.db, text(workspace), profile, day, matches).await
    }

    async fn rule_matches(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        day: Day,
    ) -> StoreResult<BTreeMap<String, BTreeSet<String>>> {
        results::rule_matches(&self.db, text(workspace), profile, day).await
    }

    async fn put_definition(
        &self,
        workspace: &WorkspaceId,
        kind: DefinitionKind,
        id: &str,
        body: &serde_json::Value,
    ) -> StoreResult<()> {
        definitions::put_definition(&self.db, text(workspace), kind, id, body).await
    }

    async fn definition(
        &self,
        workspace: &WorkspaceId,
        kind: DefinitionKind,
        id: &str,
    ) -> StoreResult<Option<serde_json::Value>> {
        definitions::definition(&self.db, text(workspace), kind, id).await
    }

    async fn definitions(
        &self,
        workspace: &WorkspaceId,
        kind: DefinitionKind,
    ) -> StoreResult<Vec<serde_json::Value>> {
        definitions::definitions(&self.db, text(workspace), kind).await
    }

    async fn delete_definition(
        &self,
        workspace: &WorkspaceId,
        kind: DefinitionKind,
        id: &str,
    ) -> StoreResult<bool> {
        definitions::delete_definition(&self.db, text(workspace), kind, id).await
    }

    async fn insert_alerts(
        &self,
        workspace: &WorkspaceId,
        alerts: &[AlertRecord],
    ) -> StoreResult<Vec<String>> {
        alerts::insert_alerts(&self.db, text(workspace), alerts).await
    }

    async fn alert(&self, workspace: &WorkspaceId, id: &str) -> StoreResult<Option<AlertRecord>> {
        alerts::alert(&self.db, text(workspace), id).await
    }

    async fn update_alert(&self, workspace: &WorkspaceId, alert: &AlertRecord) -> StoreResult<()> {
        alerts::update_alert(&self.db, text(workspace), alert).await
    }

    async fn due_alerts(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<(WorkspaceId, AlertRecord)>> {
        alerts::due_alerts(&self.db, now, limit).await
    }

    async fn alerts(
        &self,
        workspace: &WorkspaceId,
        query: &AlertQuery,
    ) -> StoreResult<Page<AlertRecord>> {
        alerts::alerts(&self.db, text(workspace), query).await
    }

    async fn last_alerts(
        &self,
        workspace: &WorkspaceId,
        rule: &str,
    ) -> StoreResult<HashMap<String, DateTime<Utc>>> {
        alerts::last_alerts(&self.db, text(workspace), rule).await
    }
}

impl std::fmt::Debug for DynamoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoStore")
            .field("table", &self.db.table())
            .finish()
    }
}
