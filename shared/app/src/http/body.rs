//! Reading request bodies within limits: the size is checked while reading (never after
//! buffering an unbounded body), and gzip bodies are inflated only up to the limit.

use std::io::Read;

use axum::body::Body;
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use bytes::Bytes;
use flate2::read::GzDecoder;
use http_body_util::{BodyExt, Limited};

use crate::error::AppError;

/// Reads at most `limit` bytes of body (after decompression).
pub async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, AppError> {
    let too_large = |size: Option<usize>| AppError::TooLarge {
        code: "payload_too_large",
        message: match size {
            Some(size) => format!(
                "the body is {size} bytes; at most {limit} are allowed — send smaller batches"
            ),
            None => format!("the body is over {limit} bytes; send smaller batches"),
        },
    };
    if let Some(length) = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok())
        && length > limit
    {
        return Err(too_large(Some(length)));
    }
    let raw = Limited::new(body, limit)
        .collect()
        .await
        .map_err(|error| {
            if error.is::<http_body_util::LengthLimitError>() {
                too_large(None)
            } else {
                AppError::bad_request(
                    "invalid_body",
                    format!("the body could not be read: {error}"),
                )
            }
        })?
        .to_bytes();
    let encoding = headers
        .get(CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("") | Some("identity") => Ok(raw),
        Some("gzip") | Some("x-gzip") => inflate(&raw, limit).map_err(|error| match error {
            InflateError::TooLarge => too_large(None),
            InflateError::Corrupt(message) => AppError::bad_request(
                "invalid_body",
                format!("the gzip body could not be decompressed: {message}"),
            ),
        }),
        Some(other) => Err(AppError::bad_request(
            "unsupported_encoding",
            format!("Content-Encoding `{other}` is not supported; send gzip or no encoding"),
        )),
    }
}

enum InflateError {
    TooLarge,
    Corrupt(String),
}

/// Inflates at most `limit` bytes: one byte more means the body is over the limit, and
/// nothing past it is ever decompressed (a gzip bomb costs us `limit` bytes, not more).
fn inflate(compressed: &[u8], limit: usize) -> Result<Bytes, InflateError> {
    let mut inflated = Vec::with_capacity(compressed.len().saturating_mul(4).min(limit + 1));
    GzDecoder::new(compressed)
        .take(limit as u64 + 1)
        .read_to_end(&mut inflated)
        .map_err(|error| InflateError::Corrupt(error.to_string()))?;
    if inflated.len() > limit {
        return Err(InflateError::TooLarge);
    }
    Ok(Bytes::from(inflated))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn inflation_stops_one_byte_past_the_limit() {
        let bomb = gzip(&vec![b'a'; 10_000_000]);
        assert!(bomb.len() < 20_000, "it compresses well");
        assert!(matches!(
            inflate(&bomb, 500 * 1024),
            Err(InflateError::TooLarge)
        ));
        assert_eq!(
            inflate(&gzip(b"{\"batch\":[]}"), 100).ok().unwrap(),
            Bytes::from_static(b"{\"batch\":[]}")
        );
        assert!(matches!(
            inflate(b"not gzip", 100),
            Err(InflateError::Corrupt(_))
        ));
    }
}
