//! A small worker pool, like a synchronous app server with a few threads: `WORKERS=N`
//! lets at most N requests be served at once (the rest wait in line) and
//! `REQUEST_COST_MS=M` makes every request, health checks included, hold its worker for
//! M ms. It shows how an app with little capacity reacts to the harness's own probes.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::Semaphore;

/// Workers and the cost of one request.
#[derive(Debug, Clone)]
pub struct Pool {
    workers: Arc<Semaphore>,
    cost: Duration,
}

impl Pool {
    /// `None` unless `WORKERS` is set.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Option<Pool>, String> {
        let Some(n) = get("WORKERS").filter(|v| !v.trim().is_empty()) else {
            return Ok(None);
        };
        let n: usize = n.trim().parse().map_err(|e| format!("WORKERS={n:?}: {e}"))?;
        if n == 0 || n > 1024 {
            return Err(format!("WORKERS={n}: use 1 to 1024"));
        }
        let cost = match get("REQUEST_COST_MS").filter(|v| !v.trim().is_empty()) {
            None => Duration::ZERO,
            Some(v) => Duration::from_millis(v.trim().parse().map_err(|e| format!("REQUEST_COST_MS={v:?}: {e}"))?),
        };
        Ok(Some(Pool {
            workers: Arc::new(Semaphore::new(n)),
            cost,
        }))
    }
}

/// Waits for a worker, holds it for the request's cost, then serves the request. As in a
/// thread pool, a request in line costs its worker even if its client has gone meanwhile.
pub async fn serve(State(pool): State<Pool>, request: Request, next: Next) -> Response {
    let (workers, cost) = (pool.workers.clone(), pool.cost);
    let worker = tokio::spawn(async move {
        let permit = workers
            .acquire_owned()
            .await
            .expect("the pool's semaphore is never closed");
        tokio::time::sleep(cost).await;
        permit
    });
    let _worker = worker.await.expect("a worker task does not panic");
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(vars: &[(&str, &str)]) -> Result<Option<Pool>, String> {
        Pool::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn no_pool_unless_workers_is_set() {
        assert!(parse(&[]).unwrap().is_none());
        assert!(parse(&[("REQUEST_COST_MS", "5")]).unwrap().is_none());
    }

    #[test]
    fn workers_and_cost_are_read() {
        let p = parse(&[("WORKERS", "2"), ("REQUEST_COST_MS", "8")]).unwrap().unwrap();
        assert_eq!(p.workers.available_permits(), 2);
        assert_eq!(p.cost, Duration::from_millis(8));
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(parse(&[("WORKERS", "0")]).is_err());
        assert!(parse(&[("WORKERS", "x")]).is_err());
        assert!(parse(&[("WORKERS", "1"), ("REQUEST_COST_MS", "-1")]).is_err());
    }
}
