//! Alert rules and the decisions to raise alerts (SPEC §6). Pure: the app hands in what
//! the store knows (this computation, the previous one, the times rules last fired) and
//! gets back [`Alert`]s to save and post; their ids make every repetition harmless.
//!
//! # After a recompute — [`decide_after_recompute`]
//! - Only rules of the computed profile with a recompute trigger (`score_change`,
//!   `activation_above`, `entered_segment`, `custom`) are considered, each over the
//!   subjects of its scope (users or accounts) in this computation.
//! - **No previous computed day, no alert.** The first computation of a profile is the
//!   baseline: everything would look new, and a flood helps nobody.
//! - `where` must match now: the subject is in `rule_matches["where:<id>"]` of this
//!   computation (see [`rule_keys`]: the app passes those rules to `compute`). A rule whose
//!   `where` was not evaluated does not fire.
//! - `score_change {by}`: `change = score now − score on the previous computed day` (user
//!   score, account average, exact to the tenth). Fires when `by > 0 && change >= by` or
//!   `by < 0 && change <= by`, so a change exactly at the threshold fires. A subject
//!   without a previous score does not fire.
//! - `activation_above {percent}`: the rate is ≥ `percent` now and was below it on the
//!   previous computed day, or the subject did not exist then. Staying above does not
//!   fire again; a subject whose previous rate is unknown (no criteria then) does not fire.
//! - `entered_segment {segment}`: the subject is among this day's recorded segment entries
//!   for that segment; an existing member did not enter, so it does not fire.
//! - `custom {rule}`: the subject is in `rule_matches["custom:<id>"]` now and was not in
//!   the previous computed day's. When the previous day did not evaluate the rule at all
//!   (the rule is new), that day is its baseline: nothing fires.
//! - Occurrence (what the alert id is derived from, with rule and subject): the day, and
//!   for `entered_segment` the day and the segment. Recomputing the same day again yields
//!   the same ids, which the store ignores.
//!
//! # From ingestion — [`decide_from_ingestion`]
//! - `new_user`: an account appears ([`IngestFact::AccountCreated`], occurrence
//!   `account`), or a user joins an account that already existed
//!   ([`IngestFact::UserJoinedAccount`] with `account_existed`, occurrence the identity's
//!   storage key). A user joining a brand-new account raises nothing more: the account's
//!   creation already did.
//! - `core_feature_adopted`: [`IngestFact::FeatureFirstUsed`] for one of the rule's
//!   profile's `core_features` (occurrence the event). The store reports a first use once,
//!   so a second use never reaches this point.
//! - The subject is the account. `where` is evaluated here, on the account's latest
//!   snapshot in the rule's profile with the account's current traits; a brand-new account
//!   has no snapshot, so only its traits can match (anything else is missing → false).
//!
//! # Both
//! - `cooldown`: a rule that fired for a subject less than `cooldown` before `now` stays
//!   quiet for that subject (`last_fired` is keyed by rule id and subject id).

mod cooldown;
mod decide;
mod ingest;
mod message;
mod rule;
mod trigger;

#[cfg(test)]
mod decide_tests;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod ingest_tests;
#[cfg(test)]
mod pipeline_tests;
#[cfg(test)]
mod rule_tests;

use std::fmt::Write;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use cooldown::{Cooldown, MAX_COOLDOWN_SECS};
pub use decide::{LastFired, RecomputeContext, decide_after_recompute};
pub use ingest::{IngestContext, IngestFact, decide_from_ingestion};
pub use rule::{AlertRule, MAX_CHANNEL_CHARS, custom_key, rule_keys, where_key};
pub use trigger::Trigger;

use crate::snapshot::SubjectKind;

/// One firing of a rule for a subject: what is saved, shown by the API and posted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// See [`alert_id`].
    pub id: String,
    pub rule: String,
    /// The trigger's name (`score_change`, `new_user`…), for grouping and icons.
    pub trigger: String,
    pub profile: String,
    pub kind: SubjectKind,
    /// The user's or account's public id.
    pub subject: String,
    /// The subject's `name` trait, when it has one.
    pub subject_name: Option<String>,
    pub occurrence: String,
    pub headline: String,
    /// Labelled values, most relevant to the trigger first.
    pub facts: Vec<(String, String)>,
    /// `None` posts to the default channel.
    pub channel: Option<String>,
    pub raised_at: DateTime<Utc>,
}

/// `al_` and the first 24 hex digits (96 bits) of SHA-256 over the parts joined by U+001F,
/// a separator that ids written by people do not contain. Stored ids and the store's
/// de-duplication depend on it: never change the recipe.
pub fn alert_id(rule: &str, subject_kind: SubjectKind, subject: &str, occurrence: &str) -> String {
    let mut hasher = Sha256::new();
    let parts = [rule, subject_kind.as_str(), subject, occurrence];
    hasher.update(parts.join("\u{1f}").as_bytes());
    let digest = hasher.finalize();
    let mut id = String::with_capacity(27);
    id.push_str("al_");
    for byte in &digest[..12] {
        write!(id, "{byte:02x}").expect("writing to a String cannot fail");
    }
    id
}
