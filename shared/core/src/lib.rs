//! Pulse's pure domain: Segment calls, scoring profiles, the metrics of SPEC §4, the rule
//! language, segments and alert decisions. No I/O, no clock, no async: data in, decisions
//! out, so that every formula is tested here, once.

pub mod activity;
pub mod alerts;
pub mod call;
pub mod day;
mod definition;
pub mod extras;
pub mod ids;
pub mod metrics;
mod parts;
pub mod profile;
pub mod records;
pub mod rules;
pub mod scoring;
pub mod segment_defs;
pub mod segments;
pub mod snapshot;
pub mod subjects;

pub use activity::{AccountInfo, PreviousScores, UserActivity};
pub use call::{BatchDefaults, Call, CallError, CallType, FlatMap, parse_call};
pub use day::Day;
pub use extras::{Extras, event_needs};
pub use ids::{EventName, IdentityKey, Slug, WorkspaceId};
pub use profile::{Profile, ProfileError};
pub use scoring::{ScoreSet, compute};
pub use segment_defs::{DefinitionError, DefinitionKind, SegmentDefinition, evaluation_order};
pub use snapshot::{AccountScore, SubjectKind, UserScore};
