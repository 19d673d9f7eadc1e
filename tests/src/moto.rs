//! A real DynamoDB- and EventBridge-compatible server for tests: `moto_server` (Python
//! `moto[server]`) on 127.0.0.1 and a free port, one per test process, started on first use.
//!
//! It runs under a tiny Python guard that stops it when this process's end of a pipe
//! closes, so the server never outlives the tests, even when they are killed.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The running server: its endpoint URL (`http://127.0.0.1:<port>`).
pub struct Moto {
    pub endpoint: String,
    guard: Mutex<Child>,
}

static MOTO: OnceLock<Moto> = OnceLock::new();

const GUARD: &str = "import subprocess, sys\n\
p = subprocess.Popen(['moto_server', '-H', '127.0.0.1', '-p', sys.argv[1]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n\
sys.stdin.read()\n\
p.terminate()\n\
p.wait(5)\n";

/// The shared server of this test process (started on first call).
pub fn moto() -> &'static Moto {
    MOTO.get_or_init(|| {
        let port = free_port();
        let python = std::env::var("PULSE_MOTO_PYTHON").unwrap_or_else(|_| "python3".into());
        let guard = Command::new(python)
            .args(["-c", GUARD, &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting moto_server (install it with `pip install 'moto[server]'`; scripts/test.sh does)");
        let endpoint = format!("http://127.0.0.1:{port}");
        wait_until_up(&endpoint);
        Moto {
            endpoint,
            guard: Mutex::new(guard),
        }
    })
}

impl Moto {
    /// Forgets everything stored (`POST /moto-api/reset`).
    pub async fn reset(&self) {
        let response = reqwest::Client::new()
            .post(format!("{}/moto-api/reset", self.endpoint))
            .send()
            .await
            .expect("reaching moto");
        assert!(
            response.status().is_success(),
            "moto reset answered {}",
            response.status()
        );
    }

    /// Stops the server for good (fault tests); later calls to [`moto`] still return it.
    pub fn stop(&self) {
        // Closing the guard's stdin is its signal to stop the server.
        let mut guard = self.guard.lock().expect("moto guard lock");
        drop(guard.stdin.take());
        let _ = guard.wait();
    }
}

/// Environment for AWS SDK clients pointed at moto (dummy credentials, a fixed region).
pub fn aws_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("binding 127.0.0.1:0")
}

fn wait_until_up(endpoint: &str) {
    let started = Instant::now();
    let address = endpoint.trim_start_matches("http://").to_string();
    while started.elapsed() < Duration::from_secs(30) {
        if std::net::TcpStream::connect(&address).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("moto_server did not start on {endpoint} within 30 s");
}
