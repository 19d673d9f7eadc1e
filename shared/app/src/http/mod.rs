//! The HTTP API: ingestion (SPEC §2) and the admin/read API (SPEC §7) in one axum Router,
//! served by `pulse serve` locally and by `lambda_http` in the Lambda functions.

mod admin;
mod auth;
mod body;
mod definitions;
mod ingest;
mod response;

use axum::Router;
use axum::routing::{get, post};
use tower_http::trace::TraceLayer;

use crate::App;

pub use response::error_response;

/// Every route: ingestion and admin (`pulse serve`).
pub fn router(app: App) -> Router {
    finish(ingest_routes().merge(admin::routes()), app)
}

/// Ingestion only (the `ingest` function).
pub fn ingest_router(app: App) -> Router {
    finish(ingest_routes(), app)
}

/// The admin/read API only (the `api` function).
pub fn admin_router(app: App) -> Router {
    finish(admin::routes(), app)
}

fn ingest_routes() -> Router<App> {
    Router::new()
        .route("/v1/batch", post(ingest::receive))
        .route("/v1/import", post(ingest::receive))
        .route("/v1/track", post(ingest::receive))
        .route("/v1/identify", post(ingest::receive))
        .route("/v1/group", post(ingest::receive))
        .route("/v1/page", post(ingest::receive))
        .route("/v1/screen", post(ingest::receive))
        .route("/v1/alias", post(ingest::receive))
}

/// The parts every router shares: a health check, JSON 404/405 bodies, request tracing.
fn finish(routes: Router<App>, app: App) -> Router {
    routes
        .route("/health", get(health))
        .fallback(response::unknown_route)
        .method_not_allowed_fallback(response::method_not_allowed)
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}
