//! Group-relative advantage estimators over per-response scalar scores.
//!
//! Formulas (per group g of responses sharing a prompt, n = |g|):
//! - GRPO, as verl's `compute_grpo_outcome_advantage`: A_i = (r_i - mean_g) / (std_g + eps) with the
//!   sample std (n - 1 denominator, torch.std's default) and eps = 1e-6; a one-response group uses
//!   mean 0 and std 1.
//! - Dr.GRPO (verl `norm_adv_by_std_in_grpo=False`, Liu et al. 2025): A_i = r_i - mean_g.
//! - RLOO, as verl's `compute_rloo_outcome_advantage`: A_i = r_i - mean of the other n - 1 responses
//!   = n/(n-1) * (r_i - mean_g); a one-response group keeps A_i = r_i.
//! - Batch std scope ("group mean, batch std", Liu et al. 2025 "Tricks or Traps"): the GRPO numerator
//!   with the sample std of all scores in the batch in the denominator.
//!
//! Sums are accumulated in f64 and the result rounded to f32, so values agree with verl's float32
//! torch code to within float32 rounding.

use std::collections::HashMap;

use crate::error::InputError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimator {
    /// (r - mean) / (std + eps), or r - mean when `norm_by_std` is false (Dr.GRPO).
    Grpo,
    /// Leave-one-out baseline.
    Rloo,
}

impl Estimator {
    pub fn parse(name: &str) -> Result<Self, InputError> {
        match name.to_ascii_lowercase().as_str() {
            "grpo" => Ok(Estimator::Grpo),
            "rloo" => Ok(Estimator::Rloo),
            other => Err(InputError::new(format!(
                "unknown advantage estimator {other:?}: use \"grpo\" or \"rloo\" \
                 (Dr.GRPO is \"grpo\" with norm_by_std=False)"
            ))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdScope {
    Group,
    Batch,
}

impl StdScope {
    pub fn parse(name: &str) -> Result<Self, InputError> {
        match name.to_ascii_lowercase().as_str() {
            "group" => Ok(StdScope::Group),
            "batch" => Ok(StdScope::Batch),
            other => Err(InputError::new(format!(
                "unknown std scope {other:?}: use \"group\" or \"batch\""
            ))),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct AdvantageConfig {
    pub estimator: Estimator,
    pub norm_by_std: bool,
    pub std_scope: StdScope,
    pub epsilon: f64,
}

impl Default for AdvantageConfig {
    fn default() -> Self {
        AdvantageConfig {
            estimator: Estimator::Grpo,
            norm_by_std: true,
            std_scope: StdScope::Group,
            epsilon: 1e-6,
        }
    }
}

/// Outcome counts per group, on raw (unshaped) outcomes, as Archer logs `batch/*`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupStats {
    pub n_groups: usize,
    /// Every response of the group is correct.
    pub solve_all: usize,
    /// No response of the group is correct.
    pub solve_none: usize,
    /// Mixed outcomes: the only groups that carry a learning signal.
    pub valid: usize,
}

#[derive(Debug, Clone)]
pub struct AdvantageOutput {
    pub advantages: Vec<f32>,
    /// Dense group index (0..n_groups, in order of first appearance) for each response.
    pub group_index: Vec<u32>,
    pub stats: GroupStats,
}

/// Map arbitrary group ids to dense indices in order of first appearance.
pub fn dense_groups(group_ids: &[i64]) -> (Vec<u32>, usize) {
    let mut dense = Vec::with_capacity(group_ids.len());
    let (Some(&lo), Some(&hi)) = (group_ids.iter().min(), group_ids.iter().max()) else {
        return (dense, 0);
    };
    // Usual case: ids are prompt indices in a small range; a lookup table beats hashing ~10x.
    let span = (hi as i128 - lo as i128) as u128;
    if span <= 4 * group_ids.len() as u128 + 1024 {
        let mut table = vec![u32::MAX; span as usize + 1];
        let mut next = 0u32;
        for &g in group_ids {
            let slot = &mut table[(g - lo) as usize];
            if *slot == u32::MAX {
                *slot = next;
                next += 1;
            }
            dense.push(*slot);
        }
        return (dense, next as usize);
    }
    let mut map: HashMap<i64, u32> = HashMap::with_capacity(group_ids.len() / 4 + 1);
    for &g in group_ids {
        let next = map.len() as u32;
        dense.push(*map.entry(g).or_insert(next));
    }
    let n = map.len();
    (dense, n)
}

fn check_inputs(scores: &[f32], group_ids: &[i64]) -> Result<(), InputError> {
    if scores.is_empty() {
        return Err(InputError::new(
            "empty batch: scores has no elements (pass at least one response)",
        ));
    }
    if scores.len() != group_ids.len() {
        return Err(InputError::new(format!(
            "length mismatch: scores has {} elements but group_ids has {}",
            scores.len(),
            group_ids.len()
        )));
    }
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(InputError::new(format!(
            "scores[{i}] is {} (non-finite): every score must be a finite number",
            scores[i]
        )));
    }
    Ok(())
}

/// Count solve_all / solve_none / valid groups from per-response correctness.
pub fn group_stats(correct: &[bool], group_index: &[u32], n_groups: usize) -> GroupStats {
    let mut n_correct = vec![0u32; n_groups];
    let mut n_total = vec![0u32; n_groups];
    for (&c, &g) in correct.iter().zip(group_index) {
        n_total[g as usize] += 1;
        n_correct[g as usize] += c as u32;
    }
    let mut stats = GroupStats {
        n_groups,
        ..Default::default()
    };
    for (&c, &t) in n_correct.iter().zip(&n_total) {
        if c == t {
            stats.solve_all += 1;
        } else if c == 0 {
            stats.solve_none += 1;
        } else {
            stats.valid += 1;
        }
    }
    stats
}

/// Compute advantages for a batch.
///
/// `correct` gives per-response outcomes for the group stats; without it a response counts as
/// correct when its score is > 0 (right for 0/1 and for DAPO's ±1 rewards).
pub fn compute_advantages(
    scores: &[f32],
    group_ids: &[i64],
    correct: Option<&[bool]>,
    cfg: &AdvantageConfig,
) -> Result<AdvantageOutput, InputError> {
    check_inputs(scores, group_ids)?;
    if let Some(c) = correct {
        if c.len() != scores.len() {
            return Err(InputError::new(format!(
                "length mismatch: scores has {} elements but correct has {}",
                scores.len(),
                c.len()
            )));
        }
    }
    if !(cfg.epsilon.is_finite() && cfg.epsilon >= 0.0) {
        return Err(InputError::new(format!(
            "epsilon must be a finite number >= 0, got {}",
            cfg.epsilon
        )));
    }
    let (group_index, n_groups) = dense_groups(group_ids);

    // Two passes in f64: means, then squared deviations (stable for large groups).
    let mut count = vec![0u32; n_groups];
    let mut sum = vec![0f64; n_groups];
    for (&s, &g) in scores.iter().zip(&group_index) {
        count[g as usize] += 1;
        sum[g as usize] += s as f64;
    }
    let mean: Vec<f64> = sum
        .iter()
        .zip(&count)
        .map(|(&s, &c)| if c > 1 { s / c as f64 } else { 0.0 })
        .collect();
    let mut sq = vec![0f64; n_groups];
    for (&s, &g) in scores.iter().zip(&group_index) {
        let d = s as f64 - mean[g as usize];
        sq[g as usize] += d * d;
    }
    let group_std: Vec<f64> = (0..n_groups)
        .map(|g| {
            if count[g] > 1 {
                (sq[g] / (count[g] as f64 - 1.0)).sqrt()
            } else {
                1.0
            }
        })
        .collect();
    let batch_std = if scores.len() > 1 {
        let n = scores.len() as f64;
        let m: f64 = scores.iter().map(|&s| s as f64).sum::<f64>() / n;
        let ss: f64 = scores.iter().map(|&s| (s as f64 - m).powi(2)).sum();
        (ss / (n - 1.0)).sqrt()
    } else {
        1.0
    };

    let advantages: Vec<f32> = scores
        .iter()
        .zip(&group_index)
        .map(|(&s, &g)| {
            let g = g as usize;
            let s = s as f64;
            let a = match cfg.estimator {
                Estimator::Grpo => {
                    let centered = s - mean[g];
                    if !cfg.norm_by_std {
                        centered
                    } else {
                        let std = match cfg.std_scope {
                            StdScope::Group => group_std[g],
                            StdScope::Batch => batch_std,
                        };
                        centered / (std + cfg.epsilon)
                    }
                }
                Estimator::Rloo => {
                    let n = count[g] as f64;
                    if count[g] > 1 {
                        (s - mean[g]) * n / (n - 1.0)
                    } else {
                        s
                    }
                }
            };
            a as f32
        })
        .collect();

    let stats = match correct {
        Some(c) => group_stats(c, &group_index, n_groups),
        None => {
            let c: Vec<bool> = scores.iter().map(|&s| s > 0.0).collect();
            group_stats(&c, &group_index, n_groups)
        }
    };
    Ok(AdvantageOutput {
        advantages,
        group_index,
        stats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f32], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((*x as f64 - y).abs() < 1e-5, "{x} vs {y}");
        }
    }

    #[test]
    fn grpo_hand_computed() {
        // group 7: [1, 0, 0, 1] mean .5, sample std sqrt(1/3); group 3: [1] -> (1-0)/(1+eps)
        let out = compute_advantages(
            &[1.0, 0.0, 1.0, 0.0, 1.0],
            &[7, 7, 3, 7, 7],
            None,
            &AdvantageConfig::default(),
        )
        .unwrap();
        let s = (1.0f64 / 3.0).sqrt() + 1e-6;
        close(
            &out.advantages,
            &[0.5 / s, -0.5 / s, 1.0 / (1.0 + 1e-6), -0.5 / s, 0.5 / s],
        );
        assert_eq!(
            out.stats,
            GroupStats {
                n_groups: 2,
                solve_all: 1,
                solve_none: 0,
                valid: 1
            }
        );
    }

    #[test]
    fn dr_grpo_and_rloo_hand_computed() {
        let cfg = AdvantageConfig {
            norm_by_std: false,
            ..Default::default()
        };
        let out = compute_advantages(&[3.0, 1.0, 2.0], &[0, 0, 0], None, &cfg).unwrap();
        close(&out.advantages, &[1.0, -1.0, 0.0]);
        let cfg = AdvantageConfig {
            estimator: Estimator::Rloo,
            ..Default::default()
        };
        // leave-one-out: 3 - (1+2)/2 = 1.5, 1 - 2.5 = -1.5, 2 - 2 = 0; single group keeps r.
        let out = compute_advantages(&[3.0, 1.0, 2.0, 5.0], &[0, 0, 0, 1], None, &cfg).unwrap();
        close(&out.advantages, &[1.5, -1.5, 0.0, 5.0]);
    }

    #[test]
    fn batch_std_scope() {
        let cfg = AdvantageConfig {
            std_scope: StdScope::Batch,
            ..Default::default()
        };
        let out = compute_advantages(&[1.0, 0.0, 1.0, 1.0], &[0, 0, 1, 1], None, &cfg).unwrap();
        let bstd = (0.75f64 / 3.0).sqrt() + 1e-6; // batch mean .75, squares sum .75
        close(&out.advantages, &[0.5 / bstd, -0.5 / bstd, 0.0, 0.0]);
    }

    #[test]
    fn dense_groups_table_and_hash_paths_agree() {
        let ids = [5i64, -3, 5, 9, -3, 9, 9];
        let (d, n) = dense_groups(&ids);
        assert_eq!((d, n), (vec![0, 1, 0, 2, 1, 2, 2], 3));
        let sparse = [i64::MAX, i64::MIN, i64::MAX, 0];
        let (d, n) = dense_groups(&sparse);
        assert_eq!((d, n), (vec![0, 1, 0, 2], 3));
    }

    #[test]
    fn bad_inputs_are_named() {
        let cfg = AdvantageConfig::default();
        let e = compute_advantages(&[], &[], None, &cfg).unwrap_err();
        assert!(e.0.contains("empty"));
        let e = compute_advantages(&[1.0], &[1, 2], None, &cfg).unwrap_err();
        assert!(e.0.contains("length mismatch"));
        let e = compute_advantages(&[1.0, f32::NAN], &[1, 2], None, &cfg).unwrap_err();
        assert!(e.0.contains("scores[1]"));
        assert!(Estimator::parse("ppo").is_err());
    }
}
