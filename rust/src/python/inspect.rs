//! Bindings for `crate::inspect`: batch inspection with the GIL released, results as numpy arrays.

use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyAny, PyDict, PyList, PyString};

use crate::error::InputError;
use crate::inspect::{self, aggregate, lexicon, InspectConfig, Inspection, Script};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(inspect_texts, m)?)?;
    m.add_function(wrap_pyfunction!(inspect_defaults, m)?)?;
    m.add(
        "INSPECT_SCRIPTS",
        Script::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    )?;
    m.add("INSPECT_CATEGORIES", lexicon::CATEGORIES.to_vec())?;
    m.add("INSPECT_FLAGS", aggregate::FLAGS.to_vec())?;
    Ok(())
}

/// Build an `InspectConfig` from keyword overrides; unknown keys are an error naming the key.
pub fn config_from(overrides: Option<&Bound<'_, PyDict>>) -> PyResult<InspectConfig> {
    let mut c = InspectConfig::default();
    if let Some(d) = overrides {
        for (k, v) in d.iter() {
            let key: String = k.extract()?;
            match key.as_str() {
                "repetition_min_copies" => c.repetition_min_copies = v.extract()?,
                "repetition_min_chars" => c.repetition_min_chars = v.extract()?,
                "repetition_rule_min_chars" => c.repetition_rule_min_chars = v.extract()?,
                "repetition_digit_min_chars" => c.repetition_digit_min_chars = v.extract()?,
                "repetition_max_period_bytes" => c.repetition_max_period_bytes = v.extract()?,
                "gibberish_threshold" => c.gibberish_threshold = v.extract()?,
                "smooth_radius" => c.smooth_radius = v.extract()?,
                "soup_min_scripts" => c.soup_min_scripts = v.extract()?,
                "salad_window" => c.salad_window = v.extract()?,
                "salad_min_anomalies" => c.salad_min_anomalies = v.extract()?,
                "expected_language" => c.expected_language = v.extract()?,
                "drift_threshold" => c.drift_threshold = v.extract()?,
                "marker_max_tail" => c.marker_max_tail = v.extract()?,
                "shortcut_max_words" => c.shortcut_max_words = v.extract()?,
                "shortcut_max_chars" => c.shortcut_max_chars = v.extract()?,
                "ngram_n" => c.ngram_n = v.extract()?,
                other => {
                    return Err(InputError::new(format!(
                        "unknown inspection setting {other:?}: see archer.scoring.InspectConfig"
                    ))
                    .into())
                }
            }
        }
    }
    c.validate()?;
    Ok(c)
}

/// The default thresholds, as a dict (the source of truth for archer.scoring.InspectConfig).
#[pyfunction]
fn inspect_defaults(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let c = InspectConfig::default();
    let d = PyDict::new(py);
    d.set_item("repetition_min_copies", c.repetition_min_copies)?;
    d.set_item("repetition_min_chars", c.repetition_min_chars)?;
    d.set_item("repetition_rule_min_chars", c.repetition_rule_min_chars)?;
    d.set_item("repetition_digit_min_chars", c.repetition_digit_min_chars)?;
    d.set_item("repetition_max_period_bytes", c.repetition_max_period_bytes)?;
    d.set_item("gibberish_threshold", c.gibberish_threshold)?;
    d.set_item("smooth_radius", c.smooth_radius)?;
    d.set_item("soup_min_scripts", c.soup_min_scripts)?;
    d.set_item("salad_window", c.salad_window)?;
    d.set_item("salad_min_anomalies", c.salad_min_anomalies)?;
    d.set_item("expected_language", c.expected_language)?;
    d.set_item("drift_threshold", c.drift_threshold)?;
    d.set_item("marker_max_tail", c.marker_max_tail)?;
    d.set_item("shortcut_max_words", c.shortcut_max_words)?;
    d.set_item("shortcut_max_chars", c.shortcut_max_chars)?;
    d.set_item("ngram_n", c.ngram_n)?;
    Ok(d)
}

/// Borrow the UTF-8 of a list of Python strings (no copy). An item that is no string is an
/// error naming its index and type (checked here rather than in Python: a Python loop over a
/// 1024-response batch cost 80 us, 1% of the whole inspection).
pub fn borrow_texts<'a, 'py>(items: &'a [Bound<'py, PyAny>], name: &str) -> PyResult<Vec<&'a str>> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| text_item(item, name, i))
        .collect()
}

/// `borrow_texts` where `None` items are allowed (and kept).
pub fn borrow_optional_texts<'a, 'py>(
    items: &'a [Bound<'py, PyAny>],
    name: &str,
) -> PyResult<Vec<Option<&'a str>>> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            if item.is_none() {
                Ok(None)
            } else {
                text_item(item, name, i).map(Some)
            }
        })
        .collect()
}

fn text_item<'a>(item: &'a Bound<'_, PyAny>, name: &str, i: usize) -> PyResult<&'a str> {
    let Ok(s) = item.cast::<PyString>() else {
        let type_name = item
            .get_type()
            .name()
            .map_or_else(|_| "?".to_string(), |n| n.to_string());
        return Err(InputError::new(format!(
            "{name}[{i}] is {type_name}, expected str (decode or convert it first)"
        ))
        .into());
    };
    s.to_str()
        .map_err(|e| InputError::new(format!("{name}[{i}] is not valid UTF-8 text: {e}")).into())
}

/// Per-response results as a dict of numpy arrays and lists (see archer.scoring.inspect).
pub fn inspections_to_dict<'py>(
    py: Python<'py>,
    ins: &[Inspection],
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    macro_rules! col {
        ($name:expr, $f:expr) => {
            d.set_item($name, PyArray1::from_vec(py, ins.iter().map($f).collect()))?;
        };
    }
    col!("repetition", |i: &Inspection| i.repetition);
    col!("repetition_score", |i: &Inspection| i.repetition_score);
    col!("repetition_copies", |i: &Inspection| i.repetition_copies);
    col!("repetition_start", |i: &Inspection| i
        .repetition_start
        .map_or(-1i64, |s| s as i64));
    col!("gibberish", |i: &Inspection| i.gibberish);
    col!("gibberish_score", |i: &Inspection| i.gibberish_score);
    col!("language_drift", |i: &Inspection| i.language_drift);
    col!("foreign_share", |i: &Inspection| i.foreign_share);
    col!("shortcut", |i: &Inspection| i.shortcut);
    col!("words_before_answer", |i: &Inspection| i
        .words_before_answer);
    col!("n_words", |i: &Inspection| i.n_words);
    col!("repetition_ratio", |i: &Inspection| i.repetition_ratio);
    col!("maximum_frequency", |i: &Inspection| i.maximum_frequency);
    for (k, cat) in lexicon::CATEGORIES.iter().enumerate() {
        col!(*cat, |i: &Inspection| i.categories[k]);
    }
    // One flat buffer viewed as rows (not one small Vec per response).
    let flat: Vec<u32> = ins.iter().flat_map(|i| i.script_letters).collect();
    let letters = PyArray1::from_vec(py, flat)
        .reshape([ins.len(), Script::ALL.len()])
        .map_err(|e| InputError::new(e.to_string()))?;
    d.set_item("script_letters", letters)?;
    d.set_item(
        "repetition_unit",
        PyList::new(py, ins.iter().map(|i| i.repetition_unit.clone()))?,
    )?;
    d.set_item(
        "dominant_foreign_script",
        PyList::new(
            py,
            ins.iter()
                .map(|i| i.dominant_foreign_script.map(|s| s.as_str())),
        )?,
    )?;
    d.set_item(
        "foreign_answer_marker",
        PyList::new(py, ins.iter().map(|i| i.foreign_answer_marker))?,
    )?;
    Ok(d)
}

/// Inspect texts; returns (per-response dict, metrics dict). See archer.scoring.inspect.
#[pyfunction]
#[pyo3(signature = (texts, *, threads=0, correct=None, **config))]
fn inspect_texts<'py>(
    py: Python<'py>,
    texts: Vec<Bound<'py, PyAny>>,
    threads: usize,
    correct: Option<Vec<bool>>,
    config: Option<&Bound<'py, PyDict>>,
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
    let cfg = config_from(config)?;
    let strs = borrow_texts(&texts, "texts")?;
    if let Some(c) = &correct {
        if c.len() != strs.len() {
            return Err(InputError::new(format!(
                "length mismatch: texts has {} elements but correct has {}",
                strs.len(),
                c.len()
            ))
            .into());
        }
    }
    let (ins, metrics) = py.detach(|| -> Result<_, InputError> {
        let ins = inspect::inspect_batch(&strs, &cfg, threads)?;
        let m = aggregate::metrics(&ins, correct.as_deref());
        Ok((ins, m))
    })?;
    let md = PyDict::new(py);
    for (k, v) in metrics {
        md.set_item(k, v)?;
    }
    Ok((inspections_to_dict(py, &ins)?, md))
}
