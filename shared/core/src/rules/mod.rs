//! The rule language (being written).
