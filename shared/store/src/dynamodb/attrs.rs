//! Conversions between domain values and `AttributeValue`s (the only place they meet), and
//! DynamoDB's item-size rules, by which the adapter estimates the capacity it consumes.

use std::collections::HashMap;
use std::str::FromStr;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use pulse_core::Day;

use super::keys::{self, Key};
use crate::error::StoreError;

pub type Item = HashMap<String, AttributeValue>;

/// DynamoDB's largest item.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub fn b(bytes: Vec<u8>) -> AttributeValue {
    AttributeValue::B(Blob::new(bytes))
}

pub fn list_of_strings(values: &[String]) -> AttributeValue {
    AttributeValue::L(values.iter().map(|value| s(value.as_str())).collect())
}

/// A new item with its key and entity type.
pub fn item(key: &Key, entity: &str) -> Item {
    let mut item = Item::new();
    item.insert(keys::PK.into(), s(&key.pk));
    item.insert(keys::SK.into(), s(&key.sk));
    item.insert(keys::ENTITY.into(), s(entity));
    item
}

pub fn key_item(key: &Key) -> Item {
    HashMap::from([
        (keys::PK.to_string(), s(&key.pk)),
        (keys::SK.to_string(), s(&key.sk)),
    ])
}

pub fn key_of(item: &Item) -> Result<Key, StoreError> {
    Ok(Key {
        pk: get_s(item, keys::PK)?.to_string(),
        sk: get_s(item, keys::SK)?.to_string(),
    })
}

fn missing(name: &str) -> StoreError {
    StoreError::corrupt(format!("an item lacks its `{name}` attribute"))
}

pub fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    opt_s(item, name)?.ok_or_else(|| missing(name))
}

pub fn opt_s<'a>(item: &'a Item, name: &str) -> Result<Option<&'a str>, StoreError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::S(text)) => Ok(Some(text)),
        Some(other) => Err(StoreError::corrupt(format!(
            "`{name}` is not a string: {other:?}"
        ))),
    }
}

pub fn get_n<T: FromStr>(item: &Item, name: &str) -> Result<T, StoreError> {
    opt_n(item, name)?.ok_or_else(|| missing(name))
}

pub fn opt_n<T: FromStr>(item: &Item, name: &str) -> Result<Option<T>, StoreError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::N(text)) => text.parse().map(Some).map_err(|_| {
            StoreError::corrupt(format!("`{name}` is not the number expected: {text}"))
        }),
        Some(other) => Err(StoreError::corrupt(format!(
            "`{name}` is not a number: {other:?}"
        ))),
    }
}

pub fn opt_b<'a>(item: &'a Item, name: &str) -> Result<Option<&'a [u8]>, StoreError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::B(blob)) => Ok(Some(blob.as_ref())),
        Some(other) => Err(StoreError::corrupt(format!(
            "`{name}` is not binary: {other:?}"
        ))),
    }
}

pub fn opt_bool(item: &Item, name: &str) -> Result<Option<bool>, StoreError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::Bool(value)) => Ok(Some(*value)),
        Some(other) => Err(StoreError::corrupt(format!(
            "`{name}` is not a boolean: {other:?}"
        ))),
    }
}

pub fn strings(item: &Item, name: &str) -> Result<Vec<String>, StoreError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(Vec::new()),
        Some(AttributeValue::L(values)) => values
            .iter()
            .map(|value| match value {
                AttributeValue::S(text) => Ok(text.clone()),
                other => Err(StoreError::corrupt(format!(
                    "`{name}` holds a non-string: {other:?}"
                ))),
            })
            .collect(),
        Some(AttributeValue::Ss(values)) => Ok(values.clone()),
        Some(other) => Err(StoreError::corrupt(format!(
            "`{name}` is not a list of strings: {other:?}"
        ))),
    }
}

pub fn number_map(item: &Item, name: &str) -> Result<Vec<(String, u64)>, StoreError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(Vec::new()),
        Some(AttributeValue::M(map)) => map
            .iter()
            .map(|(key, value)| match value {
                AttributeValue::N(text) => text.parse().map(|n| (key.clone(), n)).map_err(|_| {
                    StoreError::corrupt(format!("`{name}.{key}` is not a count: {text}"))
                }),
                other => Err(StoreError::corrupt(format!(
                    "`{name}.{key}` is not a number: {other:?}"
                ))),
            })
            .collect(),
        Some(other) => Err(StoreError::corrupt(format!(
            "`{name}` is not a map: {other:?}"
        ))),
    }
}

pub fn get_day(item: &Item, name: &str) -> Result<Day, StoreError> {
    opt_day(item, name)?.ok_or_else(|| missing(name))
}

pub fn opt_day(item: &Item, name: &str) -> Result<Option<Day>, StoreError> {
    opt_s(item, name)?
        .map(|text| {
            text.parse()
                .map_err(|_| StoreError::corrupt(format!("`{name}` is not a day: {text}")))
        })
        .transpose()
}

pub fn json<T: serde::de::DeserializeOwned>(
    item: &Item,
    name: &str,
) -> Result<Option<T>, StoreError> {
    opt_s(item, name)?
        .map(|text| {
            serde_json::from_str(text)
                .map_err(|error| StoreError::corrupt(format!("`{name}`: {error}")))
        })
        .transpose()
}

// --- sizes ---------------------------------------------------------------------------------

/// The size DynamoDB bills an item at: attribute names plus values, numbers at about one
/// byte per two significant digits plus one, lists and maps with 3 bytes of overhead and
/// one per element.
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(text) => number_size(text),
        AttributeValue::B(blob) => blob.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(values) => values.iter().map(String::len).sum(),
        AttributeValue::Ns(values) => values.iter().map(|value| number_size(value)).sum(),
        AttributeValue::Bs(values) => values.iter().map(|value| value.as_ref().len()).sum(),
        AttributeValue::L(values) => 3 + values.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(key, v)| 1 + key.len() + value_size(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

fn number_size(text: &str) -> usize {
    let digits = text
        .trim_start_matches('-')
        .replace('.', "")
        .trim_start_matches('0')
        .trim_end_matches('0')
        .len()
        .max(1);
    digits.div_ceil(2) + 1
}

/// Write units of writing an item (the larger of its old and new size, 1 KB each).
pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// Read units of reading `bytes` strongly consistently (4 KB each).
pub fn read_units(bytes: usize) -> f64 {
    bytes.div_ceil(4096).max(1) as f64
}

/// Refuses an item DynamoDB would refuse, with a message that names it.
pub fn check_size(item: &Item, what: &str) -> Result<usize, StoreError> {
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        return Err(StoreError::Invalid(format!(
            "{what} would take {size} bytes, over DynamoDB's 400 KB item limit"
        )));
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_dynamodbs_rules() {
        let mut item = Item::new();
        item.insert("PK".into(), s("abc"));
        assert_eq!(item_size(&item), 5);
        item.insert("n".into(), n(12345));
        assert_eq!(item_size(&item), 5 + 1 + 4, "5 digits: 3 bytes + 1");
        item.insert("l".into(), list_of_strings(&["ab".into(), "c".into()]));
        assert_eq!(item_size(&item), 10 + 1 + 3 + 3 + 2);
    }

    #[test]
    fn units_round_up_per_kilobyte_and_four() {
        assert_eq!(write_units(1), 1.0);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
        assert_eq!(read_units(4096), 1.0);
        assert_eq!(read_units(4097), 2.0);
    }

    #[test]
    fn items_over_400_kb_are_refused_with_their_name() {
        let mut item = Item::new();
        item.insert("big".into(), s("x".repeat(MAX_ITEM_BYTES)));
        let error = check_size(&item, "the traits of u:1").unwrap_err();
        assert!(error.to_string().contains("the traits of u:1"), "{error}");
    }
}
