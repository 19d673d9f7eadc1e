//! Rejected rules: each error says what is wrong, where (line:column) and what to do.

use super::support::{error, errors};
use crate::rules::{MAX_RULE_BYTES, Rule, Scope};

#[test]
fn a_misspelt_field_is_reported_with_the_closest_name() {
    assert_eq!(
        error("scroe < 3", Scope::Users),
        "unknown field `scroe` at 1:1 — did you mean `score`?"
    );
}

#[test]
fn an_error_on_the_second_line_is_placed_on_line_two() {
    assert_eq!(
        error("score > 50 and\n  activaton < 50", Scope::Users),
        "unknown field `activaton` at 2:3 — did you mean `activation`?"
    );
    assert_eq!(
        error("score > 50\n  and traits.plan = 'pro'", Scope::Users),
        "unexpected `=` at 2:19 — use `==` to compare"
    );
}

#[test]
fn member_counts_are_refused_in_a_users_rule() {
    assert_eq!(
        error("users.total >= 3", Scope::Users),
        "`users.total` is only available in accounts rules at 1:1"
    );
}

#[test]
fn scores_are_refused_in_a_population_filter() {
    assert_eq!(
        error("traits.plan == 'pro' and score > 50", Scope::Population),
        "`score` is not available in a population filter, which is applied before scoring; \
         it is available in users and accounts rules at 1:26"
    );
}

#[test]
fn segments_are_refused_in_a_population_filter() {
    assert_eq!(
        error("segment('new')", Scope::Population),
        "`segment()` is not available in a population filter, which is applied before \
         segments are computed; it is available in users and accounts rules at 1:1"
    );
}

#[test]
fn account_fields_are_refused_in_an_accounts_rule() {
    assert_eq!(
        error("account.score > 60", Scope::Accounts),
        "`account.score` is only available in users rules at 1:1 — an accounts rule reads \
         its own fields: write `score`"
    );
}

#[test]
fn zero_days_is_out_of_range() {
    assert_eq!(
        error("count('X', 0) > 1", Scope::Users),
        "`days` must be a whole number from 1 to 400, found `0` at 1:12 — leave it out to count all time"
    );
    errors(
        "did('X', 401) or did('X', 2.5) or did('X', -1) or did('X', score)",
        Scope::Users,
    )
    .iter()
    .for_each(|error| assert!(error.starts_with("`days` must be"), "{error}"));
}

#[test]
fn an_unterminated_string_points_at_its_opening_quote() {
    assert_eq!(
        error("traits.plan == 'pro", Scope::Users),
        "unterminated string at 1:16 — close it with `'`"
    );
}

#[test]
fn a_rule_that_ends_after_an_operator_expects_a_value() {
    assert_eq!(
        error("score <", Scope::Users),
        "expected a value after `<`, found the end of the rule at 1:8"
    );
    assert_eq!(
        error("score > 1 and", Scope::Users),
        "expected a condition after `and`, found the end of the rule at 1:14"
    );
}

#[test]
fn an_unclosed_parenthesis_points_at_itself() {
    assert_eq!(
        error("(score > 1", Scope::Users),
        "`(` is never closed at 1:1 — add `)`"
    );
    assert_eq!(
        error("(score > 1 did('X')", Scope::Users),
        "expected `and`, `or` or `)` to close the `(` at 1:1, found `did` at 1:12"
    );
}

#[test]
fn a_stray_closing_parenthesis_is_reported() {
    assert_eq!(
        error("score > 1)", Scope::Users),
        "unexpected `)` with no matching `(` at 1:10"
    );
}

#[test]
fn two_unknown_fields_are_both_listed() {
    assert_eq!(
        errors(
            "scroe > 1 and activaton < 50 or plan == 'pro'",
            Scope::Users
        ),
        [
            "unknown field `scroe` at 1:1 — did you mean `score`?",
            "unknown field `activaton` at 1:15 — did you mean `activation`?",
            "unknown field `plan` at 1:33 — a trait is written `traits.plan`",
        ]
    );
}

#[test]
fn all_errors_display_together_separated_by_semicolons() {
    let errors = Rule::parse("scroe > 1 or trait.plan == 'x'", Scope::Users).expect_err("invalid");

    assert_eq!(
        errors.to_string(),
        "unknown field `scroe` at 1:1 — did you mean `score`?; \
         unknown field `trait.plan` at 1:14 — did you mean `traits.plan`?"
    );
}

#[test]
fn an_unknown_function_suggests_a_known_one() {
    assert_eq!(
        error("dud('X')", Scope::Users),
        "unknown function `dud` at 1:1 — did you mean `did`?"
    );
}

#[test]
fn a_function_with_the_wrong_number_of_arguments_says_what_it_takes() {
    assert_eq!(
        error("count() > 1", Scope::Users),
        "`count` takes 1 or 2 arguments (an event name, then optionally a number of days), got 0 at 1:1"
    );
    assert_eq!(
        error("segment('a', 'b')", Scope::Users),
        "`segment` takes 1 argument (a segment id), got 2 at 1:1"
    );
}

#[test]
fn an_event_name_must_be_a_string_literal() {
    assert_eq!(
        error("did(Report)", Scope::Users),
        "the event name must be a quoted string, found `Report` at 1:5 — e.g. did('Report Created')"
    );
}

#[test]
fn a_list_is_refused_anywhere_but_after_in() {
    assert_eq!(
        error("traits.tags == ['a']", Scope::Users),
        "a list is only allowed on the right of `in` at 1:16 — e.g. traits.plan in ['pro', 'enterprise']"
    );
    assert_eq!(
        error("traits.plan in 'pro'", Scope::Users),
        "`in` needs a list on its right, found `'pro'` at 1:16 — e.g. traits.plan in ['pro', 'enterprise']"
    );
    assert_eq!(
        error("traits.plan in ['a', score]", Scope::Users),
        "a list may hold only literal values, found `score` at 1:22"
    );
}

#[test]
fn stray_characters_are_all_reported() {
    assert_eq!(
        errors("score > 50 @@ 3 && # 2", Scope::Users),
        [
            "unexpected characters `@@` at 1:12",
            "unexpected `&&` at 1:17 — use `and`",
            "unexpected character `#` at 1:20",
        ]
    );
}

#[test]
fn an_empty_rule_is_refused() {
    let expected = "the rule is empty at 1:1 — write a condition, e.g. `score > 50`";

    assert_eq!(error("", Scope::Users), expected);
    assert_eq!(error(" \n\t ", Scope::Users), expected);
}

#[test]
fn a_rule_over_the_size_limit_is_refused() {
    let source = "score > 1 or ".repeat(400) + "score > 1";

    assert_eq!(
        error(&source, Scope::Users),
        format!(
            "the rule is {} bytes long; the limit is {MAX_RULE_BYTES} at 1:1 — split it into \
             segments and combine them with `segment('…')`",
            source.len()
        )
    );
}

#[test]
fn nesting_stops_at_sixty_four_levels() {
    let nested = |levels: usize| "(".repeat(levels) + "score > 1" + &")".repeat(levels);

    assert!(Rule::parse(&nested(64), Scope::Users).is_ok());
    assert_eq!(
        error(&nested(65), Scope::Users),
        "the rule nests deeper than 64 levels at 1:65 — split it into segments and combine \
         them with `segment('…')`"
    );
}

#[test]
fn a_number_is_not_a_condition() {
    assert_eq!(
        error("score and did('X')", Scope::Users),
        "`score` is a number, not a condition at 1:1 — compare it, e.g. `score > 0`"
    );
}

#[test]
fn a_comparison_that_can_never_hold_is_refused() {
    assert_eq!(
        error("score == 'high'", Scope::Users),
        "can't compare `score` (a number) with `'high'` (text): it would always be false at 1:7"
    );
    assert_eq!(
        error("did('X') > false", Scope::Users),
        "`>` can't order true or false at 1:10 — compare it with `==` or `!=`"
    );
    assert_eq!(
        error("traits.plan < null", Scope::Users),
        "`<` can't order null at 1:13 — compare it with `==` or `!=`"
    );
}

#[test]
fn a_misspelt_connective_is_suggested() {
    assert_eq!(
        error("score > 1 adn did('X')", Scope::Users),
        "expected `and`, `or` or the end of the rule, found `adn` at 1:11 — did you mean `and`?"
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let errors =
        Rule::parse("traits.ville == 'Zürich' and scöre > 1", Scope::Users).expect_err("invalid");

    let error = &errors.0[0];
    assert_eq!((error.offset, error.line, error.column), (30, 1, 30));
    assert_eq!(error.message, "unknown field `scöre`");
}

#[test]
fn common_operators_from_other_languages_get_a_hint() {
    assert_eq!(
        error("!did('X')", Scope::Users),
        "unexpected `!` at 1:1 — use `not` to negate"
    );
    assert_eq!(
        error("score <> 1", Scope::Users),
        "unexpected `<>` at 1:7 — use `!=`"
    );
    assert_eq!(
        error("score > 1 || did('X')", Scope::Users),
        "unexpected `||` at 1:11 — use `or`"
    );
}

#[test]
fn a_bad_number_or_escape_is_reported() {
    assert_eq!(
        error("last_seen_days > 30d", Scope::Users),
        "`30d` is not a number at 1:18 — numbers are written like `42`, `-5` or `2.5`"
    );
    assert_eq!(
        error(r"traits.a == 'x\q'", Scope::Users),
        r"unknown escape `\q` at 1:15 — write `\\` for a backslash"
    );
}

#[test]
fn a_quoted_key_only_follows_traits() {
    assert_eq!(
        error("score['x'] > 1", Scope::Users),
        "`score['x']` is not a trait at 1:1 — quoted names follow `traits`, e.g. traits['Company Size']"
    );
    assert_eq!(
        error("traits > 1", Scope::Users),
        "`traits` needs a field name, e.g. `traits.plan` at 1:1"
    );
}

#[test]
fn a_numeric_symbol_that_is_not_a_digit_is_a_stray_character() {
    assert_eq!(
        error("score > ²", Scope::Users),
        "unexpected character `²` at 1:9"
    );
}

#[test]
fn a_list_item_that_can_never_match_is_refused() {
    assert_eq!(
        error("score in [10, 'high']", Scope::Users),
        "can't compare `score` (a number) with `'high'` (text): it would always be false at 1:15"
    );
}

#[test]
fn misuses_of_fields_and_parentheses_get_a_hint() {
    assert_eq!(
        error("score(30) > 1", Scope::Users),
        "unknown function `score` at 1:1 — `score` is a field: write it without parentheses"
    );
    assert_eq!(
        error("(score) > 3", Scope::Users),
        "expected `and`, `or` or the end of the rule, found `>` at 1:9 — parentheses group \
         conditions, not values: write the comparison inside them"
    );
    assert_eq!(
        error("score > .5", Scope::Users),
        "unexpected character `.` at 1:9 — write a leading zero, e.g. `0.5`"
    );
}

#[test]
fn a_chained_comparison_is_refused() {
    assert_eq!(
        error("1 < score < 5", Scope::Users),
        "expected `and`, `or` or the end of the rule, found `<` at 1:11"
    );
}
