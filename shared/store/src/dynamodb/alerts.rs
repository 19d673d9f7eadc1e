//! Alerts and their delivery state (README, "Alerts"). Per alert:
//!
//! - the **alert** item, by id in one of the workspace's shards, created with a conditional
//!   Put (an id already recorded is left as it is); its GSI1 entry (`WS#<ws>#ALERTS`,
//!   `<raised ms>#<id>`) lists the workspace's alerts newest first, filtered by status and
//!   rule, with keyset cursors;
//! - a **due** item while it waits for delivery (pending or retrying), across workspaces
//!   in 16 shards sorted by raised time, written in the same transaction as the alert and
//!   deleted in the same transaction as the update that delivers, fails or logs it;
//! - the **last raise** of its (rule, subject), for cooldowns: moved forward after the
//!   alert is recorded, and again by any later insert of the same id, so that an insert
//!   that crashed in between is repaired by its retry.

use std::collections::{HashMap, HashSet};

use base64::Engine;
use chrono::{DateTime, Utc};
use pulse_core::{Slug, WorkspaceId};

use super::attrs::{Item, check_size, get_n, get_s, item, n, opt_n, opt_s, s};
use super::concurrent;
use super::db::{Condition, Db, Filter, QuerySpec, Range, TransactWrite, WriteError};
use super::keys::{self, Key, entity};
use super::reads::write_error;
use crate::error::StoreError;
use crate::types::{AlertQuery, AlertRecord, AlertStatus, Page};

fn waits_for_delivery(status: AlertStatus) -> bool {
    matches!(status, AlertStatus::Pending | AlertStatus::Retrying)
}

fn ms(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

fn time(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| StoreError::corrupt(format!("time {ms}")))
}

fn alert_item(workspace: &str, alert: &AlertRecord) -> Item {
    let mut record = item(&keys::alert(workspace, &alert.id), entity::ALERT);
    record.insert("ws".into(), s(workspace));
    record.insert("id".into(), s(&alert.id));
    record.insert("rule".into(), s(&alert.rule));
    record.insert("subject".into(), s(&alert.subject));
    if let Some(channel) = &alert.channel {
        record.insert("channel".into(), s(channel));
    }
    record.insert("raised".into(), n(ms(alert.raised_at)));
    record.insert("st".into(), s(alert.status.as_str()));
    if let Some(next) = alert.next_attempt_at {
        record.insert("na".into(), n(ms(next)));
    }
    record.insert("alert".into(), s(alert.alert.to_string()));
    record.insert(
        "attempts".into(),
        s(serde_json::Value::from(alert.attempts.clone()).to_string()),
    );
    record.insert(keys::GSI1PK.into(), s(keys::alerts_by_time(workspace)));
    record.insert(
        keys::GSI1SK.into(),
        s(keys::alert_time_sort(ms(alert.raised_at), &alert.id)),
    );
    record
}

fn alert_from(item: &Item) -> Result<AlertRecord, StoreError> {
    let status = get_s(item, "st")?;
    let json = |name: &str| -> Result<serde_json::Value, StoreError> {
        serde_json::from_str(get_s(item, name)?).map_err(StoreError::corrupt)
    };
    let attempts = match json("attempts")? {
        serde_json::Value::Array(attempts) => attempts,
        other => return Err(StoreError::corrupt(format!("alert attempts {other}"))),
    };
    Ok(AlertRecord {
        id: get_s(item, "id")?.to_string(),
        rule: get_s(item, "rule")?.to_string(),
        subject: get_s(item, "subject")?.to_string(),
        channel: opt_s(item, "channel")?.map(str::to_string),
        raised_at: time(get_n(item, "raised")?)?,
        status: AlertStatus::parse(status)
            .ok_or_else(|| StoreError::corrupt(format!("alert status {status}")))?,
        next_attempt_at: opt_n(item, "na")?.map(time).transpose()?,
        alert: json("alert")?,
        attempts,
    })
}

/// The due item of an alert (its key comes from the alert as first recorded).
fn due_item(workspace: &str, alert: &AlertRecord, raised_ms: i64) -> Item {
    let mut record = item(&keys::due(workspace, &alert.id, raised_ms), entity::DUE);
    record.insert("ws".into(), s(workspace));
    record.insert("id".into(), s(&alert.id));
    record.insert("st".into(), s(alert.status.as_str()));
    if let Some(next) = alert.next_attempt_at {
        record.insert("na".into(), n(ms(next)));
    }
    record
}

// --- recording -------------------------------------------------------------------------------

pub(crate) async fn insert_alerts(
    db: &Db,
    workspace: &str,
    alerts: &[AlertRecord],
) -> Result<Vec<String>, StoreError> {
    let mut seen = HashSet::new();
    let unique: Vec<&AlertRecord> = alerts
        .iter()
        .filter(|alert| seen.insert(alert.id.as_str()))
        .collect();
    if unique.is_empty() {
        return Ok(Vec::new());
    }
    let mut wanted: Vec<Key> = unique
        .iter()
        .map(|alert| keys::alert(workspace, &alert.id))
        .collect();
    wanted.extend(
        unique
            .iter()
            .map(|alert| keys::last_alert(workspace, &alert.rule, &alert.subject)),
    );
    let found = db.batch_get(&wanted).await?;

    let mut inserts = Vec::new();
    for alert in &unique {
        if found.contains_key(&keys::alert(workspace, &alert.id)) {
            continue;
        }
        let record = alert_item(workspace, alert);
        check_size(&record, &format!("alert `{}`", alert.id))?;
        let due = waits_for_delivery(alert.status)
            .then(|| due_item(workspace, alert, ms(alert.raised_at)));
        let db = db.clone();
        let id = alert.id.clone();
        inserts.push(async move {
            let result = match due {
                Some(due) => {
                    db.transact_write(vec![
                        TransactWrite::Put(record, Condition::New),
                        TransactWrite::Put(due, Condition::Always),
                    ])
                    .await
                }
                None => db.put(record, Condition::New, 0).await,
            };
            (id, result)
        });
    }
    let mut recorded: HashSet<String> = HashSet::new();
    let mut raced = Vec::new();
    for (id, result) in concurrent::all(inserts).await? {
        match result {
            Ok(()) => {
                recorded.insert(id);
            }
            Err(WriteError::ConditionFailed) => raced.push(keys::alert(workspace, &id)),
            Err(WriteError::Store(error)) => return Err(error),
        }
    }
    let raced = db.batch_get(&raced).await?;

    // Every alert of the call, recorded now or before, moves its last raise forward.
    let mut raises = Vec::new();
    for alert in &unique {
        let key = keys::alert(workspace, &alert.id);
        let stored = match found.get(&key).or_else(|| raced.get(&key)) {
            Some(item) => alert_from(item)?,
            None => (*alert).clone(),
        };
        let last = found
            .get(&keys::last_alert(workspace, &stored.rule, &stored.subject))
            .map(|item| get_n::<i64>(item, "raised"))
            .transpose()?;
        if last.is_none_or(|last| last < ms(stored.raised_at)) {
            raises.push(stored);
        }
    }
    record_raises(db, workspace, raises).await?;
    Ok(unique
        .iter()
        .filter(|alert| recorded.contains(&alert.id))
        .map(|alert| alert.id.clone())
        .collect())
}

/// Moves each (rule, subject)'s last raise to the alert's time unless it is later already.
async fn record_raises(
    db: &Db,
    workspace: &str,
    raises: Vec<AlertRecord>,
) -> Result<(), StoreError> {
    let updates = raises
        .into_iter()
        .map(|alert| {
            let db = db.clone();
            let key = keys::last_alert(workspace, &alert.rule, &alert.subject);
            let values = HashMap::from([
                (":t".to_string(), n(ms(alert.raised_at))),
                (":rule".to_string(), s(&alert.rule)),
                (":subject".to_string(), s(&alert.subject)),
                (":et".to_string(), s(entity::LAST_ALERT)),
            ]);
            async move {
                db.update(
                    &key,
                    "SET raised = :t, rule_id = :rule, subject = :subject, et = :et",
                    Some("attribute_not_exists(raised) OR raised < :t"),
                    values,
                    false,
                )
                .await
            }
        })
        .collect();
    for result in concurrent::all(updates).await? {
        match result {
            Ok(_) | Err(WriteError::ConditionFailed) => {}
            Err(WriteError::Store(error)) => return Err(error),
        }
    }
    Ok(())
}

pub(crate) async fn alert(
    db: &Db,
    workspace: &str,
    id: &str,
) -> Result<Option<AlertRecord>, StoreError> {
    db.get(&keys::alert(workspace, id))
        .await?
        .map(|item| alert_from(&item))
        .transpose()
}

/// Replaces status, next attempt and attempts (what was raised stays as raised), and adds
/// or removes the due item in the same transaction.
pub(crate) async fn update_alert(
    db: &Db,
    workspace: &str,
    alert: &AlertRecord,
) -> Result<(), StoreError> {
    let Some(item) = db.get(&keys::alert(workspace, &alert.id)).await? else {
        return Err(StoreError::Invalid(format!(
            "no alert `{}` to update",
            alert.id
        )));
    };
    let stored = alert_from(&item)?;
    let updated = AlertRecord {
        status: alert.status,
        next_attempt_at: alert.next_attempt_at,
        attempts: alert.attempts.clone(),
        ..stored.clone()
    };
    let record = alert_item(workspace, &updated);
    check_size(&record, &format!("alert `{}`", alert.id))?;
    let raised_ms = ms(stored.raised_at);
    let due = if waits_for_delivery(updated.status) {
        Some(TransactWrite::Put(
            due_item(workspace, &updated, raised_ms),
            Condition::Always,
        ))
    } else if waits_for_delivery(stored.status) {
        Some(TransactWrite::Delete(keys::due(
            workspace, &alert.id, raised_ms,
        )))
    } else {
        None
    };
    let result = match due {
        Some(due) => {
            db.transact_write(vec![TransactWrite::Put(record, Condition::Exists), due])
                .await
        }
        None => {
            db.put(record, Condition::Exists, super::attrs::item_size(&item))
                .await
        }
    };
    result.map_err(write_error)
}

// --- reading ---------------------------------------------------------------------------------

/// Pending alerts and retrying ones due by `now`, oldest raised first: each due shard is
/// read in raised order up to `limit` matches (a filter on status and next attempt), the
/// shards are merged, and the alerts are read by key.
pub(crate) async fn due_alerts(
    db: &Db,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<(WorkspaceId, AlertRecord)>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let filter = Filter {
        expression: "st = :pending OR na <= :now".into(),
        names: HashMap::new(),
        values: HashMap::from([
            (":pending".to_string(), s(AlertStatus::Pending.as_str())),
            (":now".to_string(), n(ms(now))),
        ]),
    };
    let reads = (0..keys::SHARDS)
        .map(|shard| {
            let db = db.clone();
            let spec = QuerySpec {
                limit: Some(limit),
                filter: Some(filter.clone()),
                ..QuerySpec::table(keys::due_partition(shard), Range::All)
            };
            async move { db.query(&spec).await }
        })
        .collect();
    let mut due: Vec<(String, String, String)> = Vec::new();
    for items in concurrent::all(reads).await? {
        for item in items? {
            due.push((
                get_s(&item, keys::SK)?.to_string(),
                get_s(&item, "ws")?.to_string(),
                get_s(&item, "id")?.to_string(),
            ));
        }
    }
    due.sort();
    due.truncate(limit);
    let alert_keys: Vec<Key> = due
        .iter()
        .map(|(_, workspace, id)| keys::alert(workspace, id))
        .collect();
    let found = db.batch_get(&alert_keys).await?;
    let mut alerts = Vec::with_capacity(due.len());
    for ((_, workspace, _), key) in due.iter().zip(&alert_keys) {
        let Some(item) = found.get(key) else {
            continue;
        };
        let alert = alert_from(item)?;
        let still_due = alert.status == AlertStatus::Pending
            || (alert.status == AlertStatus::Retrying
                && alert.next_attempt_at.is_some_and(|next| next <= now));
        if still_due {
            alerts.push((Slug::parse(workspace).map_err(StoreError::corrupt)?, alert));
        }
    }
    Ok(alerts)
}

const CURSOR_TAG: &str = "k:";

fn encode_cursor(sort_key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{CURSOR_TAG}{sort_key}"))
}

/// The GSI1 sort key a cursor continues below; `None` for anything this store did not issue.
fn decode_cursor(cursor: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    let sort_key = String::from_utf8(bytes)
        .ok()?
        .strip_prefix(CURSOR_TAG)?
        .to_string();
    let (time, id) = sort_key.split_once('#')?;
    (time.len() == 15 && time.bytes().all(|byte| byte.is_ascii_digit()) && !id.is_empty())
        .then_some(sort_key)
}

/// A page of a workspace's alerts, newest first: a GSI1 Query below the cursor's position
/// (keyset paging: inserts between pages never shift it), filtered by status and rule.
pub(crate) async fn alerts(
    db: &Db,
    workspace: &str,
    query: &AlertQuery,
) -> Result<Page<AlertRecord>, StoreError> {
    let range = match &query.cursor {
        Some(cursor) => Range::Below(decode_cursor(cursor).ok_or_else(|| {
            StoreError::Invalid("the cursor is not one this server issued".into())
        })?),
        None => Range::All,
    };
    if query.limit == 0 {
        return Ok(Page {
            items: Vec::new(),
            next_cursor: None,
        });
    }
    let mut conditions = Vec::new();
    let mut filter = Filter::default();
    if let Some(status) = query.status {
        conditions.push("st = :status");
        filter.values.insert(":status".into(), s(status.as_str()));
    }
    if let Some(rule) = &query.rule {
        conditions.push("#rule = :rule");
        filter.names.insert("#rule".into(), "rule".into());
        filter.values.insert(":rule".into(), s(rule));
    }
    filter.expression = conditions.join(" AND ");
    let spec = QuerySpec {
        on_gsi1: true,
        newest_first: true,
        limit: Some(query.limit + 1),
        filter: (!conditions.is_empty()).then_some(filter),
        ..QuerySpec::table(keys::alerts_by_time(workspace), range)
    };
    let mut items = db.query(&spec).await?;
    let next_cursor = if items.len() > query.limit {
        items.truncate(query.limit);
        let last = items.last().expect("a full page has a last item");
        Some(encode_cursor(get_s(last, keys::GSI1SK)?))
    } else {
        None
    };
    Ok(Page {
        items: items.iter().map(alert_from).collect::<Result<_, _>>()?,
        next_cursor,
    })
}

/// Each subject's latest raise for a rule: one Query of the rule's last-raise items.
pub(crate) async fn last_alerts(
    db: &Db,
    workspace: &str,
    rule: &str,
) -> Result<HashMap<String, DateTime<Utc>>, StoreError> {
    db.query(&QuerySpec::table(
        keys::last_alerts_partition(workspace, rule),
        Range::All,
    ))
    .await?
    .iter()
    .map(|item| {
        Ok((
            get_s(item, "subject")?.to_string(),
            time(get_n(item, "raised")?)?,
        ))
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_others_are_refused() {
        let sort_key = keys::alert_time_sort(1_764_000_000_000, "a#1");
        assert_eq!(decode_cursor(&encode_cursor(&sort_key)), Some(sort_key));
        for foreign in ["", "garbage", "!!!", "bm90LWEtY3Vyc29y", "azoxMjM"] {
            assert_eq!(decode_cursor(foreign), None, "{foreign}");
        }
    }
}
