//! Loop detection: maximal tandem repeats (the same unit repeated consecutively) over bytes.
//!
//! One left-to-right pass. Every position's 8-byte window is hashed into a direct-mapped table
//! that remembers where that window last occurred; the distance to the last occurrence is the
//! candidate period `p`. A run is then extended by plain byte comparison `b[i] == b[i - p]` until
//! it breaks, so a loop of any period (one character, a token, a sentence, a block of lines) costs
//! one comparison per byte. A run of length `L` at period `p` covers `L + p` bytes, i.e.
//! `(L + p) / p` whole copies of its unit; the unit is reduced to its primitive period.
//!
//! A loop counts when it has at least `min_copies` consecutive copies and spans at least
//! `min_chars` characters, except:
//! - units made only of ASCII digits (repeated digits inside a number, `0.3333…`, `1000000`)
//!   count only from `repetition_digit_min_chars` characters on (a 200-digit `2121…` run is a
//!   loop, not a number);
//! - units made only of whitespace and markdown-rule characters (`-=_*~|:+#`) count only from
//!   `rule_min_chars` characters on, so table rules and horizontal rules are not loops.

use std::cell::RefCell;

use super::InspectConfig;

/// One detected loop, in byte offsets of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loop {
    pub start: usize,
    pub end: usize,
    /// Primitive period of the unit in bytes.
    pub period: usize,
    /// Whole consecutive copies of the unit.
    pub copies: usize,
}

impl Loop {
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

const TABLE_BITS: u32 = 12;
const TABLE_LEN: usize = 1 << TABLE_BITS;
const WINDOW: usize = 8;
const SAMPLE: usize = 4;

/// Last position (+1) of each hashed 8-byte window, offset by the text's `base`.
type Table = [u32; TABLE_LEN];

/// The table and the offset of the current text's positions in it. Each text gets positions
/// above every earlier text's, so the table is never cleared (16 KiB per text would cost more
/// than the scan) and yet an entry from an earlier text reads as "not seen in this text": the
/// results depend on the text alone, exactly as with a zeroed table.
struct Epochs {
    table: Box<Table>,
    base: u32,
}

thread_local! {
    static LAST_SEEN: RefCell<Epochs> = RefCell::new(Epochs {
        table: Box::new([0u32; TABLE_LEN]),
        base: 0,
    });
}

#[inline(always)]
fn window_hash(w: u64) -> usize {
    (w.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - TABLE_BITS)) as usize
}

/// First `j >= i` with `b[j] != b[j - p]` (or `b.len()`): the end of a run at period `p`,
/// compared a word at a time (the first differing byte is the lowest set byte of the XOR).
/// Needs `1 <= p <= i` (the candidates have it).
#[inline(always)]
fn extend_run(b: &[u8], mut i: usize, p: usize) -> usize {
    assert!(p <= i);
    if let Some(last_word) = b.len().checked_sub(WINDOW) {
        while i <= last_word {
            // SAFETY: `i + WINDOW <= b.len()` and `i - p <= i`, so both 8-byte reads lie in `b`
            // (`read_unaligned` needs no alignment).
            let x = unsafe {
                let at = b.as_ptr().add(i);
                at.cast::<u64>().read_unaligned() ^ at.sub(p).cast::<u64>().read_unaligned()
            };
            if x != 0 {
                return i + (u64::from_le(x).trailing_zeros() / 8) as usize;
            }
            i += WINDOW;
        }
    }
    while i < b.len() && b[i] == b[i - p] {
        i += 1;
    }
    i
}

/// Smallest period q (dividing p) of the unit `b[start..start + p]` repeated in the region.
fn primitive_period(b: &[u8], start: usize, p: usize) -> usize {
    for q in 1..p {
        if p % q == 0 && (start..start + p - q).all(|k| b[k] == b[k + q]) {
            return q;
        }
    }
    p
}

fn is_rule_byte(c: u8) -> bool {
    matches!(
        c,
        b'-' | b'=' | b'_' | b'*' | b'~' | b'|' | b':' | b'+' | b'#' | b' ' | b'\t' | b'\n' | b'\r'
    )
}

/// Does a run at period `p` over `[run_start, run_end)` make a qualifying loop? Returns it.
/// The caller has already checked that the run is long enough to possibly qualify.
#[inline(never)]
fn qualify(
    text: &str,
    mut run_start: usize,
    run_end: usize,
    p: usize,
    prev_end: usize,
    min_copies: usize,
    cfg: &InspectConfig,
) -> Option<Loop> {
    let b = text.as_bytes();
    // The hash may find a loop a little after it starts: extend backwards.
    while run_start > p && run_start - 1 - p >= prev_end && b[run_start - 1] == b[run_start - 1 - p]
    {
        run_start -= 1;
    }
    let mut start = run_start - p;
    let q = primitive_period(b, start, p);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let mut end = run_end;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if end <= start + q {
        return None;
    }
    let copies = (end - start) / q;
    if copies < min_copies {
        return None;
    }
    let unit = &b[start..start + q];
    let chars = text[start..end].chars().count();
    let min_chars = if unit.iter().all(u8::is_ascii_digit) {
        cfg.repetition_digit_min_chars
    } else if unit.iter().all(|&c| is_rule_byte(c)) {
        cfg.repetition_rule_min_chars
    } else {
        cfg.repetition_min_chars
    };
    if chars < min_chars {
        return None;
    }
    Some(Loop {
        start,
        end,
        period: q,
        copies,
    })
}

/// From sampled position `i` on, hash each sampled window into the table until one proposes a
/// candidate period: returns its position and the period, or `None` at the end of the text.
///
/// Windows are hashed at every SAMPLE-th position only: inside a loop of period p the sampled
/// windows repeat at lcm(p, SAMPLE) <= SAMPLE * p, still far less than the loop's length, and
/// the unit is reduced to its primitive period afterwards. The distance to the window's last
/// occurrence is the candidate period.
#[inline(always)]
fn next_candidate(
    b: &[u8],
    table: &mut Table,
    base: u32,
    i: usize,
    max_period: usize,
) -> Option<(usize, usize)> {
    // The window at `j` last occurred at `last - 1` (`last > 0`), `d = j + 1 - last` bytes back.
    // A candidate needs `1 <= d <= j` (an earlier position of this text, or of an older text
    // that the byte comparison rejects; i.e. `1 <= last <= j`) and `d <= max_period`.
    let last_window = b.len().checked_sub(WINDOW)?;
    // While `j < max_period`, every `d <= j + 1` is at most `max_period`: the test is
    // `last - 1 < j` (wrapping: `last == 0` gives `usize::MAX`).
    let below = max_period.min(last_window + 1);
    // SAFETY: the test implies `1 <= last <= j`; `below - 1 + WINDOW <= b.len()`.
    let found =
        unsafe { scan_windows(b, table, base, i, below, |j, last| last.wrapping_sub(1) < j) };
    let i = match found {
        Ok(c) => return Some(c),
        Err(i) => i,
    };
    // From `j >= max_period` on, `1 <= d <= max_period` is `j - last < max_period` (`last`
    // above `j` wraps the difference to the top); it implies `last >= j + 1 - max_period >= 1`.
    // SAFETY: the test implies `1 <= last <= j`; `last_window + WINDOW <= b.len()`.
    unsafe {
        scan_windows(b, table, base, i, last_window + 1, |j, last| {
            j.wrapping_sub(last) < max_period
        })
    }
    .ok()
}

/// Hashes the sampled windows at `j = i, i + SAMPLE, ...` below `end` into the table: returns
/// the first candidate `(j, d)`, or `Err` with the next sampled position at or past `end`. A
/// window is a candidate when `accept(j, last)` holds for its slot's `last` and the byte at
/// `last - 1` is the window's first byte; then `d = j + 1 - last`.
///
/// # Safety
///
/// `accept(j, last)` must imply `1 <= last <= j`, and `end - 1 + WINDOW <= b.len()` (windows
/// below `end` lie in `b`).
#[inline(always)]
unsafe fn scan_windows(
    b: &[u8],
    table: &mut Table,
    base: u32,
    mut i: usize,
    end: usize,
    accept: impl Fn(usize, usize) -> bool,
) -> Result<(usize, usize), usize> {
    let p = b.as_ptr();
    let mut probe = |j: usize| -> Option<usize> {
        // SAFETY: `j < end`, so the window at `j` lies in `b`; `read_unaligned` needs no
        // alignment.
        let w = unsafe { p.add(j).cast::<u64>().read_unaligned().to_le() };
        let h = window_hash(w);
        // Entries of earlier texts (at or below `base`) wrap to at least `b.len() + 2`, which
        // no candidate test accepts.
        let last = table[h].wrapping_sub(base) as usize;
        table[h] = base + (j + 1) as u32;
        // SAFETY: `accept` implies `1 <= last <= j < b.len()`.
        if accept(j, last) && unsafe { *p.add(last - 1) } == w as u8 {
            return Some(j + 1 - last);
        }
        None
    };
    // Eight windows a step while all eight lie below `end`.
    while i + 7 * SAMPLE < end {
        for k in 0..8 {
            if let Some(d) = probe(i + k * SAMPLE) {
                return Ok((i + k * SAMPLE, d));
            }
        }
        i += 8 * SAMPLE;
    }
    while i < end {
        if let Some(d) = probe(i) {
            return Ok((i, d));
        }
        i += SAMPLE;
    }
    Err(i)
}

/// All qualifying loops of `text`, in order, non-overlapping.
#[inline(never)]
pub fn find_loops(text: &str, cfg: &InspectConfig) -> Vec<Loop> {
    LAST_SEEN.with(|e| {
        let e = &mut *e.borrow_mut();
        let n = text.len().min(u32::MAX as usize - 1) as u64;
        // Positions `base + 1 ..= base + n` must fit in a u32: start over when they would not.
        if e.base as u64 + n + 2 > u32::MAX as u64 {
            e.table.fill(0);
            e.base = 0;
        }
        let loops = find_loops_with(text, cfg, &mut e.table, e.base);
        e.base += n as u32 + 1;
        loops
    })
}

/// `find_loops` with the window table and the text's position offset in it (all earlier entries
/// at or below `base`; `base + text.len() + 1` fits in a u32).
fn find_loops_with(text: &str, cfg: &InspectConfig, table: &mut Table, base: u32) -> Vec<Loop> {
    // Positions are stored as u32; longer inputs are scanned on their first 4 GiB only.
    let b = &text.as_bytes()[..text.len().min(u32::MAX as usize - 1)];
    let max_period = cfg.repetition_max_period_bytes.max(1);
    let min_copies = cfg.repetition_min_copies.max(2);
    let mut loops = Vec::new();
    let mut prev_end = 0usize;
    let mut i = 0usize;
    loop {
        // Windows are hashed at every SAMPLE-th position only: inside a loop of period p the
        // sampled windows repeat at lcm(p, SAMPLE) <= SAMPLE * p, still far less than the
        // loop's length, and the unit is reduced to its primitive period afterwards. The distance
        // to the window's last occurrence is the candidate period.
        let Some((at, p)) = next_candidate(b, table, base, i, max_period) else {
            return loops;
        };
        i = at;
        // Extend the run as far as it goes.
        let run_start = i;
        i = extend_run(b, i, p);
        // With sampled hashing the candidate period can be up to SAMPLE times the unit's.
        if i - run_start + p >= min_copies * p.div_ceil(SAMPLE) {
            if let Some(l) = qualify(text, run_start, i, p, prev_end, min_copies, cfg) {
                prev_end = l.end;
                loops.push(l);
            }
        }
        // Outside a run only sampled positions do anything: jump to the next one.
        i = i.next_multiple_of(SAMPLE);
    }
}

/// The straightforward implementation (byte-at-a-time runs, table as a `Vec`), kept as the
/// reference the optimised scan must equal exactly.
#[cfg(test)]
mod reference {
    use super::{InspectConfig, Loop};

    const TABLE_BITS: u32 = 12;
    const WINDOW: usize = 8;
    const SAMPLE: usize = 4;

    #[inline]
    fn window_hash(b: &[u8], i: usize) -> usize {
        let w = u64::from_le_bytes(b[i..i + WINDOW].try_into().unwrap());
        (w.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - TABLE_BITS)) as usize
    }

    /// Smallest period q (dividing p) of the unit `b[start..start + p]` repeated in the region.
    fn primitive_period(b: &[u8], start: usize, p: usize) -> usize {
        for q in 1..p {
            if p % q == 0 && (start..start + p - q).all(|k| b[k] == b[k + q]) {
                return q;
            }
        }
        p
    }

    fn is_rule_byte(c: u8) -> bool {
        matches!(
            c,
            b'-' | b'='
                | b'_'
                | b'*'
                | b'~'
                | b'|'
                | b':'
                | b'+'
                | b'#'
                | b' '
                | b'\t'
                | b'\n'
                | b'\r'
        )
    }

    /// Does a run at period `p` over `[run_start, run_end)` make a qualifying loop? Returns it.
    fn qualify(
        text: &str,
        mut run_start: usize,
        run_end: usize,
        p: usize,
        prev_end: usize,
        cfg: &InspectConfig,
    ) -> Option<Loop> {
        let b = text.as_bytes();
        let min_copies = cfg.repetition_min_copies.max(2);
        // With sampled hashing the candidate period can be up to SAMPLE times the unit's.
        if run_end - run_start + p < min_copies * p.div_ceil(SAMPLE) {
            return None;
        }
        // The hash may find a loop a little after it starts: extend backwards.
        while run_start > p
            && run_start - 1 - p >= prev_end
            && b[run_start - 1] == b[run_start - 1 - p]
        {
            run_start -= 1;
        }
        let mut start = run_start - p;
        let q = primitive_period(b, start, p);
        while !text.is_char_boundary(start) {
            start += 1;
        }
        let mut end = run_end;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        if end <= start + q {
            return None;
        }
        let copies = (end - start) / q;
        if copies < min_copies {
            return None;
        }
        let unit = &b[start..start + q];
        let chars = text[start..end].chars().count();
        let min_chars = if unit.iter().all(u8::is_ascii_digit) {
            cfg.repetition_digit_min_chars
        } else if unit.iter().all(|&c| is_rule_byte(c)) {
            cfg.repetition_rule_min_chars
        } else {
            cfg.repetition_min_chars
        };
        if chars < min_chars {
            return None;
        }
        Some(Loop {
            start,
            end,
            period: q,
            copies,
        })
    }

    /// All qualifying loops of `text`, in order, non-overlapping.
    pub(super) fn find_loops(text: &str, cfg: &InspectConfig, table: &mut [u32]) -> Vec<Loop> {
        let b = text.as_bytes();
        // Positions are stored as u32; longer inputs are scanned on their first 4 GiB only.
        let n = b.len().min(u32::MAX as usize - 1);
        let max_period = cfg.repetition_max_period_bytes.max(1);
        let mut loops = Vec::new();
        {
            let mut cand = 0usize;
            let mut run_start = 0usize;
            let mut prev_end = 0usize;
            let mut i = 0usize;
            while i < n {
                if cand > 0 {
                    // Extend the current run as far as it goes: one comparison per byte.
                    while i < n && b[i] == b[i - cand] {
                        i += 1;
                    }
                    if let Some(l) = qualify(text, run_start, i, cand, prev_end, cfg) {
                        prev_end = l.end;
                        loops.push(l);
                    }
                    cand = 0;
                    // Outside a run only sampled positions do anything: jump to the next one.
                    i = i.next_multiple_of(SAMPLE);
                    continue;
                }
                // Windows are hashed at every SAMPLE-th position only: inside a loop of period p the
                // sampled windows repeat at lcm(p, SAMPLE) <= SAMPLE * p, still far less than the
                // loop's length, and the unit is reduced to its primitive period afterwards.
                if i + WINDOW <= n {
                    let h = window_hash(b, i);
                    let last = table[h] as usize;
                    table[h] = (i + 1) as u32;
                    if last > 0 && last - 1 < i {
                        let d = i - (last - 1);
                        if d <= max_period && b[i] == b[i - d] {
                            cand = d;
                            run_start = i;
                            continue;
                        }
                    }
                }
                i += SAMPLE;
            }
            if cand > 0 {
                if let Some(l) = qualify(text, run_start, n, cand, prev_end, cfg) {
                    loops.push(l);
                }
            }
        }
        loops
    }
}

#[cfg(test)]
mod equivalence {
    use proptest::prelude::*;

    use super::*;

    /// The fast implementation over a sequence of texts, its table carried over between them as
    /// on a worker thread (with growing offsets), against the reference from a zeroed table for
    /// every text: results depend on the text alone.
    fn same_on(texts: &[String]) -> Result<(), TestCaseError> {
        same_with(texts, &InspectConfig::default())
    }

    fn same_with(texts: &[String], cfg: &InspectConfig) -> Result<(), TestCaseError> {
        let mut fast: Box<Table> = Box::new([0; TABLE_LEN]);
        let mut base = 0u32;
        for t in texts {
            prop_assert_eq!(
                find_loops_with(t, cfg, &mut fast, base),
                reference::find_loops(t, cfg, &mut vec![0u32; TABLE_LEN]),
                "text {:?}",
                t
            );
            base += t.len() as u32 + 1;
        }
        // And through the thread-local table, which has seen other texts before.
        for t in texts {
            prop_assert_eq!(
                find_loops(t, cfg),
                reference::find_loops(t, cfg, &mut vec![0u32; TABLE_LEN])
            );
        }
        Ok(())
    }

    /// Loop-heavy text: units (ASCII, digits, rules, multi-byte) repeated, with noise between.
    fn loopy() -> impl Strategy<Value = String> {
        let unit = prop_oneof![
            "[a-c ]{1,9}",
            "[0-9]{1,4}",
            "[-=|: ]{1,5}",
            "\\PC{1,6}",
            "[a-z .\n]{10,40}",
        ];
        proptest::collection::vec((unit, 0usize..40, "\\PC{0,12}"), 1..6).prop_map(|parts| {
            parts
                .into_iter()
                .map(|(u, k, noise)| u.repeat(k) + &noise)
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn equals_reference_on_loops(texts in proptest::collection::vec(loopy(), 1..4)) {
            same_on(&texts)?;
        }

        /// Short maximum periods: windows past `max_period` take the second candidate test.
        #[test]
        fn equals_reference_with_short_max_period(
            texts in proptest::collection::vec(loopy(), 1..4),
            max_period in 0usize..80,
        ) {
            let cfg = InspectConfig {
                repetition_max_period_bytes: max_period,
                ..InspectConfig::default()
            };
            same_with(&texts, &cfg)?;
        }

        #[test]
        fn equals_reference_on_any_text(texts in proptest::collection::vec("\\PC{0,300}", 1..4)) {
            same_on(&texts)?;
        }
    }

    #[test]
    fn earlier_entries_never_count_even_near_the_top_of_the_offsets() {
        let text = format!("intro {} outro", "abc ".repeat(40));
        let expected =
            reference::find_loops(&text, &InspectConfig::default(), &mut vec![0; TABLE_LEN]);
        assert!(!expected.is_empty());
        for base in [1u32, 1 << 20, u32::MAX - text.len() as u32 - 2] {
            // Every slot holds a position of an earlier text: at most `base`.
            let mut table: Box<Table> = Box::new([0; TABLE_LEN]);
            for (k, slot) in table.iter_mut().enumerate() {
                *slot = base - (k as u32 % base.min(97));
            }
            let got = find_loops_with(&text, &InspectConfig::default(), &mut table, base);
            assert_eq!(got, expected, "base {base}");
        }
    }

    #[test]
    fn equals_reference_on_long_periods() {
        let mut texts = Vec::new();
        for period in [1usize, 2, 3, 4, 5, 7, 8, 9, 12, 16, 31, 64, 100, 513] {
            let unit: String = (0..period)
                .map(|k| (b'a' + (k * 7 % 26) as u8) as char)
                .collect();
            for copies in [2usize, 6, 7, 8, 30] {
                texts.push(format!("x{}y", unit.repeat(copies)));
                texts.push(format!("ゆ{}{}", unit.repeat(copies), &unit[..period / 2]));
            }
        }
        same_on(&texts).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loops(t: &str) -> Vec<Loop> {
        find_loops(t, &InspectConfig::default())
    }

    #[test]
    fn finds_token_sentence_and_block_loops() {
        let t = format!("Let us think. {}", "& ".repeat(300));
        let l = loops(&t);
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].period, 2);
        assert!(l[0].copies >= 299);
        let t = format!("Intro.\n\n{}", "The sum is 12, so x = 3.\n\n".repeat(15));
        let l = loops(&t);
        assert_eq!(l.len(), 1);
        // The unit is found as some rotation of the sentence (the loop may start at its ".").
        assert_eq!(l[0].period, "The sum is 12, so x = 3.\n\n".len());
        assert!(l[0].copies >= 14);
        let block = "Step 1: add.\nStep 2: divide by 4.\nStep 3: so x = 2.\n";
        let t = format!("Start here.\n{}{}", block.repeat(12), &block[..10]);
        let l = loops(&t);
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].copies, 12);
        assert_eq!(loops(&"ゆ".repeat(50))[0].period, "ゆ".len());
    }

    #[test]
    fn ignores_numbers_rules_and_short_repeats() {
        assert!(loops("x = 0.33333333333333333333333333333 and 1000000000000000000000").is_empty());
        assert!(loops("|---|---|---|---|---|---|---|---|---|---|---|---|---|").is_empty());
        assert!(loops(&"ab ".repeat(4)).is_empty());
        assert!(loops("1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18").is_empty());
        assert!(!loops(&"-".repeat(400)).is_empty());
        assert!(!loops(&format!("x = {}", "21".repeat(150))).is_empty());
    }
}
