//! Pending markers: which calls an item has absorbed that are not yet known to be
//! committed in the message-id log. Every ingestion write of an aggregate carries them, so
//! that a retry after a crash between writes skips exactly what was applied (README,
//! "Ingestion"). Markers are pruned as soon as a writer sees the calls committed, so an
//! item usually holds only the calls of the last batch that touched it.
//!
//! Encoding (one binary attribute): groups of `[accepted_ms: i64][count: u16]` followed by
//! `count` × `[fingerprint: 12 bytes][day: i32]`, all big-endian.

use std::collections::HashSet;

use pulse_core::Day;
use sha2::{Digest, Sha256};

use crate::error::StoreError;

/// 96 bits of SHA-256 of a message id: the chance that a new call's fingerprint equals one
/// of the few uncommitted markers of an item is below 1e-25.
pub type Fingerprint = [u8; 12];

pub fn fingerprint(message_id: &str) -> Fingerprint {
    let digest = Sha256::digest(message_id.as_bytes());
    let mut fingerprint = [0u8; 12];
    fingerprint.copy_from_slice(&digest[..12]);
    fingerprint
}

/// One absorbed call: its fingerprint, the day it counted on, when it was accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Marker {
    pub fingerprint: Fingerprint,
    pub day: Day,
    pub accepted_ms: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pending {
    markers: Vec<Marker>,
}

impl Pending {
    pub fn decode(bytes: &[u8]) -> Result<Pending, StoreError> {
        let corrupt = || StoreError::corrupt("pending markers are truncated");
        let mut markers = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let (head, tail) = rest.split_at_checked(10).ok_or_else(corrupt)?;
            let accepted_ms = i64::from_be_bytes(head[..8].try_into().expect("8 bytes"));
            let count = u16::from_be_bytes([head[8], head[9]]) as usize;
            let (body, tail) = tail.split_at_checked(count * 16).ok_or_else(corrupt)?;
            for entry in body.chunks_exact(16) {
                let mut fingerprint = [0u8; 12];
                fingerprint.copy_from_slice(&entry[..12]);
                let number = i32::from_be_bytes(entry[12..16].try_into().expect("4 bytes"));
                let day = Day::from_number(number)
                    .ok_or_else(|| StoreError::corrupt(format!("marker day {number}")))?;
                markers.push(Marker {
                    fingerprint,
                    day,
                    accepted_ms,
                });
            }
            rest = tail;
        }
        Ok(Pending { markers })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.markers.len() * 16 + 10);
        let mut index = 0;
        while index < self.markers.len() {
            let accepted_ms = self.markers[index].accepted_ms;
            let group: Vec<&Marker> = self.markers[index..]
                .iter()
                .take_while(|marker| marker.accepted_ms == accepted_ms)
                .take(u16::MAX as usize)
                .collect();
            bytes.extend(accepted_ms.to_be_bytes());
            bytes.extend((group.len() as u16).to_be_bytes());
            for marker in &group {
                bytes.extend(marker.fingerprint);
                bytes.extend(marker.day.number().to_be_bytes());
            }
            index += group.len();
        }
        bytes
    }

    pub fn is_empty(&self) -> bool {
        self.markers.is_empty()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.markers.len()
    }

    /// Drops markers of committed calls and markers accepted before `window_start_ms`
    /// (those calls no longer de-duplicate). Returns whether anything was dropped.
    pub fn prune(&mut self, committed: &HashSet<Fingerprint>, window_start_ms: i64) -> bool {
        let before = self.markers.len();
        self.markers.retain(|marker| {
            marker.accepted_ms >= window_start_ms && !committed.contains(&marker.fingerprint)
        });
        self.markers.len() != before
    }

    pub fn find(&self, fingerprint: &Fingerprint) -> Option<&Marker> {
        self.markers
            .iter()
            .find(|marker| &marker.fingerprint == fingerprint)
    }

    pub fn push(&mut self, marker: Marker) {
        self.markers.push(marker);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(id: &str, day: &str, at: i64) -> Marker {
        Marker {
            fingerprint: fingerprint(id),
            day: day.parse().unwrap(),
            accepted_ms: at,
        }
    }

    #[test]
    fn markers_round_trip_grouped_by_acceptance_time() {
        let mut pending = Pending::default();
        pending.push(marker("m1", "2026-12-01", 1_000));
        pending.push(marker("m2", "2026-12-02", 1_000));
        pending.push(marker("m3", "2026-11-30", 2_000));

        let bytes = pending.encode();

        assert_eq!(
            bytes.len(),
            2 * 10 + 3 * 16,
            "one header per acceptance time"
        );
        assert_eq!(Pending::decode(&bytes).unwrap(), pending);
        assert_eq!(Pending::decode(&[]).unwrap(), Pending::default());
        assert!(Pending::decode(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn pruning_drops_committed_and_expired_markers_only() {
        let mut pending = Pending::default();
        pending.push(marker("committed", "2026-12-01", 5_000));
        pending.push(marker("expired", "2026-12-01", 999));
        pending.push(marker("crashed", "2026-12-01", 5_000));

        let dropped = pending.prune(&HashSet::from([fingerprint("committed")]), 1_000);

        assert!(dropped);
        assert_eq!(pending.len(), 1);
        assert!(pending.find(&fingerprint("crashed")).is_some());
        assert!(
            !pending.prune(&HashSet::new(), 1_000),
            "nothing more to drop"
        );
    }

    #[test]
    fn fingerprints_differ_for_different_ids() {
        assert_ne!(fingerprint("m1"), fingerprint("m2"));
        assert_eq!(fingerprint("m1"), fingerprint("m1"));
    }
}
