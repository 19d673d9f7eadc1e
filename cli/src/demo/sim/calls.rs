//! The vocabulary of the simulated product (its events and pages) and the rendering of
//! planned activity into the JSON calls that `@segment/analytics-node` sends: the
//! envelope (`type`, ids, `messageId`, `timestamp`, `context`), `context.groupId` on
//! calls made inside a customer account, and per-event properties and traits.
//!
//! What the library adds that Pulse never reads (`context.library`, `integrations`,
//! `_metadata`) is left out on purpose: every nested object costs a ~600-byte map node
//! per call, and those made generating the run about a quarter slower.

use chrono::{Datelike, NaiveDate};
use serde_json::{Map, Value, json};

use super::population::Population;

const APP_URL: &str = "https://app.lumenreports.example";
const SITE_URL: &str = "https://lumenreports.example";
const DAY_MS: u32 = 86_400_000;
/// The length of `2026-09-03T14:05:09.123Z`.
const TIMESTAMP_LEN: usize = 24;

/// Track events of the product. Scored by the demo profile: Report Created, Dashboard
/// Shared, Invite Sent, Source Connected, Alert Configured; the rest is realistic noise.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Event {
    ReportCreated,
    DashboardShared,
    InviteSent,
    SourceConnected,
    AlertConfigured,
    LoggedIn,
    SettingsChanged,
    ExportDownloaded,
    SignedUp,
    TrialStarted,
}

impl Event {
    pub(super) fn name(self) -> &'static str {
        match self {
            Event::ReportCreated => "Report Created",
            Event::DashboardShared => "Dashboard Shared",
            Event::InviteSent => "Invite Sent",
            Event::SourceConnected => "Source Connected",
            Event::AlertConfigured => "Alert Configured",
            Event::LoggedIn => "Logged In",
            Event::SettingsChanged => "Settings Changed",
            Event::ExportDownloaded => "Export Downloaded",
            Event::SignedUp => "Signed Up",
            Event::TrialStarted => "Trial Started",
        }
    }
}

/// Pages of the marketing site (seen anonymously) and of the app.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Page {
    Home,
    Pricing,
    SignUp,
    AcceptInvite,
    Dashboard,
    Reports,
    ReportEditor,
    DataSources,
    Alerts,
    Team,
    Settings,
}

impl Page {
    fn name(self) -> &'static str {
        match self {
            Page::Home => "Home",
            Page::Pricing => "Pricing",
            Page::SignUp => "Sign Up",
            Page::AcceptInvite => "Accept Invite",
            Page::Dashboard => "Dashboard",
            Page::Reports => "Reports",
            Page::ReportEditor => "Report Editor",
            Page::DataSources => "Data Sources",
            Page::Alerts => "Alerts",
            Page::Team => "Team",
            Page::Settings => "Settings",
        }
    }

    fn path(self, variant: u32) -> String {
        let path = match self {
            Page::Home => "/",
            Page::Pricing => "/pricing",
            Page::SignUp => "/signup",
            Page::AcceptInvite => "/invite/accept",
            Page::Dashboard => return format!("/dashboards/{}", 10_000 + variant % 90_000),
            Page::Reports => "/reports",
            Page::ReportEditor => return format!("/reports/{}/edit", 100_000 + variant % 900_000),
            Page::DataSources => "/sources",
            Page::Alerts => "/alerts",
            Page::Team => "/settings/team",
            Page::Settings => "/settings",
        };
        path.to_string()
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) enum CallKind {
    Track(Event),
    /// `Invite Sent` for a real teammate (a member index) who accepts it the same day.
    Invitation {
        invitee: u32,
    },
    Page(Page),
    /// A page seen before signing up: only the `anonymousId` is known.
    AnonymousPage(Page),
    /// `with_anonymous_id` links the pre-signup browsing to the new user.
    Identify {
        with_anonymous_id: bool,
    },
    Group,
}

/// One call decided by the day's plan, waiting to be put in time order and rendered.
#[derive(Clone, Copy, Debug)]
pub(super) struct PlannedCall {
    pub at_ms: u32,
    /// Index into `Population::members`: whose call, in which account.
    pub member: u32,
    pub kind: CallKind,
    /// Random bits that pick property values, drawn while planning so that rendering
    /// needs no random stream of its own.
    pub variant: u32,
}

/// RFC 3339 UTC time with milliseconds, the form JavaScript's `Date#toISOString` sends.
pub(super) fn timestamp(date: NaiveDate, ms: u32) -> String {
    let mut text = date_prefix(date);
    push_time_of_day(&mut text, ms);
    text
}

fn date_prefix(date: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}T", date.year(), date.month(), date.day())
}

fn push_time_of_day(text: &mut String, ms: u32) {
    let ms = ms.min(DAY_MS - 1);
    push_digits(text, ms / 3_600_000, 2);
    text.push(':');
    push_digits(text, ms / 60_000 % 60, 2);
    text.push(':');
    push_digits(text, ms / 1_000 % 60, 2);
    text.push('.');
    push_digits(text, ms % 1_000, 3);
    text.push('Z');
}

/// Appends `value` zero-padded to at least `width` digits. Hand-rolled because the
/// `format!` machinery was a tenth of the rendering time.
fn push_digits(text: &mut String, value: u32, width: u32) {
    let digits = value.checked_ilog10().unwrap_or(0) + 1;
    let mut divisor = 10u32.pow(digits.max(width) - 1);
    while divisor > 0 {
        text.push(char::from(b'0' + (value / divisor % 10) as u8));
        divisor /= 10;
    }
}

fn message_id(day: u32, n: u32) -> String {
    let mut id = String::with_capacity(16);
    id.push_str("sim-");
    push_digits(&mut id, day, 1);
    id.push('-');
    push_digits(&mut id, n, 1);
    id
}

/// Renders a day's planned calls, already in time order.
pub(super) fn render_day(
    population: &Population,
    date: NaiveDate,
    day: u32,
    planned: &[PlannedCall],
) -> Vec<Value> {
    let prefix = date_prefix(date);
    planned
        .iter()
        .enumerate()
        .map(|(n, call)| {
            let mut time = String::with_capacity(TIMESTAMP_LEN);
            time.push_str(&prefix);
            push_time_of_day(&mut time, call.at_ms);
            render(population, call, message_id(day, n as u32), time)
        })
        .collect()
}

fn render(
    population: &Population,
    call: &PlannedCall,
    message_id: String,
    timestamp: String,
) -> Value {
    let member = &population.members[call.member as usize];
    let user = &population.users[member.user];
    let account = &population.accounts[member.account];
    let mut body = Map::new();
    let mut context = Map::new();
    let in_account = |context: &mut Map<String, Value>| {
        context.insert("groupId".into(), Value::String(account.id.clone()));
    };
    let call_type = match call.kind {
        CallKind::Track(event) => {
            body.insert("userId".into(), Value::String(user.id.clone()));
            body.insert("event".into(), Value::from(event.name()));
            body.insert(
                "properties".into(),
                event_properties(population, call, event),
            );
            in_account(&mut context);
            "track"
        }
        CallKind::Invitation { invitee } => {
            let invited = &population.users[population.members[invitee as usize].user];
            body.insert("userId".into(), Value::String(user.id.clone()));
            body.insert("event".into(), Value::from(Event::InviteSent.name()));
            body.insert(
                "properties".into(),
                json!({"invitee_email": invited.email, "invitee_role": invited.role.label()}),
            );
            in_account(&mut context);
            "track"
        }
        CallKind::Page(page) => {
            body.insert("userId".into(), Value::String(user.id.clone()));
            insert_page(&mut body, page, APP_URL, call.variant);
            in_account(&mut context);
            "page"
        }
        CallKind::AnonymousPage(page) => {
            body.insert(
                "anonymousId".into(),
                Value::String(user.anonymous_id.clone()),
            );
            insert_page(&mut body, page, SITE_URL, call.variant);
            "page"
        }
        CallKind::Identify { with_anonymous_id } => {
            body.insert("userId".into(), Value::String(user.id.clone()));
            if with_anonymous_id {
                body.insert(
                    "anonymousId".into(),
                    Value::String(user.anonymous_id.clone()),
                );
            }
            body.insert(
                "traits".into(),
                json!({
                    "email": user.email,
                    "name": user.name,
                    "role": user.role.label(),
                    "plan": account.plan,
                    "createdAt": user.created_at,
                }),
            );
            "identify"
        }
        CallKind::Group => {
            let profile = &population.profiles[member.account];
            body.insert("userId".into(), Value::String(user.id.clone()));
            body.insert("groupId".into(), Value::String(account.id.clone()));
            body.insert(
                "traits".into(),
                json!({
                    "name": account.name,
                    "plan": account.plan,
                    "employees": profile.employees,
                    "industry": profile.industry,
                    "createdAt": profile.created_at,
                }),
            );
            "group"
        }
    };
    body.insert("type".into(), Value::from(call_type));
    body.insert("messageId".into(), Value::String(message_id));
    body.insert("timestamp".into(), Value::String(timestamp));
    body.insert("context".into(), Value::Object(context));
    Value::Object(body)
}

fn insert_page(body: &mut Map<String, Value>, page: Page, base_url: &str, variant: u32) {
    let path = page.path(variant);
    let url = [base_url, path.as_str()].concat();
    body.insert("name".into(), Value::from(page.name()));
    body.insert("properties".into(), json!({"url": url, "path": path}));
}

/// Picks one of `options` with the bits of `variant` above `shift`, so that several
/// properties of one call vary independently.
fn pick(options: &[&'static str], variant: u32, shift: u32) -> &'static str {
    options[(variant >> shift) as usize % options.len()]
}

const SOURCES: [&str; 7] = [
    "postgres",
    "snowflake",
    "bigquery",
    "mysql",
    "google_sheets",
    "salesforce",
    "hubspot",
];

fn event_properties(population: &Population, call: &PlannedCall, event: Event) -> Value {
    let v = call.variant;
    match event {
        Event::ReportCreated => json!({
            "report_id": format!("rpt-{}", 100_000 + v % 900_000),
            "chart_type": pick(&["bar", "line", "table", "pie", "funnel"], v, 20),
            "data_source": pick(&SOURCES, v, 24),
        }),
        Event::DashboardShared => json!({
            "dashboard_id": format!("dash-{}", 10_000 + v % 90_000),
            "share_method": pick(&["email", "slack", "link"], v, 20),
            "recipients": 1 + (v >> 24) % 8,
        }),
        Event::InviteSent => {
            // An invitation nobody accepted (yet): a colleague at the same company.
            let account = &population.accounts[population.members[call.member as usize].account];
            json!({
                "invitee_email": format!("colleague{}@{}.example", v % 500, account.id),
                "invitee_role": pick(&["viewer", "viewer", "analyst", "admin"], v, 20),
            })
        }
        Event::SourceConnected => json!({"source_type": pick(&SOURCES, v, 16)}),
        Event::AlertConfigured => json!({
            "metric": pick(&["revenue", "signups", "active_users", "churn_rate", "pipeline"], v, 8),
            "condition": pick(&["drops below", "rises above"], v, 16),
            "channel": pick(&["email", "slack"], v, 24),
        }),
        Event::LoggedIn => json!({"method": pick(&["password", "sso", "google"], v, 8)}),
        Event::SettingsChanged => json!({
            "setting": pick(&["timezone", "theme", "notifications", "default_dashboard"], v, 8),
        }),
        Event::ExportDownloaded => json!({
            "format": pick(&["csv", "pdf", "xlsx"], v, 24),
            "rows": 50 + v % 20_000,
        }),
        Event::SignedUp => json!({"method": pick(&["email", "google"], v, 8)}),
        Event::TrialStarted => json!({"trial_days": 14}),
    }
}
