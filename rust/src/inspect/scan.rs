//! The single pass over a response's whitespace-separated tokens that feeds every detector:
//! letters per script (language drift), per-token junk evidence (gibberish), the word sequence
//! (word-salad evidence, reasoning-word counts) and token hashes (20-gram statistics).

use std::cell::RefCell;
use std::sync::OnceLock;

use super::lexicon::{self, WordClass};
use super::script::{classify, mixing_group, CharClass, Script};

/// Per-token facts the gibberish detector needs.
#[derive(Debug, Clone, Copy)]
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
#[derive(Debug, Clone, Copy)]
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
    pub tokens: Vec<TokenInfo>,
    pub words: Vec<WordInfo>,
    pub token_hashes: Vec<u64>,
    pub categories: [u32; lexicon::CATEGORIES.len()],
    /// Bloom filter of the lowercase-only words seen (2 bits per word).
    pub lower_seen: Vec<u64>,
    /// Tokens junk on their own, and an upper bound of word-salad anomalies: when both are small
    /// and few writing systems occur, the text cannot be gibberish (the fast path).
    pub junk_tokens: u32,
    pub anomaly_bound: u32,
    pub all_groups: u32,
}

const BLOOM_WORDS: usize = 256; // 16 Ki bits

impl Scan {
    pub fn seen_lowercase(&self, h: u64) -> bool {
        let (a, b) = bloom_bits(h);
        self.lower_seen[a / 64] & (1 << (a % 64)) != 0
            && self.lower_seen[b / 64] & (1 << (b % 64)) != 0
    }
}

fn bloom_bits(h: u64) -> (usize, usize) {
    let m = (BLOOM_WORDS * 64 - 1) as u64;
    ((h & m) as usize, ((h >> 32) & m) as usize)
}

#[derive(Clone, Copy)]
struct Entry {
    category: Option<u8>,
    class: Option<WordClass>,
}

const LEX_BITS: u32 = 10;

/// Open-addressing table of the lexicon keyed by `hash_bytes` of the lowercase word, so a text
/// word is looked up with the hash the scan computes anyway.
type LexSlot = Option<(u64, &'static str, Entry)>;

fn lexicon_table() -> &'static Vec<LexSlot> {
    static TABLE: OnceLock<Vec<LexSlot>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut words: Vec<(&'static str, Entry)> = Vec::new();
        let lists = [
            lexicon::LOGICAL_CONNECTIVES,
            lexicon::VERIFICATION,
            lexicon::REFLECTION,
            lexicon::PLANNING,
        ];
        for (ci, list) in lists.iter().enumerate() {
            for w in *list {
                words.push((
                    w,
                    Entry {
                        category: Some(ci as u8),
                        class: lexicon::word_class(w),
                    },
                ));
            }
        }
        for w in CLASS_WORDS {
            if !words.iter().any(|(x, _)| x == w) {
                words.push((
                    w,
                    Entry {
                        category: None,
                        class: lexicon::word_class(w),
                    },
                ));
            }
        }
        let mask = (1usize << LEX_BITS) - 1;
        let mut table = vec![None; 1 << LEX_BITS];
        for (w, e) in words {
            let h = hash_bytes(w.as_bytes());
            let mut slot = (h >> 40) as usize & mask;
            while table[slot].is_some() {
                slot = (slot + 1) & mask;
            }
            table[slot] = Some((h, w, e));
        }
        table
    })
}

fn lexicon_lookup(table: &[LexSlot], h: u64, word: &[u8]) -> Option<Entry> {
    let mask = (1usize << LEX_BITS) - 1;
    let mut slot = (h >> 40) as usize & mask;
    while let Some((eh, w, e)) = table[slot] {
        if eh == h && w.as_bytes().eq_ignore_ascii_case(word) {
            return Some(e);
        }
        slot = (slot + 1) & mask;
    }
    None
}

// Every word `lexicon::word_class` knows, so one map lookup answers both questions.
const CLASS_WORDS: &[&str] = &[
    "the", "a", "an", "every", "our", "your", "their", "his", "its", "my", "of", "in", "on", "at",
    "by", "for", "with", "from", "into", "over", "under", "between", "among", "through", "during",
    "without", "until", "upon", "against", "about", "after", "before", "within", "onto", "toward",
    "towards", "could", "would", "should", "will", "can", "may", "must", "might", "shall", "is",
    "are", "was", "were", "be", "been", "being", "has", "have", "had", "do", "does", "did", "i",
    "you", "he", "she", "we", "they", "me", "him", "us", "them", "and", "or", "but", "nor", "than",
    "because", "although", "though", "came", "took", "knew", "gave", "went", "felt", "told",
    "asked", "turned", "got", "said", "saw", "seemed", "thought", "found", "became", "began",
    "brought", "wrote", "sat", "stood", "lost", "paid", "met", "ran", "kept", "held", "heard",
    "go", "give", "take", "get", "know", "make", "say", "see", "think", "tell", "become", "seem",
    "want", "come", "bring", "begin", "keep", "write", "again", "ever", "still", "too", "rather",
    "however", "once", "just", "also", "not", "here", "there", "then", "now", "never", "often",
    "perhaps", "yet", "already", "soon",
];

/// `hash_bytes` of the ASCII-lowercased bytes (letters, `-` and `'` only), without a copy.
#[inline]
fn hash_lower(b: &[u8]) -> u64 {
    let mut buf = [0u8; 24];
    let n = b.len().min(24);
    for (d, s) in buf[..n].iter_mut().zip(b) {
        *d = s | 0x20;
    }
    hash_bytes(&buf[..n])
}

#[inline]
fn hash_bytes(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ b.len() as u64;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_le_bytes(c.try_into().unwrap());
        h = (h ^ v).wrapping_mul(0x0000_0100_0000_01B3).rotate_left(29);
    }
    let mut tail = 0u64;
    for (i, &x) in chunks.remainder().iter().enumerate() {
        tail |= (x as u64) << (8 * i);
    }
    h = (h ^ tail).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^ (h >> 31)
}

fn is_leading_punct(c: u8) -> bool {
    matches!(c, b'"' | b'\'' | b'(' | b'[' | b'*' | b'`' | b'_')
}

fn is_trailing_punct(c: u8) -> bool {
    matches!(
        c,
        b'.' | b',' | b';' | b':' | b'?' | b'!' | b')' | b']' | b'"' | b'\'' | b'*' | b'`' | b'_'
    )
}

/// Token-level junk evidence from character classes (rules documented in `gibberish`).
struct TokenStats {
    chars: u32,
    alnum: u32,
    pictograph: u32,
    control: u32,
    nonascii_symbol: u32,
    groups: u32,
    nonlatin_groups: u32,
    nonascii_latin: u32,
    mojibake: u32,
    run_len: u32,
    run_flips: u32,
    long_run_alnum: u32,
    long_run_flips: u32,
}

#[derive(PartialEq, Clone, Copy)]
enum RunClass {
    Lower,
    Upper,
    Digit,
}

impl TokenStats {
    fn new() -> Self {
        TokenStats {
            chars: 0,
            alnum: 0,
            pictograph: 0,
            control: 0,
            nonascii_symbol: 0,
            groups: 0,
            nonlatin_groups: 0,
            nonascii_latin: 0,
            mojibake: 0,
            run_len: 0,
            run_flips: 0,
            long_run_alnum: 0,
            long_run_flips: 0,
        }
    }

    #[inline]
    fn end_run(&mut self) {
        if self.run_len >= 8 {
            self.long_run_alnum += self.run_len;
            self.long_run_flips += self.run_flips;
        }
        self.run_len = 0;
        self.run_flips = 0;
    }

    fn is_junk(&self) -> bool {
        let n = self.chars;
        // Pictographs/box drawing/emoji/controls make up a third of the token.
        if (self.pictograph + self.control) * 3 >= n && self.pictograph + self.control > 0 {
            return true;
        }
        // Letters of two writing systems in one token (Latin plus one other is allowed: inline
        // variables in CJK/Cyrillic math), or accented Latin glued to another script.
        if self.nonlatin_groups >= 2 || (self.nonlatin_groups == 1 && self.nonascii_latin > 0) {
            return true;
        }
        // Symbol runs with no letter or digit: `∀:↔′♣`.
        if self.alnum == 0 && n >= 3 && self.nonascii_symbol > 0 {
            return true;
        }
        // Mojibake / byte-level BPE fragments: `Ã©`, `âĢĿ`, `Ġthe`.
        if self.mojibake > 0 {
            return true;
        }
        // Base64-like: long letter/digit runs that flip case or letter/digit constantly.
        if self.long_run_alnum >= 16 && self.long_run_flips * 10 >= self.long_run_alnum * 3 {
            return true;
        }
        false
    }
}

thread_local! {
    static SCAN: RefCell<Option<Scan>> = const { RefCell::new(None) };
}

/// Run `f` on the scan of `text` (buffers are reused across calls on one thread).
pub fn with_scan<R>(text: &str, f: impl FnOnce(&Scan) -> R) -> R {
    SCAN.with(|cell| {
        let mut slot = cell.borrow_mut();
        let scan = slot.get_or_insert_with(|| Scan {
            lower_seen: vec![0; BLOOM_WORDS],
            ..Default::default()
        });
        scan_into(text, scan);
        f(scan)
    })
}

#[inline]
fn lower_str<'a>(w: &[u8], buf: &'a mut [u8; 16]) -> &'a str {
    let n = w.len().min(16);
    for (d, s) in buf[..n].iter_mut().zip(w) {
        *d = s.to_ascii_lowercase();
    }
    std::str::from_utf8(&buf[..n]).unwrap_or("")
}

const SPACE: u8 = 1;
const LOWER: u8 = 2;
const UPPER: u8 = 4;
const DIGIT: u8 = 8;
const WORDPUNCT: u8 = 16;
const CTRL: u8 = 32;
const NONASCII: u8 = 64;
const PUNCT: u8 = 128;

/// Class bits of every byte value, for the fused token pass.
static BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0B | 0x0C) {
            SPACE
        } else if b.is_ascii_lowercase() {
            LOWER
        } else if b.is_ascii_uppercase() {
            UPPER
        } else if b.is_ascii_digit() {
            DIGIT
        } else if b == b'-' || b == b'\'' {
            WORDPUNCT
        } else if b < 0x20 || b == 0x7F {
            CTRL
        } else if b >= 0x80 {
            NONASCII
        } else {
            PUNCT
        };
        c += 1;
    }
    t
};

#[inline]
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0x0B | 0x0C)
}

fn scan_into(text: &str, out: &mut Scan) {
    out.script_letters = [0; Script::ALL.len()];
    out.tokens.clear();
    out.words.clear();
    out.token_hashes.clear();
    out.categories = [0; lexicon::CATEGORIES.len()];
    out.lower_seen.iter_mut().for_each(|w| *w = 0);
    out.junk_tokens = 0;
    out.anomaly_bound = 0;
    out.all_groups = 0;
    let lex = lexicon_table();
    let b = text.as_bytes();
    let n = b.len().min(u32::MAX as usize);
    // Branch-free so it vectorises: ASCII letters of the whole text.
    out.script_letters[Script::Latin.index()] = b[..n]
        .iter()
        .map(|&c| ((c | 0x20).wrapping_sub(b'a') < 26) as u32)
        .sum();
    let mut i = 0usize;
    let mut line_start = true;
    // The previous plain word on this line: (offset, length, trailing punctuation, all lower
    // case, lowercase hash, closed class).
    type Prev = (usize, usize, u8, bool, u64, Option<WordClass>);
    let mut prev: Option<Prev> = None;
    while i < n {
        let c = b[i];
        if is_space(c) {
            if c == b'\n' {
                line_start = true;
                prev = None;
            }
            i += 1;
            continue;
        }
        let start = i;
        // One tight pass finds the token's end and the union of its bytes' classes; counts are
        // taken afterwards only where a rule needs them.
        let mut or = 0u8;
        while i < n {
            let k = BYTE_CLASS[b[i] as usize];
            if k & SPACE != 0 {
                break;
            }
            or |= k;
            i += 1;
        }
        let tok = &b[start..i];
        let tok_hash = hash_bytes(tok);
        out.token_hashes.push(tok_hash);
        let ascii = or & NONASCII == 0;
        let st = if ascii && tok.len() < 16 {
            // Too short for the base64 rule: only control characters can make it junk.
            let mut st = TokenStats::new();
            st.chars = tok.len() as u32;
            st.alnum = (or & (LOWER | UPPER | DIGIT) != 0) as u32;
            if or & CTRL != 0 {
                st.control = tok.iter().filter(|&&c| c < 0x20 || c == 0x7F).count() as u32;
            }
            if or & (LOWER | UPPER) != 0 {
                st.groups = 1 << Script::Latin.index();
            }
            st
        } else if ascii {
            ascii_stats(tok)
        } else {
            unicode_stats(&text[start..i], &mut out.script_letters)
        };
        let junk = (!ascii || tok.len() >= 16 || or & CTRL != 0) && st.is_junk();
        out.junk_tokens += junk as u32;
        out.all_groups |= st.groups;
        let token_index = out.tokens.len() as u32;
        out.tokens.push(TokenInfo {
            start: start as u32,
            end: i as u32,
            chars: st.chars,
            junk,
            groups: st.groups,
        });

        // Plain word: ASCII letters with inner `-`/`'`, after stripping punctuation.
        if !ascii || or & (LOWER | UPPER) == 0 {
            prev = None;
            line_start = false;
            continue;
        }
        let (ws, we, trailing) = if or & !(LOWER | UPPER) == 0 {
            (0, tok.len(), 0u8)
        } else {
            let mut ws = 0;
            let mut we = tok.len();
            while ws < we && is_leading_punct(tok[ws]) {
                ws += 1;
            }
            let mut trailing = 0u8;
            while we > ws && is_trailing_punct(tok[we - 1]) {
                if trailing == 0 || matches!(tok[we - 1], b'.' | b'?' | b'!') {
                    trailing = tok[we - 1];
                }
                we -= 1;
            }
            (ws, we, trailing)
        };
        let core = &tok[ws..we];
        let is_word = !core.is_empty()
            && core.len() <= 24
            && core[0].is_ascii_alphabetic()
            && core[core.len() - 1].is_ascii_alphabetic()
            && (or & !(LOWER | UPPER) == 0
                || core
                    .iter()
                    .all(|&x| BYTE_CLASS[x as usize] & (LOWER | UPPER | WORDPUNCT) != 0));
        if !is_word {
            prev = None;
            line_start = false;
            continue;
        }
        let len = core.len();
        let all_lower = or & UPPER == 0 || !core.iter().any(u8::is_ascii_uppercase);
        let titlecase = !all_lower
            && len > 1
            && core[0].is_ascii_uppercase()
            && !core[1..].iter().any(u8::is_ascii_uppercase);
        let lower_hash = if all_lower && len == tok.len() {
            tok_hash
        } else {
            hash_lower(core)
        };
        let entry = if len <= 13 {
            lexicon_lookup(lex, lower_hash, core)
        } else {
            None
        };
        if let Some(Entry {
            category: Some(ci), ..
        }) = entry
        {
            out.categories[ci as usize] += 1;
        }
        let class = entry.and_then(|e| e.class);
        if all_lower {
            let (x, y) = bloom_bits(lower_hash);
            out.lower_seen[x / 64] |= 1 << (x % 64);
            out.lower_seen[y / 64] |= 1 << (y % 64);
        }
        let mut anomalies = 0u8;
        let mut caps_candidate = false;
        if let (Some((pstart, plen, ptrail, plower_only, phash, pclass)), false) =
            (prev, line_start)
        {
            if ptrail == 0 {
                if plower_only && titlecase {
                    caps_candidate = true;
                }
                if phash == lower_hash {
                    anomalies += 1;
                }
                if let (Some(ca), Some(cb)) = (pclass, class) {
                    // The classes decide; the words matter only for auxiliary chains.
                    let needs_words = matches!(
                        (ca, cb),
                        (WordClass::Auxiliary, WordClass::Auxiliary)
                            | (WordClass::Preposition, WordClass::Auxiliary)
                    );
                    let bad = if needs_words {
                        let mut pa = [0u8; 16];
                        let mut pb = [0u8; 16];
                        let pw = lower_str(&b[pstart..pstart + plen], &mut pa);
                        let cw = lower_str(core, &mut pb);
                        lexicon::implausible_classes(ca, cb, pw, cw)
                    } else {
                        lexicon::implausible_classes(ca, cb, "", "")
                    };
                    anomalies += bad as u8;
                }
            } else if matches!(ptrail, b'.' | b'?' | b'!') && all_lower {
                anomalies += 1;
            }
        }
        out.anomaly_bound += anomalies as u32 + caps_candidate as u32;
        out.words.push(WordInfo {
            token: token_index,
            lower_hash,
            anomalies,
            caps_candidate,
            closed_class: class.is_some(),
        });
        prev = Some((start + ws, len, trailing, all_lower, lower_hash, class));
        line_start = false;
    }
}

fn ascii_stats(tok: &[u8]) -> TokenStats {
    let mut st = TokenStats::new();
    st.chars = tok.len() as u32;
    let mut prev: Option<RunClass> = None;
    let mut n_letters = 0u32;
    for &c in tok {
        let rc = if c.is_ascii_lowercase() {
            Some(RunClass::Lower)
        } else if c.is_ascii_uppercase() {
            Some(RunClass::Upper)
        } else if c.is_ascii_digit() {
            Some(RunClass::Digit)
        } else {
            None
        };
        match rc {
            Some(r) => {
                st.alnum += 1;
                if r != RunClass::Digit {
                    n_letters += 1;
                }
                if st.run_len > 0 && prev != Some(r) {
                    st.run_flips += 1;
                }
                st.run_len += 1;
                prev = Some(r);
            }
            None => {
                if c < 0x20 || c == 0x7F {
                    st.control += 1;
                }
                st.end_run();
                prev = None;
            }
        }
    }
    st.end_run();
    if n_letters > 0 {
        st.groups = 1 << Script::Latin.index();
    }
    st
}

fn unicode_stats(tok: &str, letters: &mut [u32; Script::ALL.len()]) -> TokenStats {
    let mut st = TokenStats::new();
    let mut prev: Option<RunClass> = None;
    let mut prev_char = '\0';
    for ch in tok.chars() {
        st.chars += 1;
        let cls = classify(ch);
        let cp = ch as u32;
        // Mojibake: a UTF-8 lead byte read as Latin-1 (À..ÿ) followed by a continuation byte
        // read as Latin-1 (U+0080..U+00BF) or as byte-level BPE's remapped bytes (U+0100..U+0143);
        // and BPE's space/newline/tab markers Ġ Ċ ĉ.
        let pc = prev_char as u32;
        if (0xC0..=0xFF).contains(&pc)
            && pc != 0xD7
            && pc != 0xF7
            && ((0x80..=0xBF).contains(&cp) || (0x100..=0x143).contains(&cp))
        {
            st.mojibake += 1;
        }
        if matches!(cp, 0x120 | 0x10A | 0x109) {
            st.mojibake += 1;
        }
        prev_char = ch;
        let rc = match cls {
            CharClass::Letter(s) => {
                // ASCII letters are counted for the whole text in one pass (`scan_into`).
                if !ch.is_ascii() {
                    letters[s.index()] += 1;
                }
                if let Some(g) = mixing_group(s) {
                    let bit = 1u32 << g.index();
                    if st.groups & bit == 0 {
                        st.groups |= bit;
                        if g != Script::Latin {
                            st.nonlatin_groups += 1;
                        }
                    }
                }
                if s == Script::Latin && !ch.is_ascii() {
                    st.nonascii_latin += 1;
                }
                st.alnum += 1;
                if ch.is_ascii_lowercase() {
                    Some(RunClass::Lower)
                } else if ch.is_ascii_uppercase() {
                    Some(RunClass::Upper)
                } else {
                    None
                }
            }
            CharClass::Digit => {
                st.alnum += 1;
                if ch.is_ascii_digit() {
                    Some(RunClass::Digit)
                } else {
                    None
                }
            }
            CharClass::Pictograph => {
                st.pictograph += 1;
                st.nonascii_symbol += 1;
                None
            }
            CharClass::Control => {
                st.control += 1;
                None
            }
            CharClass::MathOrPunct => {
                st.nonascii_symbol += 1;
                None
            }
            CharClass::Mark | CharClass::AsciiPunct => None,
        };
        match rc {
            Some(r) => {
                if st.run_len > 0 && prev != Some(r) {
                    st.run_flips += 1;
                }
                st.run_len += 1;
                prev = Some(r);
            }
            None => {
                st.end_run();
                prev = None;
            }
        }
    }
    st.end_run();
    st
}
