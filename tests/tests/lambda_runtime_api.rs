//! The Runtime API emulator (src/lambda.rs) against the official runtime client: a function
//! built with `lambda_runtime` (examples/echo.rs) is invoked several times in one warm
//! process, and every way an invocation ends — a response, a handler error, a payload the
//! runtime cannot read, a timeout, a crash, an init failure — comes back as Lambda reports it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pulse_e2e::lambda::{LambdaFunction, RuntimeApi, example_binary};
use serde_json::{Value, json};

async fn echo(env: &[(&str, &str)]) -> LambdaFunction {
    let binary = example_binary("echo").expect("the echo example");
    LambdaFunction::start(binary, env.iter().copied())
        .await
        .expect("starting echo")
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test]
async fn one_warm_process_answers_several_invocations_with_lambdas_context() {
    let function = echo(&[
        ("AWS_REGION", "eu-west-1"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
    ])
    .await;
    let mut request_ids = Vec::new();

    for text in ["hello", "pulse", "ünïcode"] {
        let before = now_ms();
        let answer = function
            .invoke(json!({"text": text}))
            .await
            .expect("an answer");

        assert_eq!(answer["echo"], text.to_uppercase());
        assert_eq!(
            answer["invoked_function_arn"],
            "arn:aws:lambda:eu-west-1:123456789012:function:echo"
        );
        let deadline = answer["deadline_ms"].as_u64().expect("a deadline");
        assert!(deadline >= before + 29_000 && deadline <= now_ms() + 30_000);
        assert!(answer["trace_id"].as_str().unwrap().starts_with("Root=1-"));
        assert_eq!(answer["function_name"], "echo");
        assert_eq!(answer["memory_mb"], 128);
        assert_eq!(answer["version"], "$LATEST");
        assert_eq!(answer["log_group"], "/aws/lambda/echo");
        assert_eq!(answer["region"], "eu-west-1");
        assert_eq!(
            answer["home"],
            Value::Null,
            "the test's environment does not leak in"
        );
        request_ids.push(answer["request_id"].as_str().unwrap().to_string());
    }

    request_ids.sort();
    request_ids.dedup();
    assert_eq!(
        request_ids.len(),
        3,
        "every invocation has its own request id"
    );
    assert_eq!(function.cold_starts(), 1);
    // AWS_LAMBDA_LOG_FORMAT=JSON (what the template's LoggingConfig sets): JSON log lines.
    let mut logged = false;
    for _ in 0..40 {
        logged = function.logs().iter().any(|line| {
            serde_json::from_str::<Value>(line)
                .is_ok_and(|record| record.to_string().contains("echoing"))
        });
        if logged {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(logged, "no JSON log line: {:?}", function.logs());
}

#[tokio::test]
async fn handler_errors_and_unreadable_payloads_are_function_errors_and_the_process_serves_on() {
    let function = echo(&[]).await;

    let empty = function.invoke(json!({"text": ""})).await.unwrap_err();
    assert_eq!(empty.error_type, "Echo.EmptyText");
    assert!(empty.message.contains("no text to echo"), "{empty}");

    let unreadable = function.invoke(json!({"words": 1})).await.unwrap_err();
    assert!(
        unreadable.error_type.contains("DeserializeError"),
        "{unreadable}"
    );
    assert!(unreadable.message.contains("text"), "{unreadable}");

    let answer = function.invoke(json!({"text": "still here"})).await;
    assert_eq!(answer.unwrap()["echo"], "STILL HERE");
    assert_eq!(
        function.cold_starts(),
        1,
        "errors do not restart the process"
    );
}

#[tokio::test]
async fn a_slow_invocation_times_out_and_the_next_one_starts_a_fresh_process() {
    let function = echo(&[]).await.with_timeout(Duration::from_millis(700));

    let timed_out = function
        .invoke(json!({"text": "slow", "sleep_ms": 10_000}))
        .await
        .unwrap_err();

    assert_eq!(timed_out.error_type, "Sandbox.Timedout");
    assert!(
        timed_out.message.contains("timed out after 0.70 seconds"),
        "{timed_out}"
    );
    let answer = function.invoke(json!({"text": "fast"})).await.unwrap();
    assert_eq!(answer["echo"], "FAST");
    let deadline = answer["deadline_ms"].as_u64().unwrap();
    assert!(
        deadline <= now_ms() + 700,
        "the deadline follows the timeout"
    );
    assert_eq!(function.cold_starts(), 2);
}

#[tokio::test]
async fn a_crash_is_a_runtime_exit_error_and_the_next_invocation_starts_cold() {
    let function = echo(&[]).await;

    let crashed = function
        .invoke(json!({"text": "boom", "exit_code": 3}))
        .await
        .unwrap_err();

    assert_eq!(crashed.error_type, "Runtime.ExitError");
    assert!(crashed.message.contains("exit status: 3"), "{crashed}");
    assert_eq!(
        function.invoke(json!({"text": "again"})).await.unwrap()["echo"],
        "AGAIN"
    );
    assert_eq!(function.cold_starts(), 2);
}

#[tokio::test]
async fn a_function_that_fails_to_start_fails_its_invocations() {
    let exits = echo(&[("ECHO_INIT", "exit")]).await;
    let error = exits.invoke(json!({"text": "x"})).await.unwrap_err();
    assert_eq!(error.error_type, "Runtime.ExitError");
    assert!(exits.init_error().is_none());

    let reports = echo(&[("ECHO_INIT", "report")]).await;
    let error = reports.invoke(json!({"text": "x"})).await.unwrap_err();
    assert_eq!(error.error_type, "Echo.InitFailed");
    assert!(error.message.contains("refusing to start"), "{error}");
    assert_eq!(reports.init_error(), Some(error));
}

#[tokio::test]
async fn the_emulator_speaks_the_runtime_api_protocol() {
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:raw";
    let api = RuntimeApi::start(arn).await.unwrap();
    let base = format!("http://{}/2018-06-01/runtime", api.address());
    let http = reqwest::Client::new();

    // /next long-polls: it answers once an invocation is queued.
    let poll = tokio::spawn({
        let http = http.clone();
        let base = base.clone();
        async move { http.get(format!("{base}/invocation/next")).send().await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!poll.is_finished(), "next waits for an invocation");
    let (request_id, outcome) = api.enqueue(&json!({"n": 1}), Duration::from_secs(3));
    let next = poll.await.unwrap().unwrap();

    assert_eq!(next.status(), 200);
    let header = |name: &str| {
        next.headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no {name} header"))
    };
    assert_eq!(header("lambda-runtime-aws-request-id"), request_id);
    assert_eq!(header("lambda-runtime-invoked-function-arn"), arn);
    let deadline: u64 = header("lambda-runtime-deadline-ms").parse().unwrap();
    assert!(deadline > now_ms() && deadline <= now_ms() + 3_000);
    assert!(header("lambda-runtime-trace-id").starts_with("Root=1-"));
    assert_eq!(next.json::<Value>().await.unwrap(), json!({"n": 1}));

    let posted = http
        .post(format!("{base}/invocation/{request_id}/response"))
        .body(r#"{"ok":true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 202);
    assert_eq!(outcome.await.unwrap(), Ok(json!({"ok": true})));

    let again = http
        .post(format!("{base}/invocation/{request_id}/response"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400, "an invocation is answered once");

    let (failing_id, failing) = api.enqueue(&json!({}), Duration::from_secs(3));
    let error = http
        .post(format!("{base}/invocation/{failing_id}/error"))
        .header("lambda-runtime-function-error-type", "Unhandled")
        .body(r#"{"errorType":"Pulse.Bad","errorMessage":"no"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(error.status(), 202);
    let failure = failing.await.unwrap().unwrap_err();
    assert_eq!(
        (failure.error_type.as_str(), failure.message.as_str()),
        ("Pulse.Bad", "no")
    );
}
