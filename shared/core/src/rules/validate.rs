//! Turns a syntax tree into a checked [`Expr`]: resolves field names for the rule's
//! scope, checks functions and their arguments, and rejects comparisons that could
//! never be true (`score == 'high'`). Every problem is collected, not just the first,
//! because a person saving a rule wants to fix them all in one go.

use super::ast::{CmpOp, Expr, Operand};
use super::error::{Diagnostic, quote};
use super::lexer::Span;
use super::names::{self, closest};
use super::parser::{Syntax, Term, TermKind};
use super::subject::{Field, NAMED_FIELDS, Value};
use super::{EventNeed, MAX_DAYS, Scope};

pub(super) fn validate(
    source: &str,
    syntax: &Syntax,
    scope: Scope,
) -> Result<Expr, Vec<Diagnostic>> {
    let mut validator = Validator {
        source,
        scope,
        problems: Vec::new(),
    };
    match validator.expr(syntax) {
        Some(expr) if validator.problems.is_empty() => Ok(expr),
        _ => Err(validator.problems),
    }
}

/// What the validator knows about an operand's type; traits can hold anything.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Bool,
    Text { numeric: bool },
    Null,
    Unknown,
}

impl Kind {
    fn of(operand: &Operand) -> Kind {
        match operand {
            Operand::Field {
                field: Field::Trait(_),
                ..
            } => Kind::Unknown,
            Operand::Field { .. } | Operand::Count(_) => Kind::Number,
            Operand::Segment(_) | Operand::Did(_) => Kind::Bool,
            Operand::Literal(Value::Null) => Kind::Null,
            Operand::Literal(Value::Bool(_)) => Kind::Bool,
            Operand::Literal(Value::Number(_)) => Kind::Number,
            Operand::Literal(Value::String(text)) => Kind::Text {
                numeric: text.trim().parse::<f64>().is_ok_and(f64::is_finite),
            },
            Operand::Literal(Value::List(_)) | Operand::List(_) => Kind::Unknown,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Number => "a number",
            Kind::Bool => "true or false",
            Kind::Text { .. } => "text",
            Kind::Null => "null",
            Kind::Unknown => "a trait",
        }
    }

    fn comparable(self, other: Kind) -> bool {
        match (self, other) {
            (Kind::Unknown | Kind::Null, _) | (_, Kind::Unknown | Kind::Null) => true,
            (Kind::Number, Kind::Number) | (Kind::Bool, Kind::Bool) => true,
            (Kind::Text { .. }, Kind::Text { .. }) => true,
            (Kind::Number, Kind::Text { numeric }) | (Kind::Text { numeric }, Kind::Number) => {
                numeric
            }
            _ => false,
        }
    }
}

struct Validator<'s> {
    source: &'s str,
    scope: Scope,
    problems: Vec<Diagnostic>,
}

impl Validator<'_> {
    fn text(&self, span: Span) -> String {
        quote(&self.source[span.start..span.end])
    }

    fn problem(&mut self, span: Span, message: String, hint: Option<String>) {
        let mut problem = Diagnostic::new(span.start, message);
        problem.hint = hint;
        self.problems.push(problem);
    }

    fn expr(&mut self, syntax: &Syntax) -> Option<Expr> {
        match syntax {
            Syntax::Or(items) => self.each(items).map(Expr::Any),
            Syntax::And(items) => self.each(items).map(Expr::All),
            Syntax::Not(inner) => self.expr(inner).map(|inner| Expr::Not(Box::new(inner))),
            Syntax::Bare(term) => self.condition(term),
            Syntax::Compare {
                left,
                op,
                op_span,
                right,
            } => self.comparison(left, *op, *op_span, right),
        }
    }

    /// Validates every item, even after one fails, so all problems get reported.
    fn each(&mut self, items: &[Syntax]) -> Option<Vec<Expr>> {
        let checked: Vec<Option<Expr>> = items.iter().map(|item| self.expr(item)).collect();
        checked.into_iter().collect()
    }

    fn condition(&mut self, term: &Term) -> Option<Expr> {
        let operand = self.operand(term)?;
        let kind = Kind::of(&operand);
        if matches!(kind, Kind::Bool | Kind::Unknown) {
            return Some(Expr::Condition(operand));
        }
        let text = self.text(term.span);
        let written = &self.source[term.span.start..term.span.end];
        let hint = (kind == Kind::Number)
            .then(|| format!("compare it, e.g. {}", quote(&format!("{written} > 0"))));
        let message = if kind == Kind::Null {
            format!("{text} is not a condition")
        } else {
            format!("{text} is {}, not a condition", kind.noun())
        };
        self.problem(term.span, message, hint);
        None
    }

    fn comparison(&mut self, left: &Term, op: CmpOp, op_span: Span, right: &Term) -> Option<Expr> {
        let left_operand = self.operand(left);
        let right_operand = if op.is_membership() {
            let left_kind = left_operand.as_ref().map_or(Kind::Unknown, Kind::of);
            self.membership_target(left, left_kind, right)
        } else {
            self.operand(right)
        };
        let (left_operand, right_operand) = (left_operand?, right_operand?);
        if !op.is_membership() {
            let (left_kind, right_kind) = (Kind::of(&left_operand), Kind::of(&right_operand));
            let unordered = [left_kind, right_kind]
                .into_iter()
                .find(|kind| matches!(kind, Kind::Null | Kind::Bool));
            if let Some(kind) = unordered.filter(|_| op.is_ordering()) {
                let message = format!("`{}` can't order {}", op.symbol(), kind.noun());
                let hint = Some("compare it with `==` or `!=`".to_owned());
                self.problem(op_span, message, hint);
                return None;
            }
            if !left_kind.comparable(right_kind) {
                let message = self.never_equal(left, left_kind, right, right_kind);
                self.problem(op_span, message, None);
                return None;
            }
        }
        Some(Expr::Compare {
            left: left_operand,
            op,
            right: right_operand,
        })
    }

    fn never_equal(&self, left: &Term, left_kind: Kind, right: &Term, right_kind: Kind) -> String {
        format!(
            "can't compare {} ({}) with {} ({}): it would always be false",
            self.text(left.span),
            left_kind.noun(),
            self.text(right.span),
            right_kind.noun()
        )
    }

    /// The right side of `in`: a list of literals, or a trait that holds a list.
    fn membership_target(&mut self, left: &Term, left_kind: Kind, term: &Term) -> Option<Operand> {
        let hint = Some("e.g. traits.plan in ['pro', 'enterprise']".to_owned());
        let TermKind::List(items) = &term.kind else {
            let operand = self.operand(term)?;
            if Kind::of(&operand) == Kind::Unknown {
                return Some(operand);
            }
            let message = format!(
                "`in` needs a list on its right, found {}",
                self.text(term.span)
            );
            self.problem(term.span, message, hint);
            return None;
        };
        let mut values = Vec::with_capacity(items.len());
        let mut all_valid = true;
        for item in items {
            if let TermKind::Literal(value) = &item.kind {
                let item_kind = Kind::of(&Operand::Literal(value.clone()));
                if !left_kind.comparable(item_kind) {
                    let message = self.never_equal(left, left_kind, item, item_kind);
                    self.problem(item.span, message, None);
                    all_valid = false;
                }
                values.push(value.clone());
            } else {
                let message = format!(
                    "a list may hold only literal values, found {}",
                    self.text(item.span)
                );
                self.problem(item.span, message, None);
                all_valid = false;
            }
        }
        all_valid.then_some(Operand::List(values))
    }

    fn operand(&mut self, term: &Term) -> Option<Operand> {
        match &term.kind {
            TermKind::Literal(value) => Some(Operand::Literal(value.clone())),
            TermKind::List(_) => {
                let hint = Some("e.g. traits.plan in ['pro', 'enterprise']".to_owned());
                self.problem(
                    term.span,
                    "a list is only allowed on the right of `in`".to_owned(),
                    hint,
                );
                None
            }
            TermKind::Path { dotted, key } => self.field(dotted, key.as_deref(), term.span),
            TermKind::Call { name, args } => self.call(name, args, term.span),
        }
    }

    fn field(&mut self, dotted: &str, key: Option<&str>, span: Span) -> Option<Operand> {
        match names::resolve_field(dotted, key, self.scope, &self.text(span)) {
            Ok((field, on_account)) => Some(Operand::Field { field, on_account }),
            Err(refusal) => {
                self.problem(span, refusal.message, refusal.hint);
                None
            }
        }
    }

    fn call(&mut self, name: &str, args: &[Term], span: Span) -> Option<Operand> {
        let is_segment = name == "segment";
        if is_segment && self.scope == Scope::Population {
            let message = "`segment()` is not available in a population filter, which is applied \
                           before segments are computed; it is available in users and accounts rules";
            self.problem(span, message.to_owned(), None);
            return None;
        }
        let (min, max, usage) = match name {
            "did" | "count" => (1, 2, "an event name, then optionally a number of days"),
            "segment" => (1, 1, "a segment id"),
            _ => {
                let functions: &[&str] = match self.scope {
                    Scope::Population => &["did", "count"],
                    _ => &["did", "count", "segment"],
                };
                let hint = if NAMED_FIELDS.iter().any(|(field, _)| *field == name) {
                    Some(format!("`{name}` is a field: write it without parentheses"))
                } else {
                    closest(name, functions.iter().copied())
                        .map(|function| format!("did you mean `{function}`?"))
                };
                self.problem(span, format!("unknown function {}", quote(name)), hint);
                return None;
            }
        };
        if !(min..=max).contains(&args.len()) {
            let expected = if min == max {
                "1 argument".to_owned()
            } else {
                format!("{min} or {max} arguments")
            };
            let message = format!("`{name}` takes {expected} ({usage}), got {}", args.len());
            self.problem(span, message, None);
            return None;
        }
        let (what, example) = if is_segment {
            ("the segment id", "segment('ice_cold')")
        } else {
            ("the event name", "did('Report Created')")
        };
        let text = self.quoted_text(&args[0], what, example);
        if is_segment {
            return text.map(Operand::Segment);
        }
        let days = match args.get(1) {
            Some(term) => Some(self.days(term)?),
            None => None,
        };
        let need = EventNeed { event: text?, days };
        Some(if name == "did" {
            Operand::Did(need)
        } else {
            Operand::Count(need)
        })
    }

    fn quoted_text(&mut self, term: &Term, what: &str, example: &str) -> Option<String> {
        match &term.kind {
            TermKind::Literal(Value::String(text)) if !text.trim().is_empty() => Some(text.clone()),
            TermKind::Literal(Value::String(_)) => {
                self.problem(term.span, format!("{what} is empty"), None);
                None
            }
            _ => {
                let message = format!(
                    "{what} must be a quoted string, found {}",
                    self.text(term.span)
                );
                let hint = Some(format!("e.g. {example}"));
                self.problem(term.span, message, hint);
                None
            }
        }
    }

    fn days(&mut self, term: &Term) -> Option<u32> {
        if let TermKind::Literal(Value::Number(days)) = term.kind
            && days.fract() == 0.0
            && (1.0..=f64::from(MAX_DAYS)).contains(&days)
        {
            return Some(days as u32);
        }
        let message = format!(
            "`days` must be a whole number from 1 to {MAX_DAYS}, found {}",
            self.text(term.span)
        );
        self.problem(
            term.span,
            message,
            Some("leave it out to count all time".to_owned()),
        );
        None
    }
}
