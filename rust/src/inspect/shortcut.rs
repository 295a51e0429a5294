//! Shortcut answers: a final answer with (almost) no reasoning before it.
//!
//! The final answer is the latest of: the last closed `\boxed{...}`; the last answer phrase
//! (`Answer:`, `answer is`, `答案`, `คำตอบ` and the other markers of `language`) followed within
//! 40 characters by an answer (a digit, `\`, `$` or a letter); or, without either, a number at the
//! very end of the text. Shortcut when an answer exists and the text before it has fewer than
//! `shortcut_max_words` words (tokens with a letter or digit) AND fewer than
//! `shortcut_max_chars` non-whitespace characters (the second bound keeps reasoning in scripts
//! written without spaces from counting as a shortcut). Texts without an answer (pure loops,
//! gibberish) are never shortcuts.

use super::language::ANSWER_MARKERS;
use super::InspectConfig;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Shortcut {
    pub has_answer: bool,
    pub words_before: u32,
    pub chars_before: u32,
    pub flag: bool,
}

fn answer_follows(rest: &str) -> bool {
    rest.chars()
        .take(40)
        .any(|c| c.is_ascii_digit() || c == '\\' || c == '$' || c.is_alphabetic())
}

const ANSWER_PHRASES: [&str; 3] = ["nswer:", "nswer is", "nswer**"];

/// Byte offset of the last `\boxed{..}` or answer phrase/marker in `text[from..to]` (absolute).
///
/// Only the latest answer matters, so both kinds are searched backwards with SIMD (`memmem` for
/// `\boxed`, `memrchr2` for the `w` of `answer`) and each search stops at its first hit; the
/// non-ASCII markers are searched only when the range has non-ASCII text. A phrase starting at
/// `i` counts from `i - 1` (the `a` of `answer`).
fn last_marked_answer(text: &str, from: usize, to: usize) -> Option<usize> {
    let b = text.as_bytes();
    let to = to.min(b.len());
    if from >= to {
        return None;
    }
    // A `\boxed{` never closed gives no answer: it must come before the last closing brace.
    let boxed = (|| {
        let close = memchr::memrchr(b'}', b)?;
        let bound = to.min(close);
        // A match ending by `bound + 5` starts before `bound`.
        let hay = b.get(from..(bound + 5).min(b.len()))?;
        memchr::memmem::rfind(hay, b"\\boxed").map(|p| from + p)
    })();
    // `answer` phrases, found by their `w` two bytes after the `n` at `i`.
    let phrase = b
        .get(from + 2..(to + 2).min(b.len()))
        .and_then(|hay| {
            memchr::memrchr2_iter(b'w', b'W', hay).find(|&k| {
                let i = from + k;
                let rest = &b[i..];
                ANSWER_PHRASES.iter().any(|p| {
                    rest.len() >= p.len()
                        && rest[..p.len()].eq_ignore_ascii_case(p.as_bytes())
                        && answer_follows(&text[i + p.len()..])
                })
            })
        })
        .map(|k| (from + k).saturating_sub(1));
    let mut best = match (boxed, phrase) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    };
    if !text[from..to].is_ascii() {
        for &(marker, _) in ANSWER_MARKERS {
            if let Some(p) = text[from..to].rfind(marker) {
                let p = from + p;
                if answer_follows(&text[p + marker.len()..]) && best.is_none_or(|b| p > b) {
                    best = Some(p);
                }
            }
        }
    }
    best
}

/// Byte offset where the final number token of the text starts (`42`, `$42$`, `-3.5.`).
fn final_number(text: &str) -> Option<usize> {
    let trimmed = text.trim_end();
    let last = trimmed.rsplit(char::is_whitespace).next().unwrap_or("");
    let core = last
        .trim_end_matches(['.', '!', '$'])
        .trim_start_matches(['$', '-', '+']);
    let ok = !core.is_empty()
        && core.as_bytes()[0].is_ascii_digit()
        && core
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b',' | b'/'));
    ok.then(|| trimmed.len() - last.len())
}

/// Byte offset where the text before it reaches the word or the character bound.
fn reasoning_limit(text: &str, cfg: &InspectConfig) -> (usize, u32, u32) {
    let mut words = 0u32;
    let mut chars = 0u32;
    for (off, tok) in text
        .split_whitespace()
        .map(|t| (t.as_ptr() as usize - text.as_ptr() as usize, t))
    {
        let c = tok.chars().count() as u32;
        let w = tok.chars().any(char::is_alphanumeric) as u32;
        if words + w >= cfg.shortcut_max_words || chars + c >= cfg.shortcut_max_chars {
            // An answer must start before the token that crosses a bound.
            return (off + tok.len().min(1), words + w, chars + c);
        }
        words += w;
        chars += c;
    }
    (text.len(), words, chars)
}

pub fn shortcut(text: &str, cfg: &InspectConfig) -> Shortcut {
    let (limit, words_at_limit, chars_at_limit) = reasoning_limit(text, cfg);
    let mut limit = limit.min(text.len());
    while !text.is_char_boundary(limit) {
        limit -= 1;
    }
    let early = last_marked_answer(text, 0, limit);
    let answer = match early {
        // A marked answer early: shortcut unless a later marked answer exists.
        Some(p) => match last_marked_answer(text, limit, text.len()) {
            Some(_) => None,
            None => Some(p),
        },
        // No marked answer early: only a lone final number can still be a shortcut, and only if
        // no marked answer exists anywhere.
        None => match final_number(text) {
            Some(p) if p < limit && last_marked_answer(text, limit, text.len()).is_none() => {
                Some(p)
            }
            _ => None,
        },
    };
    match answer {
        Some(p) => {
            let before = &text[..p];
            let words = before
                .split_whitespace()
                .filter(|t| t.chars().any(char::is_alphanumeric))
                .count() as u32;
            let chars = before.chars().filter(|c| !c.is_whitespace()).count() as u32;
            Shortcut {
                has_answer: true,
                words_before: words,
                chars_before: chars,
                flag: words < cfg.shortcut_max_words && chars < cfg.shortcut_max_chars,
            }
        }
        None => Shortcut {
            has_answer: false,
            words_before: words_at_limit,
            chars_before: chars_at_limit,
            flag: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sc(t: &str) -> bool {
        shortcut(t, &InspectConfig::default()).flag
    }

    #[test]
    fn bare_answers_are_shortcuts() {
        assert!(sc("\\[\\boxed{814}\\]"));
        assert!(sc("The answer is 173."));
        assert!(sc("42"));
        assert!(sc("คำตอบ: 856"));
        assert!(sc("答案是 618"));
        assert!(sc("Easy. Answer: 778"));
    }

    #[test]
    fn reasoning_and_no_answer_are_not() {
        let r = "First compute the product of the two numbers, which gives 78601. Its digits are \
                 7, 8, 6, 0 and 1, and adding them one at a time gives a digit sum of 22 for the \
                 product, which is what the problem asks for. Thus the answer is 22.";
        assert!(!sc(r));
        assert!(!sc(&"& ".repeat(100)));
        assert!(!sc("∀:↔′♣✗△?*▼∩─●┐"));
        assert!(!sc("\\boxed{12"));
    }
}
