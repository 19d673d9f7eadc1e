//! The HTTP API v2 events built for function tests, through the stack the `ingest` and `api`
//! functions use (examples/http_echo.rs: axum under `lambda_http`, gzip inflated by tower-http)
//! run under the Runtime API emulator: the Router sees the request a client sent — method,
//! path, query, headers, body, a gzip body inflated — and its answer reads back as HTTP.

use pulse_e2e::lambda::{HttpApiResponse, LambdaFunction, example_binary, gzip, http_api_event};
use pulse_e2e::repo_root;
use serde_json::{Value, json};

async fn http_echo() -> LambdaFunction {
    let binary = example_binary("http_echo").expect("the http_echo example");
    LambdaFunction::start(binary, [("AWS_REGION", "us-east-1")])
        .await
        .expect("starting http_echo")
}

async fn send(function: &LambdaFunction, event: Value) -> HttpApiResponse {
    let answer = function.invoke(event).await.expect("an answer");
    HttpApiResponse::from_value(&answer).expect("an HTTP API v2 response")
}

#[tokio::test]
async fn a_json_post_reaches_the_router_as_sent() {
    let function = http_echo().await;
    let body = json!({"batch": [{"type": "track", "userId": "u-1", "event": "Report Created"}]});

    let response = send(
        &function,
        http_api_event(
            "POST",
            "/v1/batch",
            &[
                ("Content-Type", "application/json"),
                ("Authorization", "Basic d2s6"),
            ],
            body.to_string().as_bytes(),
        ),
    )
    .await;

    assert_eq!(response.status, 200);
    assert!(response.headers["content-type"].starts_with("application/json"));
    let seen = response.json().unwrap();
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], "/v1/batch");
    assert_eq!(seen["authorization"], "Basic d2s6");
    assert_eq!(
        serde_json::from_str::<Value>(seen["body"].as_str().unwrap()).unwrap(),
        body
    );
}

#[tokio::test]
async fn a_gzip_body_arrives_base64_encoded_and_is_inflated_by_the_router() {
    let function = http_echo().await;
    let body = json!({"batch": [], "sentAt": "2026-12-01T10:00:00Z"}).to_string();

    let response = send(
        &function,
        http_api_event(
            "POST",
            "/v1/batch",
            &[
                ("content-type", "application/json"),
                ("content-encoding", "gzip"),
            ],
            &gzip(body.as_bytes()),
        ),
    )
    .await;

    assert_eq!(response.status, 200);
    assert_eq!(response.json().unwrap()["body"], body);
}

#[tokio::test]
async fn the_committed_fixtures_reach_the_router() {
    let function = http_echo().await;
    let fixture = |name: &str| -> Value {
        let text = std::fs::read_to_string(repo_root().join("infra/events").join(name)).unwrap();
        serde_json::from_str(&text).unwrap()
    };

    let batch = send(&function, fixture("http-api-batch-gzip.json")).await;
    assert_eq!(batch.status, 200);
    let seen = batch.json().unwrap();
    let sent: Value = serde_json::from_str(seen["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent["batch"].as_array().unwrap().len(), 3);

    let account = send(&function, fixture("http-api-get-account.json")).await;
    let seen = account.json().unwrap();
    assert_eq!(
        (seen["method"].as_str(), seen["path"].as_str()),
        (Some("GET"), Some("/v1/accounts/acme"))
    );
    assert_eq!(seen["query"], "profile=cs");
    assert!(
        seen["authorization"]
            .as_str()
            .unwrap()
            .starts_with("Bearer ")
    );
}

#[tokio::test]
async fn an_unknown_path_is_the_routers_404() {
    let function = http_echo().await;

    let response = send(
        &function,
        http_api_event("GET", "/v1/nothing/here", &[], b""),
    )
    .await;

    assert_eq!(response.status, 404);
    assert_eq!(response.json().unwrap(), json!({"error": "not_found"}));
    assert_eq!(function.cold_starts(), 1);
}
