//! The harness the HTTP test suites share: an app on a fresh SQLite store with a manual
//! clock, requests driven through the one Router with `oneshot`, replies decoded as JSON,
//! and a fingerprint of everything a workspace has stored, to prove that a refused request
//! changed nothing.

// Each test binary uses a different part of the harness.
#![allow(dead_code)]

pub mod alerts;
pub mod dataset;

use std::io::Write;
use std::sync::Arc;

use axum::body::Body;
use base64::Engine;
use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use http::{HeaderMap, Method, Request, StatusCode, header};
use pulse_app::{App, AppConfig, ManualClock};
use pulse_core::records::{AccountRecord, IdentityRecord};
use pulse_core::{Day, Slug, WorkspaceId};
use pulse_store::sqlite::SqliteStore;
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt;

/// The moment the suites' clock starts at, unless a test moves it.
pub const NOW: &str = "2026-12-07T18:00:00Z";

pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a test time")
        .to_utc()
}

pub fn day(text: &str) -> Day {
    text.parse().expect("a test day")
}

/// An app on its own temporary data directory.
pub struct TestApp {
    pub app: App,
    pub clock: ManualClock,
    _data: TempDir,
}

/// A workspace with its keys.
pub struct Tenant {
    pub id: WorkspaceId,
    pub write_key: String,
    pub admin_key: String,
}

/// A decoded response.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl TestApp {
    pub async fn start() -> TestApp {
        TestApp::start_at(NOW).await
    }

    pub async fn start_at(now: &str) -> TestApp {
        let data = TempDir::new().expect("a temporary data directory");
        let store = SqliteStore::open(data.path()).expect("the store opens");
        let clock = ManualClock::new(at(now));
        let app = App::new(
            Arc::new(store),
            Arc::new(clock.clone()),
            AppConfig::default(),
        );
        TestApp {
            app,
            clock,
            _data: data,
        }
    }

    /// An app built elsewhere (e.g. on a store wrapped by a test), kept with its data
    /// directory and clock.
    pub fn from_parts(app: App, clock: ManualClock, data: TempDir) -> TestApp {
        TestApp {
            app,
            clock,
            _data: data,
        }
    }

    pub fn set_now(&self, now: &str) {
        self.clock.set(at(now));
    }

    pub async fn tenant(&self, name: &str) -> Tenant {
        let created = self
            .app
            .create_workspace(name)
            .await
            .expect("the workspace is created");
        Tenant {
            id: Slug::parse(&created.workspace).expect("a workspace slug"),
            write_key: created.write_key,
            admin_key: created.admin_key,
        }
    }

    /// Sends one request through the full Router.
    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = pulse_app::http::router(self.app.clone())
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("the response body is readable");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!(
                    "status {status}: the body is not JSON: {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// `POST path` with a JSON body and the write key as HTTP Basic user name.
    pub async fn ingest(&self, tenant: &Tenant, path: &str, body: &Value) -> Reply {
        self.send(
            post(path)
                .header(header::AUTHORIZATION, basic(&tenant.write_key))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .expect("a request"),
        )
        .await
    }

    /// An admin request with `Authorization: Bearer <admin key>`.
    pub async fn admin(
        &self,
        tenant: &Tenant,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Reply {
        self.admin_with_key(&tenant.admin_key, method, path, body)
            .await
    }

    pub async fn admin_with_key(
        &self,
        key: &str,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Reply {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {key}"));
        let body = body.map_or_else(Body::empty, Body::from);
        self.send(request.body(body).expect("a request")).await
    }

    pub async fn get(&self, tenant: &Tenant, path: &str) -> Reply {
        self.admin(tenant, Method::GET, path, None).await
    }

    /// `GET path` that must succeed; returns the body.
    pub async fn get_ok(&self, tenant: &Tenant, path: &str) -> Value {
        let reply = self.get(tenant, path).await;
        assert_eq!(reply.status, StatusCode::OK, "GET {path}: {}", reply.body);
        reply.body
    }

    pub async fn put_profile(&self, tenant: &Tenant, id: &str, text: &str) -> Reply {
        self.admin(
            tenant,
            Method::PUT,
            &format!("/v1/profiles/{id}"),
            Some(text.to_string()),
        )
        .await
    }

    pub async fn recompute(&self, tenant: &Tenant, body: Option<Value>) -> Reply {
        self.admin(
            tenant,
            Method::POST,
            "/v1/recompute",
            body.map(|body| body.to_string()),
        )
        .await
    }

    /// Recomputes every profile as of `as_of`, which must succeed.
    pub async fn recompute_as_of(&self, tenant: &Tenant, as_of: &str) -> Value {
        let reply = self.recompute(tenant, Some(json!({"as_of": as_of}))).await;
        assert_eq!(reply.status, StatusCode::OK, "recompute: {}", reply.body);
        reply.body
    }

    /// Everything the workspace has stored that requests can change.
    pub async fn stored(&self, tenant: &Tenant) -> StoredState {
        StoredState::read(&self.app, &tenant.id).await
    }
}

/// A comparable picture of a workspace's store: identities, accounts, usage (daily and
/// lifetime), profiles and the latest computed day of each.
#[derive(Debug, PartialEq)]
pub struct StoredState {
    pub identities: Vec<IdentityRecord>,
    pub accounts: Vec<AccountRecord>,
    pub usage: Vec<(String, Day, String, u64)>,
    pub lifetime: Vec<(String, String, u64)>,
    pub profiles: Vec<String>,
    pub latest_days: Vec<(String, Option<Day>)>,
}

impl StoredState {
    async fn read(app: &App, workspace: &WorkspaceId) -> StoredState {
        let data = app
            .store
            .scoring_data(workspace, day("2000-01-01"))
            .await
            .expect("scoring data");
        let mut identities = data.identities.clone();
        for identity in &mut identities {
            identity.accounts.sort();
        }
        identities.sort_by(|a, b| a.key.cmp(&b.key));
        let mut accounts = data.accounts.clone();
        accounts.sort_by(|a, b| a.id.cmp(&b.id));
        let mut usage: Vec<_> = data
            .usage
            .iter()
            .map(|usage| {
                (
                    usage.identity.clone(),
                    usage.day,
                    usage.event.clone(),
                    usage.count,
                )
            })
            .collect();
        usage.sort();
        let mut lifetime: Vec<_> = data
            .lifetime
            .iter()
            .map(|usage| (usage.identity.clone(), usage.event.clone(), usage.count))
            .collect();
        lifetime.sort();
        let stored_profiles = app.store.profiles(workspace).await.expect("profiles");
        let mut latest_days = Vec::new();
        for profile in &stored_profiles {
            let latest = app
                .store
                .latest_day(workspace, profile.id.as_str())
                .await
                .expect("latest day");
            latest_days.push((profile.id.to_string(), latest));
        }
        StoredState {
            identities,
            accounts,
            usage,
            lifetime,
            profiles: stored_profiles
                .iter()
                .map(|profile| format!("{profile:?}"))
                .collect(),
            latest_days,
        }
    }

    /// A raw identity (`u:<id>` / `a:<id>`) as stored.
    pub fn identity(&self, key: &str) -> &IdentityRecord {
        self.identities
            .iter()
            .find(|record| record.key == key)
            .unwrap_or_else(|| panic!("no identity {key} in {:?}", self.identities))
    }

    pub fn account(&self, id: &str) -> &AccountRecord {
        self.accounts
            .iter()
            .find(|record| record.id == id)
            .unwrap_or_else(|| panic!("no account {id} in {:?}", self.accounts))
    }

    /// How many times `identity` (`u:<id>` / `a:<id>`) did `event`, all days together.
    pub fn count(&self, identity: &str, event: &str) -> u64 {
        self.lifetime
            .iter()
            .filter(|(who, what, _)| who == identity && what == event)
            .map(|(_, _, count)| count)
            .sum()
    }

    /// The days on which `identity` did `event`.
    pub fn days(&self, identity: &str, event: &str) -> Vec<Day> {
        self.usage
            .iter()
            .filter(|(who, _, what, _)| who == identity && what == event)
            .map(|(_, day, _, _)| *day)
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.identities.is_empty() && self.accounts.is_empty() && self.usage.is_empty()
    }
}

impl Reply {
    /// Asserts the SPEC §2 error body `{"success":false,"error":code,"message":text}` and
    /// returns the message.
    pub fn assert_error(&self, status: StatusCode, code: &str) -> String {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        assert_eq!(self.body["success"], json!(false), "{}", self.body);
        assert_eq!(self.body["error"], json!(code), "{}", self.body);
        let message = self.body["message"]
            .as_str()
            .unwrap_or_else(|| panic!("the error has a message: {}", self.body));
        assert!(!message.is_empty(), "the message says something");
        message.to_string()
    }

    /// Asserts `200 {"success":true}`.
    pub fn assert_accepted(&self) {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        assert_eq!(self.body, json!({"success": true}));
    }
}

pub fn post(path: &str) -> http::request::Builder {
    Request::builder().method(Method::POST).uri(path)
}

/// `Basic base64("<key>:")`, as Segment's libraries send the write key.
pub fn basic(key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).expect("gzip in memory");
    encoder.finish().expect("gzip in memory")
}

/// A body whose size is unknown until it has been read (no Content-Length, no exact size hint).
pub fn streamed(bytes: Vec<u8>) -> Body {
    Body::from_stream(Body::from(bytes).into_data_stream())
}

/// A track call.
pub fn track(user: &str, event: &str, timestamp: &str) -> Value {
    json!({"type": "track", "userId": user, "event": event, "timestamp": timestamp})
}

/// A track call with a message id.
pub fn track_with_id(message_id: &str, user: &str, event: &str) -> Value {
    json!({"type": "track", "messageId": message_id, "userId": user, "event": event})
}

/// `count` identical track calls.
pub fn repeated(count: usize, user: &str, event: &str, timestamp: &str) -> Vec<Value> {
    (0..count).map(|_| track(user, event, timestamp)).collect()
}

pub fn batch(calls: Vec<Value>) -> Value {
    json!({ "batch": calls })
}

/// The ids of a list page's items, in order.
pub fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {page}"))
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_string())
        .collect()
}

/// `count` events, as `page` calls for `Viewed Page` and `track` calls otherwise.
pub fn usage(user: &str, event: &str, count: usize, timestamp: &str) -> Vec<Value> {
    let call = if event == "Viewed Page" {
        json!({"type": "page", "userId": user, "name": "Home", "timestamp": timestamp})
    } else {
        track(user, event, timestamp)
    };
    vec![call; count]
}

pub fn identify(user: &str, traits: Value, timestamp: &str) -> Value {
    json!({"type": "identify", "userId": user, "traits": traits, "timestamp": timestamp})
}

pub fn group(user: &str, account: &str, traits: Value, timestamp: &str) -> Value {
    json!({"type": "group", "userId": user, "groupId": account, "traits": traits, "timestamp": timestamp})
}
