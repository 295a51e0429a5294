//! Property tests: the detectors never panic, stay within their ranges and finish in linear time
//! on arbitrary Unicode, including inputs built to stress them (long loops, mixed scripts).

use proptest::prelude::*;

use super::{inspect, InspectConfig, Inspection};

fn check(text: &str) {
    let cfg = InspectConfig::default();
    let r = inspect(text, &cfg);
    assert_eq!(r.broken_promise(text), None, "{text:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_unicode_is_handled(text in "\\PC{0,400}") {
        check(&text);
    }

    #[test]
    fn any_chars_including_controls(chars in proptest::collection::vec(any::<char>(), 0..300)) {
        let text: String = chars.into_iter().collect();
        check(&text);
    }

    #[test]
    fn repeated_units_are_handled(unit in "\\PC{1,12}", copies in 0usize..60, tail in "\\PC{0,20}") {
        let text = format!("{}{}", unit.repeat(copies), tail);
        check(&text);
        let cfg = InspectConfig::default();
        let r = inspect(&text, &cfg);
        // A visible unit repeated 60-fold over enough characters is a loop.
        if copies >= 40 && unit.chars().count() >= 2 && unit.chars().any(|c| !c.is_whitespace() && !c.is_ascii_digit() && !"-=_*~|:+#".contains(c)) {
            prop_assert!(r.repetition);
        }
    }
}

#[test]
fn broken_promises_are_reported() {
    let text = "abc";
    let good = inspect(text, &InspectConfig::default());
    assert_eq!(good.broken_promise(text), None);
    let bad = Inspection {
        gibberish_score: 1.5,
        ..good.clone()
    };
    assert!(bad
        .broken_promise(text)
        .unwrap()
        .contains("gibberish_score"));
    let bad = Inspection {
        repetition_start: Some(4),
        ..good.clone()
    };
    assert!(bad
        .broken_promise(text)
        .unwrap()
        .contains("repetition_start"));
    let bad = Inspection {
        repetition_unit: Some("a".into()),
        ..good
    };
    assert!(bad.broken_promise(text).is_some());
}

#[test]
fn large_inputs_finish_quickly() {
    // 1 MB of one character, of a long period and of random-looking mixed text.
    let inputs = [
        "a".repeat(1 << 20),
        "The quick brown fox jumps over the lazy dog. ".repeat(25_000),
        (0..200_000u32)
            .map(|i| char::from_u32(0x20 + (i.wrapping_mul(2_654_435_761) % 0x3000)).unwrap_or('x'))
            .collect::<String>(),
        "\\boxed{".repeat(100_000),
    ];
    for text in &inputs {
        let t = std::time::Instant::now();
        check(text);
        // Generous bound (shared CI machines); linear work takes milliseconds.
        assert!(
            t.elapsed().as_secs_f64() < 10.0,
            "{} bytes took {:?}",
            text.len(),
            t.elapsed()
        );
    }
}
