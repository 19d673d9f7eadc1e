//! A test-only Lambda function on the official runtime client (`lambda_runtime`), to prove
//! that tests/src/lambda.rs speaks the Runtime API as Lambda does. It upper-cases `text` and
//! reports what the runtime told it (request id, ARN, deadline, trace id, configuration).
//!
//! Other paths, for the emulator's tests: an empty `text` is a handler error with its own
//! error type; a missing `text` fails the runtime's deserialization; `sleep_ms` delays the
//! answer (timeouts); `exit_code` kills the process mid-invocation (crashes). At start,
//! `ECHO_INIT=exit` fails before the runtime starts (as a function whose configuration is
//! missing does), and `ECHO_INIT=report` first posts the failure to `/runtime/init/error`.

use std::io::{Read, Write};

use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct EchoRequest {
    text: String,
    #[serde(default)]
    sleep_ms: u64,
    #[serde(default)]
    exit_code: Option<i32>,
}

#[derive(Debug)]
enum EchoError {
    EmptyText,
}

impl From<EchoError> for Diagnostic {
    fn from(error: EchoError) -> Diagnostic {
        match error {
            EchoError::EmptyText => Diagnostic {
                error_type: "Echo.EmptyText".into(),
                error_message: "there is no text to echo: send {\"text\": \"…\"}".into(),
            },
        }
    }
}

async fn echo(event: LambdaEvent<EchoRequest>) -> Result<Value, EchoError> {
    let (request, context) = event.into_parts();
    if request.sleep_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(request.sleep_ms)).await;
    }
    if let Some(code) = request.exit_code {
        std::process::exit(code);
    }
    if request.text.is_empty() {
        return Err(EchoError::EmptyText);
    }
    lambda_runtime::tracing::info!(chars = request.text.len(), "echoing");
    Ok(json!({
        "echo": request.text.to_uppercase(),
        "request_id": context.request_id,
        "invoked_function_arn": context.invoked_function_arn,
        "deadline_ms": context.deadline,
        "trace_id": context.xray_trace_id,
        "function_name": context.env_config.function_name,
        "memory_mb": context.env_config.memory,
        "version": context.env_config.version,
        "log_group": context.env_config.log_group,
        "region": std::env::var("AWS_REGION").ok(),
        "home": std::env::var("HOME").ok(),
    }))
}

/// Posts an init error the way a runtime does (a raw HTTP/1.1 request: the official crate
/// only reports init errors of SnapStart hooks itself).
fn report_init_error(message: &str) -> std::io::Result<()> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").unwrap_or_default();
    let body = json!({"errorType": "Echo.InitFailed", "errorMessage": message}).to_string();
    let mut stream = std::net::TcpStream::connect(&api)?;
    write!(
        stream,
        "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: {api}\r\n\
         Lambda-Runtime-Function-Error-Type: Echo.InitFailed\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    match std::env::var("ECHO_INIT").as_deref() {
        Ok("exit") => return Err("ECHO_INIT=exit: refusing to start".into()),
        Ok("report") => {
            report_init_error("ECHO_INIT=report: refusing to start")?;
            return Err("ECHO_INIT=report: refusing to start".into());
        }
        _ => {}
    }
    lambda_runtime::run(service_fn(echo)).await
}
