//! Conversions between domain values and SQLite columns: times as milliseconds, days as
//! numbers, day sets as little-endian blobs, traits and resources as JSON text.

use chrono::{DateTime, Utc};
use pulse_core::{Day, FlatMap};

use crate::error::StoreError;

pub fn millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

pub fn from_millis(value: Option<i64>) -> Option<DateTime<Utc>> {
    value.and_then(DateTime::from_timestamp_millis)
}

pub fn day_from(number: i64) -> Result<Day, StoreError> {
    i32::try_from(number)
        .ok()
        .and_then(Day::from_number)
        .ok_or_else(|| StoreError::corrupt(format!("day number {number}")))
}

pub fn decode_days(blob: &[u8]) -> Vec<Day> {
    blob.chunks_exact(4)
        .filter_map(|chunk| {
            Day::from_number(i32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
        })
        .collect()
}

pub fn encode_days(days: &[Day]) -> Vec<u8> {
    days.iter()
        .flat_map(|day| day.number().to_le_bytes())
        .collect()
}

/// Adds `day` to a sorted day set; `true` when it was new.
pub fn insert_day(days: &mut Vec<Day>, day: Day) -> bool {
    match days.binary_search(&day) {
        Ok(_) => false,
        Err(position) => {
            days.insert(position, day);
            true
        }
    }
}

pub fn traits_from(text: &str) -> Result<FlatMap, StoreError> {
    serde_json::from_str(text).map_err(|error| StoreError::corrupt(format!("traits: {error}")))
}

pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("domain values serialize")
}

/// Maps a SQLite error: busy/locked/IO/full mean "try again later", anything else is a bug
/// or corruption, reported as unavailable too so that clients retry and operators look.
pub fn sql(error: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("sqlite: {error}"))
}
