//! The single pass over a response's whitespace-separated tokens that feeds every detector:
//! letters per script (language drift), per-token junk evidence (gibberish), the word sequence
//! (word-salad evidence, reasoning-word counts) and token hashes (20-gram statistics).
//!
//! Two depths. The default scan keeps only what every text needs: counts, token hashes and the
//! bounds that let the gibberish detector prove a text clean (`junk_tokens`, `anomaly_bound`,
//! `all_groups`). Only when those bounds do not rule gibberish out does `Scan::detail` rescan
//! and keep the per-token and per-word records. Most responses never need them.
//!
//! Speed comes from three things: whitespace is found 16 bytes at a time into a bit mask, so a
//! token costs a few bit operations to delimit; an ASCII token of up to 15 bytes is loaded as
//! one `u128` and its byte classes are computed for all bytes at once (SWAR: every byte's class
//! lands in that byte's high bit); and its hash, lower-case form and lexicon key come from the
//! same register. Longer or non-ASCII tokens take the general byte-by-byte path.

use std::cell::RefCell;

use super::lexicon::{
    self, code_category, code_class, lexicon_code, lexicon_table, Code, Lexicon, NO_CLASS, NO_ENTRY,
};
use super::scan_bytes::ByteMasks;
use super::script::Script;
use super::tokens::{ascii_stats, hash8, hash_bytes, hash_packed, unicode_stats, TokenStats};

/// Per-token facts the gibberish detector needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenInfo {
    pub start: u32,
    pub end: u32,
    /// Non-whitespace characters.
    pub chars: u32,
    /// The token on its own looks like junk (see `gibberish`).
    pub junk: bool,
    /// Bit set of the writing systems (mixing groups) of its letters.
    pub groups: u32,
}

/// One plain word (ASCII letters, optional inner `-`/`'`), for the word-salad evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordInfo {
    pub token: u32,
    pub lower_hash: u64,
    /// Word-order anomalies known at scan time: lower case after `.`/`?`/`!`, the same word
    /// twice in a row, an implausible closed-class pair.
    pub anomalies: u8,
    /// Capitalised right after a lower-case word: an anomaly when the word is a closed-class
    /// word (`closed_class`) or also occurs in lower case in the text (checked after the scan).
    pub caps_candidate: bool,
    pub closed_class: bool,
}

#[derive(Debug, Default)]
pub struct Scan {
    pub script_letters: [u32; Script::ALL.len()],
    pub token_hashes: Vec<u64>,
    pub categories: [u32; lexicon::CATEGORIES.len()],
    /// Plain words.
    pub n_words: u32,
    /// Non-whitespace characters.
    pub total_chars: u64,
    /// Tokens junk on their own, and an upper bound of word-salad anomalies: when both are small
    /// and few writing systems occur, the text cannot be gibberish (the fast path).
    pub junk_tokens: u32,
    pub anomaly_bound: u32,
    pub all_groups: u32,
    /// Whether the records below are filled (`detail`).
    pub detailed: bool,
    pub tokens: Vec<TokenInfo>,
    pub words: Vec<WordInfo>,
    /// Bloom filter of the lowercase-only words seen (2 bits per word).
    pub lower_seen: Vec<u64>,
    pub(super) masks: ByteMasks,
}

pub(super) const BLOOM_WORDS: usize = 256; // 16 Ki bits

impl Scan {
    pub fn seen_lowercase(&self, h: u64) -> bool {
        let (a, b) = bloom_bits(h);
        self.lower_seen[a / 64] & (1 << (a % 64)) != 0
            && self.lower_seen[b / 64] & (1 << (b % 64)) != 0
    }

    /// Rescan `text` (the text this scan was made from) keeping per-token and per-word records.
    pub fn detail(&mut self, text: &str) {
        if !self.detailed {
            scan_into::<true>(text, self, None);
        }
    }
}

pub(super) fn bloom_bits(h: u64) -> (usize, usize) {
    let m = (BLOOM_WORDS * 64 - 1) as u64;
    ((h & m) as usize, ((h >> 32) & m) as usize)
}

thread_local! {
    static SCAN: RefCell<Option<Scan>> = const { RefCell::new(None) };
}

/// When a scan needs its per-token records (the gibberish detector's bounds): any junk token,
/// letters of at least `min_scripts` writing systems, or possibly `min_anomalies` word-order
/// anomalies in one window of `anomaly_window` consecutive words (`None`: in the whole text,
/// which is the bound when loops are cut out of the word sequence).
#[derive(Debug, Clone, Copy)]
pub struct Gate {
    pub min_anomalies: u32,
    pub min_scripts: u32,
    pub anomaly_window: Option<u32>,
}

/// Anomaly positions remembered for the windowed gate (larger `min_anomalies` use the
/// whole-text bound).
const RING: usize = 16;

/// Run `f` on the scan of `text` (buffers are reused across calls on one thread). With a `gate`,
/// the scan is detailed exactly when the gate says so: the counting pass stops as soon as the
/// gate trips and the text is rescanned in detail.
pub fn with_scan<R>(text: &str, gate: Option<Gate>, f: impl FnOnce(&mut Scan) -> R) -> R {
    SCAN.with(|cell| {
        let mut slot = cell.borrow_mut();
        let scan = slot.get_or_insert_with(|| Scan {
            lower_seen: vec![0; BLOOM_WORDS],
            ..Default::default()
        });
        if !scan_into::<false>(text, scan, gate) {
            scan_into::<true>(text, scan, None);
        }
        f(scan)
    })
}

/// The full scan of `text`, every record filled (tests and tools).
pub fn detailed_scan(text: &str) -> Scan {
    let mut s = Scan {
        lower_seen: vec![0; BLOOM_WORDS],
        ..Default::default()
    };
    scan_into::<true>(text, &mut s, None);
    s
}

// ---- The pass ----

const LEAD: u8 = 1;
const TRAIL: u8 = 2;
const SENTENCE_END: u8 = 4;

/// Punctuation stripped from a word's ends: leading `"'([*`_`, trailing `.,;:?!)]"'*`_`.
static STRIP: [u8; 256] = {
    let mut t = [0u8; 256];
    let lead = b"\"'([*`_";
    let trail = b".,;:?!)]\"'*`_";
    let mut k = 0;
    while k < lead.len() {
        t[lead[k] as usize] |= LEAD;
        k += 1;
    }
    k = 0;
    while k < trail.len() {
        t[trail[k] as usize] |= TRAIL;
        k += 1;
    }
    t[b'.' as usize] |= SENTENCE_END;
    t[b'?' as usize] |= SENTENCE_END;
    t[b'!' as usize] |= SENTENCE_END;
    t
};

/// A plain word as the word-order rules see it.
struct Word {
    /// Stripped trailing punctuation: 0 none, else a byte (`.`, `?` or `!` when any was there).
    trailing: u8,
    all_lower: bool,
    titlecase: bool,
    /// Lower-case bytes packed little-endian for words of at most 16 bytes, `long_word_key`
    /// for longer ones.
    packed: u128,
    /// `hash_bytes` of the lower-case word: always in a detailed scan; otherwise only for words
    /// longer than 16 bytes (shorter ones compare by `packed`), else 0.
    lower_hash: u64,
    /// Its lexicon facts (`lexicon::Code`).
    code: Code,
}

/// The previous plain word on this line, as the next word's rules read it: every rule is a
/// compare or a table read on these two fields, with no branch on what the previous token was
/// (`NO_PREV` after a token that is no plain word, and at a line start).
#[derive(Clone, Copy)]
struct Prev {
    /// `Word::packed` when no punctuation trailed the word, else `u128::MAX`, which no word packs
    /// to (so the same-word rule never fires across punctuation).
    packed: u128,
    /// Bits 4..8: row of the class-pair table (the pair class when no punctuation trailed the
    /// word, else `NO_CLASS`, a row of fine pairs); `LOWER_PLAIN`; `SENTENCE_END`.
    meta: u8,
}

/// All lower case, no trailing punctuation: a capitalised next word is a caps candidate.
const LOWER_PLAIN: u8 = 1;
/// Ended by `.`, `?` or `!`: a lower-case next word is an anomaly.
const SENTENCE_END_BIT: u8 = 2;

const NO_PREV: Prev = Prev {
    packed: u128::MAX,
    meta: NO_CLASS << 4,
};

/// `Word::packed` of a word longer than 16 bytes: its hash, marked in the top byte (0xFF, which
/// no packed word has), so words of every length compare by one `u128`.
pub(super) fn long_word_key(lower_hash: u64) -> u128 {
    lower_hash as u128 | 0xFF << 120
}

/// Running state and counters of one pass (kept out of `Scan` so they live in registers).
struct State<'a> {
    lex: &'a Lexicon,
    /// Where the next token hash goes: `Scan::token_hashes`' buffer, reserved for every token
    /// up front (`push_hash`), and how many are written (its length is set when the pass ends).
    hashes: *mut u64,
    n_hashes: usize,
    /// The reserved capacity (checked in debug builds).
    capacity: usize,
    prev: Prev,
    junk_tokens: u32,
    anomaly_bound: u32,
    all_groups: u32,
    n_words: u32,
    total_chars: u64,
    /// Per category, plus a last slot for words of none (`lexicon::NO_CATEGORY`).
    categories: [u32; 8],
    /// Windowed anomaly gate: (min anomalies, window), the word indices of the latest anomalies
    /// (one entry per anomaly) and whether some window may hold enough of them.
    window_gate: Option<(u32, u32)>,
    ring: [u32; RING],
    ring_len: usize,
    salad_possible: bool,
}

/// `text` up to the last character boundary at or below `u32::MAX` bytes.
#[inline]
pub(super) fn cut_to_u32(text: &str) -> &str {
    if text.len() <= u32::MAX as usize {
        return text;
    }
    let mut n = u32::MAX as usize;
    while !text.is_char_boundary(n) {
        n -= 1;
    }
    &text[..n]
}

/// Scan `text` into `out`; false when `gate` tripped and the scan stopped early.
fn scan_into<const FULL: bool>(text: &str, out: &mut Scan, gate: Option<Gate>) -> bool {
    out.script_letters = [0; Script::ALL.len()];
    out.token_hashes.clear();
    out.tokens.clear();
    out.words.clear();
    out.detailed = FULL;
    if FULL {
        out.lower_seen.clear();
        out.lower_seen.resize(BLOOM_WORDS, 0);
    }
    // Positions are u32: longer texts are scanned on their first 4 GiB, cut at a character
    // boundary so that every token is a whole `str`.
    let text = cut_to_u32(text);
    let b = text.as_bytes();
    let n = b.len();
    // At most one token per two bytes (plus one): no reallocation inside the loop.
    out.token_hashes.reserve(n / 2 + 1);
    let mut masks = std::mem::take(&mut out.masks);
    masks.build(b);
    let ascii_letters = masks.letters;
    out.script_letters[Script::Latin.index()] = ascii_letters;
    let mut st = State {
        lex: lexicon_table(),
        hashes: out.token_hashes.as_mut_ptr(),
        n_hashes: 0,
        capacity: out.token_hashes.capacity(),
        prev: NO_PREV,
        junk_tokens: 0,
        anomaly_bound: 0,
        // Every ASCII letter, in whatever token, puts Latin among the writing systems.
        all_groups: ((ascii_letters > 0) as u32) << Script::Latin.index(),
        n_words: 0,
        total_chars: 0,
        categories: [0; 8],
        window_gate: gate.and_then(|g| {
            let w = g.anomaly_window?;
            (g.min_anomalies as usize <= RING).then_some((g.min_anomalies, w.max(1)))
        }),
        ring: [0; RING],
        ring_len: 0,
        salad_possible: gate.is_some_and(|g| g.min_anomalies == 0),
    };
    // Texts with control characters (rare: junk) take the general path for every token, so the
    // register paths need not look for controls.
    let finished = if masks.has_control {
        token_loop::<FULL, true>(text, out, &mut st, &masks, gate)
    } else {
        token_loop::<FULL, false>(text, out, &mut st, &masks, gate)
    };
    out.masks = masks;
    // SAFETY: `push_hash` wrote the first `n_hashes` slots.
    unsafe { out.token_hashes.set_len(st.n_hashes) };
    if !finished {
        return false;
    }
    out.junk_tokens = st.junk_tokens;
    out.anomaly_bound = st.anomaly_bound;
    out.all_groups = st.all_groups;
    out.n_words = st.n_words;
    out.total_chars = st.total_chars;
    out.categories
        .copy_from_slice(&st.categories[..lexicon::CATEGORIES.len()]);
    true
}

/// The tokens of `text` (masks built) into `out` and `st`; false when `gate` tripped. With
/// `CONTROLS` (the text has control characters) every token takes the general path.
///
/// On x86_64 the loop is compiled twice: for the baseline CPU, and with BMI1/BMI2/LZCNT/POPCNT
/// and AVX2 (the x86-64-v3 level: Intel from Haswell, AMD from Excavator), whose
/// one-instruction bit operations (`tzcnt`, `blsr`, `andn`, `bzhi`, shifts by a register
/// without `cl`) the loop is made of.
/// The CPU is asked at run time (a cached load), so the wheel still runs on older CPUs.
/// Measured on the rollout batch: 57.96M instructions per batch for the baseline copy, 55.88M
/// with the second.
fn token_loop<const FULL: bool, const CONTROLS: bool>(
    text: &str,
    out: &mut Scan,
    st: &mut State,
    masks: &ByteMasks,
    gate: Option<Gate>,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if has_x86_64_v3() {
        // SAFETY: the CPU has every feature `token_loop_v3` is compiled with.
        return unsafe { token_loop_v3::<FULL, CONTROLS>(text, out, st, masks, gate) };
    }
    token_loop_body::<FULL, CONTROLS>(text, out, st, masks, gate)
}

/// Whether this CPU has the features of `token_loop_v3` (each test is a cached load).
#[cfg(target_arch = "x86_64")]
#[inline]
fn has_x86_64_v3() -> bool {
    #[cfg(test)]
    if tests::BASELINE_ONLY.get() {
        return false;
    }
    std::is_x86_feature_detected!("avx2")
        && std::is_x86_feature_detected!("bmi1")
        && std::is_x86_feature_detected!("bmi2")
        && std::is_x86_feature_detected!("lzcnt")
        && std::is_x86_feature_detected!("popcnt")
}

/// `token_loop_body` compiled with x86-64-v3's bit-manipulation and vector features.
///
/// # Safety
///
/// The CPU must have them (`has_x86_64_v3`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,bmi1,bmi2,lzcnt,popcnt")]
unsafe fn token_loop_v3<const FULL: bool, const CONTROLS: bool>(
    text: &str,
    out: &mut Scan,
    st: &mut State,
    masks: &ByteMasks,
    gate: Option<Gate>,
) -> bool {
    token_loop_body::<FULL, CONTROLS>(text, out, st, masks, gate)
}

/// `token_loop`'s body, inlined into both of its copies.
#[inline(always)]
fn token_loop_body<const FULL: bool, const CONTROLS: bool>(
    text: &str,
    out: &mut Scan,
    st: &mut State,
    masks: &ByteMasks,
    gate: Option<Gate>,
) -> bool {
    // `scan_into` cut `text` to fit u32 positions.
    let b = text.as_bytes();
    let n = b.len();
    // Newlines end the previous word's line; found lazily, as they are rare between tokens.
    let mut next_newline = masks.next_newline(0);
    // Tokens start where a non-space byte follows a space (byte -1 counts as a space); the
    // padding past the end is all spaces, so no token starts there.
    let mut carry = 1u64;
    for k in 0..masks.space.len() {
        let space = masks.space[k];
        let mut starts = !space & ((space << 1) | carry);
        carry = space >> 63;
        while starts != 0 {
            let offset = starts.trailing_zeros();
            starts &= starts - 1;
            let start = k * 64 + offset as usize;
            if start > next_newline {
                st.prev = NO_PREV;
                next_newline = masks.next_newline(start);
            }
            // The token ends at the next whitespace byte: in this block, or in a later one.
            // Bytes past the text are whitespace (`ByteMasks::build` pads), so `end <= n`.
            let rest = space >> offset;
            let len = if rest != 0 {
                rest.trailing_zeros() as usize
            } else {
                masks.next_space((k + 1) * 64) - start
            };
            let end = start + len;
            debug_assert!(end <= n);
            if CONTROLS {
                general_token::<FULL, CONTROLS>(out, st, text, start, end);
                continue;
            }
            if len <= 8 && start + 8 <= n {
                // SAFETY: `start + 8 <= n`, tested above.
                let x = unsafe { b.as_ptr().add(start).cast::<u64>().read_unaligned() }.to_le()
                    & below8(len);
                if x & HIGH8 == 0 {
                    short_ascii_token8::<FULL>(out, st, start, len, x);
                    continue;
                }
            } else if len <= 15 {
                let x = load16(b, start, len);
                if x & HIGH16 == 0 {
                    short_ascii_token16::<FULL>(out, st, start, len, x);
                    continue;
                }
            }
            general_token::<FULL, CONTROLS>(out, st, text, start, end);
        }
        if let Some(g) = gate {
            let many_scripts = st.all_groups & st.all_groups.wrapping_sub(1) != 0
                && st.all_groups.count_ones() >= g.min_scripts;
            let salad = match st.window_gate {
                Some(_) => st.salad_possible,
                None => st.anomaly_bound >= g.min_anomalies,
            };
            if st.junk_tokens > 0 || salad || many_scripts {
                return false;
            }
        }
    }
    true
}

impl State<'_> {
    /// Append a token hash: a write, no capacity test (there is at most one token per two
    /// bytes plus one, and that many slots are reserved before the pass).
    #[inline(always)]
    fn push_hash(&mut self, h: u64) {
        // SAFETY: `n_hashes` < the reserved capacity `n / 2 + 1`, as each token but the last is
        // followed by a whitespace byte.
        debug_assert!(self.n_hashes < self.capacity);
        unsafe { self.hashes.add(self.n_hashes).write(h) };
        self.n_hashes += 1;
    }
}

/// A plain word of `len <= 16` bytes, `packed` its lower-case bytes (`lexicon::pack_lower`):
/// look it up and record its word-order evidence.
#[inline(always)]
fn plain_word<const FULL: bool>(
    out: &mut Scan,
    st: &mut State,
    packed: u128,
    len: usize,
    trailing: u8,
    all_lower: bool,
    titlecase: bool,
) {
    // No lexicon word is longer than 13 bytes.
    let code = if len <= 13 {
        lexicon_code(st.lex, packed)
    } else {
        NO_ENTRY
    };
    let w = word::<FULL>(packed, len, trailing, all_lower, titlecase, code);
    on_word::<FULL>(out, st, w);
}

/// `plain_word` for a word of at most 8 bytes (`packed` in a `u64`), looked up in the
/// one-level table of short words.
#[inline(always)]
fn plain_word8<const FULL: bool>(
    out: &mut Scan,
    st: &mut State,
    packed: u64,
    len: usize,
    trailing: u8,
    all_lower: bool,
    titlecase: bool,
) {
    let code = lexicon::lexicon_code8(st.lex, packed);
    let w = word::<FULL>(packed as u128, len, trailing, all_lower, titlecase, code);
    on_word::<FULL>(out, st, w);
}

/// The `Word` of a plain word of `len <= 16` bytes with its lexicon code.
#[inline(always)]
fn word<const FULL: bool>(
    packed: u128,
    len: usize,
    trailing: u8,
    all_lower: bool,
    titlecase: bool,
    code: Code,
) -> Word {
    Word {
        trailing,
        all_lower,
        titlecase,
        packed,
        lower_hash: if FULL { hash_packed(packed, len) } else { 0 },
        code,
    }
}

/// Record `count` possible anomalies at the current word for the windowed gate: some window of
/// `window` words may hold `min` of them when the latest `min` lie less than `window` apart.
#[cold]
fn note_anomalies(st: &mut State, count: u32) {
    let Some((min, window)) = st.window_gate else {
        return;
    };
    for _ in 0..count {
        st.ring[st.ring_len % RING] = st.n_words;
        st.ring_len += 1;
        if st.ring_len >= min as usize {
            let oldest = st.ring[(st.ring_len - min as usize) % RING];
            if st.n_words - oldest < window {
                st.salad_possible = true;
            }
        }
    }
}

/// The word-order evidence of one plain word, given the previous word on its line. Branch-free:
/// whether a word is in the lexicon, and what preceded it, are as random as the text.
#[inline(always)]
fn on_word<const FULL: bool>(out: &mut Scan, st: &mut State, w: Word) {
    st.categories[code_category(w.code)] += 1;
    let class = code_class(w.code);
    if FULL && w.all_lower {
        let (x, y) = bloom_bits(w.lower_hash);
        out.lower_seen[x / 64] |= 1 << (x % 64);
        out.lower_seen[y / 64] |= 1 << (y % 64);
    }
    let p = st.prev;
    let caps_candidate = (p.meta & LOWER_PLAIN != 0) & w.titlecase;
    // The same word twice: words of up to 16 bytes compare by their bytes (zero-padded, so
    // equal packed bytes mean equal lengths too), longer ones by hash (`long_word_key`).
    let same = p.packed == w.packed;
    let verdict = st.lex.pairs[(p.meta & 0xF0 | class) as usize];
    let anomalies = same as u8 + (p.meta & SENTENCE_END_BIT != 0 && w.all_lower) as u8 + verdict;
    let bound = anomalies as u32 + caps_candidate as u32;
    st.anomaly_bound += bound;
    // Anomalies are rare: whether a windowed gate wants them is asked only then.
    if bound > 0 {
        note_anomalies(st, bound);
    }
    if FULL {
        out.words.push(WordInfo {
            token: out.tokens.len() as u32 - 1,
            lower_hash: w.lower_hash,
            anomalies,
            caps_candidate,
            closed_class: class != NO_CLASS,
        });
    }
    st.n_words += 1;
    let plain = w.trailing == 0;
    let row = if plain { class } else { NO_CLASS };
    st.prev = Prev {
        packed: if plain { w.packed } else { u128::MAX },
        meta: (row << 4)
            | ((plain & w.all_lower) as u8 * LOWER_PLAIN)
            | ((STRIP[w.trailing as usize] & SENTENCE_END != 0) as u8 * SENTENCE_END_BIT),
    };
}

#[path = "scan_general.rs"]
mod general;
use general::general_token;

#[path = "scan_short.rs"]
mod short;
use short::{below8, load16, short_ascii_token16, short_ascii_token8, HIGH16, HIGH8};

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
