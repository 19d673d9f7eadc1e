//! API keys: 192 random bits, shown once, stored only as a SHA-256 hash. A fast hash is
//! right here (unlike passwords): keys are long random strings, not guessable words.

use base64::Engine;
use sha2::{Digest, Sha256};

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
        assert_eq!(a.len(), "pk_write_".len() + 32, "24 bytes = 192 bits in base64url");
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
