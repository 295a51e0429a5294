//! Per-token character statistics and the junk rules applied to them (see `gibberish` for the
//! rules' rationale), plus the byte hashes shared by the scan and the lexicon table.

use super::script::{classify, mixing_group, CharClass, Script};

/// `hash_bytes` of the ASCII-lowercased bytes (letters, `-` and `'` only), without a copy.
#[cfg(test)]
pub(super) fn hash_lower(b: &[u8]) -> u64 {
    let mut buf = [0u8; 24];
    let n = b.len().min(24);
    for (d, s) in buf[..n].iter_mut().zip(b) {
        *d = s | 0x20;
    }
    hash_bytes(&buf[..n])
}

/// The token hash: 8-byte chunks mixed in one by one, the last 1..=8 bytes as a zero-padded
/// tail, then a finalizer. (So a token of up to 8 bytes, the common case, costs one multiply.)
#[inline]
pub(super) fn hash_bytes(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ b.len() as u64;
    let body = b.len().saturating_sub(1) / 8 * 8;
    for c in b[..body].chunks_exact(8) {
        let v = u64::from_le_bytes(c.try_into().unwrap());
        h = (h ^ v).wrapping_mul(0x0000_0100_0000_01B3).rotate_left(29);
    }
    let mut tail = 0u64;
    for (i, &x) in b[body..].iter().enumerate() {
        tail |= (x as u64) << (8 * i);
    }
    h = (h ^ tail).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^ (h >> 31)
}

/// `hash_bytes` of the `len <= 16` bytes packed little-endian in `x` (zero above `len`): the
/// same value from one register instead of a byte loop.
#[inline]
pub(super) fn hash_packed(x: u128, len: usize) -> u64 {
    let lo = x as u64;
    let hi = (x >> 64) as u64;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ len as u64;
    let tail = if len <= 8 {
        lo
    } else {
        h = (h ^ lo).wrapping_mul(0x0000_0100_0000_01B3).rotate_left(29);
        hi
    };
    h = (h ^ tail).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^ (h >> 31)
}

/// `hash_packed` of at most 8 bytes in a `u64`.
#[inline(always)]
pub(super) fn hash8(x: u64, len: usize) -> u64 {
    let h = (0xcbf2_9ce4_8422_2325 ^ len as u64 ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^ (h >> 31)
}

/// Token-level junk evidence from character classes (rules documented in `gibberish`).
pub(super) struct TokenStats {
    pub(super) chars: u32,
    pub(super) alnum: u32,
    pub(super) pictograph: u32,
    pub(super) control: u32,
    pub(super) nonascii_symbol: u32,
    pub(super) groups: u32,
    pub(super) nonlatin_groups: u32,
    pub(super) nonascii_latin: u32,
    pub(super) mojibake: u32,
    pub(super) run_len: u32,
    pub(super) run_flips: u32,
    pub(super) long_run_alnum: u32,
    pub(super) long_run_flips: u32,
}

#[derive(PartialEq, Clone, Copy)]
enum RunClass {
    Lower,
    Upper,
    Digit,
}

impl TokenStats {
    pub(super) fn new() -> Self {
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

    pub(super) fn is_junk(&self) -> bool {
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

pub(super) fn ascii_stats(tok: &[u8]) -> TokenStats {
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

pub(super) fn unicode_stats(tok: &str, letters: &mut [u32; Script::ALL.len()]) -> TokenStats {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_hash_equals_byte_hash() {
        let bytes: Vec<u8> = (0..16u8)
            .map(|i| i.wrapping_mul(97).wrapping_add(33))
            .collect();
        for len in 0..=16 {
            let mut buf = [0u8; 16];
            buf[..len].copy_from_slice(&bytes[..len]);
            assert_eq!(
                hash_packed(u128::from_le_bytes(buf), len),
                hash_bytes(&bytes[..len]),
                "len {len}"
            );
            if len <= 8 {
                assert_eq!(
                    hash8(u128::from_le_bytes(buf) as u64, len),
                    hash_bytes(&bytes[..len])
                );
            }
        }
    }
}
