//! Plausible names for the simulated world: customer companies (with an industry that
//! fits the name), people, and the slugs used for account ids and e-mail domains.

use rand::Rng;
use rand::seq::IndexedRandom;

const COMPANY_STEMS: [&str; 60] = [
    "Northwind",
    "Bluepeak",
    "Copperleaf",
    "Silverline",
    "Brightwater",
    "Redwood",
    "Ironbridge",
    "Stonefield",
    "Clearview",
    "Greenhill",
    "Oakridge",
    "Suncrest",
    "Harborview",
    "Maplestone",
    "Falconer",
    "Evergreen",
    "Riverbend",
    "Highgate",
    "Lakeshore",
    "Westbrook",
    "Eastgate",
    "Pinecrest",
    "Goldfinch",
    "Bluebird",
    "Starling",
    "Cobalt",
    "Quartz",
    "Granite",
    "Summit",
    "Horizon",
    "Meridian",
    "Vertex",
    "Keystone",
    "Beacon",
    "Lantern",
    "Compass",
    "Anchor",
    "Atlas",
    "Orion",
    "Nimbus",
    "Juniper",
    "Willow",
    "Cedar",
    "Aspen",
    "Birchwood",
    "Foxglove",
    "Kestrel",
    "Halcyon",
    "Tidewater",
    "Driftwood",
    "Sandstone",
    "Emberly",
    "Wavecrest",
    "Thistle",
    "Marigold",
    "Saffron",
    "Indigo",
    "Crimson",
    "Amberly",
    "Glacier",
];

/// Suffixes paired with the industry they suggest; `None` leaves the industry to chance,
/// so "Granite Health" is a hospital group but "Granite Partners" could be anything.
const COMPANY_SUFFIXES: [(&str, Option<&str>); 20] = [
    ("Labs", Some("Software")),
    ("Systems", Some("Software")),
    ("Technologies", Some("Software")),
    ("Analytics", Some("Software")),
    ("Software", Some("Software")),
    ("Health", Some("Healthcare")),
    ("Medical", Some("Healthcare")),
    ("Logistics", Some("Logistics")),
    ("Freight", Some("Logistics")),
    ("Financial", Some("Financial Services")),
    ("Capital", Some("Financial Services")),
    ("Retail", Some("Retail")),
    ("Foods", Some("Retail")),
    ("Media", Some("Media")),
    ("Studios", Some("Media")),
    ("Energy", Some("Energy")),
    ("Group", None),
    ("Partners", None),
    ("Works", Some("Manufacturing")),
    ("Industries", Some("Manufacturing")),
];

const INDUSTRIES: [&str; 9] = [
    "Software",
    "Healthcare",
    "Logistics",
    "Financial Services",
    "Retail",
    "Media",
    "Energy",
    "Manufacturing",
    "Education",
];

const FIRST_NAMES: [&str; 48] = [
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Sofia", "Lucas", "Mia", "Ethan", "Amara",
    "Kenji", "Priya", "Arjun", "Chloe", "Daniel", "Fatima", "Omar", "Hannah", "Jonas", "Ingrid",
    "Lars", "Elena", "Marco", "Aisha", "Samuel", "Grace", "Leo", "Yuki", "Hiro", "Nadia", "Tomas",
    "Zara", "Felix", "Clara", "Diego", "Maya", "Ravi", "Sara", "Victor", "Lena", "Isaac", "Nora",
    "Ben", "Julia", "Kwame", "Ines", "Pavel",
];

const LAST_NAMES: [&str; 48] = [
    "Smith",
    "Garcia",
    "Chen",
    "Patel",
    "Muller",
    "Rossi",
    "Kim",
    "Nguyen",
    "Okafor",
    "Johansson",
    "Silva",
    "Novak",
    "Kowalski",
    "Tanaka",
    "Haddad",
    "Dubois",
    "Fischer",
    "Moreau",
    "Jensen",
    "Costa",
    "Ivanova",
    "Murphy",
    "Walsh",
    "Schmidt",
    "Lopez",
    "Brown",
    "Wilson",
    "Taylor",
    "Anderson",
    "Thomas",
    "Martin",
    "Lee",
    "Clark",
    "Lewis",
    "Young",
    "Hall",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Campbell",
    "Mitchell",
    "Roberts",
];

/// A generated customer company.
pub(super) struct CompanyName {
    pub name: String,
    pub slug: String,
    pub industry: &'static str,
}

/// `count` distinct company names. Stems × suffixes give 1,200 names; when a draw
/// collides repeatedly (only likely far above the 200-account default) a number is
/// appended so the loop always ends.
pub(super) fn company_names(count: usize, rng: &mut impl Rng) -> Vec<CompanyName> {
    let mut taken = std::collections::HashSet::with_capacity(count);
    let mut companies = Vec::with_capacity(count);
    while companies.len() < count {
        let stem = COMPANY_STEMS.choose(rng).copied().unwrap_or("Acme");
        let &(suffix, industry_hint) = COMPANY_SUFFIXES.choose(rng).unwrap_or(&("Group", None));
        let mut name = format!("{stem} {suffix}");
        if taken.contains(&name) {
            if rng.random_ratio(9, 10) {
                continue;
            }
            name = format!("{stem} {suffix} {}", companies.len() + 2);
            if taken.contains(&name) {
                continue;
            }
        }
        let industry =
            industry_hint.unwrap_or_else(|| INDUSTRIES.choose(rng).copied().unwrap_or("Software"));
        taken.insert(name.clone());
        companies.push(CompanyName {
            slug: slug(&name),
            name,
            industry,
        });
    }
    companies
}

/// A random full name, as (`First Last`, `first.last`) — the second is the e-mail local part.
pub(super) fn person_name(rng: &mut impl Rng) -> (String, String) {
    let first = FIRST_NAMES.choose(rng).copied().unwrap_or("Alex");
    let last = LAST_NAMES.choose(rng).copied().unwrap_or("Doe");
    (
        format!("{first} {last}"),
        format!("{}.{}", first.to_lowercase(), last.to_lowercase()),
    )
}

/// Lower-case, hyphen-separated form of a name: stable ids and e-mail domains.
fn slug(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            slug.push(ch.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}
