//! Bindings for `crate::batch`: the one-call batch scorer, GIL released for the whole call.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::inspect::{borrow_optional_texts, borrow_texts, config_from, inspections_to_dict};
use crate::advantage::{AdvantageConfig, Estimator, StdScope};
use crate::batch::{score_batch, BatchInput, ScoringConfig, ShapingMode};
use crate::error::InputError;
use crate::inspect::aggregate;
use crate::verify::{Mode, VerifyConfig};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(score_batch_native, m)?)?;
    Ok(())
}

/// Returns a dict of numpy arrays, lists and the metrics dict. See archer.scoring.score_batch.
#[pyfunction]
#[pyo3(name = "score_batch", signature = (
    responses, ground_truths, group_ids, *, response_lengths=None, truncated=None,
    verify_mode="archer", correct_reward=1.0, incorrect_reward=0.0,
    estimator="grpo", norm_by_std=true, std_scope="group", epsilon=1e-6,
    overlong_buffer_len=0, max_response_length=None, overlong_penalty_factor=1.0,
    shaping_mode="off", shaping_penalty=0.0, shaping_flags=None, threads=0, inspect=None
))]
#[allow(clippy::too_many_arguments)]
fn score_batch_native<'py>(
    py: Python<'py>,
    responses: Vec<Bound<'py, PyAny>>,
    ground_truths: Vec<Bound<'py, PyAny>>,
    group_ids: PyReadonlyArray1<'py, i64>,
    response_lengths: Option<PyReadonlyArray1<'py, u32>>,
    truncated: Option<PyReadonlyArray1<'py, bool>>,
    verify_mode: &str,
    correct_reward: f32,
    incorrect_reward: f32,
    estimator: &str,
    norm_by_std: bool,
    std_scope: &str,
    epsilon: f64,
    overlong_buffer_len: u32,
    max_response_length: Option<u32>,
    overlong_penalty_factor: f32,
    shaping_mode: &str,
    shaping_penalty: f32,
    shaping_flags: Option<Vec<String>>,
    threads: usize,
    inspect: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    let mode = match verify_mode {
        "archer" => Mode::Archer,
        "math_dapo" => Mode::MathDapo,
        other => {
            return Err(InputError::new(format!(
                "verify_mode must be \"archer\" or \"math_dapo\", got {other:?}"
            ))
            .into())
        }
    };
    if !correct_reward.is_finite() || !incorrect_reward.is_finite() {
        return Err(InputError::new("correct_reward and incorrect_reward must be finite").into());
    }
    let mut flags = [true; 4];
    if let Some(names) = &shaping_flags {
        flags = [false; 4];
        for name in names {
            match aggregate::FLAGS.iter().position(|f| f == name) {
                Some(k) => flags[k] = true,
                None => {
                    return Err(InputError::new(format!(
                        "unknown shaping flag {name:?}: use any of {:?}",
                        aggregate::FLAGS
                    ))
                    .into())
                }
            }
        }
    }
    let cfg = ScoringConfig {
        verify: VerifyConfig {
            mode,
            correct_reward,
            incorrect_reward,
            ..Default::default()
        },
        advantage: AdvantageConfig {
            estimator: Estimator::parse(estimator)?,
            norm_by_std,
            std_scope: StdScope::parse(std_scope)?,
            epsilon,
        },
        inspect: config_from(inspect)?,
        overlong_buffer_len,
        max_response_length,
        overlong_penalty_factor,
        shaping_mode: ShapingMode::parse(shaping_mode)?,
        shaping_penalty,
        shaping_flags: flags,
        threads,
    };
    let resp = borrow_texts(&responses, "responses")?;
    let gts = borrow_optional_texts(&ground_truths, "ground_truths")?;
    let groups = group_ids.as_slice()?;
    let lens = match &response_lengths {
        Some(a) => Some(a.as_slice()?),
        None => None,
    };
    let trunc = match &truncated {
        Some(a) => Some(a.as_slice()?),
        None => None,
    };
    let out = py.detach(|| {
        score_batch(
            &BatchInput {
                responses: &resp,
                ground_truths: &gts,
                group_ids: groups,
                response_lengths: lens,
                truncated: trunc,
            },
            &cfg,
        )
    })?;
    let d = PyDict::new(py);
    d.set_item("raw_scores", PyArray1::from_vec(py, out.raw_scores))?;
    d.set_item("rewards", PyArray1::from_vec(py, out.rewards))?;
    d.set_item("correct", PyArray1::from_vec(py, out.correct))?;
    d.set_item("advantages", PyArray1::from_vec(py, out.advantages))?;
    d.set_item(
        "overlong_penalty",
        PyArray1::from_vec(py, out.overlong_penalty),
    )?;
    d.set_item("shaped", PyArray1::from_vec(py, out.shaped))?;
    d.set_item("status", PyList::new(py, out.status)?)?;
    d.set_item("extracted", PyList::new(py, out.extracted)?)?;
    d.set_item("inspection", inspections_to_dict(py, &out.inspections)?)?;
    let m = PyDict::new(py);
    for (k, v) in out.metrics {
        m.set_item(k, v)?;
    }
    d.set_item("metrics", m)?;
    Ok(d)
}
