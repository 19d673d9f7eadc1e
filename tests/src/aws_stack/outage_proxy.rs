//! An outage on demand: a TCP proxy in front of moto_server that one function reaches a
//! service through (`AWS_ENDPOINT_URL_DYNAMODB` for its storage, `AWS_ENDPOINT_URL_EVENTBRIDGE`
//! for its bus), so that the service can "stop" for that function alone, at once or in the
//! middle of an invocation, and "come back" later.
//!
//! While up, every connection is relayed byte for byte to moto. The proxy reads the requests
//! going through (HTTP/1.1 with a `Content-Length` body, as the AWS SDK sends them) only to
//! know each one's operation (`X-Amz-Target`) and to cut at an exact DynamoDB write:
//!
//! - [`OutageProxy::stop`]: the outage starts now — open connections are closed, and new
//!   ones are closed as soon as they are accepted (what a client sees of a stopped server
//!   whose port a load balancer still holds).
//! - [`OutageProxy::stop_at`]: the outage starts at a given write of the function, which is
//!   either never sent ([`Outage::BeforeWrite`]) or applied by moto with its answer lost
//!   ([`Outage::AfterWrite`]) — the crash points that make a retry dangerous.
//! - [`OutageProxy::restart`]: the service is reachable again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::lock;

/// DynamoDB operations that change the table.
const WRITES: &[&str] = &[
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
];

/// Where an armed outage starts, counted in writes from the moment it is armed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outage {
    /// After this many writes went through, the next one is never sent: the outage starts.
    BeforeWrite(usize),
    /// After this many writes went through, the next one is applied by moto and the outage
    /// starts before its answer gets back.
    AfterWrite(usize),
}

/// What became of one request that reached the proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Forwarded,
    /// Applied by moto; the answer was lost in the outage.
    AnswerLost,
    /// Not sent: the connection was closed instead.
    Cut,
}

/// One request the function sent through the proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxiedRequest {
    /// The DynamoDB operation (`UpdateItem`, `Query`, …).
    pub operation: String,
    pub fate: Fate,
}

impl ProxiedRequest {
    pub fn is_write(&self) -> bool {
        WRITES.contains(&self.operation.as_str())
    }
}

struct State {
    target: String,
    up: watch::Sender<bool>,
    armed: Mutex<Option<Outage>>,
    requests: Mutex<Vec<ProxiedRequest>>,
    refused: Mutex<usize>,
}

impl State {
    fn is_up(&self) -> bool {
        *self.up.borrow()
    }

    fn go_down(&self) {
        self.up.send_replace(false);
    }
}

/// The proxy; it stops with the test's runtime.
pub struct OutageProxy {
    endpoint: String,
    state: Arc<State>,
    server: tokio::task::JoinHandle<()>,
}

impl OutageProxy {
    /// A proxy on 127.0.0.1 and a free port to `target` (`http://host:port`), up.
    pub async fn start(target: &str) -> Result<OutageProxy> {
        let target = target
            .strip_prefix("http://")
            .with_context(|| format!("the proxy relays plain HTTP, not {target}"))?
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the outage proxy")?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let (up, _) = watch::channel(true);
        let state = Arc::new(State {
            target,
            up,
            armed: Mutex::new(None),
            requests: Mutex::new(Vec::new()),
            refused: Mutex::new(0),
        });
        let server = tokio::spawn(accept(state.clone(), listener));
        Ok(OutageProxy {
            endpoint,
            state,
            server,
        })
    }

    /// `http://127.0.0.1:<port>`: the endpoint to give the function.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The outage starts now.
    pub fn stop(&self) {
        *lock(&self.state.armed) = None;
        self.state.go_down();
    }

    /// The outage will start at the write `outage` names.
    pub fn stop_at(&self, outage: Outage) {
        *lock(&self.state.armed) = Some(outage);
    }

    /// moto is reachable again (and nothing is armed).
    pub fn restart(&self) {
        *lock(&self.state.armed) = None;
        self.state.up.send_replace(true);
    }

    pub fn is_up(&self) -> bool {
        self.state.is_up()
    }

    /// Every request that reached the proxy, oldest first.
    pub fn requests(&self) -> Vec<ProxiedRequest> {
        lock(&self.state.requests).clone()
    }

    /// Connections closed at once because the outage was on.
    pub fn refused_connections(&self) -> usize {
        *lock(&self.state.refused)
    }
}

impl Drop for OutageProxy {
    fn drop(&mut self) {
        self.server.abort();
        // Open connections end with the outage.
        self.state.go_down();
    }
}

async fn accept(state: Arc<State>, listener: TcpListener) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        if !state.is_up() {
            *lock(&state.refused) += 1;
            drop(client);
            continue;
        }
        tokio::spawn(relay(state.clone(), client));
    }
}

/// One client connection, relayed to its own connection to moto until either side closes
/// or the outage starts (dropping both sockets closes both).
async fn relay(state: Arc<State>, client: TcpStream) {
    let Ok(upstream) = TcpStream::connect(&state.target).await else {
        return;
    };
    let mut up = state.up.subscribe();
    let lose_next_answer = AtomicBool::new(false);
    let (client_read, client_write) = client.into_split();
    let (upstream_read, upstream_write) = upstream.into_split();
    tokio::select! {
        _ = relay_requests(&state, client_read, upstream_write, &lose_next_answer) => {}
        _ = relay_answers(&state, upstream_read, client_write, &lose_next_answer) => {}
        _ = up.wait_for(|up| !*up) => {}
    }
}

/// Client → moto, one whole request at a time (the SDK sends the next request only after
/// the previous answer, so the next bytes from moto answer the request just sent).
async fn relay_requests(
    state: &State,
    mut client: OwnedReadHalf,
    mut upstream: OwnedWriteHalf,
    lose_next_answer: &AtomicBool,
) -> Result<()> {
    let mut buffer = Vec::new();
    loop {
        let (request, operation) = read_request(&mut client, &mut buffer).await?;
        let fate = decide(state, &operation);
        lock(&state.requests).push(ProxiedRequest { operation, fate });
        match fate {
            Fate::Cut => {
                state.go_down();
                return Ok(());
            }
            Fate::AnswerLost => lose_next_answer.store(true, Ordering::SeqCst),
            Fate::Forwarded => {}
        }
        upstream.write_all(&request).await?;
    }
}

/// moto → client; the answer to a write whose answer is to be lost starts the outage instead.
async fn relay_answers(
    state: &State,
    mut upstream: OwnedReadHalf,
    mut client: OwnedWriteHalf,
    lose_next_answer: &AtomicBool,
) -> Result<()> {
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let read = upstream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(());
        }
        if lose_next_answer.load(Ordering::SeqCst) {
            state.go_down();
            return Ok(());
        }
        client.write_all(&chunk[..read]).await?;
    }
}

fn decide(state: &State, operation: &str) -> Fate {
    if !state.is_up() {
        return Fate::Cut;
    }
    if !WRITES.contains(&operation) {
        return Fate::Forwarded;
    }
    let mut armed = lock(&state.armed);
    match *armed {
        Some(Outage::BeforeWrite(0)) => {
            *armed = None;
            Fate::Cut
        }
        Some(Outage::AfterWrite(0)) => {
            *armed = None;
            Fate::AnswerLost
        }
        Some(Outage::BeforeWrite(left)) => {
            *armed = Some(Outage::BeforeWrite(left - 1));
            Fate::Forwarded
        }
        Some(Outage::AfterWrite(left)) => {
            *armed = Some(Outage::AfterWrite(left - 1));
            Fate::Forwarded
        }
        None => Fate::Forwarded,
    }
}

/// Reads one HTTP/1.1 request (head and `Content-Length` body) from `client`, keeping any
/// bytes after it in `buffer`. Returns its bytes and its `X-Amz-Target` operation.
async fn read_request(
    client: &mut OwnedReadHalf,
    buffer: &mut Vec<u8>,
) -> Result<(Vec<u8>, String)> {
    let head_end = loop {
        if let Some(position) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break position + 4;
        }
        read_more(client, buffer).await?;
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let header = |name: &str| {
        head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    if header("transfer-encoding").is_some() {
        bail!("the outage proxy relays Content-Length bodies only (the AWS SDK's JSON requests)");
    }
    let length: usize = match header("content-length") {
        Some(length) => length.parse().context("a Content-Length")?,
        None => 0,
    };
    while buffer.len() < head_end + length {
        read_more(client, buffer).await?;
    }
    let operation = header("x-amz-target")
        .map(|target| target.rsplit('.').next().unwrap_or_default().to_string())
        .unwrap_or_else(|| "(no X-Amz-Target)".into());
    let request: Vec<u8> = buffer.drain(..head_end + length).collect();
    Ok((request, operation))
}

async fn read_more(client: &mut OwnedReadHalf, buffer: &mut Vec<u8>) -> Result<()> {
    let mut chunk = [0u8; 16 * 1024];
    let read = client.read(&mut chunk).await?;
    if read == 0 {
        bail!("the client closed the connection");
    }
    buffer.extend_from_slice(&chunk[..read]);
    Ok(())
}
