//! Batch metrics from per-response inspections, with stable names ready for the trainer:
//! `degeneracy/<flag>_rate` (and `_pos`/`_neg` splits by correctness), `token/<category>`,
//! `token/pos_<category>`, `token/neg_<category>` (mean counts per response), Archer's
//! `token/repetition_ratio` and `token/maximum_frequency` (means), and the mean detector scores.
//! A split with no response (no correct response in the batch, say) reports 0.0.

use super::lexicon::CATEGORIES;
use super::Inspection;

pub const FLAGS: [&str; 4] = ["repetition", "gibberish", "language_drift", "shortcut"];

pub fn flag(i: &Inspection, name: &str) -> bool {
    match name {
        "repetition" => i.repetition,
        "gibberish" => i.gibberish,
        "language_drift" => i.language_drift,
        "shortcut" => i.shortcut,
        _ => false,
    }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for v in values {
        s += v;
        n += 1;
    }
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

/// Metrics over `inspections`; `correct` (same length) adds the pos/neg splits.
pub fn metrics(inspections: &[Inspection], correct: Option<&[bool]>) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let splits: Vec<(&str, Vec<&Inspection>)> = match correct {
        Some(c) => vec![
            ("", inspections.iter().collect()),
            (
                "pos_",
                inspections
                    .iter()
                    .zip(c)
                    .filter(|x| *x.1)
                    .map(|x| x.0)
                    .collect(),
            ),
            (
                "neg_",
                inspections
                    .iter()
                    .zip(c)
                    .filter(|x| !*x.1)
                    .map(|x| x.0)
                    .collect(),
            ),
        ],
        None => vec![("", inspections.iter().collect())],
    };
    for (prefix, items) in &splits {
        for f in FLAGS {
            let rate = mean(items.iter().map(|i| flag(i, f) as u8 as f64));
            let name = match *prefix {
                "" => format!("degeneracy/{f}_rate"),
                p => format!("degeneracy/{p}{f}_rate"),
            };
            out.push((name, rate));
        }
        for (k, cat) in CATEGORIES.iter().enumerate() {
            let m = mean(items.iter().map(|i| i.categories[k] as f64));
            out.push((format!("token/{prefix}{cat}"), m));
        }
        out.push((
            format!("token/{prefix}repetition_ratio"),
            mean(items.iter().map(|i| i.repetition_ratio as f64)),
        ));
        out.push((
            format!("token/{prefix}maximum_frequency"),
            mean(items.iter().map(|i| i.maximum_frequency as f64)),
        ));
    }
    let all = inspections;
    out.push((
        "degeneracy/any_rate".into(),
        mean(
            all.iter()
                .map(|i| FLAGS.iter().any(|f| flag(i, f)) as u8 as f64),
        ),
    ));
    out.push((
        "degeneracy/repetition_score".into(),
        mean(all.iter().map(|i| i.repetition_score as f64)),
    ));
    out.push((
        "degeneracy/gibberish_score".into(),
        mean(all.iter().map(|i| i.gibberish_score as f64)),
    ));
    out.push((
        "degeneracy/foreign_share".into(),
        mean(all.iter().map(|i| i.foreign_share as f64)),
    ));
    out
}
