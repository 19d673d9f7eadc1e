//! Custom segments (SPEC §5): the definitions admins save with `PUT /v1/segments/{id}`,
//! validated with every problem listed, and the order in which a profile's custom segments
//! are evaluated, so that `segment('…')` always reads a segment computed before it.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

pub use crate::definition::{DefinitionError, DefinitionKind};
use crate::definition::{document, id_field, kind_field, rule_field, scope_of, slug_field};
use crate::ids::Slug;
use crate::profile::{MAX_NAME_CHARS, Problems};
use crate::rules::{Rule, Scope};
use crate::segments::{DEFAULT_SEGMENTS, default_segment};
use crate::snapshot::SubjectKind;

/// A custom segment as stored (JSON in this shape) and returned by the API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentDefinition {
    pub id: Slug,
    pub name: String,
    pub kind: SubjectKind,
    pub profile: Slug,
    pub rule: String,
}

const KEYS: [&str; 5] = ["id", "name", "kind", "profile", "rule"];

impl SegmentDefinition {
    /// Parses and validates a definition written in YAML or JSON. `path_id`, the id of
    /// `PUT /v1/segments/{id}`, fills an absent `id` and must equal a present one.
    pub fn parse(text: &str, path_id: Option<&str>) -> Result<SegmentDefinition, DefinitionError> {
        let object = document(
            text,
            DefinitionKind::Segment,
            "`kind`, `profile` and `rule`",
        )?;
        let mut problems = Problems::default();
        problems.unknown_keys("", &object, &KEYS);
        let id = id_field(object.get("id"), path_id, "at_risk", &mut problems);
        if let Some(id) = &id
            && DEFAULT_SEGMENTS
                .iter()
                .any(|default| default.id == id.as_str())
        {
            problems.push(format!(
                "id: `{id}` is a default segment; choose another id for a custom one"
            ));
        }
        let name = match object.get("name") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(name))
                if !name.trim().is_empty() && name.chars().count() <= MAX_NAME_CHARS =>
            {
                Some(name.clone())
            }
            Some(_) => {
                problems.push(format!(
                    "name: must be a non-empty string of at most {MAX_NAME_CHARS} characters"
                ));
                None
            }
        };
        let kind = kind_field("kind", object.get("kind"), &mut problems);
        let profile = slug_field("profile", object.get("profile"), "cs", &mut problems);
        let rule = rule_field("rule", object.get("rule"), kind, &mut problems);
        if let (Some(id), Some(rule), Some(kind)) = (&id, &rule, kind)
            && Rule::parse(rule, scope_of(kind)).is_ok_and(|rule| {
                rule.segments_referenced()
                    .iter()
                    .any(|named| named == id.as_str())
            })
        {
            problems.push(format!("rule: names its own segment `{id}`"));
        }
        match (id, kind, profile, rule) {
            (Some(id), Some(kind), Some(profile), Some(rule)) if problems.0.is_empty() => {
                Ok(SegmentDefinition {
                    name: name.unwrap_or_else(|| id.to_string()),
                    id,
                    kind,
                    profile,
                    rule,
                })
            }
            _ => Err(DefinitionError::new(DefinitionKind::Segment, problems.0)),
        }
    }

    /// The scope its rule runs in.
    pub fn scope(&self) -> Scope {
        scope_of(self.kind)
    }

    /// The checked rule. A stored definition was validated when saved; should a later
    /// version of the rule language refuse it, it compiles to a rule that matches nobody
    /// (missing compares false) rather than failing a whole computation.
    pub fn compiled(&self) -> Rule {
        Rule::parse(&self.rule, self.scope()).unwrap_or_else(|_| match_nobody(self.scope()))
    }
}

fn match_nobody(scope: Scope) -> Rule {
    Rule::parse("false", scope).expect("`false` is a rule in every scope")
}

/// Orders custom segments so that each comes after the segments its rule names with
/// `segment('…')`. A name resolves to a default segment of the same kind, else to a custom
/// segment of the same kind and profile; anything else, and any cycle, is an error naming
/// the ids. Among segments free to go in any order, the given order is kept.
pub fn evaluation_order(defs: &[SegmentDefinition]) -> Result<Vec<usize>, DefinitionError> {
    let plan = plan(defs);
    if plan.problems.is_empty() {
        Ok(plan.order)
    } else {
        Err(DefinitionError::new(DefinitionKind::Segment, plan.problems))
    }
}

/// How to evaluate a set of definitions: the compiled rules, in an order where every
/// segment follows those it names. Segments with a problem, or that depend on one, are
/// left out of `order` (and explained in `problems`), so the others still get computed.
pub(crate) struct Plan {
    pub order: Vec<usize>,
    pub rules: Vec<Rule>,
    pub problems: Vec<String>,
}

pub(crate) fn plan(defs: &[SegmentDefinition]) -> Plan {
    let mut problems = Vec::new();
    let mut broken = vec![false; defs.len()];
    let mut index: HashMap<(SubjectKind, &str, &str), usize> = HashMap::new();
    for (position, def) in defs.iter().enumerate() {
        let key = (def.kind, def.profile.as_str(), def.id.as_str());
        if index.insert(key, position).is_some() {
            problems.push(format!(
                "segment `{}` is defined twice for {} of profile `{}`",
                def.id,
                def.kind.as_str(),
                def.profile
            ));
            broken[position] = true;
        }
    }
    let mut rules = Vec::with_capacity(defs.len());
    // `depends_on[i]`: the custom segments segment i names.
    let mut depends_on: Vec<Vec<usize>> = vec![Vec::new(); defs.len()];
    for (position, def) in defs.iter().enumerate() {
        let rule = match Rule::parse(&def.rule, def.scope()) {
            Ok(rule) => rule,
            Err(errors) => {
                problems.push(format!("segment `{}`: rule: {errors}", def.id));
                broken[position] = true;
                rules.push(match_nobody(def.scope()));
                continue;
            }
        };
        for named in rule.segments_referenced() {
            if default_segment(&named, def.kind).is_some() {
                continue;
            }
            match index.get(&(def.kind, def.profile.as_str(), named.as_str())) {
                Some(&dependency) => depends_on[position].push(dependency),
                None => {
                    problems.push(format!(
                        "segment `{}` names `{named}`, which is neither a default {} segment nor a custom one of profile `{}`",
                        def.id,
                        def.kind.as_str(),
                        def.profile
                    ));
                    broken[position] = true;
                }
            }
        }
        rules.push(rule);
    }
    let order = topological_order(defs, &depends_on, &broken, &mut problems);
    Plan {
        order,
        rules,
        problems,
    }
}

/// Kahn's algorithm, taking the lowest ready position first so the order is stable.
/// Whatever never becomes ready depends on a broken segment or sits on (or behind) a cycle.
fn topological_order(
    defs: &[SegmentDefinition],
    depends_on: &[Vec<usize>],
    broken: &[bool],
    problems: &mut Vec<String>,
) -> Vec<usize> {
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); defs.len()];
    let mut waiting_for: Vec<usize> = vec![0; defs.len()];
    for (position, dependencies) in depends_on.iter().enumerate() {
        waiting_for[position] = dependencies.len();
        for dependency in dependencies {
            dependents[*dependency].push(position);
        }
    }
    let mut ready: BTreeSet<usize> = (0..defs.len())
        .filter(|position| waiting_for[*position] == 0 && !broken[*position])
        .collect();
    let mut order = Vec::with_capacity(defs.len());
    while let Some(position) = ready.pop_first() {
        order.push(position);
        for dependent in &dependents[position] {
            waiting_for[*dependent] -= 1;
            if waiting_for[*dependent] == 0 && !broken[*dependent] {
                ready.insert(*dependent);
            }
        }
    }
    report_cycles(defs, depends_on, &order, problems);
    order
}

/// Names each cycle among the segments left unordered, as `a` → `b` → `a`.
fn report_cycles(
    defs: &[SegmentDefinition],
    depends_on: &[Vec<usize>],
    ordered: &[usize],
    problems: &mut Vec<String>,
) {
    // A cycle's members are settled once it is named, so no cycle is named twice.
    let mut settled: BTreeSet<usize> = ordered.iter().copied().collect();
    for start in 0..defs.len() {
        if settled.contains(&start) {
            continue;
        }
        // Follow unsettled dependencies; a dead end means this one waits on a broken
        // segment (already reported), a repeat closes a cycle.
        let mut path = vec![start];
        let cycle = loop {
            let current = *path.last().expect("the path starts non-empty");
            let next = depends_on[current]
                .iter()
                .copied()
                .find(|dependency| !settled.contains(dependency));
            match next {
                None => break None,
                Some(next) => match path.iter().position(|seen| *seen == next) {
                    Some(first) => break Some(path[first..].to_vec()),
                    None => path.push(next),
                },
            }
        };
        settled.extend(path.iter().copied());
        if let Some(cycle) = cycle {
            let names: Vec<String> = cycle
                .iter()
                .chain(cycle.first())
                .map(|position| format!("`{}`", defs[*position].id))
                .collect();
            problems.push(format!(
                "segments refer to each other in a cycle: {}",
                names.join(" → ")
            ));
        }
    }
}

#[cfg(test)]
#[path = "segment_defs_tests.rs"]
mod tests;
