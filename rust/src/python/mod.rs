//! PyO3 bindings: the `archer._native` module. Each file here is a thin layer over one core module:
//! convert arguments, release the GIL around the work, convert results and errors.

use pyo3::prelude::*;

mod advantage;
mod batch;
mod inspect;
mod verify;

pyo3::create_exception!(
    _native,
    ScoringInputError,
    pyo3::exceptions::PyValueError,
    "Bad input to a native scoring call; the message names the argument and the problem."
);

impl From<crate::error::InputError> for PyErr {
    fn from(e: crate::error::InputError) -> PyErr {
        ScoringInputError::new_err(e.0)
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", crate::VERSION)?;
    m.add("ScoringInputError", m.py().get_type::<ScoringInputError>())?;
    m.add_function(wrap_pyfunction!(default_threads, m)?)?;
    advantage::register(m)?;
    verify::register(m)?;
    inspect::register(m)?;
    batch::register(m)?;
    Ok(())
}

/// Number of threads a call with `threads=0` uses (all cores).
#[pyfunction]
fn default_threads() -> usize {
    crate::pool::default_threads()
}
