//! Segment spans: what a save of the latest day records (entered, left, corrections of a
//! recompute), compared against the span state; and the spans of a subject or a segment.

use std::collections::{BTreeMap, BTreeSet};

use pulse_core::{Day, SubjectKind};
use serde::{Deserialize, Serialize};

use super::Results;
use crate::dynamodb::attrs::{self, Item, b, get_s, item, n, s};
use crate::dynamodb::chunks;
use crate::dynamodb::concurrent;
use crate::dynamodb::db::{Condition, Db, QuerySpec, Range, Write};
use crate::dynamodb::keys::{self, Key, entity, shard};
use crate::dynamodb::lists::{get_list, new_save_id, put_list};
use crate::dynamodb::reads::write_error;
use crate::error::StoreError;
use crate::port::SpanFilter;
use crate::types::{SegmentSpan, SegmentTransition, StoredSnapshot};

/// One span in the span state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct SpanRow {
    segment: String,
    pub(super) subject: String,
    entered: Day,
    left: Option<Day>,
}

/// Opens spans for subjects that entered a segment on `day` and closes those that left,
/// comparing with the open spans and those an earlier save of this same day closed — the
/// span state — exactly as the SQLite store does.
pub(super) async fn record_spans(
    db: &Db,
    results: &Results<'_>,
    kind: SubjectKind,
    day: Day,
    snapshots: &[StoredSnapshot],
) -> Result<Vec<SegmentTransition>, StoreError> {
    let pointer_key =
        keys::span_state(results.workspace, results.profile, results.generation, kind);
    let state = read_span_state(db, results, kind).await?;
    let now: BTreeSet<(&str, &str)> = snapshots
        .iter()
        .flat_map(|snapshot| {
            snapshot
                .keys
                .segments
                .iter()
                .map(|segment| (segment.as_str(), snapshot.subject.as_str()))
        })
        .collect();
    let mut open: BTreeMap<(String, String), (Day, Option<Day>)> = state
        .into_iter()
        .filter(|row| row.left.is_none() || row.left == Some(day))
        .map(|row| ((row.segment, row.subject), (row.entered, row.left)))
        .collect();
    let transition = |segment: &str, subject: &str, entered: bool| SegmentTransition {
        kind,
        segment: segment.to_string(),
        subject: subject.to_string(),
        day,
        entered,
    };
    let mut transitions = Vec::new();
    let mut writes = Vec::new();
    let mut forgotten = Vec::new();
    for ((segment, subject), (entered, left)) in open.iter_mut() {
        let still_in = now.contains(&(segment.as_str(), subject.as_str()));
        match (still_in, *left) {
            (true, None) | (false, Some(_)) => {}
            // An earlier save of this day closed it; this one finds it in again.
            (true, Some(_)) => {
                *left = None;
                writes.push(Write::Put(span_item(
                    results, kind, segment, subject, *entered, None,
                )));
            }
            (false, None) if *entered == day => {
                writes.push(Write::Delete(keys::span(
                    results.workspace,
                    results.profile,
                    results.generation,
                    kind,
                    subject,
                    segment,
                    *entered,
                )));
                forgotten.push((segment.clone(), subject.clone()));
            }
            (false, None) => {
                *left = Some(day);
                writes.push(Write::Put(span_item(
                    results,
                    kind,
                    segment,
                    subject,
                    *entered,
                    Some(day),
                )));
                transitions.push(transition(segment, subject, false));
            }
        }
    }
    for key in forgotten {
        open.remove(&key);
    }
    for (segment, subject) in now {
        if let std::collections::btree_map::Entry::Vacant(entry) =
            open.entry((segment.to_string(), subject.to_string()))
        {
            writes.push(Write::Put(span_item(
                results, kind, segment, subject, day, None,
            )));
            transitions.push(transition(segment, subject, true));
            entry.insert((day, None));
        }
    }
    db.batch_write(writes).await?;

    // The spans this day opened, for `EnteredOn`: later saves close them but never delete
    // them (only a save of their own day does, and that one writes this list again).
    let entered: Vec<(&str, &str)> = open
        .iter()
        .filter(|(_, (entered, _))| *entered == day)
        .map(|((segment, subject), _)| (segment.as_str(), subject.as_str()))
        .collect();
    let entered_key = keys::entered(
        results.workspace,
        results.profile,
        results.generation,
        kind,
        day,
    );
    put_list(db, &entered_key, entity::ENTERED, &entered).await?;

    // The new state: open spans and those closed on this day.
    let rows: Vec<SpanRow> = open
        .into_iter()
        .map(|((segment, subject), (entered, left))| SpanRow {
            segment,
            subject,
            entered,
            left,
        })
        .collect();
    let save = new_save_id();
    let encoded = chunks::encode(&rows);
    let mut writes = Vec::new();
    let old_chunks = db
        .query(&QuerySpec::table(
            results.partition(),
            Range::Prefix(keys::span_state_prefix(kind)),
        ))
        .await?;
    let chunk_count = encoded.len();
    for (index, chunk) in encoded.into_iter().enumerate() {
        let key = keys::span_state_chunk(
            results.workspace,
            results.profile,
            results.generation,
            kind,
            &save,
            index,
        );
        let mut chunk_item = item(&key, entity::SPAN_STATE);
        chunk_item.insert("data".into(), b(chunk));
        writes.push(Write::Put(chunk_item));
    }
    db.batch_write(writes).await?;
    let mut pointer = item(&pointer_key, entity::SPAN_STATE);
    pointer.insert("save".into(), s(&save));
    pointer.insert("chunks".into(), n(chunk_count));
    pointer.insert("day".into(), s(day.to_string()));
    db.put(pointer, Condition::Always, 0)
        .await
        .map_err(write_error)?;
    let stale = old_chunks
        .iter()
        .map(|chunk| attrs::key_of(chunk).map(Write::Delete))
        .collect::<Result<Vec<_>, _>>()?;
    db.batch_write(stale).await?;
    Ok(transitions)
}

async fn read_span_state(
    db: &Db,
    results: &Results<'_>,
    kind: SubjectKind,
) -> Result<Vec<SpanRow>, StoreError> {
    let pointer_key =
        keys::span_state(results.workspace, results.profile, results.generation, kind);
    let Some(pointer) = db.get(&pointer_key).await? else {
        return Ok(Vec::new());
    };
    let save = get_s(&pointer, "save")?;
    let count: usize = attrs::get_n(&pointer, "chunks")?;
    let chunk_keys: Vec<Key> = (0..count)
        .map(|index| {
            keys::span_state_chunk(
                results.workspace,
                results.profile,
                results.generation,
                kind,
                save,
                index,
            )
        })
        .collect();
    let found = db.batch_get(&chunk_keys).await?;
    let mut rows = Vec::new();
    for key in &chunk_keys {
        let chunk = found.get(key).ok_or_else(|| {
            StoreError::corrupt(format!("span state chunk {} is missing", key.sk))
        })?;
        if let Some(data) = attrs::opt_b(chunk, "data")? {
            rows.extend(chunks::decode::<SpanRow>(data)?);
        }
    }
    Ok(rows)
}

fn span_item(
    results: &Results,
    kind: SubjectKind,
    segment: &str,
    subject: &str,
    entered: Day,
    left: Option<Day>,
) -> Item {
    let key = keys::span(
        results.workspace,
        results.profile,
        results.generation,
        kind,
        subject,
        segment,
        entered,
    );
    let mut record = item(&key, entity::SPAN);
    record.insert("segment".into(), s(segment));
    record.insert("subject".into(), s(subject));
    record.insert("entered".into(), s(entered.to_string()));
    if let Some(left) = left {
        record.insert("left".into(), s(left.to_string()));
    }
    record.insert(
        keys::GSI1PK.into(),
        s(keys::segment_spans(
            results.workspace,
            results.profile,
            results.generation,
            kind,
            segment,
            shard(subject),
        )),
    );
    record.insert(
        keys::GSI1SK.into(),
        s(keys::segment_span_sort(subject, entered)),
    );
    record
}

pub(crate) async fn segment_spans(
    db: &Db,
    workspace: &str,
    profile: &str,
    kind: SubjectKind,
    filter: SpanFilter<'_>,
) -> Result<Vec<SegmentSpan>, StoreError> {
    let results = Results::of(db, workspace, profile).await?;
    let items = match filter {
        SpanFilter::Subject(subject) => {
            db.query(&QuerySpec::table(
                results.subject_partition(kind, subject),
                Range::Prefix(keys::SPAN_PREFIX.into()),
            ))
            .await?
        }
        SpanFilter::Segment(segment) => {
            let reads = (0..keys::SHARDS)
                .map(|shard| {
                    let db = db.clone();
                    let spec = QuerySpec {
                        on_gsi1: true,
                        ..QuerySpec::table(
                            keys::segment_spans(
                                workspace,
                                profile,
                                results.generation,
                                kind,
                                segment,
                                shard,
                            ),
                            Range::All,
                        )
                    };
                    async move { db.query(&spec).await }
                })
                .collect();
            let mut items = Vec::new();
            for page in concurrent::all(reads).await? {
                items.extend(page?);
            }
            items
        }
        SpanFilter::EnteredOn(day) => {
            let key = keys::entered(workspace, profile, results.generation, kind, day);
            let entered: Vec<(String, String)> = get_list(db, &key).await?.unwrap_or_default();
            let span_keys: Vec<Key> = entered
                .iter()
                .map(|(segment, subject)| {
                    keys::span(
                        workspace,
                        profile,
                        results.generation,
                        kind,
                        subject,
                        segment,
                        day,
                    )
                })
                .collect();
            db.batch_get(&span_keys).await?.into_values().collect()
        }
    };
    let mut spans = items
        .iter()
        .map(|item| {
            Ok(SegmentSpan {
                segment: get_s(item, "segment")?.to_string(),
                subject: get_s(item, "subject")?.to_string(),
                entered: attrs::get_day(item, "entered")?,
                left: attrs::opt_day(item, "left")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    spans.sort_by(|a, b| {
        (a.entered, &a.segment, &a.subject).cmp(&(b.entered, &b.segment, &b.subject))
    });
    Ok(spans)
}
