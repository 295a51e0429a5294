//! Degeneracy detection for model responses: loops (`repetition`), text that is neither
//! language nor math (`gibberish`), switching away from the expected language
//! (`language_drift`), answer-only responses (`shortcut`), reasoning-word counts per category
//! and Archer's 20-gram repetition statistics.
//!
//! Every detector is linear in the text length; each threshold lives in `InspectConfig` and is
//! documented there and in the detector's module.

pub mod aggregate;
pub mod gibberish;
pub mod language;
pub mod lexicon;
pub mod ngram;
pub mod repetition;
pub mod scan;
mod scan_bytes;
#[cfg(test)]
mod scan_reference;
pub mod script;
pub mod shortcut;
mod tokens;

use rayon::prelude::*;

use crate::error::InputError;
pub use script::Script;

/// Detector thresholds. Defaults are calibrated on `degeneracy_cases.jsonl` with wide margins
/// (its positives and negatives are far apart on each measure; see the data's README).
#[derive(Debug, Clone)]
pub struct InspectConfig {
    /// Consecutive copies of a unit that make a loop (labels: positives >= 10, negatives <= 4;
    /// 7 is the middle of that gap).
    pub repetition_min_copies: usize,
    /// A loop must also span at least this many characters (so `.....` of 10 dots is not one).
    pub repetition_min_chars: usize,
    /// Loops of markdown-rule characters and whitespace only (`|---|`, `====`) need this many.
    pub repetition_rule_min_chars: usize,
    /// Loops of digits only (`0.3333…`, `1000000`) need this many: numbers are not loops.
    pub repetition_digit_min_chars: usize,
    /// Longest unit considered, in bytes (a block of several lines fits).
    pub repetition_max_period_bytes: usize,
    /// Gibberish flag when the junk share of characters exceeds this (labels: > 0.30).
    pub gibberish_threshold: f32,
    /// Radius, in tokens, of the neighbourhood a token's junk status is smoothed over.
    pub smooth_radius: usize,
    /// A neighbourhood with letters of this many writing systems is random code points.
    pub soup_min_scripts: u32,
    /// Word-salad window, in plain words, and the anomalies it must hold (on the labeled data,
    /// 2..=4 all separate perfectly; 3 is the middle of that range).
    pub salad_window: usize,
    pub salad_min_anomalies: u32,
    /// Expected language code ("en" default; "zh", "ja", "ko", "ru", "th", "ar", "hi", ...).
    pub expected_language: String,
    /// Drift when the share of foreign-script letters exceeds this (labels: > 0.20).
    pub drift_threshold: f32,
    /// A foreign answer marker counts when at most this many characters follow it.
    pub marker_max_tail: usize,
    /// Shortcut when fewer words AND fewer non-space characters than these precede the answer.
    pub shortcut_max_words: u32,
    pub shortcut_max_chars: u32,
    /// n of the n-gram repetition statistics.
    pub ngram_n: usize,
}

impl Default for InspectConfig {
    fn default() -> Self {
        InspectConfig {
            repetition_min_copies: 7,
            repetition_min_chars: 20,
            repetition_rule_min_chars: 120,
            repetition_digit_min_chars: 200,
            repetition_max_period_bytes: 8192,
            gibberish_threshold: 0.30,
            smooth_radius: 8,
            soup_min_scripts: 4,
            salad_window: 60,
            salad_min_anomalies: 3,
            expected_language: "en".to_string(),
            drift_threshold: 0.20,
            marker_max_tail: 80,
            shortcut_max_words: 20,
            shortcut_max_chars: 100,
            ngram_n: 20,
        }
    }
}

impl InspectConfig {
    pub fn validate(&self) -> Result<(), InputError> {
        let unit = |name: &str, v: f32| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(InputError::new(format!(
                    "{name} must be between 0 and 1, got {v}"
                )))
            }
        };
        unit("gibberish_threshold", self.gibberish_threshold)?;
        unit("drift_threshold", self.drift_threshold)?;
        if self.repetition_min_copies < 2 {
            return Err(InputError::new(format!(
                "repetition_min_copies must be >= 2, got {}",
                self.repetition_min_copies
            )));
        }
        if self.expected_language.is_empty() {
            return Err(InputError::new(
                "expected_language is empty: pass a language code such as \"en\"",
            ));
        }
        Ok(())
    }
}

/// Number of word categories (`lexicon::CATEGORIES`).
pub const N_CATEGORIES: usize = lexicon::CATEGORIES.len();

/// Everything the detectors found in one response.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    pub repetition: bool,
    /// Share of the text's bytes inside loops.
    pub repetition_score: f32,
    /// Copies of the longest loop's unit (0 without a loop).
    pub repetition_copies: u32,
    /// The longest loop's unit (at most 200 characters) and its start, in characters.
    pub repetition_unit: Option<String>,
    pub repetition_start: Option<u32>,
    pub gibberish: bool,
    pub gibberish_score: f32,
    pub language_drift: bool,
    pub foreign_share: f32,
    pub dominant_foreign_script: Option<Script>,
    pub foreign_answer_marker: Option<&'static str>,
    /// Letters per script (`Script::ALL` order).
    pub script_letters: [u32; Script::ALL.len()],
    pub shortcut: bool,
    /// Words before the final answer (counting stops at `shortcut_max_words`).
    pub words_before_answer: u32,
    pub n_words: u32,
    /// Reasoning words per category (`lexicon::CATEGORIES` order).
    pub categories: [u32; N_CATEGORIES],
    pub repetition_ratio: f32,
    pub maximum_frequency: u32,
}

impl Inspection {
    /// The promises every inspection keeps, whatever the text (checked by the property tests and
    /// the fuzz target): scores and shares within 0..=1, a loop start inside the text, a loop
    /// unit only with a loop. Returns the first one broken.
    pub fn broken_promise(&self, text: &str) -> Option<String> {
        let unit_range = [
            ("repetition_score", self.repetition_score),
            ("gibberish_score", self.gibberish_score),
            ("foreign_share", self.foreign_share),
            ("repetition_ratio", self.repetition_ratio),
        ];
        if let Some((name, v)) = unit_range.iter().find(|(_, v)| !(0.0..=1.0).contains(v)) {
            return Some(format!("{name} = {v} is outside 0..=1"));
        }
        if let Some(start) = self.repetition_start {
            let chars = text.chars().count();
            if start as usize > chars {
                return Some(format!(
                    "repetition_start {start} is past the text's {chars} chars"
                ));
            }
        }
        if !self.repetition && self.repetition_unit.is_some() {
            return Some("a repetition_unit without a repetition".to_string());
        }
        None
    }
}

/// Inspect one response.
pub fn inspect(text: &str, cfg: &InspectConfig) -> Inspection {
    let loops = repetition::find_loops(text, cfg);
    let covered: usize = loops.iter().map(|l| l.len()).sum();
    let longest = loops.iter().max_by_key(|l| l.len());
    let (unit, start) = match longest {
        Some(l) => {
            let unit = &text[l.start..l.start + l.period];
            let unit: String = unit.chars().take(200).collect();
            (Some(unit), Some(text[..l.start].chars().count() as u32))
        }
        None => (None, None),
    };
    let sc = shortcut::shortcut(text, cfg);
    let gate = scan::Gate {
        min_anomalies: cfg.salad_min_anomalies,
        min_scripts: cfg.soup_min_scripts,
        // Cutting loops out of the word sequence brings distant words together: then only the
        // whole-text bound is safe.
        anomaly_window: loops
            .is_empty()
            .then(|| cfg.salad_window.clamp(1, u32::MAX as usize) as u32),
    };
    scan::with_scan(text, Some(gate), |scan| {
        let gib = gibberish::gibberish(scan, &loops, cfg);
        let drift = language::drift(text, &scan.script_letters, cfg);
        let ng = ngram::ngram_stats(&scan.token_hashes, cfg.ngram_n);
        Inspection {
            repetition: !loops.is_empty(),
            repetition_score: if text.is_empty() {
                0.0
            } else {
                (covered as f64 / text.len() as f64) as f32
            },
            repetition_copies: longest.map_or(0, |l| l.copies.min(u32::MAX as usize) as u32),
            repetition_unit: unit,
            repetition_start: start,
            gibberish: gib.score > cfg.gibberish_threshold,
            gibberish_score: gib.score,
            language_drift: drift.foreign_share > cfg.drift_threshold
                || drift.foreign_marker.is_some(),
            foreign_share: drift.foreign_share,
            dominant_foreign_script: drift.dominant_foreign,
            foreign_answer_marker: drift.foreign_marker,
            script_letters: scan.script_letters,
            shortcut: sc.flag,
            words_before_answer: sc.words_before,
            n_words: scan.n_words,
            categories: scan.categories,
            repetition_ratio: ng.repetition_ratio,
            maximum_frequency: ng.maximum_frequency,
        }
    })
}

/// Inspect many responses in parallel on a fork-safe pool of `threads` (0 = all cores).
pub fn inspect_batch(
    texts: &[&str],
    cfg: &InspectConfig,
    threads: usize,
) -> Result<Vec<Inspection>, InputError> {
    cfg.validate()?;
    // One thread runs inline: `par_iter` outside a pool would use rayon's global pool, which is
    // neither single-threaded nor fork-safe.
    if crate::pool::resolve_threads(threads) <= 1 {
        return Ok(texts.iter().map(|t| inspect(t, cfg)).collect());
    }
    Ok(crate::pool::run_in_pool(threads, || {
        texts.par_iter().map(|t| inspect(t, cfg)).collect()
    }))
}

#[cfg(test)]
mod fuzz_tests;
