//! Bindings for `crate::verify`: single and batch verification with the GIL released.

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;

use crate::error::InputError;
use crate::verify::{self, Mode, Verdict, VerifyConfig};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(verify_one, m)?)?;
    m.add_function(wrap_pyfunction!(verify_many, m)?)?;
    m.add_function(wrap_pyfunction!(answers_equivalent, m)?)?;
    m.add_function(wrap_pyfunction!(dapo_normalize, m)?)?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn config(
    mode: &str,
    correct_reward: f32,
    incorrect_reward: f32,
    after_think: bool,
    answer_line: bool,
    answer_phrase: bool,
    last_number: bool,
) -> Result<VerifyConfig, InputError> {
    let mode = match mode {
        "archer" => Mode::Archer,
        "math_dapo" => Mode::MathDapo,
        other => {
            return Err(InputError::new(format!(
                "mode must be \"archer\" or \"math_dapo\", got {other:?}"
            )))
        }
    };
    if !correct_reward.is_finite() || !incorrect_reward.is_finite() {
        return Err(InputError::new(
            "correct_reward and incorrect_reward must be finite numbers",
        ));
    }
    Ok(VerifyConfig {
        mode,
        correct_reward,
        incorrect_reward,
        after_think,
        answer_line,
        answer_phrase,
        last_number,
    })
}

type VerdictTuple = (bool, &'static str, Option<String>, f32);

fn as_tuple(v: Verdict) -> VerdictTuple {
    (v.correct, v.status.as_str(), v.extracted, v.reward)
}

/// Returns (correct, status, extracted, reward). See archer.scoring.verify.
#[pyfunction]
#[pyo3(signature = (response, ground_truth, *, mode="archer", correct_reward=1.0, incorrect_reward=0.0, after_think=true, answer_line=true, answer_phrase=true, last_number=true))]
#[allow(clippy::too_many_arguments)]
fn verify_one(
    py: Python<'_>,
    response: &str,
    ground_truth: &str,
    mode: &str,
    correct_reward: f32,
    incorrect_reward: f32,
    after_think: bool,
    answer_line: bool,
    answer_phrase: bool,
    last_number: bool,
) -> PyResult<VerdictTuple> {
    let cfg = config(
        mode,
        correct_reward,
        incorrect_reward,
        after_think,
        answer_line,
        answer_phrase,
        last_number,
    )?;
    Ok(as_tuple(
        py.detach(|| verify::verify(response, ground_truth, &cfg)),
    ))
}

/// Returns (correct bool[n], reward float32[n], statuses list[str], extracted list[str|None]).
#[pyfunction]
#[pyo3(signature = (responses, ground_truths, *, mode="archer", correct_reward=1.0, incorrect_reward=0.0, threads=0, after_think=true, answer_line=true, answer_phrase=true, last_number=true))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn verify_many<'py>(
    py: Python<'py>,
    responses: Vec<PyBackedStr>,
    ground_truths: Vec<PyBackedStr>,
    mode: &str,
    correct_reward: f32,
    incorrect_reward: f32,
    threads: usize,
    after_think: bool,
    answer_line: bool,
    answer_phrase: bool,
    last_number: bool,
) -> PyResult<(
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<f32>>,
    Vec<&'static str>,
    Vec<Option<String>>,
)> {
    if responses.len() != ground_truths.len() {
        return Err(InputError::new(format!(
            "responses has {} items but ground_truths has {}: pass one ground truth per response",
            responses.len(),
            ground_truths.len()
        ))
        .into());
    }
    let cfg = config(
        mode,
        correct_reward,
        incorrect_reward,
        after_think,
        answer_line,
        answer_phrase,
        last_number,
    )?;
    let verdicts = py.detach(|| {
        // Borrowed UTF-8 views of the Python strings: no copy of the (long) responses.
        let r: Vec<&str> = responses.iter().map(|s| &**s).collect();
        let t: Vec<&str> = ground_truths.iter().map(|s| &**s).collect();
        verify::verify_batch(&r, &t, &cfg, threads)
    });
    let n = verdicts.len();
    let mut correct = Vec::with_capacity(n);
    let mut reward = Vec::with_capacity(n);
    let mut status = Vec::with_capacity(n);
    let mut extracted = Vec::with_capacity(n);
    for v in verdicts {
        correct.push(v.correct);
        reward.push(v.reward);
        status.push(v.status.as_str());
        extracted.push(v.extracted);
    }
    Ok((
        PyArray1::from_vec(py, correct),
        PyArray1::from_vec(py, reward),
        status,
        extracted,
    ))
}

/// Status of two bare answers compared with the Archer equivalence policy (no extraction).
#[pyfunction]
fn answers_equivalent(py: Python<'_>, answer: &str, ground_truth: &str) -> &'static str {
    py.detach(|| verify::equivalent(answer, ground_truth).as_str())
}

/// verl's `normalize_final_answer`, as reproduced for `mode="math_dapo"`.
#[pyfunction]
fn dapo_normalize(answer: &str) -> String {
    verify::dapo::normalize_final_answer(answer)
}
