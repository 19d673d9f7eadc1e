//! Computed days: saving a computation (replacing the day, recording segment transitions)
//! and the reads behind the admin API's lists, single items and history.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use pulse_core::{Day, SubjectKind};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter, types::Value as SqlValue};

use super::codec::{day_from, from_millis, millis, sql, to_json};
use crate::error::StoreError;
use crate::port::SpanFilter;
use crate::types::{
    Computation, HistoryPoint, ListQuery, Page, SegmentSpan, SegmentTransition, SortField,
    StoredSnapshot, decode_offset_cursor, encode_offset_cursor,
};
use pulse_core::snapshot::SnapshotKeys;

pub(crate) fn save_computation(
    connection: &Connection,
    workspace: &str,
    computation: &Computation,
) -> Result<Vec<SegmentTransition>, StoreError> {
    let profile = computation.profile.as_str();
    let day = i64::from(computation.day.number());
    let latest: Option<i64> = connection
        .query_row(
            "SELECT max(day) FROM computations WHERE workspace = ?1 AND profile = ?2",
            params![workspace, profile],
            |row| row.get(0),
        )
        .map_err(sql)?;
    // With the kind, these deletes follow the primary keys instead of scanning every day.
    for table in ["snapshots"] {
        for kind in [SubjectKind::Users, SubjectKind::Accounts] {
            connection
                .prepare_cached(&format!(
                    "DELETE FROM {table} WHERE workspace = ?1 AND profile = ?2 AND kind = ?3 AND day = ?4"
                ))
                .and_then(|mut statement| statement.execute(params![workspace, profile, kind.as_str(), day]))
                .map_err(sql)?;
        }
    }
    connection
        .execute(
            "INSERT OR REPLACE INTO computations (workspace, profile, day, computed_at, p90, users, accounts)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                workspace,
                profile,
                day,
                computation.computed_at.to_rfc3339(),
                computation.p90,
                computation.users.len() as i64,
                computation.accounts.len() as i64
            ],
        )
        .map_err(sql)?;
    let mut transitions = Vec::new();
    let is_latest = latest.is_none_or(|latest| day >= latest);
    for (kind, snapshots) in [
        (SubjectKind::Users, &computation.users),
        (SubjectKind::Accounts, &computation.accounts),
    ] {
        insert_snapshots(connection, workspace, profile, kind, day, snapshots)?;
        if is_latest {
            transitions.extend(record_spans(
                connection,
                workspace,
                profile,
                kind,
                computation.day,
                snapshots,
            )?);
        }
    }
    Ok(transitions)
}

fn insert_snapshots(
    connection: &Connection,
    workspace: &str,
    profile: &str,
    kind: SubjectKind,
    day: i64,
    snapshots: &[StoredSnapshot],
) -> Result<(), StoreError> {
    let mut insert = connection
        .prepare_cached(
            "INSERT INTO snapshots (workspace, profile, kind, day, subject, score, raw_score, score_change,
                                    activation, frequency, last_seen, segments, accounts, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )
        .map_err(sql)?;
    let kind = kind.as_str();
    for snapshot in snapshots {
        let keys = &snapshot.keys;
        insert
            .execute(params![
                workspace,
                profile,
                kind,
                day,
                snapshot.subject,
                keys.score,
                keys.raw_score,
                keys.score_change,
                keys.activation,
                keys.frequency,
                keys.last_seen.map(millis),
                to_json(&keys.segments),
                to_json(&keys.accounts),
                snapshot.body,
            ])
            .map_err(sql)?;
    }
    Ok(())
}

/// Opens spans for subjects that entered a segment on `day` and closes those that left.
/// Saving the same day twice changes nothing the second time.
fn record_spans(
    connection: &Connection,
    workspace: &str,
    profile: &str,
    kind: SubjectKind,
    day: Day,
    snapshots: &[StoredSnapshot],
) -> Result<Vec<SegmentTransition>, StoreError> {
    let kind_text = kind.as_str();
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
    // Open spans, and spans an earlier run of this same day closed: (entered, left_on).
    let mut open: BTreeMap<(String, String), (i64, Option<i64>)> = BTreeMap::new();
    {
        let mut statement = connection
            .prepare_cached(
                "SELECT segment, subject, entered, left_on FROM segment_spans
                 WHERE workspace = ?1 AND profile = ?2 AND kind = ?3 AND (left_on IS NULL OR left_on = ?4)",
            )
            .map_err(sql)?;
        let rows = statement
            .query_map(
                params![workspace, profile, kind_text, day.number()],
                |row| {
                    Ok((
                        (row.get::<_, String>(0)?, row.get::<_, String>(1)?),
                        (row.get::<_, i64>(2)?, row.get::<_, Option<i64>>(3)?),
                    ))
                },
            )
            .map_err(sql)?;
        for row in rows {
            let (key, span) = row.map_err(sql)?;
            open.insert(key, span);
        }
    }
    let mut transitions = Vec::new();
    let transition = |segment: &str, subject: &str, entered: bool| SegmentTransition {
        kind,
        segment: segment.to_string(),
        subject: subject.to_string(),
        day,
        entered,
    };
    let mut reopen = connection
        .prepare_cached(
            "UPDATE segment_spans SET left_on = NULL WHERE workspace = ?1 AND profile = ?2 AND kind = ?3
             AND segment = ?4 AND subject = ?5 AND entered = ?6",
        )
        .map_err(sql)?;
    let mut forget = connection
        .prepare_cached(
            "DELETE FROM segment_spans WHERE workspace = ?1 AND profile = ?2 AND kind = ?3
             AND segment = ?4 AND subject = ?5 AND entered = ?6",
        )
        .map_err(sql)?;
    let mut close = connection
        .prepare_cached(
            "UPDATE segment_spans SET left_on = ?7 WHERE workspace = ?1 AND profile = ?2 AND kind = ?3
             AND segment = ?4 AND subject = ?5 AND entered = ?6 AND left_on IS NULL",
        )
        .map_err(sql)?;
    for ((segment, subject), (entered, left_on)) in &open {
        let still_in = now.contains(&(segment.as_str(), subject.as_str()));
        match (still_in, left_on) {
            // Still in and open: nothing to do (the common case).
            (true, None) => {}
            // An earlier run of this day closed it, this run finds it in again.
            (true, Some(_)) => {
                reopen
                    .execute(params![
                        workspace, profile, kind_text, segment, subject, entered
                    ])
                    .map_err(sql)?;
            }
            // Closed by an earlier run of this day, still out.
            (false, Some(_)) => {}
            (false, None) if *entered == i64::from(day.number()) => {
                forget
                    .execute(params![
                        workspace, profile, kind_text, segment, subject, entered
                    ])
                    .map_err(sql)?;
            }
            (false, None) => {
                close
                    .execute(params![
                        workspace,
                        profile,
                        kind_text,
                        segment,
                        subject,
                        entered,
                        day.number()
                    ])
                    .map_err(sql)?;
                transitions.push(transition(segment, subject, false));
            }
        }
    }
    let mut insert = connection
        .prepare_cached(
            "INSERT OR IGNORE INTO segment_spans (workspace, profile, kind, segment, subject, entered, left_on)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)",
        )
        .map_err(sql)?;
    for (segment, subject) in now {
        if !open.contains_key(&(segment.to_string(), subject.to_string())) {
            insert
                .execute(params![
                    workspace,
                    profile,
                    kind_text,
                    segment,
                    subject,
                    day.number()
                ])
                .map_err(sql)?;
            transitions.push(transition(segment, subject, true));
        }
    }
    Ok(transitions)
}

pub(crate) fn latest_day(
    connection: &Connection,
    workspace: &str,
    profile: &str,
) -> Result<Option<Day>, StoreError> {
    let latest: Option<i64> = connection
        .query_row(
            "SELECT max(day) FROM computations WHERE workspace = ?1 AND profile = ?2",
            params![workspace, profile],
            |row| row.get(0),
        )
        .map_err(sql)?;
    latest.map(day_from).transpose()
}

pub(crate) fn is_computed(
    connection: &Connection,
    workspace: &str,
    profile: &str,
    day: Day,
) -> Result<bool, StoreError> {
    connection
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM computations WHERE workspace = ?1 AND profile = ?2 AND day = ?3)",
            params![workspace, profile, day.number()],
            |row| row.get(0),
        )
        .map_err(sql)
}

pub(crate) fn previous_day(
    connection: &Connection,
    workspace: &str,
    profile: &str,
    day: Day,
) -> Result<Option<Day>, StoreError> {
    let previous: Option<i64> = connection
        .query_row(
            "SELECT max(day) FROM computations WHERE workspace = ?1 AND profile = ?2 AND day < ?3",
            params![workspace, profile, day.number()],
            |row| row.get(0),
        )
        .map_err(sql)?;
    previous.map(day_from).transpose()
}

pub(crate) fn keys_on(
    connection: &Connection,
    workspace: &str,
    profile: &str,
    kind: SubjectKind,
    day: Day,
) -> Result<HashMap<String, SnapshotKeys>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT subject, score, raw_score, score_change, activation, frequency, last_seen, accounts, segments
             FROM snapshots WHERE workspace = ?1 AND profile = ?2 AND kind = ?3 AND day = ?4",
        )
        .map_err(sql)?;
    let mut rows = statement
        .query(params![workspace, profile, kind.as_str(), day.number()])
        .map_err(sql)?;
    let mut keys = HashMap::new();
    while let Some(row) = rows.next().map_err(sql)? {
        let accounts: String = row.get(7).map_err(sql)?;
        let segments: String = row.get(8).map_err(sql)?;
        keys.insert(
            row.get::<_, String>(0).map_err(sql)?,
            SnapshotKeys {
                score: row.get(1).map_err(sql)?,
                raw_score: row.get(2).map_err(sql)?,
                score_change: row.get(3).map_err(sql)?,
                activation: row.get(4).map_err(sql)?,
                frequency: row.get(5).map_err(sql)?,
                last_seen: from_millis(row.get(6).map_err(sql)?),
                accounts: serde_json::from_str(&accounts).map_err(StoreError::corrupt)?,
                segments: serde_json::from_str(&segments).map_err(StoreError::corrupt)?,
            },
        );
    }
    Ok(keys)
}

pub(crate) fn scores_on(
    connection: &Connection,
    workspace: &str,
    profile: &str,
    kind: SubjectKind,
    day: Day,
) -> Result<HashMap<String, f64>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT subject, score FROM snapshots WHERE workspace = ?1 AND profile = ?2 AND kind = ?3 AND day = ?4",
        )
        .map_err(sql)?;
    let rows = statement
        .query_map(
            params![workspace, profile, kind.as_str(), day.number()],
            |row| Ok((row.get::<_, String>(0)?, row.get::<_, f64>(1)?)),
        )
        .map_err(sql)?;
    rows.collect::<Result<_, _>>().map_err(sql)
}

pub(crate) fn snapshot(
    connection: &Connection,
    workspace: &str,
    profile: &str,
    kind: SubjectKind,
    subject: &str,
    day: Day,
) -> Result<Option<serde_json::Value>, StoreError> {
    let body: Option<String> = connection
        .query_row(
            "SELECT body FROM snapshots WHERE workspace = ?1 AND profile = ?2 AND kind = ?3 AND day = ?4 AND subject = ?5",
            params![workspace, profile, kind.as_str(), day.number(), subject],
            |row| row.get(0),
        )
        .optional()
        .map_err(sql)?;
    body.map(|body| serde_json::from_str(&body).map_err(StoreError::corrupt))
        .transpose()
}

pub(crate) fn snapshots(
    connection: &Connection,
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
    let mut sql_text = String::from("SELECT s.body FROM snapshots s");
    let mut values: Vec<SqlValue> = vec![
        workspace.to_string().into(),
        profile.to_string().into(),
        kind.as_str().to_string().into(),
        i64::from(day.number()).into(),
    ];
    // Segment and account filters look inside the row's JSON lists: one scan of the day's
    // rows instead of an index row per subject × segment written at every recompute.
    let mut filters = String::new();
    for (column, value) in [("segments", &query.segment), ("accounts", &query.account)] {
        if let Some(value) = value {
            values.push(value.clone().into());
            filters.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM json_each(s.{column}) WHERE json_each.value = ?{})",
                values.len()
            ));
        }
    }
    let column = match query.sort.field {
        SortField::Score => "s.score",
        SortField::RawScore => "s.raw_score",
        SortField::ScoreChange => "s.score_change",
        SortField::Activation => "s.activation",
        SortField::Frequency => "s.frequency",
        SortField::LastSeen => "s.last_seen",
        SortField::Id => "s.subject",
    };
    let direction = if query.sort.descending { "DESC" } else { "ASC" };
    // Missing values (no change yet, no activation criteria) sort last either way.
    sql_text.push_str(&format!(
        " WHERE s.workspace = ?1 AND s.profile = ?2 AND s.kind = ?3 AND s.day = ?4{filters}
          ORDER BY ({column} IS NULL), {column} {direction}, s.subject ASC LIMIT {} OFFSET {offset}",
        query.limit + 1
    ));
    let mut statement = connection.prepare(&sql_text).map_err(sql)?;
    let rows = statement
        .query_map(params_from_iter(values), |row| row.get::<_, String>(0))
        .map_err(sql)?;
    let mut items = Vec::with_capacity(query.limit);
    for row in rows {
        let body = row.map_err(sql)?;
        items.push(serde_json::from_str(&body).map_err(StoreError::corrupt)?);
    }
    let next_cursor =
        (items.len() > query.limit).then(|| encode_offset_cursor(offset + query.limit));
    items.truncate(query.limit);
    Ok(Page { items, next_cursor })
}

pub(crate) fn segment_sizes(
    connection: &Connection,
    workspace: &str,
    profile: &str,
    kind: SubjectKind,
    day: Day,
) -> Result<HashMap<String, u64>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT j.value, count(*) FROM snapshots s, json_each(s.segments) j
             WHERE s.workspace = ?1 AND s.profile = ?2 AND s.kind = ?3 AND s.day = ?4 GROUP BY j.value",
        )
        .map_err(sql)?;
    let rows = statement
        .query_map(
            params![workspace, profile, kind.as_str(), day.number()],
            |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as u64)),
        )
        .map_err(sql)?;
    rows.collect::<Result<_, _>>().map_err(sql)
}

pub(crate) fn history(
    connection: &Connection,
    workspace: &str,
    profile: &str,
    kind: SubjectKind,
    subject: &str,
    from: Day,
    to: Day,
) -> Result<Vec<HistoryPoint>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT day, score, score_change, activation, segments FROM snapshots
             WHERE workspace = ?1 AND profile = ?2 AND kind = ?3 AND subject = ?4 AND day BETWEEN ?5 AND ?6
             ORDER BY day",
        )
        .map_err(sql)?;
    let rows = statement
        .query_map(
            params![
                workspace,
                profile,
                kind.as_str(),
                subject,
                from.number(),
                to.number()
            ],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, f64>(1)?,
                    row.get::<_, Option<f64>>(2)?,
                    row.get::<_, Option<f64>>(3)?,
                    row.get::<_, String>(4)?,
                ))
            },
        )
        .map_err(sql)?;
    let mut points = Vec::new();
    for row in rows {
        let (day, score, score_change, activation, segments) = row.map_err(sql)?;
        points.push(HistoryPoint {
            day: day_from(day)?,
            score,
            score_change,
            activation,
            segments: serde_json::from_str(&segments).map_err(StoreError::corrupt)?,
        });
    }
    Ok(points)
}

pub(crate) fn segment_spans(
    connection: &Connection,
    workspace: &str,
    profile: &str,
    kind: SubjectKind,
    filter: SpanFilter<'_>,
) -> Result<Vec<SegmentSpan>, StoreError> {
    let (column, value): (&str, SqlValue) = match filter {
        SpanFilter::Subject(subject) => ("subject", subject.to_string().into()),
        SpanFilter::Segment(segment) => ("segment", segment.to_string().into()),
        SpanFilter::EnteredOn(day) => ("entered", i64::from(day.number()).into()),
    };
    let mut statement = connection
        .prepare_cached(&format!(
            "SELECT segment, subject, entered, left_on FROM segment_spans
             WHERE workspace = ?1 AND profile = ?2 AND kind = ?3 AND {column} = ?4 ORDER BY entered, segment, subject"
        ))
        .map_err(sql)?;
    let rows = statement
        .query_map(params![workspace, profile, kind.as_str(), value], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, Option<i64>>(3)?,
            ))
        })
        .map_err(sql)?;
    let mut spans = Vec::new();
    for row in rows {
        let (segment, subject, entered, left) = row.map_err(sql)?;
        spans.push(SegmentSpan {
            segment,
            subject,
            entered: day_from(entered)?,
            left: left.map(day_from).transpose()?,
        });
    }
    Ok(spans)
}
