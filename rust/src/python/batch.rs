//! Bindings for `crate::batch` (filled in by its issue; registers nothing yet).

use pyo3::prelude::*;

pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
