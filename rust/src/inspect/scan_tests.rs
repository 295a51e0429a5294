//! The fast scan against the straightforward reference scan (`scan_reference`): identical
//! `Scan`s on hand cases and on arbitrary text.

use super::super::scan_reference::reference_scan;
use super::*;
use proptest::prelude::*;

thread_local! {
    /// Makes `token_loop` take its baseline copy on this thread (`assert_same` runs both).
    pub(super) static BASELINE_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The scan of `text` equals the reference scan, with each copy of the token loop this CPU can
/// run (`token_loop`).
fn assert_same(text: &str) {
    for baseline in [false, true] {
        BASELINE_ONLY.set(baseline);
        assert_same_once(text);
        BASELINE_ONLY.set(false);
    }
}

fn assert_same_once(text: &str) {
    let fast = detailed_scan(text);
    let slow = reference_scan(text);
    assert_eq!(fast.script_letters, slow.script_letters, "{text:?}");
    assert_eq!(fast.token_hashes, slow.token_hashes, "{text:?}");
    assert_eq!(fast.tokens, slow.tokens, "{text:?}");
    assert_eq!(fast.words, slow.words, "{text:?}");
    assert_eq!(fast.categories, slow.categories, "{text:?}");
    assert_eq!(fast.lower_seen, slow.lower_seen, "{text:?}");
    assert_eq!(fast.junk_tokens, slow.junk_tokens, "{text:?}");
    assert_eq!(fast.anomaly_bound, slow.anomaly_bound, "{text:?}");
    assert_eq!(fast.all_groups, slow.all_groups, "{text:?}");
    assert_eq!(fast.n_words, slow.n_words, "{text:?}");
    assert_eq!(fast.total_chars, slow.total_chars, "{text:?}");
    // The default depth computes the same counts without the records.
    with_scan(text, None, |lean| {
        assert!(!lean.detailed && lean.tokens.is_empty() && lean.words.is_empty());
        assert_eq!(lean.token_hashes, slow.token_hashes);
        assert_eq!(lean.script_letters, slow.script_letters);
        assert_eq!(lean.categories, slow.categories);
        assert_eq!(
            (lean.junk_tokens, lean.anomaly_bound, lean.all_groups),
            (slow.junk_tokens, slow.anomaly_bound, slow.all_groups)
        );
        assert_eq!(
            (lean.n_words, lean.total_chars),
            (slow.n_words, slow.total_chars)
        );
        lean.detail(text);
        assert_eq!(lean.tokens, slow.tokens);
        assert_eq!(lean.words, slow.words);
        assert_eq!(lean.lower_seen, slow.lower_seen);
    });
    // With the gibberish gate, records exactly when the gate needs them: the whole-text
    // anomaly bound, or anomalies within one window of words.
    for window in [None, Some(1), Some(5), Some(60)] {
        let gate = Gate {
            min_anomalies: 3,
            min_scripts: 4,
            anomaly_window: window,
        };
        let bounds: Vec<u32> = slow
            .words
            .iter()
            .map(|w| w.anomalies as u32 + w.caps_candidate as u32)
            .collect();
        let salad = match window {
            None => slow.anomaly_bound >= 3,
            Some(w) => {
                let w = (w as usize).min(bounds.len()).max(1);
                bounds.windows(w).any(|x| x.iter().sum::<u32>() >= 3)
            }
        };
        let needed = slow.junk_tokens > 0 || salad || slow.all_groups.count_ones() >= 4;
        with_scan(text, Some(gate), |s| {
            assert_eq!(s.detailed, needed, "{text:?} window {window:?}");
            assert_eq!(s.token_hashes, slow.token_hashes);
            assert_eq!(s.n_words, slow.n_words);
            if needed {
                assert_eq!(s.tokens, slow.tokens);
                assert_eq!(s.words, slow.words);
            }
        });
    }
}

#[test]
fn matches_the_reference_on_hand_cases() {
    for t in [
        "",
        " ",
        "\n\n",
        "a",
        "The the cat. the Cat sat on the of mat, and We could will be been",
        "Therefore, \"(double-check)\" it's x=3. Wait... we're DONE! the.",
        "THE Of a\tAn\u{b}by\u{c}For\rwith\u{7f}x \u{1}\u{2}ab abcdefghijklmno abcdefghijklmnop",
        "*_`word`_* [step] (first), 'hence' so; so: so? so! Perhaps.Maybe",
        "e.g. the i.e. The U.S. Is have been has being of being is being",
        "naïve café Ã© Ġthe 答案 คำตอบ ∀:↔′♣ ①② x² ½ \u{200b}zero",
        "aGVsbG8gd29ybGQgdGhpcyBpcyBiYXNlNjQ= QWxhZGRpbjpvcGVuIHNlc2FtZQ",
        "verylongwordthatexceedsthelimitofthewordrules alllowercasewordsixteen",
        // Short words in the last 8 bytes take the 16-byte path: a lone capital is no title.
        "therefore I",
        "so I. A",
    ] {
        assert_same(t);
    }
    let long = "Then we have 3 apples; So the Answer is The one. ".repeat(40);
    assert_same(&long);
    assert_same(&long[..long.len() - 3]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn matches_the_reference_on_any_text(text in "\\PC{0,300}") {
        assert_same(&text);
    }

    #[test]
    fn matches_the_reference_on_ascii_prose(
        words in proptest::collection::vec(
            "[\"'(\\[*`_]{0,2}[A-Za-z][A-Za-z'\\-]{0,17}[.,;:?!)\\]\"'*`_]{0,3}|[0-9=+$\\\\{}]{1,6}|\n",
            0..80,
        ),
        seps in proptest::collection::vec("[ \t\n\r\u{b}\u{c}]{1,3}", 80),
    ) {
        let mut text = String::new();
        for (w, s) in words.iter().zip(&seps) {
            text.push_str(w);
            text.push_str(s);
        }
        assert_same(&text);
        assert_same(text.trim_end());
    }

    /// Lexicon words in every case and with punctuation: categories, pair classes (auxiliary
    /// chains included), caps candidates and repeated words against the reference's word lists.
    #[test]
    fn matches_the_reference_on_lexicon_words(
        picks in proptest::collection::vec((0usize..1000, 0u8..4, "[.,;:?!\"')]{0,2}"), 0..80),
        seps in proptest::collection::vec("[ \t\n]{1,2}", 80),
    ) {
        use super::super::lexicon::{CLASS_WORDS, LOGICAL_CONNECTIVES, PLANNING, REFLECTION, VERIFICATION};
        let words: Vec<&str> = [LOGICAL_CONNECTIVES, VERIFICATION, REFLECTION, PLANNING, CLASS_WORDS]
            .concat();
        let mut text = String::new();
        for ((i, case, punct), s) in picks.iter().zip(&seps) {
            let w = words[i % words.len()];
            match case {
                0 => text.push_str(w),
                1 => text.push_str(&w.to_uppercase()),
                2 => {
                    text.push_str(&w[..1].to_uppercase());
                    text.push_str(&w[1..]);
                }
                _ => text.push('x'),
            }
            text.push_str(punct);
            text.push_str(s);
        }
        assert_same(&text);
    }

    /// Texts with control characters (every token takes the general path there), near-16-byte
    /// tokens and base64-like runs: the generators above never produce controls.
    #[test]
    fn matches_the_reference_with_control_characters(
        pieces in proptest::collection::vec(
            "[a-zA-Z]{1,17}[.,]?|[a-zA-Z0-9+/]{8,24}|[\\x00\\x01\\x7f\\x1b]{1,3}|x\\x01y|caf\u{e9}|\u{7b54}\u{6848}",
            0..60,
        ),
        seps in proptest::collection::vec("[ \t\n\r\u{b}\u{c}]{1,2}", 60),
    ) {
        let mut text = String::new();
        for (p, s) in pieces.iter().zip(&seps) {
            text.push_str(p);
            text.push_str(s);
        }
        assert_same(&text);
    }
}
