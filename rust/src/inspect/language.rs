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
fn final_marker(text: &str, cfg: &InspectConfig) -> Option<&'static str> {
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
