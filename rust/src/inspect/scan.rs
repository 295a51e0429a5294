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

use super::lexicon::{self, lexicon_lookup, lexicon_table, Entry, Lexicon, WordClass};
use super::scan_bytes::{count_ascii_letters, ByteMasks};
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
    /// Lower-case bytes packed little-endian (words of at most 16 bytes; 0 otherwise).
    packed: u128,
    /// `hash_bytes` of the lower-case word: always in a detailed scan; otherwise only for words
    /// longer than 16 bytes (shorter ones compare by `packed`), else 0.
    lower_hash: u64,
    entry: Option<Entry>,
}

/// The previous plain word on this line.
#[derive(Clone, Copy)]
struct Prev {
    packed: u128,
    trailing: u8,
    all_lower: bool,
    lower_hash: u64,
    class: Option<WordClass>,
}

/// Running state and counters of one pass (kept out of `Scan` so they live in registers).
struct State<'a> {
    lex: &'a Lexicon,
    prev: Option<Prev>,
    has_control: bool,
    junk_tokens: u32,
    anomaly_bound: u32,
    all_groups: u32,
    n_words: u32,
    total_chars: u64,
    categories: [u32; lexicon::CATEGORIES.len()],
    /// Windowed anomaly gate: (min anomalies, window), the word indices of the latest anomalies
    /// (one entry per anomaly) and whether some window may hold enough of them.
    window_gate: Option<(u32, u32)>,
    ring: [u32; RING],
    ring_len: usize,
    salad_possible: bool,
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
    let b = text.as_bytes();
    let n = b.len().min(u32::MAX as usize);
    let b = &b[..n];
    let ascii_letters = count_ascii_letters(b);
    out.script_letters[Script::Latin.index()] = ascii_letters;
    // At most one token per two bytes (plus one): no reallocation inside the loop.
    out.token_hashes.reserve(n / 2 + 1);
    let mut masks = std::mem::take(&mut out.masks);
    masks.build(b);
    let mut st = State {
        lex: lexicon_table(),
        prev: None,
        has_control: masks.has_control,
        junk_tokens: 0,
        anomaly_bound: 0,
        // Every ASCII letter, in whatever token, puts Latin among the writing systems.
        all_groups: ((ascii_letters > 0) as u32) << Script::Latin.index(),
        n_words: 0,
        total_chars: 0,
        categories: [0; lexicon::CATEGORIES.len()],
        window_gate: gate.and_then(|g| {
            let w = g.anomaly_window?;
            (g.min_anomalies as usize <= RING).then_some((g.min_anomalies, w.max(1)))
        }),
        ring: [0; RING],
        ring_len: 0,
        salad_possible: gate.is_some_and(|g| g.min_anomalies == 0),
    };
    // Newlines end the previous word's line; found lazily, as they are rare between tokens.
    let mut next_newline = memchr::memchr(b'\n', b).unwrap_or(usize::MAX);
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
                st.prev = None;
                next_newline = memchr::memchr(b'\n', &b[start..]).map_or(usize::MAX, |j| start + j);
            }
            let above = space & (u64::MAX << offset);
            let end = if above != 0 {
                k * 64 + above.trailing_zeros() as usize
            } else {
                masks.next_space((k + 1) * 64)
            }
            .min(n);
            let len = end - start;
            if len <= 8 && start + 8 <= n {
                let x = u64::from_le_bytes(b[start..start + 8].try_into().unwrap())
                    & (u64::MAX >> (8 * (8 - len)));
                if x & HIGH8 == 0 {
                    short_ascii_token8::<FULL>(out, &mut st, start, len, x);
                    continue;
                }
            } else if len <= 15 {
                let x = load16(b, start, len);
                if x & HIGH16 == 0 {
                    short_ascii_token16::<FULL>(out, &mut st, start, len, x);
                    continue;
                }
            }
            general_token::<FULL>(out, &mut st, text, start, end);
        }
        if let Some(g) = gate {
            let many_scripts = st.all_groups & st.all_groups.wrapping_sub(1) != 0
                && st.all_groups.count_ones() >= g.min_scripts;
            let salad = match st.window_gate {
                Some(_) => st.salad_possible,
                None => st.anomaly_bound >= g.min_anomalies,
            };
            if st.junk_tokens > 0 || salad || many_scripts {
                out.masks = masks;
                return false;
            }
        }
    }
    out.masks = masks;
    out.junk_tokens = st.junk_tokens;
    out.anomaly_bound = st.anomaly_bound;
    out.all_groups = st.all_groups;
    out.n_words = st.n_words;
    out.total_chars = st.total_chars;
    out.categories = st.categories;
    true
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
    let entry = if len <= 13 {
        lexicon_lookup(st.lex, packed)
    } else {
        None
    };
    let word = Word {
        trailing,
        all_lower,
        titlecase,
        packed,
        lower_hash: if FULL { hash_packed(packed, len) } else { 0 },
        entry,
    };
    on_word::<FULL>(out, st, word);
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

/// The word-order evidence of one plain word, given the previous word on its line.
#[inline(always)]
fn on_word<const FULL: bool>(out: &mut Scan, st: &mut State, w: Word) {
    if let Some(Entry {
        category: Some(ci), ..
    }) = w.entry
    {
        st.categories[ci as usize] += 1;
    }
    let class = w.entry.and_then(|e| e.class);
    if FULL && w.all_lower {
        let (x, y) = bloom_bits(w.lower_hash);
        out.lower_seen[x / 64] |= 1 << (x % 64);
        out.lower_seen[y / 64] |= 1 << (y % 64);
    }
    let mut anomalies = 0u8;
    let mut caps_candidate = false;
    // A newline resets `prev`: word order is only judged within a line.
    if let Some(p) = st.prev {
        if p.trailing == 0 {
            if p.all_lower && w.titlecase {
                caps_candidate = true;
            }
            // The same word twice: words of up to 16 bytes compare by their bytes
            // (zero-padded, so equal packed bytes mean equal lengths too).
            if p.packed == w.packed && p.lower_hash == w.lower_hash {
                anomalies += 1;
            }
            if let (Some(ca), Some(cb)) = (p.class, class) {
                // The classes decide; the words matter only for auxiliary chains.
                let needs_words = matches!(
                    (ca, cb),
                    (WordClass::Auxiliary, WordClass::Auxiliary)
                        | (WordClass::Preposition, WordClass::Auxiliary)
                );
                let bad = if needs_words {
                    let pa = p.packed.to_le_bytes();
                    let pb = w.packed.to_le_bytes();
                    // Class words are short: their bytes are the packed ones up to the first 0.
                    let bytes = |a: &[u8; 16]| a.iter().position(|&c| c == 0).unwrap_or(16);
                    let pw = std::str::from_utf8(&pa[..bytes(&pa)]).unwrap_or("");
                    let cw = std::str::from_utf8(&pb[..bytes(&pb)]).unwrap_or("");
                    lexicon::implausible_classes(ca, cb, pw, cw)
                } else {
                    lexicon::implausible_classes(ca, cb, "", "")
                };
                anomalies += bad as u8;
            }
        } else if matches!(p.trailing, b'.' | b'?' | b'!') && w.all_lower {
            anomalies += 1;
        }
    }
    let bound = anomalies as u32 + caps_candidate as u32;
    st.anomaly_bound += bound;
    if bound > 0 && st.window_gate.is_some() {
        note_anomalies(st, bound);
    }
    if FULL {
        out.words.push(WordInfo {
            token: out.tokens.len() as u32 - 1,
            lower_hash: w.lower_hash,
            anomalies,
            caps_candidate,
            closed_class: class.is_some(),
        });
    }
    st.n_words += 1;
    st.prev = Some(Prev {
        packed: w.packed,
        trailing: w.trailing,
        all_lower: w.all_lower,
        lower_hash: w.lower_hash,
        class,
    });
}

#[path = "scan_general.rs"]
mod general;
use general::general_token;

#[path = "scan_short.rs"]
mod short;
use short::{load16, short_ascii_token16, short_ascii_token8, HIGH16, HIGH8};

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
