//! Fuzz the verifier: any bytes, split into (response, ground truth) at the first 0xFF byte,
//! through both modes and the bare-answer comparison. libFuzzer reports panics, crashes, and
//! (with `-timeout`) slow items; the verifier's own work budget must keep every item fast.
#![no_main]

use archer_native::verify::{equivalent, verify, Mode, VerifyConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0xFF).unwrap_or(data.len());
    let response = String::from_utf8_lossy(&data[..split]);
    let truth = String::from_utf8_lossy(data.get(split + 1..).unwrap_or(&[]));
    let archer = VerifyConfig::default();
    let v = verify(&response, &truth, &archer);
    assert_eq!(v.correct, v.reward == archer.correct_reward);
    let dapo = VerifyConfig {
        mode: Mode::MathDapo,
        ..VerifyConfig::dapo_rewards()
    };
    let _ = verify(&response, &truth, &dapo);
    let _ = equivalent(&response, &truth);
    // Boxed form of the same text exercises the parser on every input.
    let boxed = format!("\\boxed{{{response}}}");
    let _ = verify(&boxed, &truth, &archer);
});
