//! Runs real Lambda function binaries in tests, without AWS and without Docker.
//!
//! [`RuntimeApi`] is an emulator of the Lambda Runtime API (version 2018-06-01) that a
//! function's runtime client polls (`GET /runtime/invocation/next`, `POST …/{id}/response`,
//! `POST …/{id}/error`, `POST /runtime/init/error`), on 127.0.0.1 and a free port.
//!
//! [`LambdaFunction`] starts a binary (a function's `bootstrap`) against its own emulator with
//! the environment Lambda gives (`AWS_LAMBDA_RUNTIME_API`, function name, memory, version, log
//! group), a clean environment otherwise, and [`LambdaFunction::invoke`] hands it one event
//! and waits for the outcome, as a synchronous `Invoke` does. Like Lambda, it runs one
//! invocation at a time per process, reports a timeout as `Sandbox.Timedout` and a crash as
//! `Runtime.ExitError`, and starts a fresh process (a cold start) on the next invocation.
//!
//! [`http_api`] builds API Gateway HTTP API (payload 2.0) events for the HTTP functions.

pub mod http_api;
mod runtime_api;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub use http_api::{HTTP_API_ROUTES, HttpApiResponse, gzip, http_api_event, route_for};
pub use runtime_api::{FunctionError, RuntimeApi};

use runtime_api::lock;

/// The path of an example of this package (`tests/examples/<name>.rs`), built for this test
/// run's profile. `cargo test` builds examples beside the test executables; a filtered
/// `cargo test --test …` does not, so a missing one, or one older than its source, is built
/// here with the cargo running the tests.
pub fn example_binary(name: &str) -> Result<PathBuf> {
    let test_exe = std::env::current_exe()?;
    let profile_dir = test_exe
        .parent()
        .and_then(Path::parent)
        .context("test executables live in target/<profile>/deps")?;
    let binary = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let source = crate::repo_root()
        .join("tests/examples")
        .join(format!("{name}.rs"));
    let modified = |path: &Path| {
        std::fs::metadata(path)
            .and_then(|meta| meta.modified())
            .ok()
    };
    let fresh = matches!((modified(&binary), modified(&source)), (Some(built), Some(written)) if built >= written);
    if !fresh {
        let release = profile_dir.file_name() == Some(OsStr::new("release"));
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let output = std::process::Command::new(cargo)
            .args(["build", "--quiet", "-p", "pulse-e2e", "--example", name])
            .args(release.then_some("--release"))
            .current_dir(crate::repo_root())
            .output()
            .context("running cargo build")?;
        anyhow::ensure!(
            output.status.success(),
            "building the example {name} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(binary)
}

/// The account id in ARNs the emulator makes up.
pub const ACCOUNT_ID: &str = "123456789012";

/// A function binary running under its own [`RuntimeApi`], invoked like Lambda invokes it.
pub struct LambdaFunction {
    api: RuntimeApi,
    binary: PathBuf,
    name: String,
    env: Vec<(OsString, OsString)>,
    timeout: Duration,
    process: tokio::sync::Mutex<Option<Child>>,
    cold_starts: Mutex<usize>,
    logs: Arc<Mutex<Vec<String>>>,
}

impl LambdaFunction {
    /// Starts `binary` with Lambda's environment plus `env` (which may override any of it,
    /// e.g. `AWS_LAMBDA_FUNCTION_NAME`). The process sees no other variable of the test's
    /// environment, so nothing of the machine (credentials, endpoints) leaks in.
    pub async fn start<K, V>(
        binary: impl AsRef<Path>,
        env: impl IntoIterator<Item = (K, V)>,
    ) -> Result<LambdaFunction>
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        let binary = binary.as_ref().to_path_buf();
        anyhow::ensure!(
            binary.exists(),
            "{} does not exist: build the function first",
            binary.display()
        );
        let env: Vec<(OsString, OsString)> = env
            .into_iter()
            .map(|(key, value)| (key.as_ref().to_owned(), value.as_ref().to_owned()))
            .collect();
        let setting = |name: &str| {
            env.iter()
                .rev()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.to_string_lossy().into_owned())
        };
        let name = setting("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|| {
            binary
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_else(|| "function".into())
        });
        let region = setting("AWS_REGION").unwrap_or_else(|| "us-east-1".into());
        let arn = format!("arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}");
        let api = RuntimeApi::start(&arn).await?;
        let function = LambdaFunction {
            api,
            binary,
            name,
            env,
            timeout: Duration::from_secs(30),
            process: tokio::sync::Mutex::new(None),
            cold_starts: Mutex::new(0),
            logs: Arc::new(Mutex::new(Vec::new())),
        };
        let process = function.spawn()?;
        *function.process.lock().await = Some(process);
        Ok(function)
    }

    /// The function's timeout (30 s unless set): the deadline it is told, and how long an
    /// invocation may take before it is `Sandbox.Timedout` and the process is replaced.
    pub fn with_timeout(mut self, timeout: Duration) -> LambdaFunction {
        self.timeout = timeout;
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many processes were started: 1 while every invocation reused the first one.
    pub fn cold_starts(&self) -> usize {
        *lock(&self.cold_starts)
    }

    /// Every line the function wrote to stdout and stderr so far (its "CloudWatch logs").
    pub fn logs(&self) -> Vec<String> {
        lock(&self.logs).clone()
    }

    fn spawn(&self) -> Result<Child> {
        let log_stream = format!("2026/01/01/[$LATEST]{}", uuid::Uuid::new_v4().simple());
        let task_root = self
            .binary
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut command = Command::new(&self.binary);
        command
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", self.api.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", &self.name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", self.name),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", log_stream)
            .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
            .env("LAMBDA_TASK_ROOT", task_root)
            .env("_HANDLER", "bootstrap")
            .env("TZ", ":UTC")
            .env("LANG", "en_US.UTF-8")
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", self.binary.display()))?;
        for stream in [
            child
                .stdout
                .take()
                .map(|out| Box::new(out) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
            child
                .stderr
                .take()
                .map(|err| Box::new(err) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
        ]
        .into_iter()
        .flatten()
        {
            let logs = self.logs.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    lock(&logs).push(line);
                }
            });
        }
        *lock(&self.cold_starts) += 1;
        // A new environment initialises afresh.
        self.api.clear_init_error();
        Ok(child)
    }

    /// Invokes the function synchronously with `event` (the payload an `Invoke` carries) and
    /// returns its response, or how it failed.
    pub async fn invoke(&self, event: Value) -> Result<Value, FunctionError> {
        let mut process = self.process.lock().await;
        // A process that exited since the last invocation is replaced, as Lambda replaces
        // an environment whose runtime died.
        if let Some(child) = process.as_mut()
            && !matches!(child.try_wait(), Ok(None))
        {
            *process = None;
        }
        if process.is_none() {
            *process = Some(self.spawn().map_err(|error| FunctionError {
                error_type: "Runtime.InvalidEntrypoint".into(),
                message: format!("{error:#}"),
            })?);
        }
        let child = process.as_mut().expect("a process was just started");
        let (request_id, outcome) = self.api.enqueue(&event, self.timeout);
        tokio::select! {
            // An answer wins over the exit that may follow it (a runtime exits after
            // reporting an init error).
            biased;
            outcome = outcome => outcome.unwrap_or_else(|_| Err(FunctionError {
                error_type: "Runtime.Unknown".into(),
                message: "the emulator dropped the invocation".into(),
            })),
            status = child.wait() => {
                self.api.forget(&request_id);
                *process = None;
                let status = status.map(|status| status.to_string()).unwrap_or_else(|error| error.to_string());
                Err(FunctionError {
                    error_type: "Runtime.ExitError".into(),
                    message: format!("RequestId: {request_id} Error: Runtime exited ({status}); last lines: {}", self.last_log_lines(5)),
                })
            }
            () = tokio::time::sleep(self.timeout) => {
                self.api.forget(&request_id);
                if let Some(mut child) = process.take() {
                    let _ = child.kill().await;
                }
                Err(FunctionError {
                    error_type: "Sandbox.Timedout".into(),
                    message: format!("RequestId: {request_id} Error: Task timed out after {:.2} seconds", self.timeout.as_secs_f64()),
                })
            }
        }
    }

    /// What the function reported to `/runtime/init/error`, if anything.
    pub fn init_error(&self) -> Option<FunctionError> {
        self.api.init_error()
    }

    fn last_log_lines(&self, count: usize) -> String {
        let logs = lock(&self.logs);
        logs[logs.len().saturating_sub(count)..].join(" | ")
    }
}
