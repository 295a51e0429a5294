//! Inspect a JSONL batch's texts `REPEAT` times, single-thread, and print MB/s; small enough to
//! run under `valgrind --tool=callgrind` for instruction counts.
//!
//! Usage: cargo run --release --example inspect_bench -- FILE.jsonl [KEY] [REPEAT] [DUMP]
//! (`ARCHER_BENCH_PART=scan` in the environment: the token scan alone; `ngram`, `loops` or
//! `shortcut`: that detector alone.)
//!
//! With DUMP (a path), also writes every text's `Inspection` (Debug form, one line per text) there:
//! diff two dumps to prove an optimisation changed no result.

use std::time::Instant;

use archer_native::inspect::{inspect, ngram, repetition, scan, shortcut, InspectConfig};

/// The string value of `"key": "..."` on one JSONL line (JSON escapes decoded).
fn field(line: &str, key: &str) -> Option<String> {
    let pat = format!("\"{key}\": \"");
    let start = line.find(&pat)? + pat.len();
    let mut out = String::new();
    let mut chars = line[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let mut cp = u32::from_str_radix(&hex, 16).ok()?;
                    if (0xD800..0xDC00).contains(&cp) {
                        // Surrogate pair: `\uD83D\uDE00`.
                        let low: String = chars.by_ref().skip(2).take(4).collect();
                        let lo = u32::from_str_radix(&low, 16).ok()?;
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    }
                    out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .map_or("../shared/data/rollout_batch_1024.jsonl", String::as_str);
    let key = args.get(2).map_or("response", String::as_str);
    let repeat: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(20);
    let data = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let texts: Vec<String> = data.lines().filter_map(|l| field(l, key)).collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let cfg = InspectConfig::default();
    let mut flagged = 0usize;
    let start = Instant::now();
    // ARCHER_BENCH_PART=ngram|loops|shortcut times one detector alone on the batch.
    let part = std::env::var("ARCHER_BENCH_PART").unwrap_or_default();
    if matches!(part.as_str(), "ngram" | "loops" | "shortcut") {
        let hashes: Vec<Vec<u64>> = texts
            .iter()
            .map(|t| scan::with_scan(t, None, |s| s.token_hashes.clone()))
            .collect();
        let start = Instant::now();
        let mut acc = 0usize;
        for _ in 0..repeat {
            for (t, h) in texts.iter().zip(&hashes) {
                acc += match part.as_str() {
                    "ngram" => ngram::ngram_stats(h, cfg.ngram_n).maximum_frequency as usize,
                    "loops" => repetition::find_loops(t, &cfg).len(),
                    _ => shortcut::shortcut(t, &cfg).flag as usize,
                };
            }
        }
        let secs = start.elapsed().as_secs_f64() / repeat as f64;
        println!("{part} alone: {:.3} ms per batch ({acc})", secs * 1e3);
        return;
    }
    // ARCHER_BENCH_PART=scan times the token scan alone (its default depth, no gate).
    let scan_only = part == "scan";
    for _ in 0..repeat {
        for t in &texts {
            if scan_only {
                flagged += scan::with_scan(t, None, |s| s.n_words as usize);
                continue;
            }
            let i = inspect(t, &cfg);
            flagged += (i.repetition || i.gibberish || i.language_drift || i.shortcut) as usize;
        }
    }
    let secs = start.elapsed().as_secs_f64() / repeat as f64;
    if let Some(dump) = args.get(4) {
        let lines: Vec<String> = texts
            .iter()
            .map(|t| format!("{:?}", inspect(t, &cfg)))
            .collect();
        std::fs::write(dump, lines.join("\n") + "\n")
            .unwrap_or_else(|e| panic!("cannot write {dump}: {e}"));
    }
    println!(
        "{} texts, {:.2} MB: {:.2} ms per batch = {:.0} MB/s single-thread ({} flagged)",
        texts.len(),
        bytes as f64 / 1e6,
        secs * 1e3,
        bytes as f64 / 1e6 / secs,
        flagged / repeat.max(1)
    );
}
