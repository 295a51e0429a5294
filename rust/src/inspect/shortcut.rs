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

use std::sync::LazyLock;

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

/// Reverse searcher for `\\boxed`, built once (building one per call cost more than searching).
static BOXED: LazyLock<memchr::memmem::FinderRev<'static>> =
    LazyLock::new(|| memchr::memmem::FinderRev::new(b"\\boxed"));

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
    // A `\boxed{` never closed gives no answer: it must start before the last closing brace.
    // The last match starting before `to` is searched first; the brace only when there is one.
    let boxed = (|| {
        // A match ending by `to + 5` starts before `to`.
        let p = from + BOXED.rfind(b.get(from..(to + 5).min(b.len()))?)?;
        let close = memchr::memrchr(b'}', b)?;
        if p < close {
            return Some(p);
        }
        let hay = b.get(from..(close + 5).min(b.len()))?;
        BOXED.rfind(hay).map(|p| from + p)
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
        // Only a marker starting after `best` can change it.
        let low = best.map_or(from, |b| (b + 1).max(from));
        if let Some(p) = last_answer_marker(text, low, to) {
            best = Some(p);
        }
    }
    best
}

/// Bytes that start an answer marker.
static MARKER_START: [bool; 256] = {
    let mut t = [false; 256];
    let mut k = 0;
    while k < ANSWER_MARKERS.len() {
        t[ANSWER_MARKERS[k].0.as_bytes()[0] as usize] = true;
        k += 1;
    }
    t
};

/// The latest start in `text[from..to]` of a marker's last occurrence there that an answer
/// follows (as the greatest `rfind` of each marker that passes `answer_follows`): one backward
/// walk tests the markers where a byte starts one, each marker only at its first (= last)
/// occurrence met. No marker is a prefix of another, so one marker at most starts anywhere.
fn last_answer_marker(text: &str, from: usize, to: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut seen = 0u32;
    for s in (from..to).rev() {
        if !MARKER_START[b[s] as usize] {
            continue;
        }
        for (k, &(m, _)) in ANSWER_MARKERS.iter().enumerate() {
            if seen & (1 << k) == 0 && b[s..to].starts_with(m.as_bytes()) {
                seen |= 1 << k;
                if answer_follows(&text[s + m.len()..]) {
                    return Some(s);
                }
            }
        }
    }
    None
}

/// Byte offset where the final number token of the text starts (`42`, `$42$`, `-3.5.`).
fn final_number(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    // `trim_end`: drop trailing whitespace, ASCII by table, other characters decoded.
    let mut end = b.len();
    while end > 0 {
        if b[end - 1] < 0x80 {
            if CLASS[b[end - 1] as usize] & SPACE == 0 {
                break;
            }
            end -= 1;
        } else {
            let ch = text[..end].chars().next_back().unwrap_or('x');
            if !ch.is_whitespace() {
                break;
            }
            end -= ch.len_utf8();
        }
    }
    // The last token can only be a number if all its bytes are digits or `.,/!$+-`: walk back
    // over those; any other character must be whitespace (or there is no number).
    let is_number_byte =
        |c: u8| c.is_ascii_digit() || matches!(c, b'.' | b',' | b'/' | b'!' | b'$' | b'+' | b'-');
    let mut start = end;
    while start > 0 && is_number_byte(b[start - 1]) {
        start -= 1;
    }
    if start > 0 {
        let c = b[start - 1];
        let space = if c < 0x80 {
            CLASS[c as usize] & SPACE != 0
        } else {
            text[..start]
                .chars()
                .next_back()
                .is_some_and(char::is_whitespace)
        };
        if !space {
            return None;
        }
    }
    let last = &text[start..end];
    let core = last
        .trim_end_matches(['.', '!', '$'])
        .trim_start_matches(['$', '-', '+']);
    let ok = !core.is_empty()
        && core.as_bytes()[0].is_ascii_digit()
        && core
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b',' | b'/'));
    ok.then_some(start)
}

/// Byte classes for the tokenizer: `char::is_whitespace` for bytes below 0x80 (`\t`, `\n`,
/// `\x0B`, `\x0C`, `\r`, space), `is_ascii_alphanumeric`, and bytes of non-ASCII characters.
const SPACE: u8 = 1;
const ALNUM: u8 = 2;
const NON_ASCII: u8 = 4;
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if b >= 0x80 {
            NON_ASCII
        } else if matches!(b, b'\t'..=b'\r' | b' ') {
            SPACE
        } else if b.is_ascii_alphanumeric() {
            ALNUM
        } else {
            0
        };
        c += 1;
    }
    t
};

/// The whitespace-separated tokens of `text` (as `split_whitespace`), in order, each as (byte
/// offset, characters, has a letter or digit), until `f` returns false. ASCII bytes are
/// classified by table; other characters are decoded.
#[inline(always)]
fn for_each_token(text: &str, mut f: impl FnMut(usize, u32, bool) -> bool) {
    let b = text.as_bytes();
    let decode = |i: usize| text[i..].chars().next().unwrap_or(' ');
    let mut i = 0;
    loop {
        // Skip whitespace.
        let start = loop {
            let Some(&c) = b.get(i) else {
                return;
            };
            let k = CLASS[c as usize];
            if k & SPACE != 0 {
                i += 1;
            } else if k & NON_ASCII == 0 {
                break i;
            } else {
                let ch = decode(i);
                if !ch.is_whitespace() {
                    break i;
                }
                i += ch.len_utf8();
            }
        };
        // The token: its characters are its bytes less the continuation bytes of its non-ASCII
        // characters (`extra`).
        let mut extra = 0usize;
        let mut classes = 0u8;
        let mut alnum = false;
        while let Some(&c) = b.get(i) {
            let k = CLASS[c as usize];
            if k & (SPACE | NON_ASCII) == 0 {
                classes |= k;
                i += 1;
                continue;
            }
            if k & SPACE != 0 {
                break;
            }
            let ch = decode(i);
            if ch.is_whitespace() {
                break;
            }
            alnum |= ch.is_alphanumeric();
            i += ch.len_utf8();
            extra += ch.len_utf8() - 1;
        }
        let chars = (i - start - extra) as u32;
        if !f(start, chars, alnum || classes & ALNUM != 0) {
            return;
        }
    }
}

/// Byte offset where the text before it reaches the word or the character bound.
#[inline(never)]
fn reasoning_limit(text: &str, cfg: &InspectConfig) -> (usize, u32, u32) {
    let mut words = 0u32;
    let mut chars = 0u32;
    let mut limit = None;
    for_each_token(text, |off, c, alnum| {
        let w = alnum as u32;
        if words + w >= cfg.shortcut_max_words || chars + c >= cfg.shortcut_max_chars {
            // An answer must start before the token that crosses a bound.
            limit = Some((off + 1, words + w, chars + c));
            return false;
        }
        words += w;
        chars += c;
        true
    });
    limit.unwrap_or((text.len(), words, chars))
}

/// Words (tokens with a letter or digit) and non-whitespace characters of `text`.
fn words_and_chars(text: &str) -> (u32, u32) {
    let mut words = 0u32;
    let mut chars = 0u32;
    for_each_token(text, |_, c, alnum| {
        words += alnum as u32;
        chars += c;
        true
    });
    (words, chars)
}

#[inline(never)]
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
            let (words, chars) = words_and_chars(&text[..p]);
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

/// The straightforward implementation (`split_whitespace`, `chars`), kept as the reference the
/// functions above must equal exactly.
#[cfg(test)]
mod reference {
    use super::super::language::ANSWER_MARKERS;
    use super::super::InspectConfig;
    use super::Shortcut;

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
    pub(super) fn final_number(text: &str) -> Option<usize> {
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
    pub(super) fn reasoning_limit(text: &str, cfg: &InspectConfig) -> (usize, u32, u32) {
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

    pub(super) fn shortcut(text: &str, cfg: &InspectConfig) -> Shortcut {
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
}

#[cfg(test)]
mod equivalence {
    use proptest::prelude::*;

    use super::*;

    fn same(text: &str) -> Result<(), TestCaseError> {
        let cfg = InspectConfig::default();
        prop_assert_eq!(
            final_number(text),
            reference::final_number(text),
            "{:?}",
            text
        );
        prop_assert_eq!(
            reasoning_limit(text, &cfg),
            reference::reasoning_limit(text, &cfg),
            "{:?}",
            text
        );
        let words = text
            .split_whitespace()
            .filter(|t| t.chars().any(char::is_alphanumeric))
            .count() as u32;
        let chars = text.chars().filter(|c| !c.is_whitespace()).count() as u32;
        prop_assert_eq!(words_and_chars(text), (words, chars), "{:?}", text);
        prop_assert_eq!(
            shortcut(text, &cfg),
            reference::shortcut(text, &cfg),
            "{:?}",
            text
        );
        let small = InspectConfig {
            shortcut_max_words: 3,
            shortcut_max_chars: 12,
            ..InspectConfig::default()
        };
        prop_assert_eq!(
            shortcut(text, &small),
            reference::shortcut(text, &small),
            "{:?}",
            text
        );
        Ok(())
    }

    /// Words, answers, markers and every kind of whitespace, Unicode included.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9.,$\\\\{}-]{1,8}",
            Just(" ".to_string()),
            Just("\n".to_string()),
            Just("\u{0B}\u{0C}\r\t".to_string()),
            Just("\u{85}\u{A0}\u{2003}\u{3000}\u{2028}".to_string()),
            Just("\\boxed{".to_string()),
            Just("}".to_string()),
            Just("The answer is ".to_string()),
            Just("Answer: ".to_string()),
            Just("answer**".to_string()),
            Just("wW".to_string()),
            Just("答案".to_string()),
            Just("คำตอบ".to_string()),
            Just("Ответ".to_string()),
            Just("Réponse:".to_string()),
            Just("最终答案".to_string()),
            Just("Odpowiedź: ".to_string()),
            Just("정답답".to_string()),
            Just("42".to_string()),
            Just(" -3.5.".to_string()),
            Just("$1,000/7$!".to_string()),
            Just("+-$".to_string()),
            "\\PC{1,4}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn equals_reference_on_pieces(pieces in proptest::collection::vec(piece(), 0..40)) {
            same(&pieces.concat())?;
        }

        #[test]
        fn equals_reference_on_any_text(text in "\\PC{0,200}") {
            same(&text)?;
        }

        #[test]
        fn equals_reference_on_any_chars(chars in proptest::collection::vec(any::<char>(), 0..120)) {
            same(&chars.into_iter().collect::<String>())?;
        }
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
