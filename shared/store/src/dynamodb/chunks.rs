//! Large lists stored as a few items: rows serialized as JSON, deflated, and cut so that no
//! item nears the 400 KB limit. The day index (the rows lists sort and filter) and the span
//! state are stored this way: one read of a few items instead of a Query over thousands.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::StoreError;

/// Uncompressed JSON per chunk: compressed it is far smaller, and even incompressible
/// text stays under the item limit with room for the key.
const MAX_CHUNK_JSON: usize = 300 * 1024;

/// Cuts `rows` into deflated JSON arrays of at most 300 KB of JSON each (at least one).
pub fn encode<T: Serialize>(rows: &[T]) -> Vec<Vec<u8>> {
    let mut chunks = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = 2;
    for row in rows {
        let text = serde_json::to_string(row).expect("rows serialize");
        if !current.is_empty() && size + text.len() + 1 > MAX_CHUNK_JSON {
            chunks.push(deflate(&current));
            current.clear();
            size = 2;
        }
        size += text.len() + 1;
        current.push(text);
    }
    if !current.is_empty() || chunks.is_empty() {
        chunks.push(deflate(&current));
    }
    chunks
}

fn deflate(rows: &[String]) -> Vec<u8> {
    let json = format!("[{}]", rows.join(","));
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::fast());
    encoder
        .write_all(json.as_bytes())
        .expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

pub fn decode<T: DeserializeOwned>(chunk: &[u8]) -> Result<Vec<T>, StoreError> {
    let mut json = Vec::new();
    DeflateDecoder::new(chunk)
        .read_to_end(&mut json)
        .map_err(|error| StoreError::corrupt(format!("a chunk does not inflate: {error}")))?;
    serde_json::from_slice(&json)
        .map_err(|error| StoreError::corrupt(format!("a chunk's rows: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_through_as_many_chunks_as_their_size_needs() {
        let rows: Vec<(String, u32)> = (0..40_000).map(|n| (format!("user-{n:08}"), n)).collect();

        let chunks = encode(&rows);

        assert!(chunks.len() >= 2, "{} chunks", chunks.len());
        assert!(chunks.iter().all(|chunk| chunk.len() < 300 * 1024));
        let back: Vec<(String, u32)> = chunks
            .iter()
            .flat_map(|chunk| decode::<(String, u32)>(chunk).unwrap())
            .collect();
        assert_eq!(back, rows);
    }

    #[test]
    fn no_rows_is_one_empty_chunk() {
        let chunks = encode::<u8>(&[]);
        assert_eq!(chunks.len(), 1);
        assert!(decode::<u8>(&chunks[0]).unwrap().is_empty());
    }
}
