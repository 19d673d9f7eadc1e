//! A list of rows kept under one key and replaced whole (a day's rule matches, the spans a
//! day opened). Small lists are stored inline in the list item, deflated; a list whose JSON
//! passes one chunk (300 KB) goes to chunk items named by a save id, which the list item
//! then points at. Replacing writes the new chunks, then the list item (readers switch at
//! once), then deletes every older chunk, including those a crashed save left.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::attrs::{self, Item, b, check_size, get_s, item, n, opt_b, s};
use super::chunks;
use super::db::{Condition, Db, QuerySpec, Range, Write};
use super::keys::{self, Key};
use super::reads::write_error;
use crate::error::StoreError;

/// Names one save's chunks, so that a reader never mixes two saves.
pub fn new_save_id() -> String {
    let bits = getrandom::u64().unwrap_or_else(|_| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos() as u64)
    });
    format!("{bits:016x}")
}

/// Replaces the list under `key` with `rows`.
pub async fn put_list<T: Serialize>(
    db: &Db,
    key: &Key,
    entity: &str,
    rows: &[T],
) -> Result<(), StoreError> {
    // Whatever chunks exist now are old: an earlier save's, or a crashed one's.
    let old_chunks = db
        .query(&QuerySpec::table(
            &key.pk,
            Range::Prefix(keys::list_chunk_prefix(key)),
        ))
        .await?;
    let mut encoded = chunks::encode(rows);
    let mut list = item(key, entity);
    if encoded.len() == 1 {
        list.insert("data".into(), b(encoded.remove(0)));
        list.insert("chunks".into(), n(0));
    } else {
        let save = new_save_id();
        list.insert("save".into(), s(&save));
        list.insert("chunks".into(), n(encoded.len()));
        let writes = encoded
            .into_iter()
            .enumerate()
            .map(|(index, chunk)| {
                let mut chunk_item = item(&keys::list_chunk(key, &save, index), entity);
                chunk_item.insert("data".into(), b(chunk));
                Write::Put(chunk_item)
            })
            .collect();
        db.batch_write(writes).await?;
    }
    check_size(&list, &format!("the list {}", key.sk))?;
    db.put(list, Condition::Always, 0)
        .await
        .map_err(write_error)?;
    let stale = old_chunks
        .iter()
        .map(|chunk| attrs::key_of(chunk).map(Write::Delete))
        .collect::<Result<Vec<_>, _>>()?;
    db.batch_write(stale).await
}

/// The list under `key`; `None` when none was ever saved.
pub async fn get_list<T: DeserializeOwned>(
    db: &Db,
    key: &Key,
) -> Result<Option<Vec<T>>, StoreError> {
    let Some(list) = db.get(key).await? else {
        return Ok(None);
    };
    let count: usize = attrs::get_n(&list, "chunks")?;
    if count == 0 {
        return Ok(Some(decode(&list)?));
    }
    let save = get_s(&list, "save")?;
    let chunk_keys: Vec<Key> = (0..count)
        .map(|index| keys::list_chunk(key, save, index))
        .collect();
    let found = db.batch_get(&chunk_keys).await?;
    let mut rows = Vec::new();
    for chunk_key in &chunk_keys {
        let chunk = found.get(chunk_key).ok_or_else(|| {
            StoreError::corrupt(format!("list chunk {} is missing", chunk_key.sk))
        })?;
        rows.extend(decode(chunk)?);
    }
    Ok(Some(rows))
}

fn decode<T: DeserializeOwned>(item: &Item) -> Result<Vec<T>, StoreError> {
    match opt_b(item, "data")? {
        Some(data) => chunks::decode(data),
        None => Ok(Vec::new()),
    }
}
