//! Helpers for end-to-end tests: start the real `pulse` binary on a free loopback port with
//! its own data directory, run its CLI, talk to its HTTP API, and drive it with the official
//! Segment libraries (Node and Python). Every process started here is stopped on drop.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

/// The workspace root (this package's parent).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The `pulse` binary built for this test run (target/<profile>/pulse, beside deps/).
pub fn pulse_binary() -> PathBuf {
    let test_exe = std::env::current_exe().expect("the test executable has a path");
    let profile_dir = test_exe
        .parent()
        .and_then(Path::parent)
        .expect("test executables live in target/<profile>/deps");
    let binary = profile_dir.join(format!("pulse{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: build it first (`cargo build --workspace`, as the README's test command does)",
        binary.display()
    );
    binary
}

/// Runs `pulse <args>` to completion.
pub fn pulse(args: &[&str]) -> Output {
    Command::new(pulse_binary())
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("running pulse")
}

/// Runs `pulse <args>`, requiring success, and returns its stdout parsed as JSON.
pub fn pulse_json(args: &[&str]) -> Value {
    let output = pulse(args);
    assert!(
        output.status.success(),
        "pulse {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "pulse {args:?} printed no JSON ({error}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// A workspace created with `pulse workspace create`.
#[derive(Clone, Debug)]
pub struct Workspace {
    pub id: String,
    pub write_key: String,
    pub admin_key: String,
}

pub fn create_workspace(data: &Path, name: &str) -> Workspace {
    let created = pulse_json(&[
        "workspace",
        "create",
        name,
        "--data",
        data.to_str().expect("utf-8 path"),
    ]);
    Workspace {
        id: created["workspace"]
            .as_str()
            .expect("workspace id")
            .to_string(),
        write_key: created["write_key"]
            .as_str()
            .expect("write key")
            .to_string(),
        admin_key: created["admin_key"]
            .as_str()
            .expect("admin key")
            .to_string(),
    }
}

/// A running `pulse serve`.
pub struct PulseServer {
    child: Option<Child>,
    pub url: String,
    pub data: PathBuf,
}

impl PulseServer {
    /// Starts `pulse serve` on 127.0.0.1 with a free port; waits until it listens.
    pub fn start(data: &Path, extra_args: &[&str], env: &[(&str, &str)]) -> Result<PulseServer> {
        let mut command = Command::new(pulse_binary());
        command
            .args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(extra_args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().context("starting pulse serve")?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = sender.send(line);
            }
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let line = receiver
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| anyhow!("pulse serve did not report its address within 30 s"))?;
        let url = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .ok_or_else(|| anyhow!("unexpected first line from pulse serve: {line}"))?
            .to_string();
        Ok(PulseServer {
            child: Some(child),
            url,
            data: data.to_path_buf(),
        })
    }

    /// SIGKILL: no chance to flush anything that was not already committed.
    pub fn kill(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PulseServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A small client for the admin API.
pub struct Admin {
    http: reqwest::Client,
    url: String,
    key: String,
}

impl Admin {
    pub fn new(url: &str, key: &str) -> Admin {
        Admin {
            http: reqwest::Client::new(),
            url: url.to_string(),
            key: key.to_string(),
        }
    }

    pub async fn get(&self, path: &str) -> Value {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.send(reqwest::Method::POST, path, Some(body.to_string()))
            .await
    }

    pub async fn put_text(&self, path: &str, body: &str) -> Value {
        self.send(reqwest::Method::PUT, path, Some(body.to_string()))
            .await
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<String>) -> Value {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.url))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|error| panic!("{method} {path}: {error}"));
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(
            status.is_success(),
            "{method} {path} answered {status}: {body}"
        );
        body
    }
}

/// Where the Segment client libraries are installed (by the README's test command).
fn node_dir() -> PathBuf {
    repo_root().join("tests/node")
}

/// The Python interpreter that has segment-analytics-python (PULSE_E2E_PYTHON, set by the
/// test command to its virtualenv; `python3` otherwise).
fn python() -> String {
    std::env::var("PULSE_E2E_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Sends `calls` with @segment/analytics-node pointed at `host`.
pub fn send_with_node(host: &str, write_key: &str, calls: &Value) -> Result<()> {
    let dir = node_dir();
    if !dir.join("node_modules/@segment/analytics-node").exists() {
        bail!(
            "@segment/analytics-node is not installed in {}: run the README's test command (scripts/test.sh), which runs `npm ci` there",
            dir.display()
        );
    }
    run_sender(
        Command::new("node").arg(dir.join("send.mjs")),
        host,
        write_key,
        calls,
    )
}

/// Sends `calls` with segment-analytics-python (gzip on) pointed at `host`.
pub fn send_with_python(host: &str, write_key: &str, calls: &Value) -> Result<()> {
    let script = repo_root().join("tests/python/send.py");
    run_sender(Command::new(python()).arg(script), host, write_key, calls)
}

fn run_sender(command: &mut Command, host: &str, write_key: &str, calls: &Value) -> Result<()> {
    let file = tempfile::NamedTempFile::new()?;
    std::fs::write(file.path(), serde_json::to_vec(calls)?)?;
    let started = Instant::now();
    let output = command
        .arg(host)
        .arg(write_key)
        .arg(file.path())
        .output()
        .context("starting the Segment library sender")?;
    if !output.status.success() {
        bail!(
            "the Segment library failed after {:?}: {}{}",
            started.elapsed(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}
pub mod aws_stack;
pub mod lambda;
pub mod moto;
