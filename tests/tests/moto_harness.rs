//! The moto harness itself: it starts, answers DynamoDB's API, and resets.

use pulse_e2e::moto::moto;

#[tokio::test]
async fn moto_starts_on_loopback_and_resets() {
    let server = moto();
    assert!(server.endpoint.starts_with("http://127.0.0.1:"));
    let response = reqwest::Client::new()
        .post(&server.endpoint)
        .header("X-Amz-Target", "DynamoDB_20120810.ListTables")
        .header("Content-Type", "application/x-amz-json-1.0")
        .header("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20261204/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["TableNames"].is_array(), "{body}");
    server.reset().await;
}
