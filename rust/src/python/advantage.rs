//! Bindings for `crate::advantage`.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::advantage::{compute_advantages, AdvantageConfig, Estimator, StdScope};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(group_advantages, m)?)?;
    Ok(())
}

/// Returns (advantages float32[n], group_index uint32[n], stats dict). See archer.scoring.advantages.
#[pyfunction]
#[pyo3(signature = (scores, group_ids, *, estimator="grpo", norm_by_std=true, std_scope="group", epsilon=1e-6, correct=None))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn group_advantages<'py>(
    py: Python<'py>,
    scores: PyReadonlyArray1<'py, f32>,
    group_ids: PyReadonlyArray1<'py, i64>,
    estimator: &str,
    norm_by_std: bool,
    std_scope: &str,
    epsilon: f64,
    correct: Option<PyReadonlyArray1<'py, bool>>,
) -> PyResult<(
    Bound<'py, PyArray1<f32>>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyDict>,
)> {
    let cfg = AdvantageConfig {
        estimator: Estimator::parse(estimator)?,
        norm_by_std,
        std_scope: StdScope::parse(std_scope)?,
        epsilon,
    };
    let scores = scores.as_slice()?;
    let group_ids = group_ids.as_slice()?;
    let correct_slice = match &correct {
        Some(c) => Some(c.as_slice()?),
        None => None,
    };
    let out = py.detach(|| compute_advantages(scores, group_ids, correct_slice, &cfg))?;
    let stats = PyDict::new(py);
    stats.set_item("n_groups", out.stats.n_groups)?;
    stats.set_item("solve_all", out.stats.solve_all)?;
    stats.set_item("solve_none", out.stats.solve_none)?;
    stats.set_item("valid", out.stats.valid)?;
    Ok((
        PyArray1::from_vec(py, out.advantages),
        PyArray1::from_vec(py, out.group_index),
        stats,
    ))
}
