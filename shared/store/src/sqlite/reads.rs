//! Workspaces, keys, profiles and the scoring inputs.

use std::collections::HashMap;

use chrono::DateTime;
use pulse_core::records::{
    AccountRecord, DailyUsage, IdentityRecord, LifetimeUsage, Membership, ScoringData,
};
use pulse_core::{Day, Profile, Slug};
use rusqlite::types::Value;
use rusqlite::{Connection, ErrorCode, OptionalExtension, params, params_from_iter};

use super::codec::{day_from, decode_days, from_millis, sql, to_json, traits_from};
use crate::error::StoreError;
use crate::types::{ApiKeyRecord, KeyKind, Workspace};

pub(crate) fn create_workspace(
    connection: &Connection,
    workspace: &Workspace,
    keys: &[ApiKeyRecord],
) -> Result<(), StoreError> {
    let inserted = connection.execute(
        "INSERT INTO workspaces (id, name, created_at) VALUES (?1, ?2, ?3)",
        params![
            workspace.id.as_str(),
            workspace.name,
            workspace.created_at.to_rfc3339()
        ],
    );
    match inserted {
        Err(rusqlite::Error::SqliteFailure(error, _))
            if error.code == ErrorCode::ConstraintViolation =>
        {
            return Err(StoreError::AlreadyExists(format!(
                "workspace `{}`",
                workspace.id
            )));
        }
        other => other.map_err(sql)?,
    };
    for key in keys {
        connection
            .execute(
                "INSERT INTO api_keys (hash, workspace, kind, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![
                    key.hash,
                    key.workspace.as_str(),
                    key.kind.as_str(),
                    key.created_at.to_rfc3339()
                ],
            )
            .map_err(sql)?;
    }
    Ok(())
}

fn workspace_from(id: String, name: String, created_at: String) -> Result<Workspace, StoreError> {
    Ok(Workspace {
        id: Slug::parse(&id).map_err(StoreError::corrupt)?,
        name,
        created_at: DateTime::parse_from_rfc3339(&created_at)
            .map_err(StoreError::corrupt)?
            .to_utc(),
    })
}

pub(crate) fn workspace(
    connection: &Connection,
    id: &str,
) -> Result<Option<Workspace>, StoreError> {
    let row = connection
        .query_row(
            "SELECT id, name, created_at FROM workspaces WHERE id = ?1",
            [id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()
        .map_err(sql)?;
    row.map(|(id, name, created)| workspace_from(id, name, created))
        .transpose()
}

pub(crate) fn workspaces(connection: &Connection) -> Result<Vec<Workspace>, StoreError> {
    let mut statement = connection
        .prepare_cached("SELECT id, name, created_at FROM workspaces ORDER BY id")
        .map_err(sql)?;
    let rows = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .map_err(sql)?;
    let mut all = Vec::new();
    for row in rows {
        let (id, name, created) = row.map_err(sql)?;
        all.push(workspace_from(id, name, created)?);
    }
    Ok(all)
}

pub(crate) fn key_by_hash(
    connection: &Connection,
    hash: &str,
) -> Result<Option<ApiKeyRecord>, StoreError> {
    let row = connection
        .query_row(
            "SELECT workspace, kind, created_at FROM api_keys WHERE hash = ?1",
            [hash],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            },
        )
        .optional()
        .map_err(sql)?;
    row.map(|(workspace, kind, created_at)| {
        Ok(ApiKeyRecord {
            hash: hash.to_string(),
            workspace: Slug::parse(&workspace).map_err(StoreError::corrupt)?,
            kind: KeyKind::parse(&kind)
                .ok_or_else(|| StoreError::corrupt(format!("key kind {kind}")))?,
            created_at: DateTime::parse_from_rfc3339(&created_at)
                .map_err(StoreError::corrupt)?
                .to_utc(),
        })
    })
    .transpose()
}

pub(crate) fn scoring_data(
    connection: &Connection,
    workspace: &str,
    usage_from: Day,
) -> Result<ScoringData, StoreError> {
    let mut data = identities_and_usage(connection, workspace, usage_from, None)?;
    data.accounts = account_records(connection, workspace)?;
    Ok(data)
}

/// Recompute shard `shard` of `shards`: the identities (with their memberships) and usage
/// rows whose identity [`recompute_shard_of`](crate::recompute_shard_of) puts there,
/// filtered in SQL by [`RECOMPUTE_SHARD_FN`](super::RECOMPUTE_SHARD_FN); no accounts.
pub(crate) fn scoring_data_shard(
    connection: &Connection,
    workspace: &str,
    usage_from: Day,
    shard: u32,
    shards: u32,
) -> Result<ScoringData, StoreError> {
    crate::recompute::check_split(shard, shards)?;
    identities_and_usage(connection, workspace, usage_from, Some((shard, shards)))
}

/// `sql` with the rows of one recompute shard only (`split`: shard, shards) when asked; the
/// split's numbers become the parameters after `params`.
fn in_split(sql: &str, mut params: Vec<Value>, split: Option<(u32, u32)>) -> (String, Vec<Value>) {
    let Some((shard, shards)) = split else {
        return (sql.to_string(), params);
    };
    let first = params.len() + 1;
    params.push(Value::Integer(i64::from(shards)));
    params.push(Value::Integer(i64::from(shard)));
    (
        format!(
            "{sql} AND {}(identity, ?{first}) = ?{}",
            super::RECOMPUTE_SHARD_FN,
            first + 1
        ),
        params,
    )
}

/// Identities with their memberships, daily usage from `usage_from` and lifetime usage, of
/// the whole workspace or of one recompute shard; no accounts.
fn identities_and_usage(
    connection: &Connection,
    workspace: &str,
    usage_from: Day,
    split: Option<(u32, u32)>,
) -> Result<ScoringData, StoreError> {
    let workspace_only = || vec![Value::Text(workspace.to_string())];
    let mut memberships: HashMap<String, Vec<Membership>> = HashMap::new();
    {
        let (query, params) = in_split(
            "SELECT identity, account, joined_at FROM memberships WHERE workspace = ?1",
            workspace_only(),
            split,
        );
        let mut statement = connection.prepare_cached(&query).map_err(sql)?;
        let rows = statement
            .query_map(params_from_iter(params), |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            })
            .map_err(sql)?;
        for row in rows {
            let (identity, account, joined_at) = row.map_err(sql)?;
            let joined_at = from_millis(Some(joined_at))
                .ok_or_else(|| StoreError::corrupt(format!("membership time {joined_at}")))?;
            memberships
                .entry(identity)
                .or_default()
                .push(Membership { account, joined_at });
        }
    }
    let mut data = ScoringData::default();
    {
        let (query, params) = in_split(
            "SELECT identity, linked_to, traits, first_seen, last_event, event_days FROM identities WHERE workspace = ?1",
            workspace_only(),
            split,
        );
        let mut statement = connection.prepare_cached(&query).map_err(sql)?;
        let mut rows = statement.query(params_from_iter(params)).map_err(sql)?;
        while let Some(row) = rows.next().map_err(sql)? {
            let key: String = row.get(0).map_err(sql)?;
            let traits: String = row.get(2).map_err(sql)?;
            let days: Vec<u8> = row.get(5).map_err(sql)?;
            data.identities.push(IdentityRecord {
                accounts: memberships.remove(&key).unwrap_or_default(),
                linked_to: row.get(1).map_err(sql)?,
                traits: traits_from(&traits)?,
                first_seen: from_millis(row.get(3).map_err(sql)?),
                last_event: from_millis(row.get(4).map_err(sql)?),
                event_days: decode_days(&days),
                key,
            });
        }
    }
    {
        let (query, params) = in_split(
            "SELECT identity, day, event, count FROM daily_usage WHERE workspace = ?1 AND day >= ?2",
            vec![
                Value::Text(workspace.to_string()),
                Value::Integer(i64::from(usage_from.number())),
            ],
            split,
        );
        let mut statement = connection.prepare_cached(&query).map_err(sql)?;
        let mut rows = statement.query(params_from_iter(params)).map_err(sql)?;
        while let Some(row) = rows.next().map_err(sql)? {
            data.usage.push(DailyUsage {
                identity: row.get(0).map_err(sql)?,
                day: day_from(row.get(1).map_err(sql)?)?,
                event: row.get(2).map_err(sql)?,
                count: row.get::<_, i64>(3).map_err(sql)? as u64,
            });
        }
    }
    {
        let (query, params) = in_split(
            "SELECT identity, event, count, first_day, last_day FROM lifetime_usage WHERE workspace = ?1",
            workspace_only(),
            split,
        );
        let mut statement = connection.prepare_cached(&query).map_err(sql)?;
        let mut rows = statement.query(params_from_iter(params)).map_err(sql)?;
        while let Some(row) = rows.next().map_err(sql)? {
            data.lifetime.push(LifetimeUsage {
                identity: row.get(0).map_err(sql)?,
                event: row.get(1).map_err(sql)?,
                count: row.get::<_, i64>(2).map_err(sql)? as u64,
                first_day: day_from(row.get(3).map_err(sql)?)?,
                last_day: day_from(row.get(4).map_err(sql)?)?,
            });
        }
    }
    Ok(data)
}

/// Every account of the workspace.
pub(crate) fn account_records(
    connection: &Connection,
    workspace: &str,
) -> Result<Vec<AccountRecord>, StoreError> {
    let mut statement = connection
        .prepare_cached("SELECT account, traits, first_seen FROM accounts WHERE workspace = ?1")
        .map_err(sql)?;
    let mut rows = statement.query([workspace]).map_err(sql)?;
    let mut accounts = Vec::new();
    while let Some(row) = rows.next().map_err(sql)? {
        let traits: String = row.get(1).map_err(sql)?;
        accounts.push(AccountRecord {
            id: row.get(0).map_err(sql)?,
            traits: traits_from(&traits)?,
            first_seen: from_millis(row.get(2).map_err(sql)?),
        });
    }
    Ok(accounts)
}

pub(crate) fn account_record(
    connection: &Connection,
    workspace: &str,
    account: &str,
) -> Result<Option<AccountRecord>, StoreError> {
    let row = connection
        .query_row(
            "SELECT traits, first_seen FROM accounts WHERE workspace = ?1 AND account = ?2",
            params![workspace, account],
            |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<i64>>(1)?)),
        )
        .optional()
        .map_err(sql)?;
    row.map(|(traits, first_seen)| {
        Ok(AccountRecord {
            id: account.to_string(),
            traits: traits_from(&traits)?,
            first_seen: from_millis(first_seen),
        })
    })
    .transpose()
}

pub(crate) fn identity_record(
    connection: &Connection,
    workspace: &str,
    identity: &str,
) -> Result<Option<IdentityRecord>, StoreError> {
    let row = connection
        .query_row(
            "SELECT linked_to, traits, first_seen, last_event, event_days FROM identities
             WHERE workspace = ?1 AND identity = ?2",
            params![workspace, identity],
            |row| {
                Ok((
                    row.get::<_, Option<String>>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<i64>>(2)?,
                    row.get::<_, Option<i64>>(3)?,
                    row.get::<_, Vec<u8>>(4)?,
                ))
            },
        )
        .optional()
        .map_err(sql)?;
    let Some((linked_to, traits, first_seen, last_event, days)) = row else {
        return Ok(None);
    };
    let mut statement = connection
        .prepare_cached(
            "SELECT account, joined_at FROM memberships WHERE workspace = ?1 AND identity = ?2",
        )
        .map_err(sql)?;
    let accounts = statement
        .query_map(params![workspace, identity], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })
        .map_err(sql)?
        .map(|row| {
            let (account, joined_at) = row.map_err(sql)?;
            Ok(Membership {
                account,
                joined_at: from_millis(Some(joined_at))
                    .ok_or_else(|| StoreError::corrupt("membership time"))?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Some(IdentityRecord {
        key: identity.to_string(),
        linked_to,
        traits: traits_from(&traits)?,
        first_seen: from_millis(first_seen),
        last_event: from_millis(last_event),
        event_days: decode_days(&days),
        accounts,
    }))
}

pub(crate) fn put_profile(
    connection: &Connection,
    workspace: &str,
    profile: &Profile,
) -> Result<(), StoreError> {
    connection
        .execute(
            "INSERT OR REPLACE INTO profiles (workspace, id, body) VALUES (?1, ?2, ?3)",
            params![workspace, profile.id.as_str(), to_json(profile)],
        )
        .map_err(sql)?;
    Ok(())
}

pub(crate) fn profile(
    connection: &Connection,
    workspace: &str,
    id: &str,
) -> Result<Option<Profile>, StoreError> {
    let body: Option<String> = connection
        .query_row(
            "SELECT body FROM profiles WHERE workspace = ?1 AND id = ?2",
            params![workspace, id],
            |row| row.get(0),
        )
        .optional()
        .map_err(sql)?;
    body.map(|body| serde_json::from_str(&body).map_err(StoreError::corrupt))
        .transpose()
}

pub(crate) fn profiles(
    connection: &Connection,
    workspace: &str,
) -> Result<Vec<Profile>, StoreError> {
    let mut statement = connection
        .prepare_cached("SELECT body FROM profiles WHERE workspace = ?1 ORDER BY id")
        .map_err(sql)?;
    let rows = statement
        .query_map([workspace], |row| row.get::<_, String>(0))
        .map_err(sql)?;
    let mut all = Vec::new();
    for row in rows {
        all.push(serde_json::from_str(&row.map_err(sql)?).map_err(StoreError::corrupt)?);
    }
    Ok(all)
}

pub(crate) fn delete_profile(
    connection: &Connection,
    workspace: &str,
    id: &str,
) -> Result<bool, StoreError> {
    let deleted = connection
        .execute(
            "DELETE FROM profiles WHERE workspace = ?1 AND id = ?2",
            params![workspace, id],
        )
        .map_err(sql)?;
    for table in ["computations", "snapshots", "segment_spans"] {
        connection
            .execute(
                &format!("DELETE FROM {table} WHERE workspace = ?1 AND profile = ?2"),
                params![workspace, id],
            )
            .map_err(sql)?;
    }
    Ok(deleted > 0)
}
