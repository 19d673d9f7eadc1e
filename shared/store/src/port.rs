//! The `Store` port: every read and write Pulse needs, in domain terms. Adapters: SQLite
//! (embedded default) and DynamoDB. Both pass the same conformance suite.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pulse_core::records::ScoringData;
use pulse_core::{Day, Profile, SubjectKind, WorkspaceId};

use crate::error::StoreError;
use crate::types::{
    ApiKeyRecord, Computation, HistoryPoint, IngestBatch, IngestOutcome, ListQuery, Page,
    SegmentSpan, SegmentTransition, Workspace,
};

pub type StoreResult<T> = Result<T, StoreError>;

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
    /// Forgets message ids accepted before `before`; returns how many.
    async fn purge_message_ids(&self, before: DateTime<Utc>) -> StoreResult<u64>;

    // --- scoring inputs ------------------------------------------------------------------
    /// Identities, accounts, lifetime usage, and daily usage from `usage_from` on.
    async fn scoring_data(
        &self,
        workspace: &WorkspaceId,
        usage_from: Day,
    ) -> StoreResult<ScoringData>;

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
    /// Segment membership spans of one subject, or of one segment.
    async fn segment_spans(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        filter: SpanFilter<'_>,
    ) -> StoreResult<Vec<SegmentSpan>>;
}

/// Which spans to read.
#[derive(Clone, Copy, Debug)]
pub enum SpanFilter<'a> {
    Subject(&'a str),
    Segment(&'a str),
}
