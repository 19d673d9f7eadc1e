//! Tests of the rule language, by concern.

mod errors;
mod properties;
mod semantics;
mod support;
mod valid_rules;
