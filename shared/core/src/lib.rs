//! Pulse's pure domain: Segment calls, scoring profiles, the metrics of SPEC §4, the rule
//! language, segments and alert decisions. No I/O, no clock, no async: data in, decisions
//! out, so that every formula is tested here, once.

pub mod activity;
pub mod call;
pub mod day;
pub mod ids;
pub mod metrics;
pub mod profile;
pub mod records;
pub mod rules;
pub mod scoring;
pub mod segments;
pub mod snapshot;

pub use activity::{AccountInfo, PreviousScores, UserActivity};
pub use call::{BatchDefaults, Call, CallError, CallType, FlatMap, parse_call};
pub use day::Day;
pub use ids::{EventName, IdentityKey, Slug, WorkspaceId};
pub use profile::{Profile, ProfileError};
pub use scoring::{ScoreSet, compute};
pub use snapshot::{AccountScore, SubjectKind, UserScore};
