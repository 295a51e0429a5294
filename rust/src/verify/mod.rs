//! Math-answer verification: extract the final answer of a response and decide whether it is
//! mathematically equal to the ground truth. See `docs/verify-policy.md` for the policy.

use rayon::prelude::*;

mod budget;
mod compare;
mod complex;
pub mod dapo;
mod eval;
mod expr;
pub mod extract;
mod lexer;
mod lexicon;
mod normalize;
mod parse;
mod text;
mod values;

pub use extract::Source;

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
    /// Grade only the text after the last `</think>` (Archer mode).
    pub after_think: bool,
    /// Fall back to the last `Answer:` line when there is no `\boxed{}`.
    pub answer_line: bool,
    /// Fall back to "the answer is X" in the final sentence.
    pub answer_phrase: bool,
    /// Fall back to the last number in the final sentence.
    pub last_number: bool,
}

impl Default for VerifyConfig {
    fn default() -> Self {
        VerifyConfig {
            mode: Mode::Archer,
            correct_reward: 1.0,
            incorrect_reward: 0.0,
            after_think: true,
            answer_line: true,
            answer_phrase: true,
            last_number: true,
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
pub fn verify(response: &str, ground_truth: &str, cfg: &VerifyConfig) -> Verdict {
    let (status, extracted) = match cfg.mode {
        Mode::MathDapo => {
            let (correct, pred) = dapo::score(response, ground_truth);
            let status = match (&pred, correct) {
                (_, true) => Status::Match,
                (None, false) => Status::NoAnswer,
                (Some(_), false) => Status::Mismatch,
            };
            (status, pred)
        }
        Mode::Archer => match extract::extract_with(response, &cfg.extraction()) {
            None => (Status::NoAnswer, None),
            Some((answer, _)) => {
                let mut budget = budget::Budget::new(budget::ITEM_BUDGET);
                (
                    compare::judge(&answer, ground_truth, &mut budget),
                    Some(answer),
                )
            }
        },
    };
    let correct = status == Status::Match;
    Verdict {
        correct,
        status,
        extracted,
        reward: if correct {
            cfg.correct_reward
        } else {
            cfg.incorrect_reward
        },
    }
}

/// Equivalence of two bare answers (no extraction): `equivalent("0.5", "\\frac12")`.
pub fn equivalent(answer: &str, ground_truth: &str) -> Status {
    let mut budget = budget::Budget::new(budget::ITEM_BUDGET);
    compare::judge(answer, ground_truth, &mut budget)
}

impl VerifyConfig {
    fn extraction(&self) -> extract::Options {
        extract::Options {
            after_think: self.after_think,
            answer_line: self.answer_line,
            answer_phrase: self.answer_phrase,
            last_number: self.last_number,
        }
    }
}

/// Verify many responses in parallel (`threads` 0 = all cores) in a fork-safe pool; one thread
/// runs sequentially on the calling thread. Pairs beyond the shorter slice are ignored (the
/// Python layer rejects mismatched lengths before calling).
pub fn verify_batch(
    responses: &[&str],
    truths: &[&str],
    cfg: &VerifyConfig,
    threads: usize,
) -> Vec<Verdict> {
    if crate::pool::resolve_threads(threads) <= 1 {
        return responses
            .iter()
            .zip(truths)
            .map(|(r, t)| verify(r, t, cfg))
            .collect();
    }
    crate::pool::run_in_pool(threads, || {
        responses
            .par_iter()
            .zip(truths.par_iter())
            .with_min_len(8)
            .map(|(r, t)| verify(r, t, cfg))
            .collect()
    })
}

#[cfg(test)]
mod tests;
