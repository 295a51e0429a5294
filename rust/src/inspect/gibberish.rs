//! Gibberish: the share of a response's characters that are neither language nor math.
//!
//! Evidence, per whitespace token (computed in `scan`):
//! - pictographs, box drawing, emoji, private-use or control characters make up >= 1/3 of it;
//! - its letters come from two writing systems other than Latin (`ङفг`), or accented Latin is glued
//!   to another script (Latin + one other script is allowed: inline variables in CJK math);
//! - three or more characters, no letter or digit, at least one non-ASCII symbol (`∀:↔′♣`);
//! - mojibake or byte-level BPE pieces: a Latin-1 letter followed by a continuation byte read as
//!   Latin-1 or by BPE's remapped bytes (`Ã©`, `âĢĿ`), or BPE's whitespace markers `Ġ Ċ ĉ`;
//! - base64-like letter/digit runs (>= 16 characters in runs of >= 8) that change between
//!   lower case, upper case and digit at >= 30% of positions.
//!
//! Word salad (real words in random order) has no bad token, so plain words carry their own
//! evidence: a capitalised word right after a lower-case word (when the word also occurs in lower
//! case, or is a closed-class word), a lower-case word after `.`/`?`/`!`, the same word twice in a
//! row, and closed-class pairs English never produces (`the of`, `your could`; see `lexicon`).
//! Words inside any window of `salad_window` words holding >= `salad_min_anomalies` of these count
//! as junk.
//!
//! Smoothing: a token counts as junk when the tokens within `smooth_radius` of it are >= 50% junk
//! by characters, or when that neighbourhood holds letters of >= 4 writing systems (random code
//! points). Loops found by the repetition detector are excluded from both numerator and
//! denominator: a loop of one repeated token is repetition, not gibberish.
//! The score is junk characters / non-whitespace characters; the flag is score > threshold.

use super::repetition::Loop;
use super::scan::Scan;
use super::InspectConfig;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Gibberish {
    pub score: f32,
    pub junk_chars: u32,
    pub total_chars: u32,
}

/// Mark tokens that lie inside a loop (by their start offset).
fn masked_tokens(scan: &Scan, loops: &[Loop]) -> Vec<bool> {
    let mut out = vec![false; scan.tokens.len()];
    if loops.is_empty() {
        return out;
    }
    let mut li = 0;
    for (t, tok) in scan.tokens.iter().enumerate() {
        let s = tok.start as usize;
        while li < loops.len() && loops[li].end <= s {
            li += 1;
        }
        if li < loops.len() && loops[li].start <= s && (tok.end as usize) <= loops[li].end {
            out[t] = true;
        }
    }
    out
}

/// Per token: marked as word salad.
fn salad_tokens(scan: &Scan, masked: &[bool], cfg: &InspectConfig) -> Vec<bool> {
    let mut salad = vec![false; scan.tokens.len()];
    let words: Vec<usize> = (0..scan.words.len())
        .filter(|&k| !masked[scan.words[k].token as usize])
        .collect();
    if words.is_empty() || cfg.salad_min_anomalies == 0 {
        return salad;
    }
    let anomalies: Vec<u32> = words
        .iter()
        .map(|&k| {
            let w = &scan.words[k];
            let caps = w.caps_candidate && (w.closed_class || scan.seen_lowercase(w.lower_hash));
            w.anomalies as u32 + caps as u32
        })
        .collect();
    let win = cfg.salad_window.max(1).min(words.len());
    let mut prefix = Vec::with_capacity(words.len() + 1);
    prefix.push(0u32);
    for &a in &anomalies {
        prefix.push(prefix.last().unwrap() + a);
    }
    // Difference array over word positions covered by a window that reaches the minimum.
    let mut cover = vec![0i32; words.len() + 1];
    for s in 0..=words.len() - win {
        if prefix[s + win] - prefix[s] >= cfg.salad_min_anomalies {
            cover[s] += 1;
            cover[s + win] -= 1;
        }
    }
    let mut run = 0i32;
    for (j, &k) in words.iter().enumerate() {
        run += cover[j];
        if run > 0 {
            salad[scan.words[k].token as usize] = true;
        }
    }
    salad
}

/// The gibberish score of a scan made with this detector's `scan::Gate`: a scan left without
/// per-token records had no junk token, too few writing systems for random code points and too
/// few word anomalies for any salad window, so nothing in it can count as junk (the fast path).
pub fn gibberish(scan: &Scan, loops: &[Loop], cfg: &InspectConfig) -> Gibberish {
    if !scan.detailed {
        return Gibberish {
            score: 0.0,
            junk_chars: 0,
            total_chars: scan.total_chars.min(u32::MAX as u64) as u32,
        };
    }
    let masked = masked_tokens(scan, loops);
    let salad = salad_tokens(scan, &masked, cfg);
    let idx: Vec<usize> = (0..scan.tokens.len()).filter(|&t| !masked[t]).collect();
    let m = idx.len();
    if m == 0 {
        return Gibberish::default();
    }
    let mut pre_all = Vec::with_capacity(m + 1);
    let mut pre_junk = Vec::with_capacity(m + 1);
    pre_all.push(0u64);
    pre_junk.push(0u64);
    for &t in &idx {
        let tok = &scan.tokens[t];
        let c = tok.chars as u64;
        let j = if tok.junk || salad[t] { c } else { 0 };
        pre_all.push(pre_all.last().unwrap() + c);
        pre_junk.push(pre_junk.last().unwrap() + j);
    }
    let r = cfg.smooth_radius;
    // Sliding counts of tokens per writing system, for the script-diversity rule.
    let mut group_counts = [0u32; 32];
    let mut distinct = 0u32;
    let add = |gc: &mut [u32; 32], d: &mut u32, groups: u32, delta: i32| {
        let mut g = groups;
        while g != 0 {
            let b = g.trailing_zeros() as usize;
            g &= g - 1;
            if delta > 0 {
                if gc[b] == 0 {
                    *d += 1;
                }
                gc[b] += 1;
            } else {
                gc[b] -= 1;
                if gc[b] == 0 {
                    *d -= 1;
                }
            }
        }
    };
    for &t in idx.iter().take(r + 1) {
        add(&mut group_counts, &mut distinct, scan.tokens[t].groups, 1);
    }
    let mut junk_chars = 0u64;
    for k in 0..m {
        // Window [k - r, k + r] holds exactly the tokens currently counted in group_counts.
        let lo = k.saturating_sub(r);
        let hi = (k + r + 1).min(m);
        let all = pre_all[hi] - pre_all[lo];
        let junk = pre_junk[hi] - pre_junk[lo];
        let diverse = distinct >= cfg.soup_min_scripts;
        if diverse || (all > 0 && junk * 2 >= all) {
            junk_chars += scan.tokens[idx[k]].chars as u64;
        }
        // Slide: add k + r + 1, drop k - r.
        if k + r + 1 < m {
            add(
                &mut group_counts,
                &mut distinct,
                scan.tokens[idx[k + r + 1]].groups,
                1,
            );
        }
        if k >= r {
            add(
                &mut group_counts,
                &mut distinct,
                scan.tokens[idx[k - r]].groups,
                -1,
            );
        }
    }
    let total = pre_all[m];
    Gibberish {
        score: if total > 0 {
            (junk_chars as f64 / total as f64) as f32
        } else {
            0.0
        },
        junk_chars: junk_chars.min(u32::MAX as u64) as u32,
        total_chars: total.min(u32::MAX as u64) as u32,
    }
}
