//! End-to-end checks of the pure-Rust verifier (the Python suite covers the policy in depth).

use super::*;

fn eq(answer: &str, truth: &str) -> bool {
    equivalent(answer, truth) == Status::Match
}

#[test]
fn equality_rules() {
    let yes = [
        ("0.5", "\\frac{1}{2}"),
        ("\\sqrt{12}", "2\\sqrt3"),
        ("3.14159265359", "\\pi"),
        ("x^2+2x+1", "(x+1)^2"),
        ("x = 3", "3"),
        ("[2,5)", "\\left[2, 5\\right)"),
        ("\\{2,1\\}", "1, 2"),
        ("1\\,000", "1000"),
        ("50\\%", "0.5"),
        ("30^\\circ", "30"),
        ("\\text{(C)}", "c"),
        ("5\\text{ cm}", "5"),
    ];
    for (a, t) in yes {
        assert!(eq(a, t), "{a} should equal {t}");
    }
    let no = [
        ("0.333", "\\frac13"),
        ("3.14", "\\pi"),
        ("(2,5)", "[2,5)"),
        ("(2,1)", "(1,2)"),
        ("42 \\pm 1", "42"),
        ("42x", "42"),
        ("\\frac{1}{0}", "1"),
        ("0.5", "50"),
    ];
    for (a, t) in no {
        assert!(!eq(a, t), "{a} should differ from {t}");
    }
}

#[test]
fn verdicts_statuses_and_rewards() {
    let cfg = VerifyConfig::default();
    let v = verify("so \\boxed{\\dfrac12}.", "0.5", &cfg);
    assert_eq!((v.correct, v.status, v.reward), (true, Status::Match, 1.0));
    assert_eq!(v.extracted.as_deref(), Some("\\dfrac12"));
    assert_eq!(verify("no answer", "1", &cfg).status, Status::NoAnswer);
    assert_eq!(verify("\\boxed{@}", "1", &cfg).status, Status::Unparsable);
    let dapo = VerifyConfig::dapo_rewards();
    assert_eq!(verify("\\boxed{2}", "1", &dapo).reward, -1.0);
    let compat = VerifyConfig {
        mode: Mode::MathDapo,
        ..VerifyConfig::dapo_rewards()
    };
    assert!(verify("Answer: 1,000", "1000", &compat).correct);
}

#[test]
fn adversarial_inputs_return() {
    let deep = "{".repeat(5000) + "1" + &"}".repeat(5000);
    let cases = [
        format!("\\boxed{{{deep}}}"),
        "\\boxed{".repeat(20000),
        "\\boxed{10^{10^{10}}}".to_string(),
        "\\boxed{(10^9)!}".to_string(),
        "\\boxed{1e999999}".to_string(),
        format!("\\boxed{{{}}}", "9".repeat(30000)),
        format!("\\boxed{{{}1{}}}", "\\sqrt{".repeat(500), "}".repeat(500)),
        "a1".repeat(50000),
        "\u{0}\u{fffd}".repeat(100),
    ];
    let cfg = VerifyConfig::default();
    for c in &cases {
        let v = verify(c, "1", &cfg);
        assert!(!v.correct, "{}", &c[..c.len().min(60)]);
    }
}

#[test]
fn batch_matches_sequential() {
    let responses: Vec<String> = (0..200).map(|i| format!("\\boxed{{{}}}", i % 7)).collect();
    let truths: Vec<String> = (0..200).map(|i| format!("{}", i % 5)).collect();
    let r: Vec<&str> = responses.iter().map(String::as_str).collect();
    let t: Vec<&str> = truths.iter().map(String::as_str).collect();
    let cfg = VerifyConfig::default();
    let seq = verify_batch(&r, &t, &cfg, 1);
    let par = verify_batch(&r, &t, &cfg, 2);
    assert_eq!(seq, par);
    assert_eq!(seq.iter().filter(|v| v.correct).count(), 200 / 35 * 5 + 5);
}
