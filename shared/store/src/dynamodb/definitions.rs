//! Custom segments and alert rules: one item each in the workspace's own partition, beside
//! its profiles (`WS#<ws>` / `DEF#<kind>#<id>`), listed in id order by one Query.

use super::attrs::{Item, check_size, get_s, item, s};
use super::db::{Condition, Db, QuerySpec, Range};
use super::keys::{self, entity};
use super::reads::write_error;
use crate::error::StoreError;
use crate::types::DefinitionKind;

/// How a kind is written in keys (stable: it is part of stored keys).
fn kind_name(kind: DefinitionKind) -> &'static str {
    match kind {
        DefinitionKind::Segment => "segment",
        DefinitionKind::AlertRule => "alert_rule",
    }
}

pub(crate) async fn put_definition(
    db: &Db,
    workspace: &str,
    kind: DefinitionKind,
    id: &str,
    body: &serde_json::Value,
) -> Result<(), StoreError> {
    let mut record = item(
        &keys::definition(workspace, kind_name(kind), id),
        entity::DEFINITION,
    );
    record.insert("kind".into(), s(kind_name(kind)));
    record.insert("id".into(), s(id));
    record.insert("body".into(), s(body.to_string()));
    check_size(&record, &format!("the {kind} `{id}`"))?;
    db.put(record, Condition::Always, 0)
        .await
        .map_err(write_error)
}

fn body(item: &Item) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(get_s(item, "body")?).map_err(StoreError::corrupt)
}

pub(crate) async fn definition(
    db: &Db,
    workspace: &str,
    kind: DefinitionKind,
    id: &str,
) -> Result<Option<serde_json::Value>, StoreError> {
    db.get(&keys::definition(workspace, kind_name(kind), id))
        .await?
        .map(|item| body(&item))
        .transpose()
}

/// In id order: DynamoDB sorts string keys by their UTF-8 bytes, as SQLite sorts ids.
pub(crate) async fn definitions(
    db: &Db,
    workspace: &str,
    kind: DefinitionKind,
) -> Result<Vec<serde_json::Value>, StoreError> {
    db.query(&QuerySpec::table(
        keys::workspace_partition(workspace),
        Range::Prefix(keys::definition_prefix(kind_name(kind))),
    ))
    .await?
    .iter()
    .map(body)
    .collect()
}

pub(crate) async fn delete_definition(
    db: &Db,
    workspace: &str,
    kind: DefinitionKind,
    id: &str,
) -> Result<bool, StoreError> {
    Ok(db
        .delete(&keys::definition(workspace, kind_name(kind), id))
        .await?
        .is_some())
}
