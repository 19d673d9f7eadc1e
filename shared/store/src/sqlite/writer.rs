//! The single writer: one thread owns the write connection and applies jobs with group
//! commit — it drains whatever jobs are waiting, runs each inside its own savepoint (a
//! failing job rolls back alone), commits once, and only then answers every caller. So a
//! reply of `Ok` means the job is durable, and many small requests share one fsync.

use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::StoreError;

/// At most this many jobs share a transaction, so one commit never grows without bound.
const MAX_JOBS_PER_COMMIT: usize = 256;

trait Job: Send {
    /// Runs the work; `true` when it succeeded and should be kept.
    fn run(&mut self, connection: &Connection) -> bool;
    /// Answers the caller once the transaction's fate is known.
    fn finish(self: Box<Self>, commit: Result<(), String>);
}

struct TypedJob<F, R> {
    work: Option<F>,
    result: Option<Result<R, StoreError>>,
    reply: oneshot::Sender<Result<R, StoreError>>,
}

impl<F, R> Job for TypedJob<F, R>
where
    F: FnOnce(&Connection) -> Result<R, StoreError> + Send,
    R: Send,
{
    fn run(&mut self, connection: &Connection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        // A panicking job must not take the writer thread (and every later write) with it.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(connection)))
            .unwrap_or_else(|_| {
                Err(StoreError::Invalid(
                    "a write failed unexpectedly; it was rolled back".into(),
                ))
            });
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, commit: Result<(), String>) {
        let answer = match (commit, self.result) {
            (Ok(()), Some(result)) => result,
            (Err(error), Some(Err(job_error))) => Err(StoreError::Unavailable(format!(
                "{job_error}; then {error}"
            ))),
            (Err(error), _) => Err(StoreError::Unavailable(error)),
            (Ok(()), None) => Err(StoreError::Unavailable("the job did not run".into())),
        };
        let _ = self.reply.send(answer);
    }
}

/// A handle to the writer thread. Cloning shares the thread.
#[derive(Clone)]
pub(crate) struct Writer {
    sender: Sender<Box<dyn Job>>,
}

impl Writer {
    pub fn start(connection: Connection) -> Writer {
        let (sender, receiver) = mpsc::channel::<Box<dyn Job>>();
        thread::Builder::new()
            .name("pulse-sqlite-writer".into())
            .spawn(move || write_loop(connection, receiver))
            .expect("spawning the SQLite writer thread");
        Writer { sender }
    }

    /// Runs `work` in the write transaction and waits for its commit.
    pub async fn run<F, R>(&self, work: F) -> Result<R, StoreError>
    where
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = TypedJob {
            work: Some(work),
            result: None,
            reply,
        };
        self.sender
            .send(Box::new(job))
            .map_err(|_| StoreError::Unavailable("the SQLite writer has stopped".into()))?;
        answer.await.map_err(|_| {
            StoreError::Unavailable("the SQLite writer stopped before answering".into())
        })?
    }
}

fn write_loop(connection: Connection, receiver: Receiver<Box<dyn Job>>) {
    while let Ok(first) = receiver.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_JOBS_PER_COMMIT {
            match receiver.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let commit = run_jobs(&connection, &mut jobs);
        if let Err(error) = &commit {
            tracing::error!(%error, jobs = jobs.len(), "SQLite commit failed");
            let _ = connection.execute_batch("ROLLBACK");
        }
        for job in jobs {
            job.finish(commit.clone());
        }
    }
}

fn run_jobs(connection: &Connection, jobs: &mut [Box<dyn Job>]) -> Result<(), String> {
    connection
        .execute_batch("BEGIN IMMEDIATE")
        .map_err(|error| format!("starting a write: {error}"))?;
    for job in jobs.iter_mut() {
        connection
            .execute_batch("SAVEPOINT job")
            .map_err(|error| format!("savepoint: {error}"))?;
        let keep = job.run(connection);
        let end = if keep {
            "RELEASE job"
        } else {
            "ROLLBACK TO job; RELEASE job"
        };
        connection
            .execute_batch(end)
            .map_err(|error| format!("ending a savepoint: {error}"))?;
    }
    connection
        .execute_batch("COMMIT")
        .map_err(|error| format!("commit: {error}"))
}
