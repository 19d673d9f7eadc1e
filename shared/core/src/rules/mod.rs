//! The rule language of segments, alert filters and population filters (SPEC §5, §6):
//! parsing, validation for a scope, and evaluation against a [`Subject`]. Pure: no I/O,
//! no clock — callers supply every value through [`Subject`].
//!
//! ```text
//! score < 40 and score_change <= -5 and traits.plan in ['pro', 'enterprise']
//! count('Report Created', 30) >= 3 and not did('Dashboard Shared')
//! account.score > 60 and activation < 50
//! segment('ice_cold') or (users.active_pct < 20 and users.total >= 3)
//! ```
//!
//! # Syntax
//! - Keywords `and or not in true false null` are case-insensitive; field and function
//!   names are not. Precedence, tightest first: `not`, comparison, `and`, `or`.
//!   Comparisons take values, not conditions, so `not a == b` means `not (a == b)`.
//! - `a not in [...]` is accepted as well as `not a in [...]` (see below for the difference).
//! - Strings use `'` or `"` with the escapes `\\ \' \" \n \t \r`; numbers are `42`, `-5`,
//!   `2.5`; lists of literals may only stand on the right of `in`.
//! - `traits.<name>` takes letters, digits, `_`, `-` and dots; any other name uses the
//!   quoted form `traits['Company Size']`.
//! - A rule is at most [`MAX_RULE_BYTES`] bytes and nests at most 64 levels (parentheses,
//!   `not`, calls and lists each count), so hostile input can't exhaust the stack.
//!
//! # Scopes
//! A rule is checked for the [`Scope`] it runs in: `users.*` exist only for accounts,
//! `account.<field>` only for users, and a population filter — applied before anything is
//! scored — may read only `traits.*`, `first_seen_days`, `last_seen_days`, `did()` and
//! `count()`. Every problem is reported at once, with its line and column.
//!
//! # Semantics
//! - **Missing is false, never an error.** A comparison with a missing (or `Null`) side
//!   is false — `!=` included, so `traits.plan != 'trial'` does not match users without a
//!   plan. The one exception is the literal `null`: `x == null` is true when `x` is missing
//!   or `Null`, and `x != null` when it is present. `not` simply negates, so
//!   `not (traits.plan == 'x')` is true for users without a plan.
//! - Numbers compare as `f64`. A number against text that parses as a number compares
//!   numerically (traits often arrive as strings); two texts compare as text, with `<`
//!   and friends ordering them lexicographically by code point. Booleans support only
//!   `==` and `!=`. Any other pairing of types is false, `!=` included.
//! - `a in [list]` is true when `a == item` for some item (so `x in ['a', null]` also
//!   matches a missing `x`); `'x' in traits.tags` tests membership in a list-valued trait
//!   and is false when the trait is missing or not a list. `a not in [list]` is true
//!   only when `a` is present and equals no item — like `!=`, it is false for a missing
//!   `a`, whereas `not a in [list]` is true for it.
//! - A bare operand is a condition: `did('X')`, `segment('y')`, or a trait that holds
//!   exactly `true`. `segment()` for a segment the subject was not evaluated for is false.
//! - `did(e, d)` is `count(e, d) > 0`; without `d` both cover all time.
//! - `account.<field>` in a users rule: a comparison (or bare condition) that reads it holds
//!   when it holds for **any** of the user's accounts, and is false for a user with none.
//!   Both sides of one comparison read the same account.

mod ast;
mod error;
mod eval;
mod lexer;
mod names;
mod parser;
mod subject;
mod validate;

#[cfg(test)]
mod tests;

use std::fmt;

pub use error::{RuleError, RuleErrors};
pub use subject::{Field, Subject, Value};

use ast::{Expr, Operand};
use error::Diagnostic;

/// Longer rules are refused: nobody writes one by hand, and it bounds parse time.
pub const MAX_RULE_BYTES: usize = 4096;

/// The longest look-back `did()`/`count()` accept; score history is kept this long.
pub const MAX_DAYS: u32 = 400;

/// What a rule is evaluated against, which decides the fields it may read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Users,
    Accounts,
    /// A profile's population filter over users, evaluated before scoring.
    Population,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scope::Users => "users",
            Scope::Accounts => "accounts",
            Scope::Population => "population",
        })
    }
}

/// An event count a rule reads, so the data loader can fetch exactly those.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventNeed {
    pub event: String,
    /// Look-back in days; `None` is all time.
    pub days: Option<u32>,
}

/// A parsed and validated rule, ready to evaluate.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    source: String,
    scope: Scope,
    expr: Expr,
}

impl Rule {
    /// Parses and validates `source` for `scope`, listing every problem found.
    ///
    /// ```
    /// use pulse_core::rules::{Rule, Scope};
    ///
    /// let rule = Rule::parse("score < 40 and traits.plan in ['pro', 'enterprise']", Scope::Accounts);
    /// assert!(rule.is_ok());
    ///
    /// let errors = Rule::parse("scroe < 40", Scope::Users).unwrap_err();
    /// assert_eq!(errors.to_string(), "unknown field `scroe` at 1:1 — did you mean `score`?");
    /// ```
    pub fn parse(source: &str, scope: Scope) -> Result<Rule, RuleErrors> {
        let locate = |problems: Vec<Diagnostic>| {
            let errors = problems
                .into_iter()
                .map(|problem| RuleError::locate(source, problem))
                .collect();
            RuleErrors(errors)
        };
        if source.len() > MAX_RULE_BYTES {
            let message = format!(
                "the rule is {} bytes long; the limit is {MAX_RULE_BYTES}",
                source.len()
            );
            let hint = "split it into segments and combine them with `segment('…')`";
            return Err(locate(vec![Diagnostic::new(0, message).with_hint(hint)]));
        }
        let tokens = lexer::tokenize(source).map_err(locate)?;
        let syntax = parser::parse(source, &tokens).map_err(|problem| locate(vec![problem]))?;
        let expr = validate::validate(source, &syntax, scope).map_err(locate)?;
        Ok(Rule {
            source: source.to_owned(),
            scope,
            expr,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn scope(&self) -> Scope {
        self.scope
    }

    pub fn eval(&self, subject: &dyn Subject) -> bool {
        eval::eval(&self.expr, subject)
    }

    /// Every `(event, days)` read by `did()`/`count()`, once each, in order of appearance.
    pub fn event_needs(&self) -> Vec<EventNeed> {
        let mut needs: Vec<EventNeed> = Vec::new();
        self.expr.for_each_operand(&mut |operand| {
            if let Operand::Did(need) | Operand::Count(need) = operand
                && !needs.contains(need)
            {
                needs.push(need.clone());
            }
        });
        needs
    }

    /// Segment ids read by `segment('…')`, once each, so callers can order segment
    /// evaluation and reject cycles.
    pub fn segments_referenced(&self) -> Vec<String> {
        let mut segments: Vec<String> = Vec::new();
        self.expr.for_each_operand(&mut |operand| {
            if let Operand::Segment(id) = operand
                && !segments.contains(id)
            {
                segments.push(id.clone());
            }
        });
        segments
    }

    /// Whether evaluation will call [`Subject::accounts`], so callers can skip loading them.
    pub fn uses_account_fields(&self) -> bool {
        let mut uses = false;
        self.expr
            .for_each_operand(&mut |operand| uses |= operand.reads_account());
        uses
    }
}

/// Shows the rule as written.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}
