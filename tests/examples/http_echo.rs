//! A test-only HTTP function, built as the `ingest` and `api` functions are: an axum Router
//! under `lambda_http` (API Gateway HTTP API payload 2.0) with gzip request bodies inflated
//! by tower-http. It answers with what the Router saw, so tests can check that the events
//! `pulse_e2e::lambda::http_api_event` builds arrive as the HTTP request a client sent.

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tower_http::decompression::RequestDecompressionLayer;

async fn seen(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> axum::Json<Value> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    axum::Json(json!({
        "method": method.as_str(),
        "path": uri.path(),
        "query": uri.query(),
        "authorization": header("authorization"),
        "content_encoding": header("content-encoding"),
        "body": String::from_utf8_lossy(&body),
    }))
}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let router = Router::new()
        .route("/v1/batch", post(seen))
        .route("/v1/accounts/{id}", get(seen))
        .route("/health", get(|| async { "ok" }))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"error": "not_found"})),
            )
        })
        .layer(RequestDecompressionLayer::new());
    lambda_http::run(router).await
}
