//! The embedded store: one SQLite file (`pulse.db`, WAL mode, `synchronous=FULL`) in the
//! data directory. One writer thread applies writes with group commit (see [`writer`]);
//! reads run on a small pool of read connections, which WAL lets proceed during writes.

mod alerts;
mod codec;
mod ingest;
mod reads;
mod recompute;
mod results;
mod schema;
mod writer;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pulse_core::records::{AccountRecord, IdentityRecord, ScoringData};
use pulse_core::snapshot::SnapshotKeys;
use pulse_core::{Day, Profile, SubjectKind, WorkspaceId};
use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OpenFlags};

use self::codec::sql;
use self::writer::Writer;
use crate::error::StoreError;
use crate::port::{SpanFilter, Store, StoreResult};
use crate::recompute::{
    MAX_RECOMPUTE_SHARDS, check_chunks, check_run, check_shard, check_split, recompute_shard_of,
};
use crate::types::{
    AlertQuery, AlertRecord, ApiKeyRecord, Computation, DefinitionKind, HistoryPoint, IngestBatch,
    IngestOutcome, ListQuery, Page, SegmentSpan, SegmentTransition, Workspace,
};

pub use schema::SCHEMA_VERSION;

/// The database file inside a data directory.
pub const DATABASE_FILE: &str = "pulse.db";

/// Idle read connections kept open.
const MAX_IDLE_READERS: usize = 8;

/// `pulse_recompute_shard(identity, shards)`: [`recompute_shard_of`] as an SQL function, on
/// every connection, so that a recompute shard filters its rows in SQL.
pub(crate) const RECOMPUTE_SHARD_FN: &str = "pulse_recompute_shard";

pub struct SqliteStore {
    writer: Writer,
    readers: Arc<Readers>,
    path: PathBuf,
}

struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `data_dir`, migrating its schema.
    pub fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|error| {
            StoreError::Unavailable(format!(
                "creating the data directory {}: {error}",
                data_dir.display()
            ))
        })?;
        let path = data_dir.join(DATABASE_FILE);
        let mut connection = Connection::open(&path).map_err(|error| {
            StoreError::Unavailable(format!("opening {}: {error}", path.display()))
        })?;
        configure(&connection, false)?;
        schema::migrate(&mut connection)?;
        Ok(SqliteStore {
            writer: Writer::start(connection),
            readers: Arc::new(Readers {
                path: path.clone(),
                idle: Mutex::new(Vec::new()),
            }),
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn read<F, R>(&self, work: F) -> StoreResult<R>
    where
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
        R: Send + 'static,
    {
        let readers = Arc::clone(&self.readers);
        tokio::task::spawn_blocking(move || {
            let connection = readers.take()?;
            let result = work(&connection);
            readers.give_back(connection);
            result
        })
        .await
        .map_err(|error| StoreError::Unavailable(format!("a read task failed: {error}")))?
    }
}

impl Readers {
    fn take(&self) -> StoreResult<Connection> {
        if let Some(connection) = self.idle.lock().expect("reader pool lock").pop() {
            return Ok(connection);
        }
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(sql)?;
        configure(&connection, true)?;
        Ok(connection)
    }

    fn give_back(&self, connection: Connection) {
        let mut idle = self.idle.lock().expect("reader pool lock");
        if idle.len() < MAX_IDLE_READERS {
            idle.push(connection);
        }
    }
}

fn configure(connection: &Connection, read_only: bool) -> StoreResult<()> {
    connection
        .busy_timeout(std::time::Duration::from_secs(10))
        .map_err(sql)?;
    if !read_only {
        // WAL: readers never block the writer; FULL: a commit is on disk before we answer.
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
            )
            .map_err(sql)?;
    }
    // A larger page cache and memory-mapped reads: recomputes scan whole tables, and
    // SQLite's 2 MB default makes them copy pages through read() over and over.
    connection
        .execute_batch("PRAGMA cache_size = -65536; PRAGMA mmap_size = 268435456;")
        .map_err(sql)?;
    connection.set_prepared_statement_cache_capacity(64);
    register_functions(connection)
}

fn register_functions(connection: &Connection) -> StoreResult<()> {
    let failure = |message: String| rusqlite::Error::UserFunctionError(message.into());
    connection
        .create_scalar_function(
            RECOMPUTE_SHARD_FN,
            2,
            FunctionFlags::SQLITE_UTF8
                | FunctionFlags::SQLITE_DETERMINISTIC
                | FunctionFlags::SQLITE_INNOCUOUS,
            move |context| {
                let identity = context
                    .get_raw(0)
                    .as_str()
                    .map_err(|error| failure(format!("{RECOMPUTE_SHARD_FN}: {error}")))?;
                let shards: i64 = context.get(1)?;
                let shards = u32::try_from(shards)
                    .ok()
                    .filter(|shards| (1..=MAX_RECOMPUTE_SHARDS).contains(shards))
                    .ok_or_else(|| failure(format!("{RECOMPUTE_SHARD_FN}: {shards} shards")))?;
                Ok(i64::from(recompute_shard_of(identity, shards)))
            },
        )
        .map_err(sql)
}

fn text(workspace: &WorkspaceId) -> String {
    workspace.as_str().to_string()
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_workspace(
        &self,
        workspace: &Workspace,
        keys: &[ApiKeyRecord],
    ) -> StoreResult<()> {
        let workspace = workspace.clone();
        let keys = keys.to_vec();
        self.writer
            .run(move |connection| reads::create_workspace(connection, &workspace, &keys))
            .await
    }

    async fn workspace(&self, id: &WorkspaceId) -> StoreResult<Option<Workspace>> {
        let id = text(id);
        self.read(move |connection| reads::workspace(connection, &id))
            .await
    }

    async fn workspaces(&self) -> StoreResult<Vec<Workspace>> {
        self.read(reads::workspaces).await
    }

    async fn key_by_hash(&self, hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let hash = hash.to_string();
        self.read(move |connection| reads::key_by_hash(connection, &hash))
            .await
    }

    async fn ingest(
        &self,
        workspace: &WorkspaceId,
        batch: IngestBatch,
    ) -> StoreResult<IngestOutcome> {
        let workspace = text(workspace);
        self.writer
            .run(move |connection| ingest::ingest(connection, &workspace, &batch))
            .await
    }

    async fn purge_message_ids(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.writer
            .run(move |connection| {
                connection
                    .execute(
                        "DELETE FROM message_ids WHERE accepted_at < ?1",
                        [codec::millis(before)],
                    )
                    .map(|deleted| deleted as u64)
                    .map_err(sql)
            })
            .await
    }

    async fn account_record(
        &self,
        workspace: &WorkspaceId,
        account: &str,
    ) -> StoreResult<Option<AccountRecord>> {
        let (workspace, account) = (text(workspace), account.to_string());
        self.read(move |connection| reads::account_record(connection, &workspace, &account))
            .await
    }

    async fn identity_record(
        &self,
        workspace: &WorkspaceId,
        identity: &str,
    ) -> StoreResult<Option<IdentityRecord>> {
        let (workspace, identity) = (text(workspace), identity.to_string());
        self.read(move |connection| reads::identity_record(connection, &workspace, &identity))
            .await
    }

    async fn scoring_data(
        &self,
        workspace: &WorkspaceId,
        usage_from: Day,
    ) -> StoreResult<ScoringData> {
        let workspace = text(workspace);
        // One read transaction: a commit between the four reads would mix two states
        // (e.g. daily totals from before a batch, lifetime totals from after it).
        self.read(move |connection| {
            let snapshot = connection.unchecked_transaction().map_err(sql)?;
            reads::scoring_data(&snapshot, &workspace, usage_from)
        })
        .await
    }

    async fn scoring_data_shard(
        &self,
        workspace: &WorkspaceId,
        usage_from: Day,
        shard: u32,
        shards: u32,
    ) -> StoreResult<ScoringData> {
        check_split(shard, shards)?;
        let workspace = text(workspace);
        // One read transaction, as `scoring_data`.
        self.read(move |connection| {
            let snapshot = connection.unchecked_transaction().map_err(sql)?;
            reads::scoring_data_shard(&snapshot, &workspace, usage_from, shard, shards)
        })
        .await
    }

    async fn account_records(&self, workspace: &WorkspaceId) -> StoreResult<Vec<AccountRecord>> {
        let workspace = text(workspace);
        self.read(move |connection| reads::account_records(connection, &workspace))
            .await
    }

    async fn put_recompute_parts(
        &self,
        workspace: &WorkspaceId,
        run: &str,
        shard: u32,
        chunks: Vec<Vec<u8>>,
    ) -> StoreResult<()> {
        check_run(run)?;
        check_shard(shard)?;
        check_chunks(&chunks)?;
        let (workspace, run) = (text(workspace), run.to_string());
        self.writer
            .run(move |connection| {
                recompute::put_parts(connection, &workspace, &run, shard, &chunks)
            })
            .await
    }

    async fn recompute_parts(
        &self,
        workspace: &WorkspaceId,
        run: &str,
    ) -> StoreResult<Vec<Vec<u8>>> {
        check_run(run)?;
        let (workspace, run) = (text(workspace), run.to_string());
        self.read(move |connection| recompute::parts(connection, &workspace, &run))
            .await
    }

    async fn finish_recompute_shard(
        &self,
        workspace: &WorkspaceId,
        run: &str,
        shard: u32,
        shards: u32,
    ) -> StoreResult<bool> {
        check_run(run)?;
        check_split(shard, shards)?;
        let (workspace, run) = (text(workspace), run.to_string());
        self.writer
            .run(move |connection| {
                recompute::finish_shard(connection, &workspace, &run, shard, shards)
            })
            .await
    }

    async fn delete_recompute_run(&self, workspace: &WorkspaceId, run: &str) -> StoreResult<()> {
        check_run(run)?;
        let (workspace, run) = (text(workspace), run.to_string());
        self.writer
            .run(move |connection| recompute::delete_run(connection, &workspace, &run))
            .await
    }

    async fn put_profile(&self, workspace: &WorkspaceId, profile: &Profile) -> StoreResult<()> {
        let workspace = text(workspace);
        let profile = profile.clone();
        self.writer
            .run(move |connection| reads::put_profile(connection, &workspace, &profile))
            .await
    }

    async fn profile(&self, workspace: &WorkspaceId, id: &str) -> StoreResult<Option<Profile>> {
        let workspace = text(workspace);
        let id = id.to_string();
        self.read(move |connection| reads::profile(connection, &workspace, &id))
            .await
    }

    async fn profiles(&self, workspace: &WorkspaceId) -> StoreResult<Vec<Profile>> {
        let workspace = text(workspace);
        self.read(move |connection| reads::profiles(connection, &workspace))
            .await
    }

    async fn delete_profile(&self, workspace: &WorkspaceId, id: &str) -> StoreResult<bool> {
        let workspace = text(workspace);
        let id = id.to_string();
        self.writer
            .run(move |connection| reads::delete_profile(connection, &workspace, &id))
            .await
    }

    async fn save_computation(
        &self,
        workspace: &WorkspaceId,
        computation: &Computation,
    ) -> StoreResult<Vec<SegmentTransition>> {
        let workspace = text(workspace);
        let computation = computation.clone();
        self.writer
            .run(move |connection| results::save_computation(connection, &workspace, &computation))
            .await
    }

    async fn latest_day(&self, workspace: &WorkspaceId, profile: &str) -> StoreResult<Option<Day>> {
        let workspace = text(workspace);
        let profile = profile.to_string();
        self.read(move |connection| results::latest_day(connection, &workspace, &profile))
            .await
    }

    async fn is_computed(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        day: Day,
    ) -> StoreResult<bool> {
        let workspace = text(workspace);
        let profile = profile.to_string();
        self.read(move |connection| results::is_computed(connection, &workspace, &profile, day))
            .await
    }

    async fn scores_on(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        day: Day,
    ) -> StoreResult<HashMap<String, f64>> {
        let workspace = text(workspace);
        let profile = profile.to_string();
        self.read(move |connection| results::scores_on(connection, &workspace, &profile, kind, day))
            .await
    }

    async fn snapshot(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        subject: &str,
        day: Day,
    ) -> StoreResult<Option<serde_json::Value>> {
        let (workspace, profile, subject) =
            (text(workspace), profile.to_string(), subject.to_string());
        self.read(move |connection| {
            results::snapshot(connection, &workspace, &profile, kind, &subject, day)
        })
        .await
    }

    async fn snapshots(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        day: Day,
        query: &ListQuery,
    ) -> StoreResult<Page<serde_json::Value>> {
        let (workspace, profile, query) = (text(workspace), profile.to_string(), query.clone());
        self.read(move |connection| {
            results::snapshots(connection, &workspace, &profile, kind, day, &query)
        })
        .await
    }

    async fn segment_sizes(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        day: Day,
    ) -> StoreResult<HashMap<String, u64>> {
        let (workspace, profile) = (text(workspace), profile.to_string());
        self.read(move |connection| {
            results::segment_sizes(connection, &workspace, &profile, kind, day)
        })
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
        let (workspace, profile, subject) =
            (text(workspace), profile.to_string(), subject.to_string());
        self.read(move |connection| {
            results::history(connection, &workspace, &profile, kind, &subject, from, to)
        })
        .await
    }

    async fn segment_spans(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        filter: SpanFilter<'_>,
    ) -> StoreResult<Vec<SegmentSpan>> {
        let (workspace, profile) = (text(workspace), profile.to_string());
        let filter = OwnedSpanFilter::from(filter);
        self.read(move |connection| {
            results::segment_spans(connection, &workspace, &profile, kind, filter.borrow())
        })
        .await
    }

    async fn keys_on(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        kind: SubjectKind,
        day: Day,
    ) -> StoreResult<HashMap<String, SnapshotKeys>> {
        let (workspace, profile) = (text(workspace), profile.to_string());
        self.read(move |connection| results::keys_on(connection, &workspace, &profile, kind, day))
            .await
    }

    async fn previous_day(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        day: Day,
    ) -> StoreResult<Option<Day>> {
        let (workspace, profile) = (text(workspace), profile.to_string());
        self.read(move |connection| results::previous_day(connection, &workspace, &profile, day))
            .await
    }

    async fn put_rule_matches(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        day: Day,
        matches: &BTreeMap<String, BTreeSet<String>>,
    ) -> StoreResult<()> {
        let (workspace, profile, matches) = (text(workspace), profile.to_string(), matches.clone());
        self.writer
            .run(move |connection| {
                alerts::put_rule_matches(connection, &workspace, &profile, day, &matches)
            })
            .await
    }

    async fn rule_matches(
        &self,
        workspace: &WorkspaceId,
        profile: &str,
        day: Day,
    ) -> StoreResult<BTreeMap<String, BTreeSet<String>>> {
        let (workspace, profile) = (text(workspace), profile.to_string());
        self.read(move |connection| alerts::rule_matches(connection, &workspace, &profile, day))
            .await
    }

    async fn put_definition(
        &self,
        workspace: &WorkspaceId,
        kind: DefinitionKind,
        id: &str,
        body: &serde_json::Value,
    ) -> StoreResult<()> {
        let (workspace, id, body) = (text(workspace), id.to_string(), body.clone());
        self.writer
            .run(move |connection| alerts::put_definition(connection, &workspace, kind, &id, &body))
            .await
    }

    async fn definition(
        &self,
        workspace: &WorkspaceId,
        kind: DefinitionKind,
        id: &str,
    ) -> StoreResult<Option<serde_json::Value>> {
        let (workspace, id) = (text(workspace), id.to_string());
        self.read(move |connection| alerts::definition(connection, &workspace, kind, &id))
            .await
    }

    async fn definitions(
        &self,
        workspace: &WorkspaceId,
        kind: DefinitionKind,
    ) -> StoreResult<Vec<serde_json::Value>> {
        let workspace = text(workspace);
        self.read(move |connection| alerts::definitions(connection, &workspace, kind))
            .await
    }

    async fn delete_definition(
        &self,
        workspace: &WorkspaceId,
        kind: DefinitionKind,
        id: &str,
    ) -> StoreResult<bool> {
        let (workspace, id) = (text(workspace), id.to_string());
        self.writer
            .run(move |connection| alerts::delete_definition(connection, &workspace, kind, &id))
            .await
    }

    async fn insert_alerts(
        &self,
        workspace: &WorkspaceId,
        records: &[AlertRecord],
    ) -> StoreResult<Vec<String>> {
        let (workspace, records) = (text(workspace), records.to_vec());
        self.writer
            .run(move |connection| alerts::insert_alerts(connection, &workspace, &records))
            .await
    }

    async fn alert(&self, workspace: &WorkspaceId, id: &str) -> StoreResult<Option<AlertRecord>> {
        let (workspace, id) = (text(workspace), id.to_string());
        self.read(move |connection| alerts::alert(connection, &workspace, &id))
            .await
    }

    async fn update_alert(&self, workspace: &WorkspaceId, record: &AlertRecord) -> StoreResult<()> {
        let (workspace, record) = (text(workspace), record.clone());
        self.writer
            .run(move |connection| alerts::update_alert(connection, &workspace, &record))
            .await
    }

    async fn due_alerts(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<(WorkspaceId, AlertRecord)>> {
        self.read(move |connection| alerts::due_alerts(connection, now, limit))
            .await
    }

    async fn alerts(
        &self,
        workspace: &WorkspaceId,
        query: &AlertQuery,
    ) -> StoreResult<Page<AlertRecord>> {
        let (workspace, query) = (text(workspace), query.clone());
        self.read(move |connection| alerts::alerts(connection, &workspace, &query))
            .await
    }

    async fn last_alerts(
        &self,
        workspace: &WorkspaceId,
        rule: &str,
    ) -> StoreResult<HashMap<String, DateTime<Utc>>> {
        let (workspace, rule) = (text(workspace), rule.to_string());
        self.read(move |connection| alerts::last_alerts(connection, &workspace, &rule))
            .await
    }
}

/// A [`SpanFilter`] that owns its text, to cross into a blocking task.
enum OwnedSpanFilter {
    Subject(String),
    Segment(String),
    EnteredOn(Day),
}

impl From<SpanFilter<'_>> for OwnedSpanFilter {
    fn from(filter: SpanFilter<'_>) -> Self {
        match filter {
            SpanFilter::Subject(subject) => OwnedSpanFilter::Subject(subject.to_string()),
            SpanFilter::Segment(segment) => OwnedSpanFilter::Segment(segment.to_string()),
            SpanFilter::EnteredOn(day) => OwnedSpanFilter::EnteredOn(day),
        }
    }
}

impl OwnedSpanFilter {
    fn borrow(&self) -> SpanFilter<'_> {
        match self {
            OwnedSpanFilter::Subject(subject) => SpanFilter::Subject(subject),
            OwnedSpanFilter::Segment(segment) => SpanFilter::Segment(segment),
            OwnedSpanFilter::EnteredOn(day) => SpanFilter::EnteredOn(*day),
        }
    }
}

#[cfg(test)]
mod tests;
