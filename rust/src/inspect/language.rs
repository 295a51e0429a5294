//! Language drift relative to an expected language.
//!
//! Rule (a): letters (Unicode letters, combining marks excluded) are counted per script over the
//! whole text, math included; the foreign share is the share of letters in scripts other than
//! the expected language's own script, Latin (math variables), Greek (math symbols) and
//! letter-like math symbols. Drift when the foreign share > `drift_threshold` (default 0.20).
//!
//! Rule (b): the final answer is introduced by an answer marker of another language (`คำตอบ`,
//! `答案`, `答え`, `Ответ`, `정답`, `답`, `الإجابة`, `الجواب`, `उत्तर`, `解答`, `Respuesta:` ...): the
//! last marker in the text, followed by at most `marker_max_tail` characters that contain the
//! answer (a digit, a letter or a LaTeX command).

use super::script::Script;
use super::InspectConfig;

/// (marker, language code). Latin-script markers need a following colon.
pub const ANSWER_MARKERS: &[(&str, &str)] = &[
    ("คำตอบ", "th"),
    ("最终答案", "zh"),
    ("答案", "zh"),
    ("解答", "zh"),
    ("答え", "ja"),
    ("Ответ", "ru"),
    ("ответ", "ru"),
    ("정답", "ko"),
    ("답", "ko"),
    ("الإجابة", "ar"),
    ("الجواب", "ar"),
    ("उत्तर", "hi"),
    ("Respuesta:", "es"),
    ("Réponse:", "fr"),
    ("Antwort:", "de"),
    ("Resposta:", "pt"),
    ("Risposta:", "it"),
    ("Odpowiedź:", "pl"),
    ("Đáp án", "vi"),
    ("Cevap:", "tr"),
    ("Jawaban:", "id"),
];

/// The script a language is written in; `None` for Latin-script languages.
pub fn native_script(lang: &str) -> Option<Script> {
    Some(match lang {
        "zh" | "ja" => Script::Cjk,
        "ko" => Script::Hangul,
        "ru" | "uk" | "bg" | "sr" => Script::Cyrillic,
        "th" => Script::Thai,
        "ar" | "fa" | "ur" => Script::Arabic,
        "hi" | "mr" | "ne" => Script::Devanagari,
        "he" => Script::Hebrew,
        "el" => Script::Greek,
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    pub foreign_share: f32,
    pub dominant_foreign: Option<Script>,
    pub foreign_marker: Option<&'static str>,
    pub total_letters: u32,
}

pub fn drift(text: &str, letters: &[u32; Script::ALL.len()], cfg: &InspectConfig) -> Drift {
    let native = native_script(&cfg.expected_language);
    let mut total = 0u32;
    let mut foreign = 0u32;
    let mut dominant: Option<(Script, u32)> = None;
    for s in Script::ALL {
        let n = letters[s.index()];
        total += n;
        if n == 0 || s.neutral_for_english() || Some(s) == native {
            continue;
        }
        foreign += n;
        if dominant.is_none_or(|(_, m)| n > m) {
            dominant = Some((s, n));
        }
    }
    Drift {
        foreign_share: if total > 0 {
            foreign as f32 / total as f32
        } else {
            0.0
        },
        dominant_foreign: dominant.map(|d| d.0),
        foreign_marker: final_marker(text, cfg),
        total_letters: total,
    }
}

/// The foreign answer marker that introduces the final answer, if any.
#[inline(never)]
fn final_marker(text: &str, cfg: &InspectConfig) -> Option<&'static str> {
    let max_tail = cfg.marker_max_tail;
    // Only the end of the text can hold the final answer: search the last bytes.
    let window = max_tail * 4 + 64;
    let mut from = text.len().saturating_sub(window);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let tail = &text[from..];
    let (pos, marker) = last_marker(tail.as_bytes(), &cfg.expected_language)?;
    let after = &tail[pos + marker.len()..];
    if after.chars().count() > max_tail {
        return None;
    }
    let has_answer = after
        .chars()
        .any(|c| c.is_ascii_digit() || c == '\\' || (c.is_ascii_alphabetic()));
    has_answer.then_some(marker)
}

/// The marker of another language than `expected` that starts last in `t`, and its offset.
///
/// No marker is a prefix of another, so at most one starts at any offset, and the latest
/// start is the latest of two searches:
/// - the markers ending in `:` (all the Latin-script ones) hold no other colon, so a marker
///   ending at a later colon starts after one ending at an earlier colon: test them at each
///   colon, backwards (`memrchr`), and stop at the first that ends one (no two of them end
///   alike: none is a suffix of another);
/// - all the others start with a non-ASCII byte: only when the text after the colon's match
///   has non-ASCII bytes, walk back over it and test them where a byte starts one.
fn last_marker(t: &[u8], expected: &str) -> Option<(usize, &'static str)> {
    let mut best = None;
    for q in memchr::memrchr_iter(b':', t) {
        let head = &t[..q + 1];
        if let Some(&(m, _)) = COLON_MARKERS
            .iter()
            .find(|&&(m, lang)| head.ends_with(m.as_bytes()) && lang != expected)
        {
            best = Some((q + 1 - m.len(), m));
            break;
        }
    }
    // Any other marker that wins starts after the colon marker.
    let low = best.map_or(0, |(p, _)| p + 1);
    if t[low..].is_ascii() {
        return best;
    }
    for s in (low..t.len()).rev() {
        let c = t[s];
        if c < 0xC4 {
            continue;
        }
        let rest = &t[s..];
        if let Some(&(m, _)) = OTHER_MARKERS
            .iter()
            .find(|&&(m, lang)| rest.starts_with(m.as_bytes()) && lang != expected)
        {
            return Some((s, m));
        }
    }
    best
}

/// `ANSWER_MARKERS` ending in `:`, and the others (each in the original order).
const COLON_MARKERS: [Marker; 8] = split_markers().0;
const OTHER_MARKERS: [Marker; 13] = split_markers().1;

/// (marker, language code), as in `ANSWER_MARKERS`.
type Marker = (&'static str, &'static str);

const fn split_markers() -> ([Marker; 8], [Marker; 13]) {
    let mut colon = [("", ""); 8];
    let mut other = [("", ""); 13];
    let (mut c, mut o) = (0, 0);
    let mut k = 0;
    while k < ANSWER_MARKERS.len() {
        let m = ANSWER_MARKERS[k];
        let b = m.0.as_bytes();
        if b[b.len() - 1] == b':' {
            colon[c] = m;
            c += 1;
        } else {
            other[o] = m;
            o += 1;
        }
        k += 1;
    }
    assert!(c == colon.len() && o == other.len());
    (colon, other)
}

/// The first implementation (`match_indices` at colons, one `rfind` per marker), kept as the
/// reference `final_marker` must equal exactly.
#[cfg(test)]
mod reference {
    use super::{InspectConfig, ANSWER_MARKERS};

    pub(super) fn final_marker(text: &str, cfg: &InspectConfig) -> Option<&'static str> {
        let max_tail = cfg.marker_max_tail;
        // Only the end of the text can hold the final answer: search the last bytes.
        let window = max_tail * 4 + 64;
        let mut from = text.len().saturating_sub(window);
        while !text.is_char_boundary(from) {
            from += 1;
        }
        let tail = &text[from..];
        let mut best: Option<(usize, &'static str)> = None;
        let mut consider = |pos: usize, marker: &'static str| {
            if best.is_none_or(|(b, _)| pos > b) {
                best = Some((pos, marker));
            }
        };
        if tail.is_ascii() {
            // Only the ASCII markers (all ending in ':') can occur: test them at each colon.
            for (q, _) in tail.match_indices(':') {
                for &(marker, lang) in ANSWER_MARKERS {
                    if marker.is_ascii() && lang != cfg.expected_language {
                        let head = &tail[..q + 1];
                        if head.ends_with(marker) {
                            consider(q + 1 - marker.len(), marker);
                        }
                    }
                }
            }
        } else {
            for &(marker, lang) in ANSWER_MARKERS {
                if lang != cfg.expected_language {
                    if let Some(pos) = tail.rfind(marker) {
                        consider(pos, marker);
                    }
                }
            }
        }
        let (pos, marker) = best?;
        let after = &tail[pos + marker.len()..];
        if after.chars().count() > max_tail {
            return None;
        }
        let has_answer = after
            .chars()
            .any(|c| c.is_ascii_digit() || c == '\\' || (c.is_ascii_alphabetic()));
        has_answer.then_some(marker)
    }
}

#[cfg(test)]
mod equivalence {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn marker_sets_allow_the_searches() {
        for (m, _) in COLON_MARKERS {
            // One colon, at the end.
            assert_eq!(m.find(':'), Some(m.len() - 1), "{m}");
            assert!(m.as_bytes()[0] < 0xC4, "{m}");
        }
        for (m, _) in OTHER_MARKERS {
            assert!(!m.contains(':') && m.as_bytes()[0] >= 0xC4, "{m}");
        }
        for (a, _) in ANSWER_MARKERS {
            for (b, _) in ANSWER_MARKERS {
                if a != b {
                    assert!(!b.starts_with(a), "{a} {b}");
                }
            }
        }
        for (a, _) in COLON_MARKERS {
            for (b, _) in COLON_MARKERS {
                if a != b {
                    assert!(!b.ends_with(a), "{a} {b}");
                }
            }
        }
    }

    fn same(text: &str, cfg: &InspectConfig) -> Result<(), TestCaseError> {
        prop_assert_eq!(
            final_marker(text, cfg),
            reference::final_marker(text, cfg),
            "{:?}",
            text
        );
        Ok(())
    }

    /// Markers (with and without their colon), colons, answers and other text.
    fn piece() -> impl Strategy<Value = String> {
        let marker = (0..ANSWER_MARKERS.len()).prop_map(|k| ANSWER_MARKERS[k].0.to_string());
        prop_oneof![
            marker.clone(),
            marker.prop_map(|m| m.trim_end_matches(':').to_string()),
            Just(":".to_string()),
            Just(" ".to_string()),
            Just("ź".to_string()),
            "[a-zA-Z0-9 \\\\.:]{1,12}",
            "\\PC{1,6}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn equals_reference(
            pieces in proptest::collection::vec(piece(), 0..30),
            lang in prop_oneof![Just("en"), Just("es"), Just("zh"), Just("pl"), Just("ko")],
            max_tail in prop_oneof![Just(80usize), 0usize..12],
        ) {
            let cfg = InspectConfig {
                expected_language: lang.to_string(),
                marker_max_tail: max_tail,
                ..InspectConfig::default()
            };
            same(&pieces.concat(), &cfg)?;
        }

        #[test]
        fn equals_reference_on_any_text(text in "\\PC{0,300}") {
            same(&text, &InspectConfig::default())?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(t: &str) -> Drift {
        let cfg = InspectConfig::default();
        let mut letters = [0u32; Script::ALL.len()];
        for c in t.chars() {
            if let super::super::script::CharClass::Letter(s) = super::super::script::classify(c) {
                letters[s.index()] += 1;
            }
        }
        drift(t, &letters, &cfg)
    }

    #[test]
    fn shares_and_markers() {
        let d = run("The answer is 12.");
        assert_eq!(d.foreign_share, 0.0);
        assert_eq!(d.foreign_marker, None);
        let d = run("计算得到结果 x = 3，所以答案是 3");
        assert!(d.foreign_share > 0.5);
        assert_eq!(d.dominant_foreign, Some(Script::Cjk));
        let d = run("We add the numbers and get 12 in the end, as computed.\n\nคำตอบ: 12");
        assert!(d.foreign_share < 0.2);
        assert_eq!(d.foreign_marker, Some("คำตอบ"));
        // A marker in the middle does not introduce the final answer.
        let long = format!(
            "The term 答案 means answer. {}",
            "We keep computing. ".repeat(20)
        );
        assert_eq!(run(&long).foreign_marker, None);
    }
}
