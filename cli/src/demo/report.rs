//! The demo's report: what a CS team would see after 90 days — the most and least engaged
//! accounts, who is cooling off, gone quiet or stuck in onboarding, segment sizes, the
//! week's segment changes, and (because this product is simulated) how Pulse's view lines
//! up with what each account was simulated to do.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Result;
use pulse_app::App;
use pulse_app::recompute::RecomputeSummary;
use pulse_core::{Day, Profile, SubjectKind, WorkspaceId};
use pulse_store::{AlertQuery, AlertRecord, ListQuery, Sort};
use serde_json::Value;

use super::sim::{SimAccount, Story};

/// What the demo run did, for the report.
#[derive(Default)]
pub struct DemoRun {
    pub calls: u64,
    pub rejected: u64,
    pub users: usize,
    pub elapsed: Duration,
    pub days: Vec<(Day, RecomputeSummary)>,
}

pub async fn print_report(
    app: &App,
    workspace: &WorkspaceId,
    profile: &Profile,
    run: &DemoRun,
    simulated: &[SimAccount],
) -> Result<()> {
    let Some((day, last)) = run.days.last() else {
        return Ok(());
    };
    let accounts = all_accounts(app, workspace, profile, *day).await?;
    let stories: BTreeMap<&str, &SimAccount> = simulated
        .iter()
        .map(|account| (account.id.as_str(), account))
        .collect();

    println!("\nPulse demo: Lumen Analytics, a simulated reporting product");
    println!(
        "  {} accounts · {} users · {} events over {} days · ingested and scored day by day in {:.1} s",
        simulated.len(),
        run.users,
        thousands(run.calls),
        run.days.len(),
        run.elapsed.as_secs_f64()
    );
    println!(
        "  Profile \"{}\": {}-day window, population `{}`; as of {day}: {} users scored ({} active, p90 {}), {} accounts",
        profile.name,
        profile.window_days,
        profile
            .population
            .as_ref()
            .map_or("everyone", |p| p.where_rule.as_str()),
        last.users,
        last.active_users,
        last.p90.map_or("n/a".into(), |p90| format!("{p90:.1}")),
        last.accounts
    );

    let mut by_score = accounts.clone();
    by_score.sort_by(|a, b| number(b, "/score/average").total_cmp(&number(a, "/score/average")));
    section("Most engaged accounts");
    account_table(by_score.iter().take(10), &stories);

    let mut cooling: Vec<&Value> = accounts
        .iter()
        .filter(|a| in_segment(a, "ice_cold"))
        .collect();
    cooling.sort_by(|a, b| number(a, "/score/change").total_cmp(&number(b, "/score/change")));
    section(&format!(
        "Cooling off: average score fell 10+ points in a week ({} accounts)",
        cooling.len()
    ));
    account_table(cooling.iter().copied().take(10), &stories);

    let quiet: Vec<&Value> = accounts
        .iter()
        .filter(|a| in_segment(a, "recently_inactive"))
        .collect();
    section(&format!(
        "Gone quiet: last event 30–60 days ago ({} accounts)",
        quiet.len()
    ));
    account_table(quiet.iter().copied().take(10), &stories);

    let mut onboarding: Vec<&Value> = accounts
        .iter()
        .filter(|a| in_segment(a, "onboarding"))
        .collect();
    onboarding
        .sort_by(|a, b| number(a, "/activation/rate").total_cmp(&number(b, "/activation/rate")));
    section(&format!(
        "Onboarding, not yet activated ({} accounts, least activated first)",
        onboarding.len()
    ));
    account_table(onboarding.iter().copied().take(10), &stories);

    let mut growing: Vec<&Value> = accounts
        .iter()
        .filter(|a| in_segment(a, "red_hot"))
        .collect();
    growing.sort_by(|a, b| number(b, "/score/change").total_cmp(&number(a, "/score/change")));
    section(&format!(
        "Heating up: average score rose 10+ points in a week ({} accounts)",
        growing.len()
    ));
    account_table(growing.iter().copied().take(5), &stories);

    segment_sizes(app, workspace, profile, *day).await?;
    alerts_of_the_week(app, workspace, *day).await?;
    let month_ago = app
        .store
        .scores_on(
            workspace,
            profile.id.as_str(),
            SubjectKind::Accounts,
            day.plus(-30),
        )
        .await?;
    stories_check(&accounts, &month_ago, simulated);
    Ok(())
}

async fn all_accounts(
    app: &App,
    workspace: &WorkspaceId,
    profile: &Profile,
    day: Day,
) -> Result<Vec<Value>> {
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let query = ListQuery {
            sort: Sort::default(),
            limit: 1_000,
            cursor,
            ..Default::default()
        };
        let page = app
            .list_scores(workspace, profile, SubjectKind::Accounts, day, &query)
            .await?;
        items.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(items),
        }
    }
}

fn section(title: &str) {
    println!("\n{title}");
}

fn account_table<'a>(
    accounts: impl Iterator<Item = &'a Value>,
    stories: &BTreeMap<&str, &SimAccount>,
) {
    let rows: Vec<&Value> = accounts.collect();
    if rows.is_empty() {
        println!("  (none)");
        return;
    }
    println!(
        "  {:<26} {:>6} {:>7} {:>8} {:>9} {:>10}  {:<16} segments",
        "account", "score", "change", "active", "adoption", "activation", "simulated as"
    );
    for account in rows {
        let id = account["id"].as_str().unwrap_or_default();
        let name = account["traits"]["name"].as_str().unwrap_or(id);
        let change = account["score"]["change"]
            .as_f64()
            .map_or("—".to_string(), |change| format!("{change:+.1}"));
        let activation = account["activation"]["rate"]
            .as_f64()
            .map_or("—".to_string(), |rate| format!("{rate:.0} %"));
        let segments: Vec<&str> = account["segments"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        println!(
            "  {:<26} {:>6.1} {:>7} {:>8} {:>8.1}% {:>10}  {:<16} {}",
            truncate(name, 26),
            number(account, "/score/average"),
            change,
            format!(
                "{}/{}",
                account["users"]["active"], account["users"]["total"]
            ),
            number(account, "/adoption/period"),
            activation,
            stories.get(id).map_or("?", |account| account.story.label()),
            segments.join(", ")
        );
    }
}

async fn segment_sizes(
    app: &App,
    workspace: &WorkspaceId,
    profile: &Profile,
    day: Day,
) -> Result<()> {
    let accounts = app
        .list_segments(workspace, profile, SubjectKind::Accounts, Some(day))
        .await?;
    let users = app
        .list_segments(workspace, profile, SubjectKind::Users, Some(day))
        .await?;
    section("Segment sizes (default segments, then custom ones)");
    println!("  {:<20} {:>9} {:>7}", "segment", "accounts", "users");
    for segment in &accounts {
        let id = segment["id"].as_str().unwrap_or_default();
        let users = users
            .iter()
            .find(|user_segment| user_segment["id"] == id)
            .map_or("—".to_string(), |user_segment| {
                user_segment["size"].to_string()
            });
        println!("  {:<20} {:>9} {:>7}", id, segment["size"], users);
    }
    Ok(())
}

/// The alerts of the last seven days, by rule, and the last day's in full.
async fn alerts_of_the_week(app: &App, workspace: &WorkspaceId, day: Day) -> Result<()> {
    let since = day.plus(-6).start();
    let mut recent: Vec<AlertRecord> = Vec::new();
    let mut cursor = None;
    'pages: loop {
        let query = AlertQuery {
            limit: 1_000,
            cursor,
            ..Default::default()
        };
        let page = app.store.alerts(workspace, &query).await?;
        for alert in page.items {
            if alert.raised_at < since {
                break 'pages;
            }
            recent.push(alert);
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    section(&format!(
        "Alerts of the last 7 days: {} (the rules in infra/alerts/)",
        recent.len()
    ));
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for alert in &recent {
        *by_rule.entry(alert.rule.as_str()).or_default() += 1;
    }
    for (rule, count) in &by_rule {
        println!("  {rule:<14} {count:>5}");
    }
    let today: Vec<&AlertRecord> = recent
        .iter()
        .filter(|alert| Day::of(alert.raised_at) >= day)
        .collect();
    section(&format!(
        "The last day's alerts ({}), as posted to Slack",
        today.len()
    ));
    for alert in today.iter().take(15) {
        println!(
            "  • {}",
            alert.alert["headline"].as_str().unwrap_or(&alert.rule)
        );
    }
    if today.len() > 15 {
        println!(
            "  … and {} more (a channel with many alerts gets one digest)",
            today.len() - 15
        );
    }
    if today.is_empty() {
        println!("  (none)");
    }
    Ok(())
}

/// Per simulated story: how Pulse saw those accounts on the last day.
fn stories_check(
    accounts: &[Value],
    month_ago: &std::collections::HashMap<String, f64>,
    simulated: &[SimAccount],
) {
    section("How Pulse's view lines up with what each account was simulated to do");
    println!(
        "  {:<18} {:>8} {:>8} {:>10} {:>13} {:>9} {:>11} {:>11}",
        "simulated as",
        "accounts",
        "scored",
        "avg score",
        "30 days ago",
        "engaged+",
        "onboarding",
        "gone quiet"
    );
    let by_id: BTreeMap<&str, &Value> = accounts
        .iter()
        .map(|a| (a["id"].as_str().unwrap_or_default(), a))
        .collect();
    let stories = [
        Story::PowerAccount,
        Story::Growing,
        Story::Steady,
        Story::NewThisMonth,
        Story::CoolingOff,
        Story::StalledOnboarding,
        Story::Churned,
        Story::Trial,
    ];
    for story in stories {
        let members: Vec<&SimAccount> = simulated
            .iter()
            .filter(|account| account.story == story)
            .collect();
        let scored: Vec<&Value> = members
            .iter()
            .filter_map(|account| by_id.get(account.id.as_str()).copied())
            .collect();
        let average = if scored.is_empty() {
            "—".to_string()
        } else {
            format!(
                "{:.1}",
                scored
                    .iter()
                    .map(|a| number(a, "/score/average"))
                    .sum::<f64>()
                    / scored.len() as f64
            )
        };
        let earlier: Vec<f64> = members
            .iter()
            .filter_map(|account| month_ago.get(&account.id).copied())
            .collect();
        let earlier = if earlier.is_empty() {
            "—".to_string()
        } else {
            format!("{:.1}", earlier.iter().sum::<f64>() / earlier.len() as f64)
        };
        let count = |segment: &str| scored.iter().filter(|a| in_segment(a, segment)).count();
        println!(
            "  {:<18} {:>8} {:>8} {:>10} {:>13} {:>9} {:>11} {:>11}",
            story.label(),
            members.len(),
            scored.len(),
            average,
            earlier,
            count("most_engaged") + count("engaged"),
            count("onboarding"),
            count("recently_inactive")
        );
    }
    println!("  (trial accounts are outside the profile's population, so they are not scored)");
}

fn in_segment(account: &Value, segment: &str) -> bool {
    account["segments"]
        .as_array()
        .is_some_and(|segments| segments.iter().any(|s| s == segment))
}

fn number(value: &Value, pointer: &str) -> f64 {
    value
        .pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or(0.0)
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut short: String = text.chars().take(max - 1).collect();
    short.push('…');
    short
}

fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
