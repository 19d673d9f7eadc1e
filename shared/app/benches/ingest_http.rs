//! HTTP ingestion throughput on loopback: the real Router on the SQLite store (WAL,
//! synchronous=FULL, group commit), fed by concurrent clients posting `/v1/batch` requests
//! of 100 calls (20 users × 5 events, realistic sizes, unique messageIds).
//!
//! `cargo bench -p pulse-app --bench ingest_http` (env: PULSE_BENCH_REQUESTS, PULSE_BENCH_CLIENTS).

use std::sync::Arc;
use std::time::Instant;

use pulse_app::{App, AppConfig, SystemClock};
use pulse_store::sqlite::SqliteStore;
use serde_json::{Value, json};

const CALLS_PER_BATCH: usize = 100;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn batch(request: usize) -> Vec<u8> {
    let events = [
        "Report Created",
        "Dashboard Shared",
        "Invite Sent",
        "Viewed Page",
        "Logged In",
    ];
    let calls: Vec<Value> = (0..CALLS_PER_BATCH)
        .map(|n| {
            let user = (request * 20 + n / 5) % 50_000;
            json!({"type": "track", "userId": format!("user-{user}"), "event": events[n % events.len()],
                   "messageId": format!("bench-{request}-{n}"), "timestamp": "2026-12-01T12:00:00.000Z",
                   "properties": {"plan": "pro", "source": "web", "count": n},
                   "context": {"groupId": format!("acct-{}", user % 2_000), "library": {"name": "bench", "version": "1"}}})
        })
        .collect();
    serde_json::to_vec(&json!({"batch": calls, "sentAt": "2026-12-01T12:00:00.000Z"})).unwrap()
}

fn main() {
    let requests = env("PULSE_BENCH_REQUESTS", 3_000);
    let clients = env("PULSE_BENCH_CLIENTS", 16);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let app = App::new(Arc::new(store), Arc::new(SystemClock), AppConfig::default());
        let created = app.create_workspace("bench").await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1/batch", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, pulse_app::http::router(app)).await });

        let bodies: Arc<Vec<Vec<u8>>> = Arc::new((0..requests).map(batch).collect());
        let http = reqwest::Client::new();
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let started = Instant::now();
        let workers: Vec<_> = (0..clients)
            .map(|_| {
                let (http, url, key, bodies, next) =
                    (http.clone(), url.clone(), created.write_key.clone(), bodies.clone(), next.clone());
                tokio::spawn(async move {
                    loop {
                        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(body) = bodies.get(index) else { break };
                        let response = http
                            .post(&url)
                            .basic_auth(&key, Some(""))
                            .header("content-type", "application/json")
                            .body(body.clone())
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(response.status(), 200);
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.await.unwrap();
        }
        let seconds = started.elapsed().as_secs_f64();
        let events = requests * CALLS_PER_BATCH;
        let bytes: usize = bodies.iter().map(Vec::len).sum();
        println!("ingest_http: {requests} requests × {CALLS_PER_BATCH} calls, {clients} concurrent clients");
        println!("  {events} events in {seconds:.2} s = {:.0} events/s, {:.0} requests/s, {:.1} MB/s of JSON",
            events as f64 / seconds, requests as f64 / seconds, bytes as f64 / seconds / 1e6);
    });
}
