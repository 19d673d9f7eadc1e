//! Definitions (custom segments, alert rules), rule state per computed day, and alerts
//! with their delivery history.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use pulse_core::{Day, Slug, WorkspaceId};
use rusqlite::{
    Connection, OptionalExtension, Row, params, params_from_iter, types::Value as SqlValue,
};

use super::codec::{from_millis, millis, sql, to_json};
use crate::error::StoreError;
use crate::types::{
    AlertQuery, AlertRecord, AlertStatus, DefinitionKind, Page, decode_offset_cursor,
    encode_offset_cursor,
};

/// How a definition kind is written in the `definitions` table.
fn kind_name(kind: DefinitionKind) -> &'static str {
    match kind {
        DefinitionKind::Segment => "segment",
        DefinitionKind::AlertRule => "alert_rule",
    }
}

pub(crate) fn put_rule_matches(
    connection: &Connection,
    workspace: &str,
    profile: &str,
    day: Day,
    matches: &BTreeMap<String, BTreeSet<String>>,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "DELETE FROM rule_matches WHERE workspace = ?1 AND profile = ?2 AND day = ?3",
        )
        .and_then(|mut statement| statement.execute(params![workspace, profile, day.number()]))
        .map_err(sql)?;
    let mut insert = connection
        .prepare_cached(
            "INSERT INTO rule_matches (workspace, profile, day, rule_key, subjects) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(sql)?;
    for (key, subjects) in matches {
        insert
            .execute(params![
                workspace,
                profile,
                day.number(),
                key,
                to_json(subjects)
            ])
            .map_err(sql)?;
    }
    Ok(())
}

pub(crate) fn rule_matches(
    connection: &Connection,
    workspace: &str,
    profile: &str,
    day: Day,
) -> Result<BTreeMap<String, BTreeSet<String>>, StoreError> {
    let mut statement = connection
        .prepare_cached("SELECT rule_key, subjects FROM rule_matches WHERE workspace = ?1 AND profile = ?2 AND day = ?3")
        .map_err(sql)?;
    let rows = statement
        .query_map(params![workspace, profile, day.number()], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(sql)?;
    let mut matches = BTreeMap::new();
    for row in rows {
        let (key, subjects) = row.map_err(sql)?;
        matches.insert(
            key,
            serde_json::from_str(&subjects).map_err(StoreError::corrupt)?,
        );
    }
    Ok(matches)
}

pub(crate) fn put_definition(
    connection: &Connection,
    workspace: &str,
    kind: DefinitionKind,
    id: &str,
    body: &serde_json::Value,
) -> Result<(), StoreError> {
    connection
        .execute(
            "INSERT OR REPLACE INTO definitions (workspace, kind, id, body) VALUES (?1, ?2, ?3, ?4)",
            params![workspace, kind_name(kind), id, to_json(body)],
        )
        .map_err(sql)?;
    Ok(())
}

pub(crate) fn definition(
    connection: &Connection,
    workspace: &str,
    kind: DefinitionKind,
    id: &str,
) -> Result<Option<serde_json::Value>, StoreError> {
    let body: Option<String> = connection
        .query_row(
            "SELECT body FROM definitions WHERE workspace = ?1 AND kind = ?2 AND id = ?3",
            params![workspace, kind_name(kind), id],
            |row| row.get(0),
        )
        .optional()
        .map_err(sql)?;
    body.map(|body| serde_json::from_str(&body).map_err(StoreError::corrupt))
        .transpose()
}

pub(crate) fn definitions(
    connection: &Connection,
    workspace: &str,
    kind: DefinitionKind,
) -> Result<Vec<serde_json::Value>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT body FROM definitions WHERE workspace = ?1 AND kind = ?2 ORDER BY id",
        )
        .map_err(sql)?;
    let rows = statement
        .query_map(params![workspace, kind_name(kind)], |row| {
            row.get::<_, String>(0)
        })
        .map_err(sql)?;
    let mut all = Vec::new();
    for row in rows {
        all.push(serde_json::from_str(&row.map_err(sql)?).map_err(StoreError::corrupt)?);
    }
    Ok(all)
}

pub(crate) fn delete_definition(
    connection: &Connection,
    workspace: &str,
    kind: DefinitionKind,
    id: &str,
) -> Result<bool, StoreError> {
    let deleted = connection
        .execute(
            "DELETE FROM definitions WHERE workspace = ?1 AND kind = ?2 AND id = ?3",
            params![workspace, kind_name(kind), id],
        )
        .map_err(sql)?;
    Ok(deleted > 0)
}

pub(crate) fn insert_alerts(
    connection: &Connection,
    workspace: &str,
    alerts: &[AlertRecord],
) -> Result<Vec<String>, StoreError> {
    let mut insert = connection
        .prepare_cached(
            "INSERT OR IGNORE INTO alerts (workspace, id, rule, subject, channel, raised_at, status, next_attempt_at, alert, attempts)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .map_err(sql)?;
    let mut inserted = Vec::new();
    for alert in alerts {
        let changed = insert
            .execute(params![
                workspace,
                alert.id,
                alert.rule,
                alert.subject,
                alert.channel,
                millis(alert.raised_at),
                alert.status.as_str(),
                alert.next_attempt_at.map(millis),
                to_json(&alert.alert),
                to_json(&alert.attempts),
            ])
            .map_err(sql)?;
        if changed > 0 {
            inserted.push(alert.id.clone());
        }
    }
    Ok(inserted)
}

const ALERT_COLUMNS: &str =
    "id, rule, subject, channel, raised_at, status, next_attempt_at, alert, attempts";

/// An alert from a row whose [`ALERT_COLUMNS`] start at column `first`.
fn alert_at(row: &Row<'_>, first: usize) -> rusqlite::Result<Result<AlertRecord, StoreError>> {
    let id: String = row.get(first)?;
    let rule: String = row.get(first + 1)?;
    let subject: String = row.get(first + 2)?;
    let channel: Option<String> = row.get(first + 3)?;
    let raised_at: i64 = row.get(first + 4)?;
    let status: String = row.get(first + 5)?;
    let next: Option<i64> = row.get(first + 6)?;
    let alert: String = row.get(first + 7)?;
    let attempts: String = row.get(first + 8)?;
    let decode = || {
        Ok(AlertRecord {
            raised_at: from_millis(Some(raised_at))
                .ok_or_else(|| StoreError::corrupt("alert time"))?,
            status: AlertStatus::parse(&status)
                .ok_or_else(|| StoreError::corrupt(format!("alert status {status}")))?,
            next_attempt_at: from_millis(next),
            alert: serde_json::from_str(&alert).map_err(StoreError::corrupt)?,
            attempts: serde_json::from_str(&attempts).map_err(StoreError::corrupt)?,
            id,
            rule,
            subject,
            channel,
        })
    };
    Ok(decode())
}

fn alert_from(row: &Row<'_>) -> rusqlite::Result<Result<AlertRecord, StoreError>> {
    alert_at(row, 0)
}

pub(crate) fn alert(
    connection: &Connection,
    workspace: &str,
    id: &str,
) -> Result<Option<AlertRecord>, StoreError> {
    connection
        .query_row(
            &format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE workspace = ?1 AND id = ?2"),
            params![workspace, id],
            alert_from,
        )
        .optional()
        .map_err(sql)?
        .transpose()
}

pub(crate) fn update_alert(
    connection: &Connection,
    workspace: &str,
    alert: &AlertRecord,
) -> Result<(), StoreError> {
    let updated = connection
        .execute(
            "UPDATE alerts SET status = ?3, next_attempt_at = ?4, attempts = ?5 WHERE workspace = ?1 AND id = ?2",
            params![
                workspace,
                alert.id,
                alert.status.as_str(),
                alert.next_attempt_at.map(millis),
                to_json(&alert.attempts)
            ],
        )
        .map_err(sql)?;
    if updated == 0 {
        return Err(StoreError::Invalid(format!(
            "no alert `{}` to update",
            alert.id
        )));
    }
    Ok(())
}

pub(crate) fn due_alerts(
    connection: &Connection,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<(WorkspaceId, AlertRecord)>, StoreError> {
    let mut statement = connection
        .prepare_cached(&format!(
            "SELECT workspace, {ALERT_COLUMNS} FROM alerts
             WHERE status = 'pending' OR (status = 'retrying' AND next_attempt_at <= ?1)
             ORDER BY raised_at LIMIT ?2"
        ))
        .map_err(sql)?;
    let rows = statement
        .query_map(params![millis(now), limit as i64], |row| {
            let workspace: String = row.get(0)?;
            let rest = alert_at(row, 1)?;
            Ok((workspace, rest))
        })
        .map_err(sql)?;
    let mut due = Vec::new();
    for row in rows {
        let (workspace, alert) = row.map_err(sql)?;
        due.push((
            Slug::parse(&workspace).map_err(StoreError::corrupt)?,
            alert?,
        ));
    }
    Ok(due)
}

pub(crate) fn alerts(
    connection: &Connection,
    workspace: &str,
    query: &AlertQuery,
) -> Result<Page<AlertRecord>, StoreError> {
    let offset = match &query.cursor {
        Some(cursor) => decode_offset_cursor(cursor).ok_or_else(|| {
            StoreError::Invalid("the cursor is not one this server issued".into())
        })?,
        None => 0,
    };
    let mut sql_text = format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE workspace = ?1");
    let mut values: Vec<SqlValue> = vec![workspace.to_string().into()];
    if let Some(status) = query.status {
        values.push(status.as_str().to_string().into());
        sql_text.push_str(&format!(" AND status = ?{}", values.len()));
    }
    if let Some(rule) = &query.rule {
        values.push(rule.clone().into());
        sql_text.push_str(&format!(" AND rule = ?{}", values.len()));
    }
    sql_text.push_str(&format!(
        " ORDER BY raised_at DESC, id LIMIT {} OFFSET {offset}",
        query.limit + 1
    ));
    let mut statement = connection.prepare(&sql_text).map_err(sql)?;
    let rows = statement
        .query_map(params_from_iter(values), alert_from)
        .map_err(sql)?;
    let mut items = Vec::new();
    for row in rows {
        items.push(row.map_err(sql)??);
    }
    let next_cursor =
        (items.len() > query.limit).then(|| encode_offset_cursor(offset + query.limit));
    items.truncate(query.limit);
    Ok(Page { items, next_cursor })
}

pub(crate) fn last_alerts(
    connection: &Connection,
    workspace: &str,
    rule: &str,
) -> Result<HashMap<String, DateTime<Utc>>, StoreError> {
    let mut statement = connection
        .prepare_cached("SELECT subject, max(raised_at) FROM alerts WHERE workspace = ?1 AND rule = ?2 GROUP BY subject")
        .map_err(sql)?;
    let rows = statement
        .query_map(params![workspace, rule], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })
        .map_err(sql)?;
    let mut last = HashMap::new();
    for row in rows {
        let (subject, at) = row.map_err(sql)?;
        if let Some(at) = from_millis(Some(at)) {
            last.insert(subject, at);
        }
    }
    Ok(last)
}
