//! Resolves the field names a rule is written with for its scope, and guesses the
//! intended name when one is mistyped.

use super::Scope;
use super::subject::{Field, NAMED_FIELDS, is_plain_trait_name};

/// Why a name can't be used, phrased for the person who wrote it.
pub(super) struct Refusal {
    pub message: String,
    pub hint: Option<String>,
}

impl Refusal {
    fn new(message: String, hint: Option<String>) -> Self {
        Self { message, hint }
    }
}

/// The field `dotted` (plus the quoted key of `traits['…']`) names, and whether it is
/// read through `account.`. `written` is the name as quoted in messages.
pub(super) fn resolve_field(
    dotted: &str,
    key: Option<&str>,
    scope: Scope,
    written: &str,
) -> Result<(Field, bool), Refusal> {
    let (rest, on_account) = match dotted.strip_prefix("account.") {
        Some(rest) => (rest, true),
        None => (dotted, false),
    };
    let field = match (rest, key) {
        ("traits", Some(name)) if !name.is_empty() => Field::Trait(name.to_owned()),
        (_, Some(_)) => {
            let hint = "quoted names follow `traits`, e.g. traits['Company Size']";
            return Err(Refusal::new(
                format!("{written} is not a trait"),
                Some(hint.into()),
            ));
        }
        (_, None) if matches!(rest, "traits" | "traits.") || dotted == "account" => {
            let example = if rest.starts_with("traits") {
                "traits.plan"
            } else {
                "account.score"
            };
            let message = format!("{written} needs a field name, e.g. `{example}`");
            return Err(Refusal::new(message, None));
        }
        (_, None) => match rest.strip_prefix("traits.") {
            Some(name) if is_plain_trait_name(name) => Field::Trait(name.to_owned()),
            Some(_) => {
                let hint = "use the quoted form, e.g. traits['Company Size']";
                let message = format!("{written} is not a valid trait name");
                return Err(Refusal::new(message, Some(hint.into())));
            }
            None => match NAMED_FIELDS.iter().find(|(name, _)| *name == rest) {
                Some((_, field)) => field.clone(),
                None => {
                    let message = format!("unknown field {written}");
                    return Err(Refusal::new(message, field_suggestion(dotted, scope)));
                }
            },
        },
    };
    match scope_refusal(scope, &field, on_account, written) {
        Some(refusal) => Err(refusal),
        None => Ok((field, on_account)),
    }
}

/// Why `field` can't be read in `scope`, saying where it can be.
fn scope_refusal(scope: Scope, field: &Field, on_account: bool, written: &str) -> Option<Refusal> {
    let population = "a population filter, which is applied before scoring";
    let refusal = match (scope, on_account) {
        (Scope::Users, true) if field.is_member_aggregate() => Refusal::new(
            format!(
                "{written} is not available: `users.*` fields can't be read through `account.`"
            ),
            None,
        ),
        (Scope::Accounts, true) => Refusal::new(
            format!("{written} is only available in users rules"),
            Some(format!(
                "an accounts rule reads its own fields: write `{field}`"
            )),
        ),
        (Scope::Population, true) => Refusal::new(
            format!("{written} is not available in {population}; it is available in users rules"),
            None,
        ),
        (Scope::Users, false) if field.is_member_aggregate() => Refusal::new(
            format!("{written} is only available in accounts rules"),
            None,
        ),
        (Scope::Population, false) if !field.is_known_before_scoring() => {
            let allowed = if field.is_member_aggregate() {
                "accounts rules"
            } else {
                "users and accounts rules"
            };
            let message =
                format!("{written} is not available in {population}; it is available in {allowed}");
            Refusal::new(message, None)
        }
        _ => return None,
    };
    Some(refusal)
}

fn field_suggestion(written: &str, scope: Scope) -> Option<String> {
    if let Some((head, tail)) = written.split_once('.')
        && head != "traits"
        && strsim::damerau_levenshtein(head, "traits") <= 2
    {
        return Some(format!("did you mean `traits.{tail}`?"));
    }
    let own = NAMED_FIELDS
        .iter()
        .filter(|(_, field)| scope_refusal(scope, field, false, "").is_none())
        .map(|(name, _)| (*name).to_owned());
    let through_account = NAMED_FIELDS
        .iter()
        .filter(|(_, field)| scope_refusal(scope, field, true, "").is_none())
        .map(|(name, _)| format!("account.{name}"));
    let candidates: Vec<String> = own.chain(through_account).collect();
    match closest(written, candidates.iter().map(String::as_str)) {
        Some(name) => Some(format!("did you mean `{name}`?")),
        // A bare word that is no field is most often a trait written without `traits.`.
        None if !written.contains('.') && written.chars().count() <= 40 => {
            Some(format!("a trait is written `traits.{written}`"))
        }
        None => None,
    }
}

/// The candidate a person most likely meant, if one is close enough to be a typo.
pub(super) fn closest<'c>(
    written: &str,
    candidates: impl Iterator<Item = &'c str>,
) -> Option<&'c str> {
    if written.chars().count() > 64 {
        return None;
    }
    let lower = written.to_lowercase();
    candidates
        .map(|candidate| (strsim::damerau_levenshtein(&lower, candidate), candidate))
        .filter(|(distance, candidate)| {
            let longest = lower.chars().count().max(candidate.chars().count());
            *distance <= (longest / 3).max(1)
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}
