//! Properties over generated input: no text makes the parser panic or hang, errors are
//! always placed inside the text, and printed syntax trees parse back unchanged.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::support::TestSubject;
use crate::rules::ast::{CmpOp, Expr, Operand};
use crate::rules::error::line_and_column;
use crate::rules::subject::quoted_string;
use crate::rules::{EventNeed, Field, Rule, Scope, Value};

const SCOPES: [Scope; 3] = [Scope::Users, Scope::Accounts, Scope::Population];

/// Parses in every scope, checking the time taken and where errors are placed.
fn parse_everywhere(source: &str) -> Result<(), TestCaseError> {
    for scope in SCOPES {
        let started = Instant::now();
        let result = Rule::parse(source, scope);
        prop_assert!(
            started.elapsed() < Duration::from_secs(2),
            "slow parse of {source:?}"
        );
        let Err(errors) = result else { continue };
        prop_assert!(!errors.0.is_empty());
        for error in &errors.0 {
            prop_assert!(source.is_char_boundary(error.offset), "{error:?}");
            prop_assert_eq!(
                (error.line, error.column),
                line_and_column(source, error.offset)
            );
        }
    }
    Ok(())
}

#[test]
fn worst_case_inputs_parse_quickly() {
    let worst = [
        "@ ".repeat(2048),
        "\n@".repeat(2048),
        "scroe == 1 or ".repeat(292),
        "dud('x') or ".repeat(341),
        "x".repeat(4096),
        "'".to_owned() + &"a".repeat(4095),
        "é".repeat(2048),
        "(".repeat(4096),
    ];
    for source in &worst {
        parse_everywhere(source).unwrap_or_else(|failure| panic!("{failure}"));
    }
}

const TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    ",",
    " ",
    "\n",
    "not ",
    " and ",
    " or ",
    " in ",
    "==",
    "!=",
    "<",
    ">=",
    "=",
    "!",
    "score",
    "traits.plan",
    "traits['a b']",
    "account.score",
    "users.total",
    "did('X')",
    "count('X', 30)",
    "segment('s')",
    "count(",
    "did(",
    "'",
    "\"",
    "\\",
    "'pro'",
    "-",
    "-5",
    "2.5",
    ".",
    "true",
    "NULL",
    "é",
    "日本",
    "\u{0}",
    "@",
];

proptest! {
    #[test]
    fn arbitrary_text_never_panics(source in any::<String>()) {
        parse_everywhere(&source)?;
    }

    #[test]
    fn text_made_of_rule_tokens_never_panics(
        tokens in prop::collection::vec(prop::sample::select(TOKENS), 0..1200),
    ) {
        parse_everywhere(&tokens.concat())?;
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack(
        levels in 0usize..2000,
        opener in prop::sample::select(&["(", "not (", "not ", "count(", "["][..]),
    ) {
        let closer = match opener { "not " => "", "[" => "]", _ => ")" };
        let source = opener.repeat(levels) + "did('X')" + &closer.repeat(levels);
        parse_everywhere(&source)?;
        if levels > 64 && source.len() <= crate::rules::MAX_RULE_BYTES {
            let errors = Rule::parse(&source, Scope::Users).expect_err("too deep");
            prop_assert!(errors.0[0].message.contains("deeper than 64"), "{errors}");
        }
    }

    #[test]
    fn a_printed_rule_parses_back_to_the_same_tree(expr in expr()) {
        let source = print(&expr);
        prop_assume!(source.len() <= crate::rules::MAX_RULE_BYTES);

        let rule = Rule::parse(&source, Scope::Users).map_err(|errors| {
            TestCaseError::fail(format!("{source}: {errors}"))
        })?;

        prop_assert_eq!(&rule.expr, &expr, "{}", source);
    }

    #[test]
    fn in_a_list_means_equal_to_one_of_its_items(
        subject in subject(),
        items in prop::collection::vec(literal(), 0..4),
    ) {
        let list = items.iter().map(print_value).collect::<Vec<_>>().join(", ");
        let equalities: Vec<String> =
            items.iter().map(|item| format!("traits.a == {}", print_value(item))).collect();
        let any_equal = if equalities.is_empty() { "false".to_owned() } else { equalities.join(" or ") };

        let membership = Rule::parse(&format!("traits.a in [{list}]"), Scope::Users).expect("valid");
        let equality = Rule::parse(&any_equal, Scope::Users).expect("valid");

        prop_assert_eq!(membership.eval(&subject), equality.eval(&subject));
    }

    #[test]
    fn not_equal_to_null_is_the_negation_of_equal_to_null(subject in subject()) {
        let present = Rule::parse("traits.a != null", Scope::Users).expect("valid");
        let absent = Rule::parse("traits.a == null", Scope::Users).expect("valid");

        prop_assert_eq!(present.eval(&subject), !absent.eval(&subject));
    }

    #[test]
    fn did_is_a_count_above_zero(count in prop::option::of(0.0f64..3.0), days in prop::option::of(1u32..=400)) {
        let subject = match count {
            Some(count) => TestSubject::new().with_count("X", days, count),
            None => TestSubject::new(),
        };
        let window = days.map(|days| format!(", {days}")).unwrap_or_default();

        let did = Rule::parse(&format!("did('X'{window})"), Scope::Users).expect("valid");
        let count = Rule::parse(&format!("count('X'{window}) > 0"), Scope::Users).expect("valid");

        prop_assert_eq!(did.eval(&subject), count.eval(&subject));
    }
}

fn trait_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_owned()),
        Just("plan".to_owned()),
        Just("company.size-band".to_owned()),
        "[ -~é]{1,12}",
    ]
}

fn literal() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1_000_000i64..1_000_000).prop_map(|n| Value::Number(n as f64)),
        (-1e9f64..1e9).prop_map(Value::Number),
        "[ -~é'\"\\\\\n]{0,8}".prop_map(Value::String),
    ]
}

fn subject() -> impl Strategy<Value = TestSubject> {
    let list = prop::collection::vec(literal(), 0..3).prop_map(Value::List);
    prop::option::of(prop_oneof![literal(), list]).prop_map(|value| match value {
        Some(value) => TestSubject::new().with_trait("a", value),
        None => TestSubject::new(),
    })
}

/// Operands that the validator accepts in any position of a comparison.
fn number_operand() -> impl Strategy<Value = Operand> {
    let fields = prop::sample::select(vec![
        Field::Score,
        Field::RawScore,
        Field::ScoreChange,
        Field::Frequency,
        Field::Adoption,
        Field::AdoptionAllTime,
        Field::Activation,
        Field::FirstSeenDays,
        Field::LastSeenDays,
    ]);
    let days = prop::option::of(1u32..=400);
    prop_oneof![
        (fields, any::<bool>())
            .prop_map(|(field, on_account)| Operand::Field { field, on_account }),
        ("[A-Za-z][A-Za-z ]{0,9}", days)
            .prop_map(|(event, days)| Operand::Count(EventNeed { event, days })),
        (-1e6f64..1e6).prop_map(|n| Operand::Literal(Value::Number(n))),
    ]
}

fn trait_operand() -> impl Strategy<Value = Operand> {
    (trait_name(), any::<bool>()).prop_map(|(name, on_account)| Operand::Field {
        field: Field::Trait(name),
        on_account,
    })
}

fn condition() -> impl Strategy<Value = Expr> {
    let ordering = prop::sample::select(vec![
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
        CmpOp::Eq,
        CmpOp::Ne,
    ]);
    let equality = prop::sample::select(vec![CmpOp::Eq, CmpOp::Ne]);
    let membership = prop::sample::select(vec![CmpOp::In, CmpOp::NotIn]);
    let boolean = prop_oneof![
        "[a-z_]{1,8}".prop_map(Operand::Segment),
        ("[A-Za-z][A-Za-z ]{0,9}", prop::option::of(1u32..=400))
            .prop_map(|(event, days)| Operand::Did(EventNeed { event, days })),
        any::<bool>().prop_map(|flag| Operand::Literal(Value::Bool(flag))),
        trait_operand(),
    ];
    prop_oneof![
        (number_operand(), ordering, number_operand())
            .prop_map(|(left, op, right)| Expr::Compare { left, op, right }),
        (
            trait_operand(),
            equality,
            literal().prop_map(Operand::Literal)
        )
            .prop_map(|(left, op, right)| Expr::Compare { left, op, right }),
        (
            trait_operand(),
            membership,
            prop::collection::vec(literal(), 0..4)
        )
            .prop_map(|(left, op, items)| Expr::Compare {
                left,
                op,
                right: Operand::List(items)
            }),
        boolean.prop_map(Expr::Condition),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    condition().prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Any),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::All),
            inner.prop_map(|inner| Expr::Not(Box::new(inner))),
        ]
    })
}

/// Prints a tree as rule text, with parentheses around every nested `and`/`or` so the
/// text parses back to exactly this tree.
fn print(expr: &Expr) -> String {
    let nested = |expr: &Expr| match expr {
        Expr::Any(_) | Expr::All(_) => format!("({})", print(expr)),
        _ => print(expr),
    };
    match expr {
        Expr::Any(items) => items.iter().map(nested).collect::<Vec<_>>().join(" or "),
        Expr::All(items) => items.iter().map(nested).collect::<Vec<_>>().join(" and "),
        Expr::Not(inner) => format!("not {}", nested(inner)),
        Expr::Compare { left, op, right } => {
            format!(
                "{} {} {}",
                print_operand(left),
                op.symbol(),
                print_operand(right)
            )
        }
        Expr::Condition(operand) => print_operand(operand),
    }
}

fn print_operand(operand: &Operand) -> String {
    let call = |name: &str, need: &EventNeed| match need.days {
        Some(days) => format!("{name}({}, {days})", quoted_string(&need.event)),
        None => format!("{name}({})", quoted_string(&need.event)),
    };
    match operand {
        Operand::Field {
            field,
            on_account: true,
        } => format!("account.{field}"),
        Operand::Field { field, .. } => field.to_string(),
        Operand::Segment(id) => format!("segment({})", quoted_string(id)),
        Operand::Did(need) => call("did", need),
        Operand::Count(need) => call("count", need),
        Operand::Literal(value) => print_value(value),
        Operand::List(items) => {
            format!(
                "[{}]",
                items.iter().map(print_value).collect::<Vec<_>>().join(", ")
            )
        }
    }
}

fn print_value(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => quoted_string(text),
        Value::List(items) => format!(
            "[{}]",
            items.iter().map(print_value).collect::<Vec<_>>().join(", ")
        ),
    }
}
