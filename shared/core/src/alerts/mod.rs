//! Alert rules and decisions (SPEC §6).
