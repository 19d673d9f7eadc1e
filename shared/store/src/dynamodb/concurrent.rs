//! Running independent requests at once (one Query per shard, one write per identity).

use std::future::Future;

use tokio::task::JoinSet;

use crate::error::StoreError;

/// Requests in flight at once from one call.
const MAX_IN_FLIGHT: usize = 32;

/// Runs the futures concurrently (at most 32 at a time) and returns their outputs in order.
pub async fn all<T, F>(futures: Vec<F>) -> Result<Vec<T>, StoreError>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let total = futures.len();
    let mut results: Vec<Option<T>> = (0..total).map(|_| None).collect();
    let mut queue = futures.into_iter().enumerate();
    let mut running = JoinSet::new();
    loop {
        while running.len() < MAX_IN_FLIGHT {
            match queue.next() {
                Some((index, future)) => {
                    running.spawn(async move { (index, future.await) });
                }
                None => break,
            }
        }
        match running.join_next().await {
            Some(Ok((index, value))) => results[index] = Some(value),
            Some(Err(error)) => {
                return Err(StoreError::Unavailable(format!(
                    "a DynamoDB request task failed: {error}"
                )));
            }
            None => break,
        }
    }
    Ok(results
        .into_iter()
        .map(|value| value.expect("every task ran"))
        .collect())
}
