//! Evaluates a checked rule against a subject. The semantics are described in the
//! module documentation of [`super`]; the short version is that anything missing,
//! null or of the wrong type makes a comparison false rather than an error.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::ast::{CmpOp, Expr, Operand};
use super::subject::{Subject, Value};

pub(super) fn eval(expr: &Expr, subject: &dyn Subject) -> bool {
    match expr {
        Expr::Any(items) => items.iter().any(|item| eval(item, subject)),
        Expr::All(items) => items.iter().all(|item| eval(item, subject)),
        Expr::Not(inner) => !eval(inner, subject),
        Expr::Compare { left, op, right } => for_any_account(subject, &[left, right], |account| {
            compare(*op, left, right, subject, account)
        }),
        Expr::Condition(operand) => for_any_account(subject, &[operand], |account| {
            matches!(
                resolve(operand, subject, account).as_deref(),
                Some(Value::Bool(true))
            )
        }),
    }
}

/// A test that reads `account.` fields holds when it holds for any of the user's
/// accounts (and not at all for a user without one); other tests run once.
fn for_any_account(
    subject: &dyn Subject,
    operands: &[&Operand],
    test: impl Fn(Option<&dyn Subject>) -> bool,
) -> bool {
    if operands.iter().any(|operand| operand.reads_account()) {
        subject
            .accounts()
            .into_iter()
            .any(|account| test(Some(account)))
    } else {
        test(None)
    }
}

fn resolve<'a>(
    operand: &'a Operand,
    subject: &dyn Subject,
    account: Option<&dyn Subject>,
) -> Option<Cow<'a, Value>> {
    let value = match operand {
        Operand::Field {
            field,
            on_account: false,
        } => subject.field(field)?,
        Operand::Field {
            field,
            on_account: true,
        } => account?.field(field)?,
        Operand::Segment(id) => Value::Bool(subject.in_segment(id)?),
        Operand::Did(need) => Value::Bool(subject.event_count(&need.event, need.days)? > 0.0),
        Operand::Count(need) => Value::Number(subject.event_count(&need.event, need.days)?),
        Operand::Literal(value) => return Some(Cow::Borrowed(value)),
        Operand::List(items) => Value::List(items.clone()),
    };
    Some(Cow::Owned(value))
}

/// One side of an equality test. The literal `null` is special: it is the only thing
/// a missing value equals.
#[derive(Clone, Copy)]
struct Side<'v> {
    value: Option<&'v Value>,
    is_null_literal: bool,
}

impl Side<'_> {
    fn is_present(self) -> bool {
        self.is_null_literal || !matches!(self.value, None | Some(Value::Null))
    }
}

fn compare(
    op: CmpOp,
    left: &Operand,
    right: &Operand,
    subject: &dyn Subject,
    account: Option<&dyn Subject>,
) -> bool {
    let left_value = resolve(left, subject, account);
    let left_side = Side {
        value: left_value.as_deref(),
        is_null_literal: matches!(left, Operand::Literal(Value::Null)),
    };
    if op.is_membership() {
        return membership(op, left_side, right, subject, account);
    }
    let right_value = resolve(right, subject, account);
    let right_side = Side {
        value: right_value.as_deref(),
        is_null_literal: matches!(right, Operand::Literal(Value::Null)),
    };
    match op {
        CmpOp::Eq => equals(left_side, right_side) == Some(true),
        CmpOp::Ne => equals(left_side, right_side) == Some(false),
        _ => {
            let (Some(left), Some(right)) = (left_side.value, right_side.value) else {
                return false;
            };
            let ordering = match (left, right) {
                (Value::Bool(_), _) | (_, Value::Bool(_)) => None,
                _ => order(left, right),
            };
            ordering.is_some_and(|ordering| match op {
                CmpOp::Lt => ordering.is_lt(),
                CmpOp::Le => ordering.is_le(),
                CmpOp::Gt => ordering.is_gt(),
                _ => ordering.is_ge(),
            })
        }
    }
}

/// `Some(equal?)`, or `None` when the two can't be compared (missing, null, other type),
/// which makes both `==` and `!=` false.
fn equals(left: Side, right: Side) -> Option<bool> {
    if left.is_null_literal || right.is_null_literal {
        let other = if left.is_null_literal { right } else { left };
        return Some(!other.is_present() || other.is_null_literal);
    }
    order(left.value?, right.value?).map(Ordering::is_eq)
}

fn order(left: &Value, right: &Value) -> Option<Ordering> {
    match (left, right) {
        (Value::Number(left), Value::Number(right)) => left.partial_cmp(right),
        (Value::Number(left), Value::String(right)) => left.partial_cmp(&numeric(right)?),
        (Value::String(left), Value::Number(right)) => numeric(left)?.partial_cmp(right),
        (Value::String(left), Value::String(right)) => Some(left.cmp(right)),
        (Value::Bool(left), Value::Bool(right)) => Some(left.cmp(right)),
        _ => None,
    }
}

/// Traits often carry numbers as text (`"42"`); such text compares as a number.
fn numeric(text: &str) -> Option<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|number| number.is_finite())
}

fn membership(
    op: CmpOp,
    left: Side,
    right: &Operand,
    subject: &dyn Subject,
    account: Option<&dyn Subject>,
) -> bool {
    let (items, items_are_literals): (Cow<[Value]>, bool) = match right {
        Operand::List(items) => (Cow::Borrowed(items), true),
        other => match resolve(other, subject, account).map(Cow::into_owned) {
            Some(Value::List(items)) => (Cow::Owned(items), false),
            _ => return false,
        },
    };
    let found = items.iter().any(|item| {
        let item_side = Side {
            value: Some(item),
            is_null_literal: items_are_literals && *item == Value::Null,
        };
        equals(left, item_side) == Some(true)
    });
    match op {
        CmpOp::In => found,
        _ => left.is_present() && !found,
    }
}
