//! The short-token fast paths of the scan: an ASCII token of up to 15 bytes is loaded as one
//! register and the class of each of its bytes lands in that byte's high bit (SWAR), so each rule
//! is a few bit operations on the whole token. Every result equals `general_token`'s.

use super::*;

/// Bytes `start..start + len` (len <= 16) of `b` packed little-endian, zero above `len`.
#[inline(always)]
pub(super) fn load16(b: &[u8], start: usize, len: usize) -> u128 {
    match b.get(start..start + 16) {
        Some(w) => u128::from_le_bytes(w.try_into().unwrap()) & below16(len),
        None => {
            let mut buf = [0u8; 16];
            buf[..len].copy_from_slice(&b[start..start + len]);
            u128::from_le_bytes(buf)
        }
    }
}

/// `0x80` in every byte.
pub(super) const HIGH8: u64 = u64::MAX / 255 * 0x80;
pub(super) const HIGH16: u128 = u128::MAX / 255 * 0x80;

const ONES16: u128 = u128::MAX / 255;

/// High bit of each byte of `x` (all bytes < 0x80) that is >= `c`: adding `0x80 - c` carries
/// into bit 7 exactly then, and never out of the byte.
#[inline(always)]
fn ge16(x: u128, c: u8) -> u128 {
    x.wrapping_add(ONES16 * (0x80 - c) as u128) & HIGH16
}

/// High bit of each byte of `x` (all bytes < 0x80) equal to `c`.
#[inline(always)]
fn eq16(x: u128, c: u8) -> u128 {
    let t = x ^ (ONES16 * c as u128);
    !(t.wrapping_add(ONES16 * 0x7F) | t) & HIGH16
}

/// Bytes below `n` (n <= 8) of a `u64`: a table of its own, as the low halves of `below16`'s
/// entries cost more instructions (measured: +0.5M per batch).
#[inline(always)]
pub(super) fn below8(n: usize) -> u64 {
    static BELOW: [u64; 9] = {
        let mut t = [0u64; 9];
        let mut k = 1;
        while k <= 8 {
            t[k] = u64::MAX >> (8 * (8 - k));
            k += 1;
        }
        t
    };
    BELOW[n]
}

/// Bytes below `n` (n <= 16): a table, as a variable `u128` shift takes several instructions.
#[inline(always)]
fn below16(n: usize) -> u128 {
    static BELOW: [u128; 17] = {
        let mut t = [0u128; 17];
        let mut k = 1;
        while k <= 16 {
            t[k] = u128::MAX >> (8 * (16 - k));
            k += 1;
        }
        t
    };
    BELOW[n]
}

/// An ASCII token of 9..=15 bytes (or fewer, within 8 bytes of the text's end) in one `u128`
/// (`x`, zero above `len`): the class of every byte lands in that byte's high bit, so each rule
/// is a few bit operations on the whole token.
#[inline(always)]
pub(super) fn short_ascii_token16<const FULL: bool>(
    out: &mut Scan,
    st: &mut State,
    start: usize,
    len: usize,
    x: u128,
) {
    st.push_hash(hash_packed(x, len));
    st.total_chars += len as u64;
    let valid = HIGH16 & below16(len);
    let folded = x | (ONES16 * 0x20);
    let letters = ge16(folded, b'a') & !ge16(folded, b'z' + 1) & valid;
    if FULL {
        out.tokens.push(TokenInfo {
            start: start as u32,
            end: (start + len) as u32,
            chars: len as u32,
            // Too short for the base64 rule, and the text has no control characters
            // (`token_loop`): no junk.
            junk: false,
            groups: ((letters != 0) as u32) << Script::Latin.index(),
        });
    }
    if letters == 0 {
        st.prev = NO_PREV;
        return;
    }
    if letters != valid {
        // Commonest mixed case: a word and one trailing punctuation byte (`computation,`).
        let last = (x >> (8 * (len - 1))) as u8;
        if letters == valid ^ (0x80u128 << (8 * (len - 1))) && STRIP[last as usize] & TRAIL != 0 {
            let upper = letters & !(x << 2);
            let packed = folded & below16(len - 1);
            let title = upper == 0x80 && len > 2;
            plain_word::<FULL>(out, st, packed, len - 1, last, upper == 0, title);
            return;
        }
        short_ascii_word16::<FULL>(out, st, len, x);
        return;
    }
    // Letters only (most tokens of this length): the token is the word.
    let upper = letters & !(x << 2);
    let packed = folded & below16(len);
    // (Tokens of up to 8 bytes come here too at the end of a text: a lone capital is no
    // title-case word.)
    plain_word::<FULL>(
        out,
        st,
        packed,
        len,
        0,
        upper == 0,
        upper == 0x80 && len > 1,
    );
}

/// The plain word of an ASCII token of at most 16 bytes with at least one letter: ASCII letters
/// with inner `-`/`'`, after stripping punctuation.
#[inline(never)]
fn short_ascii_word16<const FULL: bool>(out: &mut Scan, st: &mut State, len: usize, x: u128) {
    let valid = HIGH16 & below16(len);
    let folded = x | (ONES16 * 0x20);
    let letters = ge16(folded, b'a') & !ge16(folded, b'z' + 1) & valid;
    let (ws, we, trailing) = if valid & !letters == 0 {
        (0, len, 0u8)
    } else {
        let byte = |k: usize| (x >> (8 * k)) as u8;
        let mut ws = 0;
        while ws < len && STRIP[byte(ws) as usize] & LEAD != 0 {
            ws += 1;
        }
        // The word must start with a letter (LaTeX, numbers and the like stop here); letters
        // are never trailing punctuation, so the end is found after it.
        if ws == len || letters & (0x80u128 << (8 * ws)) == 0 {
            st.prev = NO_PREV;
            return;
        }
        let mut we = len;
        let mut trailing = 0u8;
        while STRIP[byte(we - 1) as usize] & TRAIL != 0 {
            let c = byte(we - 1);
            if trailing == 0 || STRIP[c as usize] & SENTENCE_END != 0 {
                trailing = c;
            }
            we -= 1;
        }
        (ws, we, trailing)
    };
    let first = 0x80u128 << (8 * ws);
    let last = 0x80u128 << (8 * (we - 1));
    let core = valid & below16(we) & (u128::MAX << (8 * ws));
    if letters & first == 0
        || letters & last == 0
        || (core & !letters != 0 && core & !(letters | eq16(x, b'-') | eq16(x, b'\'')) != 0)
    {
        st.prev = NO_PREV;
        return;
    }
    let wlen = we - ws;
    let upper = ge16(x, b'A') & !ge16(x, b'Z' + 1) & core;
    let packed = ((x >> (8 * ws)) | (ONES16 * 0x20)) & below16(wlen);
    plain_word::<FULL>(
        out,
        st,
        packed,
        wlen,
        trailing,
        upper == 0,
        upper != 0 && wlen > 1 && upper == first,
    );
}

/// An ASCII token of 1..=8 bytes in one `u64` (`x`, zero above `len`): the commonest case,
/// written out by hand so that a plain word costs a few dozen instructions.
#[inline(always)]
pub(super) fn short_ascii_token8<const FULL: bool>(
    out: &mut Scan,
    st: &mut State,
    start: usize,
    len: usize,
    x: u64,
) {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES * 0x80;
    let ge = |x: u64, c: u8| x.wrapping_add(ONES * (0x80 - c) as u64) & HIGH;
    st.push_hash(hash8(x, len));
    st.total_chars += len as u64;
    let low = below8(len);
    let valid = HIGH & low;
    let folded = x | (ONES * 0x20);
    let letters = ge(folded, b'a') & !ge(folded, b'z' + 1) & valid;
    if FULL {
        out.tokens.push(TokenInfo {
            start: start as u32,
            end: (start + len) as u32,
            chars: len as u32,
            // Too short for the base64 rule, and the text has no control characters
            // (`token_loop`): no junk.
            junk: false,
            groups: ((letters != 0) as u32) << Script::Latin.index(),
        });
    }
    if letters != valid {
        // Not letters only: punctuation to strip, digits, or no word at all.
        if letters == 0 {
            st.prev = NO_PREV;
            return;
        }
        // Commonest mixed case: a word and one trailing punctuation byte (`problem.`).
        let last = (x >> (8 * (len - 1))) as u8;
        if letters == valid ^ (0x80 << (8 * (len - 1))) && STRIP[last as usize] & TRAIL != 0 {
            let upper = letters & !(x << 2);
            let packed = folded & (low >> 8);
            plain_word8::<FULL>(
                out,
                st,
                packed,
                len - 1,
                last,
                upper == 0,
                upper == 0x80 && len > 2,
            );
            return;
        }
        short_ascii_token8_mixed::<FULL>(out, st, len, x, letters);
        return;
    }
    // Letters only: the token is the word. Upper case is a letter with bit 5 clear.
    let upper = letters & !(x << 2);
    let packed = folded & low;
    plain_word8::<FULL>(
        out,
        st,
        packed,
        len,
        0,
        upper == 0,
        upper == 0x80 && len > 1,
    );
}

/// The word of an ASCII token of at most 8 bytes with letters and other bytes (`short_ascii_word16`
/// on a `u64`).
#[inline(always)]
fn short_ascii_token8_mixed<const FULL: bool>(
    out: &mut Scan,
    st: &mut State,
    len: usize,
    x: u64,
    letters: u64,
) {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES * 0x80;
    let byte = |k: usize| (x >> (8 * k)) as u8;
    let mut ws = 0;
    while ws < len && STRIP[byte(ws) as usize] & LEAD != 0 {
        ws += 1;
    }
    // The word must start with a letter; letters are never trailing punctuation.
    if ws == len || letters & (0x80 << (8 * ws)) == 0 {
        st.prev = NO_PREV;
        return;
    }
    let mut we = len;
    let mut trailing = 0u8;
    while STRIP[byte(we - 1) as usize] & TRAIL != 0 {
        let c = byte(we - 1);
        if trailing == 0 || STRIP[c as usize] & SENTENCE_END != 0 {
            trailing = c;
        }
        we -= 1;
    }
    let first = 0x80u64 << (8 * ws);
    let core = HIGH & below8(we) & (u64::MAX << (8 * ws));
    if letters & (0x80 << (8 * (we - 1))) == 0 {
        st.prev = NO_PREV;
        return;
    }
    if core & !letters != 0 {
        let eq = |c: u8| {
            let t = x ^ (ONES * c as u64);
            !(t.wrapping_add(ONES * 0x7F) | t) & HIGH
        };
        if core & !(letters | eq(b'-') | eq(b'\'')) != 0 {
            st.prev = NO_PREV;
            return;
        }
    }
    let wlen = we - ws;
    let upper = letters & core & !(x << 2);
    let packed = ((x >> (8 * ws)) | (ONES * 0x20)) & below8(wlen);
    plain_word8::<FULL>(
        out,
        st,
        packed,
        wlen,
        trailing,
        upper == 0,
        upper != 0 && wlen > 1 && upper == first,
    );
}
