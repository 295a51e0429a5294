//! archer's native core: pure Rust, no Python. Each concern is one module; the PyO3 bindings
//! live in `python/` behind the `python` cargo feature and only convert types and release the GIL.

pub mod advantage;
pub mod batch;
pub mod error;
pub mod inspect;
pub mod pool;
pub mod verify;

#[cfg(feature = "python")]
mod python;

/// Version of the native core, reported by `archer version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
