//! Math-answer verification: extract the final answer of a response and decide whether it is
//! mathematically equal to the ground truth. See `docs/verify-policy.md` for the policy.

use rayon::prelude::*;

/// Which verifier to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The full verifier: extraction cascade + expression-tree equivalence.
    Archer,
    /// verl's `math_dapo.compute_score` decisions, reproduced exactly.
    MathDapo,
}

/// Outcome class of one verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Match,
    Mismatch,
    NoAnswer,
    Unparsable,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Match => "match",
            Status::Mismatch => "mismatch",
            Status::NoAnswer => "no_answer",
            Status::Unparsable => "unparsable",
        }
    }
}

/// Verifier settings.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    pub mode: Mode,
    pub correct_reward: f32,
    pub incorrect_reward: f32,
}

impl Default for VerifyConfig {
    fn default() -> Self {
        VerifyConfig {
            mode: Mode::Archer,
            correct_reward: 1.0,
            incorrect_reward: 0.0,
        }
    }
}

impl VerifyConfig {
    /// DAPO's reward scheme: +1 for a correct answer, -1 otherwise.
    pub fn dapo_rewards() -> Self {
        VerifyConfig {
            correct_reward: 1.0,
            incorrect_reward: -1.0,
            ..Default::default()
        }
    }
}

/// The verdict on one response.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub correct: bool,
    pub status: Status,
    pub extracted: Option<String>,
    pub reward: f32,
}

/// Verify one response against its ground truth. Never panics; work is bounded.
pub fn verify(_response: &str, _ground_truth: &str, cfg: &VerifyConfig) -> Verdict {
    Verdict {
        correct: false,
        status: Status::NoAnswer,
        extracted: None,
        reward: cfg.incorrect_reward,
    }
}

/// Verify many responses in parallel (`threads` 0 = all cores) in a fork-safe pool.
pub fn verify_batch(
    responses: &[&str],
    truths: &[&str],
    cfg: &VerifyConfig,
    threads: usize,
) -> Vec<Verdict> {
    crate::pool::run_in_pool(threads, || {
        responses
            .par_iter()
            .zip(truths.par_iter())
            .map(|(r, t)| verify(r, t, cfg))
            .collect()
    })
}
