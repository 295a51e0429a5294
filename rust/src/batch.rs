//! One call scores a whole rollout batch: verification, inspection, reward shaping, group
//! advantages and the batch metrics, in parallel on a fork-safe pool.
//!
//! Order of operations per response:
//! 1. raw score = the verifier's reward (`correct_reward`/`incorrect_reward`); a response without
//!    a ground truth gets `incorrect_reward`, status `no_ground_truth`, and counts as incorrect;
//! 2. DAPO soft overlong punishment (verl's DAPO reward manager) on token lengths: with
//!    `L_max = max_response_length`, `B = overlong_buffer_len`,
//!    `penalty = min(0, -(L - (L_max - B)) / B * overlong_penalty_factor)`, added to the reward;
//! 3. optional degeneracy shaping (off by default): `penalty` mode subtracts `shaping_penalty`
//!    from the reward of a response with any of the selected flags; `zero_advantage` mode keeps
//!    the reward and sets that response's advantage to 0 after normalisation;
//! 4. advantages from the shaped rewards; group stats (`batch/*`) from RAW correctness.

use rayon::prelude::*;

use crate::advantage::{compute_advantages, AdvantageConfig};
use crate::error::InputError;
use crate::inspect::{self, aggregate, InspectConfig, Inspection};
use crate::verify::{self, Verdict, VerifyConfig};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapingMode {
    Off,
    Penalty,
    ZeroAdvantage,
}

impl ShapingMode {
    pub fn parse(s: &str) -> Result<Self, InputError> {
        match s {
            "off" => Ok(ShapingMode::Off),
            "penalty" => Ok(ShapingMode::Penalty),
            "zero_advantage" => Ok(ShapingMode::ZeroAdvantage),
            other => Err(InputError::new(format!(
                "shaping_mode must be \"off\", \"penalty\" or \"zero_advantage\", got {other:?}"
            ))),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ScoringConfig {
    pub verify: VerifyConfig,
    pub advantage: AdvantageConfig,
    pub inspect: InspectConfig,
    /// DAPO overlong buffer in tokens (0 = off).
    pub overlong_buffer_len: u32,
    pub max_response_length: Option<u32>,
    pub overlong_penalty_factor: f32,
    pub shaping_mode: ShapingMode,
    pub shaping_penalty: f32,
    /// Which inspection flags trigger shaping, in `aggregate::FLAGS` order.
    pub shaping_flags: [bool; 4],
    pub threads: usize,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        ScoringConfig {
            verify: VerifyConfig::default(),
            advantage: AdvantageConfig::default(),
            inspect: InspectConfig::default(),
            overlong_buffer_len: 0,
            max_response_length: None,
            overlong_penalty_factor: 1.0,
            shaping_mode: ShapingMode::Off,
            shaping_penalty: 0.0,
            shaping_flags: [true; 4],
            threads: 0,
        }
    }
}

pub struct BatchInput<'a> {
    pub responses: &'a [&'a str],
    pub ground_truths: &'a [Option<&'a str>],
    pub group_ids: &'a [i64],
    /// Response lengths in tokens (needed for overlong shaping and the length metrics).
    pub response_lengths: Option<&'a [u32]>,
    /// Whether each response was cut at the length limit (finish reason "length").
    pub truncated: Option<&'a [bool]>,
}

#[derive(Debug, Clone)]
pub struct BatchOutput {
    pub raw_scores: Vec<f32>,
    pub rewards: Vec<f32>,
    pub correct: Vec<bool>,
    pub advantages: Vec<f32>,
    pub status: Vec<&'static str>,
    pub extracted: Vec<Option<String>>,
    pub overlong_penalty: Vec<f32>,
    /// Responses the degeneracy shaping acted on.
    pub shaped: Vec<bool>,
    pub inspections: Vec<Inspection>,
    pub metrics: Vec<(String, f64)>,
}

/// verl's DAPO soft overlong punishment for one response (0 when off).
pub fn overlong_penalty(length: u32, max_len: u32, buffer: u32, factor: f32) -> f32 {
    if buffer == 0 {
        return 0.0;
    }
    let expected = max_len as f64 - buffer as f64;
    let exceed = length as f64 - expected;
    (-exceed / buffer as f64 * factor as f64).min(0.0) as f32
}

fn check(input: &BatchInput, cfg: &ScoringConfig) -> Result<(), InputError> {
    let n = input.responses.len();
    if n == 0 {
        return Err(InputError::new(
            "empty batch: responses has no elements (pass at least one response)",
        ));
    }
    let lens = [
        ("ground_truths", Some(input.ground_truths.len())),
        ("group_ids", Some(input.group_ids.len())),
        ("response_lengths", input.response_lengths.map(|x| x.len())),
        ("finish_reasons", input.truncated.map(|x| x.len())),
    ];
    for (name, len) in lens {
        if let Some(len) = len {
            if len != n {
                return Err(InputError::new(format!(
                    "length mismatch: responses has {n} elements but {name} has {len}"
                )));
            }
        }
    }
    if cfg.overlong_buffer_len > 0 {
        let Some(max_len) = cfg.max_response_length else {
            return Err(InputError::new(
                "overlong_buffer_len > 0 needs max_response_length (the rollout's token limit)",
            ));
        };
        if cfg.overlong_buffer_len > max_len {
            return Err(InputError::new(format!(
                "overlong_buffer_len ({}) is larger than max_response_length ({max_len})",
                cfg.overlong_buffer_len
            )));
        }
        if input.response_lengths.is_none() {
            return Err(InputError::new(
                "overlong shaping (overlong_buffer_len > 0) needs response_lengths in tokens",
            ));
        }
    }
    if !cfg.shaping_penalty.is_finite() || !cfg.overlong_penalty_factor.is_finite() {
        return Err(InputError::new(
            "shaping_penalty and overlong_penalty_factor must be finite numbers",
        ));
    }
    cfg.inspect.validate()
}

fn stats3(name: &str, v: &[f32], out: &mut Vec<(String, f64)>) {
    let n = v.len().max(1) as f64;
    let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    let max = v.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64;
    let min = v.iter().fold(f32::INFINITY, |a, &b| a.min(b)) as f64;
    out.push((format!("{name}/mean"), mean));
    out.push((format!("{name}/max"), max));
    out.push((format!("{name}/min"), min));
}

fn mean_where(v: &[u32], keep: impl Fn(usize) -> bool) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for (i, &x) in v.iter().enumerate() {
        if keep(i) {
            s += x as f64;
            n += 1;
        }
    }
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

/// Score a batch. See the module docs for the order of operations.
pub fn score_batch(input: &BatchInput, cfg: &ScoringConfig) -> Result<BatchOutput, InputError> {
    check(input, cfg)?;
    let n = input.responses.len();
    let one = |i: usize| {
        let r = input.responses[i];
        let v = input.ground_truths[i].map(|gt| verify::verify(r, gt, &cfg.verify));
        (v, inspect::inspect(r, &cfg.inspect))
    };
    // One thread runs inline (rayon's global pool is neither single-threaded nor fork-safe).
    let per: Vec<(Option<Verdict>, Inspection)> = if crate::pool::resolve_threads(cfg.threads) <= 1
    {
        (0..n).map(one).collect()
    } else {
        crate::pool::run_in_pool(cfg.threads, || (0..n).into_par_iter().map(one).collect())
    };
    let mut raw_scores = Vec::with_capacity(n);
    let mut correct = Vec::with_capacity(n);
    let mut status = Vec::with_capacity(n);
    let mut extracted = Vec::with_capacity(n);
    let mut inspections = Vec::with_capacity(n);
    for (v, ins) in per {
        match v {
            Some(v) => {
                raw_scores.push(v.reward);
                correct.push(v.correct);
                status.push(v.status.as_str());
                extracted.push(v.extracted);
            }
            None => {
                raw_scores.push(cfg.verify.incorrect_reward);
                correct.push(false);
                status.push("no_ground_truth");
                extracted.push(None);
            }
        }
        inspections.push(ins);
    }

    let overlong: Vec<f32> = match (input.response_lengths, cfg.max_response_length) {
        (Some(lens), Some(max_len)) if cfg.overlong_buffer_len > 0 => lens
            .iter()
            .map(|&l| {
                overlong_penalty(
                    l,
                    max_len,
                    cfg.overlong_buffer_len,
                    cfg.overlong_penalty_factor,
                )
            })
            .collect(),
        _ => vec![0.0; n],
    };
    let shaped: Vec<bool> = inspections
        .iter()
        .map(|ins| {
            cfg.shaping_mode != ShapingMode::Off
                && aggregate::FLAGS
                    .iter()
                    .zip(cfg.shaping_flags)
                    .any(|(f, on)| on && aggregate::flag(ins, f))
        })
        .collect();
    let rewards: Vec<f32> = (0..n)
        .map(|i| {
            let mut r = raw_scores[i] + overlong[i];
            if shaped[i] && cfg.shaping_mode == ShapingMode::Penalty {
                r -= cfg.shaping_penalty;
            }
            r
        })
        .collect();
    let adv = compute_advantages(&rewards, input.group_ids, Some(&correct), &cfg.advantage)?;
    let mut advantages = adv.advantages;
    if cfg.shaping_mode == ShapingMode::ZeroAdvantage {
        for (a, &s) in advantages.iter_mut().zip(&shaped) {
            if s {
                *a = 0.0;
            }
        }
    }

    let mut metrics = Vec::new();
    stats3("critic/score", &raw_scores, &mut metrics);
    stats3("critic/rewards", &rewards, &mut metrics);
    stats3("critic/advantages", &advantages, &mut metrics);
    metrics.push(("batch/solve_all".into(), adv.stats.solve_all as f64));
    metrics.push(("batch/solve_none".into(), adv.stats.solve_none as f64));
    metrics.push(("batch/valid".into(), adv.stats.valid as f64));
    metrics.push(("batch/n_groups".into(), adv.stats.n_groups as f64));
    metrics.push((
        "batch/accuracy".into(),
        correct.iter().filter(|&&c| c).count() as f64 / n as f64,
    ));
    for s in [
        "match",
        "mismatch",
        "no_answer",
        "unparsable",
        "no_ground_truth",
    ] {
        let share = status.iter().filter(|&&x| x == s).count() as f64 / n as f64;
        metrics.push((format!("verify/{s}_rate"), share));
    }
    if let Some(lens) = input.response_lengths {
        let lf: Vec<f32> = lens.iter().map(|&l| l as f32).collect();
        stats3("response_length", &lf, &mut metrics);
        let clipped = match (input.truncated, cfg.max_response_length) {
            (Some(t), _) => t.iter().filter(|&&x| x).count(),
            (None, Some(m)) => lens.iter().filter(|&&l| l >= m).count(),
            (None, None) => 0,
        };
        metrics.push((
            "response_length/clip_ratio".into(),
            clipped as f64 / n as f64,
        ));
        metrics.push((
            "response_length/pos/mean".into(),
            mean_where(lens, |i| correct[i]),
        ));
        metrics.push((
            "response_length/neg/mean".into(),
            mean_where(lens, |i| !correct[i]),
        ));
    }
    if cfg.overlong_buffer_len > 0 {
        let hit = overlong.iter().filter(|&&p| p < 0.0).count();
        metrics.push(("overlong/penalized_rate".into(), hit as f64 / n as f64));
        metrics.push((
            "overlong/penalty_mean".into(),
            overlong.iter().map(|&p| p as f64).sum::<f64>() / n as f64,
        ));
    }
    metrics.push((
        "shaping/shaped_rate".into(),
        shaped.iter().filter(|&&s| s).count() as f64 / n as f64,
    ));
    metrics.extend(aggregate::metrics(&inspections, Some(&correct)));

    Ok(BatchOutput {
        raw_scores,
        rewards,
        correct,
        advantages,
        status,
        extracted,
        overlong_penalty: overlong,
        shaped,
        inspections,
        metrics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        responses: &[&str],
        gts: &[Option<&str>],
        groups: &[i64],
        cfg: &ScoringConfig,
    ) -> BatchOutput {
        score_batch(
            &BatchInput {
                responses,
                ground_truths: gts,
                group_ids: groups,
                response_lengths: None,
                truncated: None,
            },
            cfg,
        )
        .unwrap()
    }

    #[test]
    fn overlong_penalty_matches_dapo_formula() {
        // L_max 4096, buffer 256: no penalty up to 3840, linear to -factor at 4096.
        assert_eq!(overlong_penalty(3000, 4096, 256, 1.0), 0.0);
        assert_eq!(overlong_penalty(3840, 4096, 256, 1.0), 0.0);
        assert!((overlong_penalty(3968, 4096, 256, 1.0) + 0.5).abs() < 1e-6);
        assert!((overlong_penalty(4096, 4096, 256, 2.0) + 2.0).abs() < 1e-6);
        assert_eq!(overlong_penalty(5000, 4096, 0, 1.0), 0.0);
    }

    #[test]
    fn scores_verifies_inspects_and_shapes() {
        let loop_text = format!("Let me see. {}", "& ".repeat(200));
        let responses = [
            "We need the product of six and seven. Six groups of seven items each give seven, \
             fourteen, twenty-one, twenty-eight, thirty-five and then forty-two items in total, \
             so the answer is \\boxed{42}.",
            "I think it is \\boxed{41}.",
            loop_text.as_str(),
            "no truth here",
        ];
        let gts = [Some("42"), Some("42"), Some("42"), None];
        let groups = [0, 0, 0, 1];
        let out = run(&responses, &gts, &groups, &ScoringConfig::default());
        assert_eq!(out.correct, vec![true, false, false, false]);
        assert_eq!(out.raw_scores, vec![1.0, 0.0, 0.0, 0.0]);
        assert_eq!(out.status[3], "no_ground_truth");
        assert!(out.inspections[2].repetition);
        assert!(out.inspections[1].shortcut);
        let m: std::collections::HashMap<_, _> = out.metrics.iter().cloned().collect();
        assert_eq!(m["batch/valid"], 1.0);
        assert_eq!(m["batch/solve_none"], 1.0);
        assert!((m["degeneracy/repetition_rate"] - 0.25).abs() < 1e-9);

        // Penalty shaping lowers flagged rewards; group stats stay on raw correctness.
        let cfg = ScoringConfig {
            shaping_mode: ShapingMode::Penalty,
            shaping_penalty: 0.5,
            ..Default::default()
        };
        let out = run(&responses, &gts, &groups, &cfg);
        assert_eq!(out.rewards, vec![1.0, -0.5, -0.5, 0.0]);
        let m: std::collections::HashMap<_, _> = out.metrics.iter().cloned().collect();
        assert_eq!(m["batch/valid"], 1.0);
        let cfg = ScoringConfig {
            shaping_mode: ShapingMode::ZeroAdvantage,
            ..Default::default()
        };
        let out = run(&responses, &gts, &groups, &cfg);
        assert_eq!(out.advantages[1], 0.0);
        assert_eq!(out.advantages[2], 0.0);
        assert!(out.advantages[0] > 0.0);
    }

    #[test]
    fn bad_input_is_named() {
        let cfg = ScoringConfig {
            overlong_buffer_len: 16,
            ..Default::default()
        };
        let e = score_batch(
            &BatchInput {
                responses: &["a"],
                ground_truths: &[Some("1")],
                group_ids: &[0],
                response_lengths: Some(&[3]),
                truncated: None,
            },
            &cfg,
        )
        .unwrap_err();
        assert!(e.0.contains("max_response_length"));
        let e = score_batch(
            &BatchInput {
                responses: &["a", "b"],
                ground_truths: &[Some("1")],
                group_ids: &[0, 0],
                response_lengths: None,
                truncated: None,
            },
            &ScoringConfig::default(),
        )
        .unwrap_err();
        assert!(e.0.contains("ground_truths"));
    }
}
