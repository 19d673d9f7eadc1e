//! The admin and read API function (`/v1/profiles`, `/v1/accounts`, …), served by the same
//! Router as `pulse serve`; a separate function from ingestion for least privilege.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let app = pulse_lambda::app().await?;
    lambda_http::run(pulse_app::http::admin_router(app)).await
}
