//! TEMPORARY interface shim while the rule language is written on branch `rules`.
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Users,
    Accounts,
    Population,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Value>),
}
impl Value {
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::Bool(b) => Value::Bool(*b),
            _ => Value::Null,
        }
    }
}
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Score,
    RawScore,
    ScoreChange,
    Frequency,
    Adoption,
    AdoptionAllTime,
    Activation,
    UsersTotal,
    UsersActive,
    UsersActivePct,
    FirstSeenDays,
    LastSeenDays,
    Trait(String),
}
pub trait Subject {
    fn field(&self, field: &Field) -> Option<Value>;
    fn in_segment(&self, segment_id: &str) -> Option<bool>;
    fn event_count(&self, event: &str, days: Option<u32>) -> Option<f64>;
}
#[derive(Debug)]
pub struct RuleErrors(pub Vec<String>);
impl fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.join("; "))
    }
}
pub struct Rule {
    name: String,
    negate: bool,
    value: String,
}
impl Rule {
    pub fn parse(source: &str, _scope: Scope) -> Result<Rule, RuleErrors> {
        let parts: Vec<&str> = source.split_whitespace().collect();
        if parts.len() != 3 || !parts[0].starts_with("traits.") {
            return Err(RuleErrors(vec![format!("unsupported {source}")]));
        }
        Ok(Rule {
            name: parts[0][7..].to_string(),
            negate: parts[1] == "!=",
            value: parts[2].trim_matches('\'').to_string(),
        })
    }
    pub fn eval(&self, s: &dyn Subject) -> bool {
        match s.field(&Field::Trait(self.name.clone())) {
            Some(Value::String(v)) => (v == self.value) != self.negate,
            _ => false,
        }
    }
}
