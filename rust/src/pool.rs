//! Thread pools that survive `fork`.
//!
//! vLLM and torch fork worker processes. A rayon pool created before a fork has no threads in the
//! child, so work sent to it there would wait forever. Pools are therefore cached per process id:
//! a child that finds a pool made by its parent leaks it (its threads do not exist there, so there
//! is nothing to join) and builds its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

type PoolMap = HashMap<(u32, usize), Arc<rayon::ThreadPool>>;

fn pools() -> &'static Mutex<PoolMap> {
    static POOLS: OnceLock<Mutex<PoolMap>> = OnceLock::new();
    POOLS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Number of threads used when the caller asks for 0 ("all").
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Resolve a requested thread count: 0 means all available cores.
pub fn resolve_threads(threads: usize) -> usize {
    if threads == 0 {
        default_threads()
    } else {
        threads
    }
}

/// Run `f` inside a pool of `threads` workers (0 = all cores). One thread runs inline, with no pool.
pub fn run_in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    let threads = resolve_threads(threads);
    if threads <= 1 {
        return f();
    }
    let pid = std::process::id();
    let pool = {
        let mut map = pools().lock().unwrap_or_else(|e| e.into_inner());
        // Pools inherited from a parent process are unusable here: forget them without dropping.
        let stale: Vec<(u32, usize)> = map.keys().filter(|k| k.0 != pid).copied().collect();
        for key in stale {
            if let Some(old) = map.remove(&key) {
                std::mem::forget(old);
            }
        }
        map.entry((pid, threads))
            .or_insert_with(|| {
                Arc::new(
                    rayon::ThreadPoolBuilder::new()
                        .num_threads(threads)
                        .thread_name(|i| format!("archer-score-{i}"))
                        .build()
                        .expect("building a rayon thread pool"),
                )
            })
            .clone()
    };
    pool.install(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn pool_runs_parallel_work_and_is_reused() {
        let a: u64 = run_in_pool(2, || (0..1000u64).into_par_iter().sum());
        let b: u64 = run_in_pool(2, || (0..1000u64).into_par_iter().sum());
        assert_eq!(a, 499_500);
        assert_eq!(a, b);
        assert_eq!(run_in_pool(1, || 7), 7);
    }
}
