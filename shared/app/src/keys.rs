//! API keys: 192 random bits, shown once, stored only as a SHA-256 hash. A fast hash is
//! right here (unlike passwords): keys are long random strings, not guessable words.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use pulse_store::ApiKeyRecord;
use sha2::{Digest, Sha256};

/// How long a key looked up in the store is trusted without asking again. Every ingestion
/// request authenticates, so this saves a store read per request.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(60);
const KEY_CACHE_CAPACITY: usize = 10_000;

/// Known keys by hash, each for [`KEY_CACHE_TTL`]. Unknown keys are not cached.
#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, (ApiKeyRecord, Instant)>>,
}

impl KeyCache {
    pub fn get(&self, hash: &str) -> Option<ApiKeyRecord> {
        let entries = self.entries.lock().expect("key cache lock");
        entries
            .get(hash)
            .filter(|(_, cached_at)| cached_at.elapsed() < KEY_CACHE_TTL)
            .map(|(record, _)| record.clone())
    }

    pub fn put(&self, record: ApiKeyRecord) {
        let mut entries = self.entries.lock().expect("key cache lock");
        if entries.len() >= KEY_CACHE_CAPACITY {
            entries.retain(|_, (_, cached_at)| cached_at.elapsed() < KEY_CACHE_TTL);
            if entries.len() >= KEY_CACHE_CAPACITY {
                entries.clear();
            }
        }
        entries.insert(record.hash.clone(), (record, Instant::now()));
    }
}

pub const WRITE_KEY_PREFIX: &str = "pk_write_";
pub const ADMIN_KEY_PREFIX: &str = "pk_admin_";

/// A new random key with a readable prefix (`pk_write_…` or `pk_admin_…`).
pub fn generate_key(prefix: &str) -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)?;
    Ok(format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// The stored form of a key.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A random slug for workspace ids: `ws_` and 16 hex characters.
pub fn generate_workspace_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)?;
    Ok(format!("ws_{}", hex::encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_long_random_and_prefixed() {
        let a = generate_key(WRITE_KEY_PREFIX).unwrap();
        let b = generate_key(WRITE_KEY_PREFIX).unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("pk_write_"));
        assert_eq!(
            a.len(),
            "pk_write_".len() + 32,
            "24 bytes = 192 bits in base64url"
        );
    }

    #[test]
    fn the_hash_is_stable_hex_and_hides_the_key() {
        let hash = hash_key("pk_write_abc");
        assert_eq!(hash, hash_key("pk_write_abc"));
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains("abc"));
        assert_eq!(
            hash_key(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
