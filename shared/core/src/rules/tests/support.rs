//! A subject made of maps, and short helpers that keep the tests to one line each.

use std::collections::HashMap;

use crate::rules::{Field, Rule, Scope, Subject, Value};

#[derive(Clone, Debug, Default)]
pub(super) struct TestSubject {
    fields: HashMap<Field, Value>,
    segments: HashMap<String, bool>,
    counts: HashMap<(String, Option<u32>), f64>,
    accounts: Vec<TestSubject>,
}

impl TestSubject {
    pub(super) fn new() -> Self {
        Self::default()
    }

    pub(super) fn with(mut self, field: Field, value: impl Into<Value>) -> Self {
        self.fields.insert(field, value.into());
        self
    }

    pub(super) fn with_trait(self, name: &str, value: impl Into<Value>) -> Self {
        self.with(Field::Trait(name.to_owned()), value)
    }

    pub(super) fn with_segment(mut self, id: &str, member: bool) -> Self {
        self.segments.insert(id.to_owned(), member);
        self
    }

    pub(super) fn with_count(mut self, event: &str, days: Option<u32>, count: f64) -> Self {
        self.counts.insert((event.to_owned(), days), count);
        self
    }

    pub(super) fn with_account(mut self, account: TestSubject) -> Self {
        self.accounts.push(account);
        self
    }
}

impl Subject for TestSubject {
    fn field(&self, field: &Field) -> Option<Value> {
        self.fields.get(field).cloned()
    }

    fn in_segment(&self, segment_id: &str) -> Option<bool> {
        self.segments.get(segment_id).copied()
    }

    fn event_count(&self, event: &str, days: Option<u32>) -> Option<f64> {
        self.counts.get(&(event.to_owned(), days)).copied()
    }

    fn accounts(&self) -> Vec<&dyn Subject> {
        self.accounts
            .iter()
            .map(|account| account as &dyn Subject)
            .collect()
    }
}

pub(super) fn rule(source: &str, scope: Scope) -> Rule {
    Rule::parse(source, scope).unwrap_or_else(|errors| panic!("`{source}` should parse: {errors}"))
}

/// Whether `source`, as a rule of `scope`, holds for `subject`.
pub(super) fn holds(source: &str, scope: Scope, subject: &TestSubject) -> bool {
    rule(source, scope).eval(subject)
}

/// Every error `source` gets in `scope`, as a person would read it.
pub(super) fn errors(source: &str, scope: Scope) -> Vec<String> {
    match Rule::parse(source, scope) {
        Ok(_) => panic!("`{source}` should be rejected in {scope} rules"),
        Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
    }
}

/// The one error `source` gets in `scope`.
pub(super) fn error(source: &str, scope: Scope) -> String {
    let mut all = errors(source, scope);
    assert_eq!(
        all.len(),
        1,
        "`{source}` should have one error, got {all:?}"
    );
    all.remove(0)
}
