//! The straightforward token scan that `scan` replaced, kept as the oracle of a differential
//! test: the fast scan must produce exactly the same `Scan` on any input.

use super::lexicon::{self, WordClass};
use super::scan::{bloom_bits, Scan, TokenInfo, WordInfo, BLOOM_WORDS};
use super::script::Script;
use super::tokens::{ascii_stats, hash_bytes, hash_lower, unicode_stats, TokenStats};

/// The reference scan of `text` (every field filled, as in `Scan::detail`).
pub fn reference_scan(text: &str) -> Scan {
    let mut out = Scan {
        lower_seen: vec![0; BLOOM_WORDS],
        ..Default::default()
    };
    scan_into(text, &mut out);
    out.n_words = out.words.len() as u32;
    out.total_chars = out.tokens.iter().map(|t| t.chars as u64).sum();
    out.detailed = true;
    out
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
    let text = super::scan::cut_to_u32(text);
    let b = text.as_bytes();
    let n = b.len();
    out.script_letters[Script::Latin.index()] =
        b[..n].iter().filter(|c| c.is_ascii_alphabetic()).count() as u32;
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
        // The word lists themselves, lowercased (the scan uses a lookup table).
        let lower = String::from_utf8(core.to_ascii_lowercase()).unwrap();
        if let Some(ci) = lexicon::category(&lower) {
            out.categories[ci] += 1;
        }
        let class = lexicon::word_class(&lower);
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
