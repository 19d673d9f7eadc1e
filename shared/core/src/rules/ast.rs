//! The validated form of a rule: every field resolved, every function checked, no
//! source positions. This is what [`super::Rule`] keeps and evaluates.

use super::EventNeed;
use super::subject::{Field, Value};

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Expr {
    /// `a or b or …`, kept flat so long chains do not make a deep tree.
    Any(Vec<Expr>),
    /// `a and b and …`, flat for the same reason.
    All(Vec<Expr>),
    Not(Box<Expr>),
    Compare {
        left: Operand,
        op: CmpOp,
        right: Operand,
    },
    /// A bare operand used as a condition: `did('X')`, `segment('y')`, `traits.beta`.
    Condition(Operand),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
}

impl CmpOp {
    pub(super) fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::In => "in",
            CmpOp::NotIn => "not in",
        }
    }

    pub(super) fn is_ordering(self) -> bool {
        matches!(self, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge)
    }

    pub(super) fn is_membership(self) -> bool {
        matches!(self, CmpOp::In | CmpOp::NotIn)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Operand {
    /// `on_account` marks `account.<field>`: read from each of a user's accounts.
    Field {
        field: Field,
        on_account: bool,
    },
    Segment(String),
    Did(EventNeed),
    Count(EventNeed),
    Literal(Value),
    /// Only ever on the right of `in`; holds literals only.
    List(Vec<Value>),
}

impl Operand {
    pub(super) fn reads_account(&self) -> bool {
        matches!(
            self,
            Operand::Field {
                on_account: true,
                ..
            }
        )
    }
}

impl Expr {
    /// Visits operands left to right. Recursion is bounded by the parser's nesting limit.
    pub(super) fn for_each_operand(&self, visit: &mut dyn FnMut(&Operand)) {
        match self {
            Expr::Any(items) | Expr::All(items) => {
                for item in items {
                    item.for_each_operand(visit);
                }
            }
            Expr::Not(inner) => inner.for_each_operand(visit),
            Expr::Compare { left, right, .. } => {
                visit(left);
                visit(right);
            }
            Expr::Condition(operand) => visit(operand),
        }
    }
}
