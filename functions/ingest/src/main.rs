//! The ingestion function: the Segment-compatible endpoints (`POST /v1/batch`, …) under
//! API Gateway's HTTP API, served by the same Router as `pulse serve`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let app = pulse_lambda::app().await?;
    lambda_http::run(pulse_app::http::ingest_router(app)).await
}
