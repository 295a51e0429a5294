//! Fuzz inspection: any bytes (lossily decoded) through every detector, several texts in a row
//! on one thread (the loop detector's table and the scan's buffers carry over between texts),
//! with the ranges the outputs promise checked; libFuzzer reports panics, crashes and (with
//! `-timeout`) slow items.
#![no_main]

use archer_native::inspect::{inspect, InspectConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cfg = InspectConfig::default();
    // Texts separated by 0xFF bytes (never in UTF-8) are inspected one after another.
    for part in data.split(|&b| b == 0xFF) {
        let text = String::from_utf8_lossy(part);
        let r = inspect(&text, &cfg);
        assert_eq!(r.broken_promise(&text), None);
    }
});
