//! Computed days (README, "Results"): each subject's snapshot in its own partition (so a
//! history is one Query), a compact per-day index of every subject's sort keys, segments
//! and accounts (lists, scores, segment sizes and alert evaluation read it instead of every
//! snapshot), segment spans with the state a save compares against, and rule matches.

use std::collections::{BTreeSet, HashMap};

use pulse_core::snapshot::SnapshotKeys;
use pulse_core::{Day, SubjectKind};
use serde::{Deserialize, Serialize};

use super::attrs::{self, Item, b, get_s, item, list_of_strings, n, opt_n, s};
use super::chunks;
use super::concurrent;
use super::db::{Condition, Db, QuerySpec, Range, Write};
use super::keys::{self, Key, entity};
use super::lists::new_save_id;
use super::reads::{generation, write_error};
use crate::error::StoreError;
use crate::types::{
    Computation, HistoryPoint, ListQuery, Page, SegmentTransition, SortField, StoredSnapshot,
    decode_offset_cursor, encode_offset_cursor,
};

mod evaluation;
mod spans;

pub(crate) use evaluation::{keys_on, previous_day, put_rule_matches, rule_matches};
pub(crate) use spans::segment_spans;
use spans::{SpanRow, record_spans};

const KINDS: [SubjectKind; 2] = [SubjectKind::Users, SubjectKind::Accounts];

/// Where one profile's results are: its workspace, id and current generation.
struct Results<'a> {
    workspace: &'a str,
    profile: &'a str,
    generation: u64,
}

impl<'a> Results<'a> {
    async fn of(db: &Db, workspace: &'a str, profile: &'a str) -> Result<Results<'a>, StoreError> {
        Ok(Results {
            workspace,
            profile,
            generation: generation(db, workspace, profile).await?,
        })
    }

    fn partition(&self) -> String {
        keys::results_partition(self.workspace, self.profile, self.generation)
    }

    fn computation(&self, day: Day) -> Key {
        keys::computation(self.workspace, self.profile, self.generation, day)
    }

    fn snapshot(&self, kind: SubjectKind, subject: &str, day: Day) -> Key {
        keys::snapshot(
            self.workspace,
            self.profile,
            self.generation,
            kind,
            subject,
            day,
        )
    }

    fn subject_partition(&self, kind: SubjectKind, subject: &str) -> String {
        keys::subject_partition(self.workspace, self.profile, self.generation, kind, subject)
    }
}

/// One subject in a day's index.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Row {
    subject: String,
    keys: SnapshotKeys,
}

fn kind_tag(kind: SubjectKind) -> &'static str {
    match kind {
        SubjectKind::Users => "u",
        SubjectKind::Accounts => "a",
    }
}

// --- saving ----------------------------------------------------------------------------------

pub(crate) async fn save_computation(
    db: &Db,
    workspace: &str,
    computation: &Computation,
) -> Result<Vec<SegmentTransition>, StoreError> {
    let results = Results::of(db, workspace, &computation.profile).await?;
    let day = computation.day;
    let latest = latest_in(db, &results).await?;
    let is_latest = latest.is_none_or(|latest| day >= latest);
    let save = new_save_id();
    let mut computation_item = item(&results.computation(day), entity::COMPUTATION);
    computation_item.insert("day".into(), s(day.to_string()));
    computation_item.insert(
        "computed_at".into(),
        s(computation.computed_at.to_rfc3339()),
    );
    if let Some(p90) = computation.p90 {
        computation_item.insert("p90".into(), n(p90));
    }
    computation_item.insert("save".into(), s(&save));
    let mut leftovers = Vec::new();
    let mut transitions = Vec::new();
    for kind in KINDS {
        let snapshots = match kind {
            SubjectKind::Users => &computation.users,
            SubjectKind::Accounts => &computation.accounts,
        };
        // What earlier saves of this day left (their index chunks name their subjects).
        let previous = db
            .query(&QuerySpec::table(
                results.partition(),
                Range::Prefix(keys::index_prefix(day, kind)),
            ))
            .await?;
        let mut gone: BTreeSet<String> = BTreeSet::new();
        for chunk in &previous {
            for row in index_rows(chunk)? {
                gone.insert(row.subject);
            }
            leftovers.push(Write::Delete(attrs::key_of(chunk)?));
        }
        let mut writes = Vec::with_capacity(snapshots.len() + 1);
        for snapshot in snapshots {
            gone.remove(&snapshot.subject);
            let item = snapshot_item(&results, kind, day, snapshot);
            attrs::check_size(&item, &format!("the snapshot of `{}`", snapshot.subject))?;
            writes.push(Write::Put(item));
        }
        let rows: Vec<Row> = snapshots
            .iter()
            .map(|snapshot| Row {
                subject: snapshot.subject.clone(),
                keys: snapshot.keys.clone(),
            })
            .collect();
        let encoded = chunks::encode(&rows);
        computation_item.insert(format!("chunks_{}", kind_tag(kind)), n(encoded.len()));
        computation_item.insert(format!("count_{}", kind_tag(kind)), n(snapshots.len()));
        for (index, chunk) in encoded.into_iter().enumerate() {
            let key = keys::index_chunk(
                workspace,
                &computation.profile,
                results.generation,
                day,
                kind,
                &save,
                index,
            );
            let mut chunk_item = item(&key, entity::INDEX);
            chunk_item.insert("data".into(), b(chunk));
            writes.push(Write::Put(chunk_item));
        }
        db.batch_write(writes).await?;
        for subject in gone {
            leftovers.push(Write::Delete(results.snapshot(kind, &subject, day)));
        }
        if is_latest {
            transitions.extend(record_spans(db, &results, kind, day, snapshots).await?);
        }
    }
    // The day switches to this save at once: readers follow the computation item.
    db.put(computation_item, Condition::Always, 0)
        .await
        .map_err(write_error)?;
    db.batch_write(leftovers).await?;
    Ok(transitions)
}

fn snapshot_item(
    results: &Results,
    kind: SubjectKind,
    day: Day,
    snapshot: &StoredSnapshot,
) -> Item {
    let mut record = item(
        &results.snapshot(kind, &snapshot.subject, day),
        entity::SNAPSHOT,
    );
    record.insert("subject".into(), s(&snapshot.subject));
    record.insert("day".into(), s(day.to_string()));
    record.insert("body".into(), s(&snapshot.body));
    record.insert("score".into(), n(snapshot.keys.score));
    if let Some(change) = snapshot.keys.score_change {
        record.insert("change".into(), n(change));
    }
    if let Some(activation) = snapshot.keys.activation {
        record.insert("activation".into(), n(activation));
    }
    record.insert("segments".into(), list_of_strings(&snapshot.keys.segments));
    record
}

fn index_rows(chunk: &Item) -> Result<Vec<Row>, StoreError> {
    match attrs::opt_b(chunk, "data")? {
        Some(data) => chunks::decode(data),
        None => Ok(Vec::new()),
    }
}

// --- reading -----------------------------------------------------------------------------------

async fn latest_in(db: &Db, results: &Results<'_>) -> Result<Option<Day>, StoreError> {
    let spec = QuerySpec {
        newest_first: true,
        limit: Some(1),
        ..QuerySpec::table(
            results.partition(),
            Range::Prefix(keys::COMPUTATION_PREFIX.into()),
        )
    };
    db.query(&spec)
        .await?
        .first()
        .map(|item| attrs::get_day(item, "day"))
        .transpose()
}

pub(crate) async fn latest_day(
    db: &Db,
    workspace: &str,
    profile: &str,
) -> Result<Option<Day>, StoreError> {
    let results = Results::of(db, workspace, profile).await?;
    latest_in(db, &results).await
}

pub(crate) async fn is_computed(
    db: &Db,
    workspace: &str,
    profile: &str,
    day: Day,
) -> Result<bool, StoreError> {
    let results = Results::of(db, workspace, profile).await?;
    Ok(db.get(&results.computation(day)).await?.is_some())
}

/// The index of a computed day and kind, in saved order; empty when not computed.
async fn index(
    db: &Db,
    results: &Results<'_>,
    kind: SubjectKind,
    day: Day,
) -> Result<Vec<Row>, StoreError> {
    let Some(computation) = db.get(&results.computation(day)).await? else {
        return Ok(Vec::new());
    };
    let save = get_s(&computation, "save")?;
    let count: usize = opt_n(&computation, &format!("chunks_{}", kind_tag(kind)))?.unwrap_or(0);
    let chunk_keys: Vec<Key> = (0..count)
        .map(|chunk| {
            keys::index_chunk(
                results.workspace,
                results.profile,
                results.generation,
                day,
                kind,
                save,
                chunk,
            )
        })
        .collect();
    let found = db.batch_get(&chunk_keys).await?;
    let mut rows = Vec::new();
    for key in &chunk_keys {
        let chunk = found
            .get(key)
            .ok_or_else(|| StoreError::corrupt(format!("index chunk {} is missing", key.sk)))?;
        rows.extend(index_rows(chunk)?);
    }
    Ok(rows)
}

pub(crate) async fn scores_on(
    db: &Db,
    workspace: &str,
    profile: &str,
    kind: SubjectKind,
    day: Day,
) -> Result<HashMap<String, f64>, StoreError> {
    let results = Results::of(db, workspace, profile).await?;
    Ok(index(db, &results, kind, day)
        .await?
        .into_iter()
        .map(|row| (row.subject, row.keys.score))
        .collect())
}

pub(crate) async fn snapshot(
    db: &Db,
    workspace: &str,
    profile: &str,
    kind: SubjectKind,
    subject: &str,
    day: Day,
) -> Result<Option<serde_json::Value>, StoreError> {
    let results = Results::of(db, workspace, profile).await?;
    match db.get(&results.snapshot(kind, subject, day)).await? {
        Some(item) => body(&item).map(Some),
        None => Ok(None),
    }
}

fn body(item: &Item) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(get_s(item, "body")?).map_err(StoreError::corrupt)
}

/// A page of a day's list: the index is filtered and sorted in memory (missing values
/// last, ties by subject, as SQLite sorts), then the page's snapshots are read by key.
pub(crate) async fn snapshots(
    db: &Db,
    workspace: &str,
    profile: &str,
    kind: SubjectKind,
    day: Day,
    query: &ListQuery,
) -> Result<Page<serde_json::Value>, StoreError> {
    let offset = match &query.cursor {
        Some(cursor) => decode_offset_cursor(cursor).ok_or_else(|| {
            StoreError::Invalid("the cursor is not one this server issued".into())
        })?,
        None => 0,
    };
    let results = Results::of(db, workspace, profile).await?;
    let mut rows: Vec<Row> = index(db, &results, kind, day)
        .await?
        .into_iter()
        .filter(|row| {
            query
                .segment
                .as_ref()
                .is_none_or(|segment| row.keys.segments.contains(segment))
                && query
                    .account
                    .as_ref()
                    .is_none_or(|account| row.keys.accounts.contains(account))
        })
        .collect();
    sort_rows(&mut rows, query.sort.field, query.sort.descending);
    let page: Vec<&Row> = rows.iter().skip(offset).take(query.limit).collect();
    let next_cursor =
        (rows.len() > offset + query.limit).then(|| encode_offset_cursor(offset + query.limit));
    let keys: Vec<Key> = page
        .iter()
        .map(|row| results.snapshot(kind, &row.subject, day))
        .collect();
    let found = db.batch_get(&keys).await?;
    let mut items = Vec::with_capacity(page.len());
    for key in &keys {
        match found.get(key) {
            Some(item) => items.push(body(item)?),
            None => {
                tracing::warn!(key = %key.pk, "a listed snapshot is missing (the day is being replaced)")
            }
        }
    }
    Ok(Page { items, next_cursor })
}

fn sort_rows(rows: &mut [Row], field: SortField, descending: bool) {
    let value = |row: &Row| -> Option<f64> {
        match field {
            SortField::Score => Some(row.keys.score),
            SortField::RawScore => Some(row.keys.raw_score),
            SortField::ScoreChange => row.keys.score_change,
            SortField::Activation => row.keys.activation,
            SortField::Frequency => Some(row.keys.frequency),
            SortField::LastSeen => row
                .keys
                .last_seen
                .map(|time| time.timestamp_millis() as f64),
            SortField::Id => None,
        }
    };
    rows.sort_by(|a, b| {
        let order = if field == SortField::Id {
            a.subject.cmp(&b.subject)
        } else {
            match (value(a), value(b)) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (None, Some(_)) => return std::cmp::Ordering::Greater,
                (Some(_), None) => return std::cmp::Ordering::Less,
                (None, None) => std::cmp::Ordering::Equal,
            }
        };
        let order = if descending { order.reverse() } else { order };
        order.then_with(|| a.subject.cmp(&b.subject))
    });
}

pub(crate) async fn segment_sizes(
    db: &Db,
    workspace: &str,
    profile: &str,
    kind: SubjectKind,
    day: Day,
) -> Result<HashMap<String, u64>, StoreError> {
    let results = Results::of(db, workspace, profile).await?;
    let mut sizes = HashMap::new();
    for row in index(db, &results, kind, day).await? {
        for segment in row.keys.segments {
            *sizes.entry(segment).or_default() += 1;
        }
    }
    Ok(sizes)
}

pub(crate) async fn history(
    db: &Db,
    workspace: &str,
    profile: &str,
    kind: SubjectKind,
    subject: &str,
    from: Day,
    to: Day,
) -> Result<Vec<HistoryPoint>, StoreError> {
    if from > to {
        return Ok(Vec::new());
    }
    let results = Results::of(db, workspace, profile).await?;
    let items = db
        .query(&QuerySpec::table(
            results.subject_partition(kind, subject),
            Range::Between(keys::snapshot_day(from), keys::snapshot_day(to)),
        ))
        .await?;
    items
        .iter()
        .map(|item| {
            Ok(HistoryPoint {
                day: attrs::get_day(item, "day")?,
                score: attrs::get_n(item, "score")?,
                score_change: opt_n(item, "change")?,
                activation: opt_n(item, "activation")?,
                segments: attrs::strings(item, "segments")?,
            })
        })
        .collect()
}

/// Deletes what a retired generation of a profile left: every subject's snapshots and
/// spans, the day indexes, span state and computed days.
pub(crate) async fn delete_generation(
    db: &Db,
    workspace: &str,
    profile: &str,
    generation: u64,
) -> Result<(), StoreError> {
    let results = Results {
        workspace,
        profile,
        generation,
    };
    let items = db
        .query(&QuerySpec::table(results.partition(), Range::All))
        .await?;
    let mut subjects: BTreeSet<(SubjectKind, String)> = BTreeSet::new();
    for item in &items {
        let sort = get_s(item, keys::SK)?;
        for kind in KINDS {
            if sort.starts_with("IDX#") && sort.contains(&format!("#{}#", kind.as_str())) {
                subjects.extend(index_rows(item)?.into_iter().map(|row| (kind, row.subject)));
            }
            if sort.starts_with(&keys::span_state_prefix(kind))
                && let Some(data) = attrs::opt_b(item, "data")?
            {
                subjects.extend(
                    chunks::decode::<SpanRow>(data)?
                        .into_iter()
                        .map(|row| (kind, row.subject)),
                );
            }
        }
    }
    let reads = subjects
        .into_iter()
        .map(|(kind, subject)| {
            let db = db.clone();
            let spec = QuerySpec::table(results.subject_partition(kind, &subject), Range::All);
            async move { db.query(&spec).await }
        })
        .collect();
    let mut deletes = Vec::new();
    for subject_items in concurrent::all(reads).await? {
        for item in subject_items? {
            deletes.push(Write::Delete(attrs::key_of(&item)?));
        }
    }
    for item in &items {
        deletes.push(Write::Delete(attrs::key_of(item)?));
    }
    db.batch_write(deletes).await
}
