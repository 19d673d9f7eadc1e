//! The `Store` port: every read and write Pulse needs, in domain terms. Adapters: SQLite
//! (embedded default) and DynamoDB. Both pass the same conformance suite.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pulse_core::records::{AccountRecord, IdentityRecord, ScoringData};
use pulse_core::snapshot::SnapshotKeys;
use pulse_core::{Day, Profile, SubjectKind, WorkspaceId};

use crate::error::StoreError;
use crate::types::{
    AlertQuery, AlertRecord, ApiKeyRecord, Computation, DefinitionKind, HistoryPoint, IngestBatch,
    IngestChange, IngestOutcome, ListQuery, Page, SegmentSpan, SegmentTransition, Workspace,
};

pub type StoreResult<T> = Result<T, StoreError>;

/// Told what a batch changed (new accounts, new members, first uses), for the bus.
#[async_trait]
pub trait Announce: Send + Sync {
    /// Announces `changes` (never empty). An error is reported as the store's own: the
    /// batch is then not committed where the store commits in steps (see
    /// [`Store::ingest_announcing`]).
    async fn announce(&self, changes: &[IngestChange]) -> StoreResult<()>;
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // --- workspaces and keys -------------------------------------------------------------
    /// Creates a workspace with its first keys; `AlreadyExists` if the id is taken.
    async fn create_workspace(
        &self,
        workspace: &Workspace,
        keys: &[ApiKeyRecord],
    ) -> StoreResult<()>;
    async fn workspace(&self, id: &WorkspaceId) -> StoreResult<Option<Workspace>>;
    async fn workspaces(&self) -> StoreResult<Vec<Workspace>>;
    async fn key_by_hash(&self, hash: &str) -> StoreResult<Option<ApiKeyRecord>>;

    // --- ingestion -----------------------------------------------------------------------
    /// Stores the calls of a batch: de-duplicates message ids over the last 7 days, updates
    /// identities, links, memberships, traits and usage aggregates. Either all of the
    /// batch's new calls are stored or, on error, none are counted twice on a retry.
    async fn ingest(
        &self,
        workspace: &WorkspaceId,
        batch: IngestBatch,
    ) -> StoreResult<IngestOutcome>;
    /// [`Store::ingest`], announcing what the batch changed. A store that commits a batch in
    /// steps (DynamoDB: the message-id log is written last) announces *before* its commit
    /// and fails without committing when the announcement fails: a commit whose answer is
    /// lost, then retried by the client as duplicates, has announced already, and a batch
    /// retried before its commit announces again (announcements are at least once; the
    /// alerts they raise are idempotent). A store that commits atomically (SQLite: one
    /// transaction) announces after its commit and logs an announcement that failed, since
    /// the client must not resend what was stored.
    async fn ingest_announcing(
        &self,
        workspace: &WorkspaceId,
        batch: IngestBatch,
        announce: &dyn Announce,
    ) -> StoreResult<IngestOutcome> {
        let outcome = self.ingest(workspace, batch).await?;
        if !outcome.changes.is_empty()
            && let Err(error) = announce.announce(&outcome.changes).await
        {
            tracing::error!(workspace = %workspace, %error, changes = outcome.changes.len(),
                "the batch is stored, but what it changed could not be announced: alerts for it are missed");
        }
        Ok(outcome)
    }
    /// Forgets message ids accepted before `before`; returns how many.
    async fn purge_message_ids(&self, before: DateTime<Utc>) -> StoreResult<u64>;

    /// One account as stored (traits, first seen), for alerts raised at ingestion.
    async fn account_record(
        &self,
        workspace: &WorkspaceId,
        account: &str,
    ) -> StoreResult<Option<AccountRecord>>;
    /// One raw identity as stored (`u:<userId>` / `a:<anonymousId>`), for alert messages.
    async fn identity_record(
        &self,
        workspace: &WorkspaceId,
        identity: &str,
    ) -> StoreResult<Option<IdentityRecord>>;

    // --- scoring inputs ------------------------------------------------------------------
    /// Identities, accounts, lifetime usage, and daily usage from `usage_from` on.
    async fn scoring_data(
        &self,
        workspace: &WorkspaceId,
        usage_from: Day,
    ) -> StoreResult<ScoringData>;

    /// [`Store::scoring_data`] restricted to recompute shard `shard` of a split into `shards`
    /// (see [`recompute_shard_of`](crate::recompute_shard_of)): the identity records (traits, link, activity,
    /// memberships, as `scoring_data` builds them) of the identities whose storage key is in
    /// that shard, and only their daily usage (from `usage_from` on) and lifetime usage;
    /// `accounts` is empty (the final step reads them with [`Store::account_records`]). The
    /// shards of a split partition `scoring_data`: every identity is in exactly one.
    /// `Invalid` unless `shards` is in `1..=16` and `shard < shards`.
    /// DynamoDB reads only the partitions `p` with `p % shards == shard`.
    async fn scoring_data_shard(
        &self,
        workspace: &WorkspaceId,
        usage_from: Day,
        shard: u32,
        shards: u32,
    ) -> StoreResult<ScoringData>;
    /// Every account of the workspace as stored (what `scoring_data` puts in `accounts`),
    /// for the final step of a sharded recompute.
    async fn account_records(&self, workspace: &WorkspaceId) -> StoreResult<Vec<AccountRecord>>;

    // --- staging of a sharded recompute ---------------------------------------------------
    // A run (`run`: an id the caller makes, 1 to 100 characters, no control characters) is
    // split into shards; each stages its partial results as opaque chunks, then records that
    // it is done; the shard that completes the set reads every chunk and cleans up. Runs are
    // per workspace.
    /// Stages `chunks` (each at most 350,000 bytes, else `Invalid` and nothing changes) as
    /// shard `shard`'s part of `run`, replacing whatever the shard staged before: a retried
    /// shard leaves neither stale nor duplicate chunks, and a reader sees one put whole.
    /// DynamoDB expires staged items 2 days after they are written.
    async fn put_recompute_parts(
        &self,
        workspace: &WorkspaceId,
        run: &str,
        shard: u32,
        chunks: Vec<Vec<u8>>,
    ) -> StoreResult<()>;
    /// Every chunk staged for `run`: each shard's latest put, ordered by shard then by the
    /// chunk's position in that put. Empty when nothing was staged.
    async fn recompute_parts(
        &self,
        workspace: &WorkspaceId,
        run: &str,
    ) -> StoreResult<Vec<Vec<u8>>>;
    /// Records that `shard` of `run` is done and returns whether every shard `0..shards` is
    /// now recorded — true for the call that completes the set, and for any call after it.
    /// Idempotent: recording a shard twice counts it once. `Invalid` unless `shards` is in
    /// `1..=16` and `shard < shards`.
    async fn finish_recompute_shard(
        &self,
        workspace: &WorkspaceId,
        run: &str,
        shard: u32,
        shards: u32,
    ) -> StoreResult<bool>;
    /// Removes `run`'s chunks and its record of finished shards (best-effort cleanup after
    /// the final step; DynamoDB's TTL removes what a failed cleanup leaves).
    async fn delete_recompute_run(&self, workspace: &WorkspaceId, run: &str) -> StoreResult<()>;

    // --- profiles ------------------------------------------------------------------------
    async fn put_profile(&self, workspace: &WorkspaceId, profile: &Profile) -> StoreResult<()>;
    async fn profile(&self, workspace: &WorkspaceId, id: &str) -> StoreResult<Option<Profile>>;
    async fn profiles(&self, workspace: &WorkspaceId) -> StoreResult<Vec<Profile>>;
    /// Deletes a profile and its results; `false` when there was none.
    async fn delete_profile(&self, workspace: &WorkspaceId, id: &str) -> StoreResult<bool>;

    // --- results -------------------------------------------------------------------------
    /// Saves (replacing) a computed day and records segment transitions when the day is
    /// the latest computed one. Returns the transitions recorded now.
    async fn save_computation(
        &self,
        workspace: &WorkspaceId,
        computation: &Computation,
    ) -> StoreResult<Vec<SegmentTransition>>;
    async fn latest_day(&self, workspace: &WorkspaceId, profile: &str) -> StoreResult<Option<Day>>;
    /// Whether the profile was computed as of `day`.
    async fn is_computed(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        day: Day,
    ) -> StoreResult<bool>;
    /// Each subject's score on a day (a user's score, an account's average).
    async fn scores_on(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        day: Day,
    ) -> StoreResult<HashMap<String, f64>>;
    async fn snapshot(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        subject: &str,
        day: Day,
    ) -> StoreResult<Option<serde_json::Value>>;
    async fn snapshots(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        day: Day,
        query: &ListQuery,
    ) -> StoreResult<Page<serde_json::Value>>;
    /// How many subjects each segment holds on a computed day.
    async fn segment_sizes(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        day: Day,
    ) -> StoreResult<HashMap<String, u64>>;
    /// A subject's computed days between `from` and `to` inclusive, oldest first.
    async fn history(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        subject: &str,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<HistoryPoint>>;
    /// Each subject's sortable numbers on a day (score, activation, …): what alert
    /// triggers compare with the previous computed day.
    async fn keys_on(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        day: Day,
    ) -> StoreResult<HashMap<String, SnapshotKeys>>;
    /// The computed day before `day`, if any.
    async fn previous_day(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        day: Day,
    ) -> StoreResult<Option<Day>>;
    /// Segment membership spans of one subject, or of one segment.
    async fn segment_spans(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        filter: SpanFilter<'_>,
    ) -> StoreResult<Vec<SegmentSpan>>;

    // --- rule state ----------------------------------------------------------------------
    /// Saves (replacing) which subjects each extra rule matched on a computed day
    /// (alert `where` filters, `custom` triggers): the next day compares with it.
    async fn put_rule_matches(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        day: Day,
        matches: &BTreeMap<String, BTreeSet<String>>,
    ) -> StoreResult<()>;
    async fn rule_matches(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        day: Day,
    ) -> StoreResult<BTreeMap<String, BTreeSet<String>>>;

    // --- definitions: custom segments and alert rules -------------------------------------
    async fn put_definition(
        &self,
        workspace: &WorkspaceId,
        kind: DefinitionKind,
        id: &str,
        body: &serde_json::Value,
    ) -> StoreResult<()>;
    async fn definition(
        &self,
        workspace: &WorkspaceId,
        kind: DefinitionKind,
        id: &str,
    ) -> StoreResult<Option<serde_json::Value>>;
    /// Every definition of a kind, in id order.
    async fn definitions(
        &self,
        workspace: &WorkspaceId,
        kind: DefinitionKind,
    ) -> StoreResult<Vec<serde_json::Value>>;
    async fn delete_definition(
        &self,
        workspace: &WorkspaceId,
        kind: DefinitionKind,
        id: &str,
    ) -> StoreResult<bool>;

    // --- alerts and their deliveries -------------------------------------------------------
    /// Records alerts; an id already recorded is left as it is (the same occurrence never
    /// alerts twice). Returns the ids recorded now.
    async fn insert_alerts(
        &self,
        workspace: &WorkspaceId,
        alerts: &[AlertRecord],
    ) -> StoreResult<Vec<String>>;
    async fn alert(&self, workspace: &WorkspaceId, id: &str) -> StoreResult<Option<AlertRecord>>;
    /// Replaces an alert's status, next attempt and attempts.
    async fn update_alert(&self, workspace: &WorkspaceId, alert: &AlertRecord) -> StoreResult<()>;
    /// Alerts of every workspace waiting for delivery (pending, or retrying and due by `now`).
    async fn due_alerts(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<(WorkspaceId, AlertRecord)>>;
    /// A workspace's alerts, newest first.
    async fn alerts(
        &self,
        workspace: &WorkspaceId,
        query: &AlertQuery,
    ) -> StoreResult<Page<AlertRecord>>;
    /// When each subject last alerted for a rule (for cooldowns).
    async fn last_alerts(
        &self,
        workspace: &WorkspaceId,
        rule: &str,
    ) -> StoreResult<HashMap<String, DateTime<Utc>>>;
}

/// Which spans to read.
#[derive(Clone, Copy, Debug)]
pub enum SpanFilter<'a> {
    Subject(&'a str),
    Segment(&'a str),
    /// Spans entered on this day (what a recompute of that day recorded).
    EnteredOn(Day),
}
