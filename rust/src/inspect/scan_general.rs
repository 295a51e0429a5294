//! The general token path of the scan: a token with non-ASCII bytes, or of 16 bytes and more,
//! byte by byte (the common short ASCII tokens take the register paths of `scan_short`).

use super::*;

/// Any other token (non-ASCII, or 16 bytes and longer), byte by byte.
pub(super) fn general_token<const FULL: bool>(
    out: &mut Scan,
    st: &mut State,
    text: &str,
    start: usize,
    end: usize,
) {
    let b = text.as_bytes();
    let tok = &b[start..end];
    st.push_hash(hash_bytes(tok));
    let ascii = tok.is_ascii();
    let has_ctrl = tok.iter().any(|&c| c < 0x20 || c == 0x7F);
    let s: TokenStats = if ascii && tok.len() < 16 {
        let mut s = TokenStats::new();
        s.chars = tok.len() as u32;
        s.alnum = tok.iter().any(u8::is_ascii_alphanumeric) as u32;
        s.control = tok.iter().filter(|&&c| c < 0x20 || c == 0x7F).count() as u32;
        if tok.iter().any(u8::is_ascii_alphabetic) {
            s.groups = 1 << Script::Latin.index();
        }
        s
    } else if ascii && !has_ctrl && longest_alnum_run(tok) < 8 {
        // Only controls and base64-like runs (of >= 8 letters and digits) can make a long
        // ASCII token junk: without either, its character counts are not needed.
        let mut s = TokenStats::new();
        s.chars = tok.len() as u32;
        if tok.iter().any(u8::is_ascii_alphabetic) {
            s.groups = 1 << Script::Latin.index();
        }
        s
    } else if ascii {
        ascii_stats(tok)
    } else {
        unicode_stats(&text[start..end], &mut out.script_letters)
    };
    let junk = (!ascii || tok.len() >= 16 || has_ctrl) && s.is_junk();
    st.junk_tokens += junk as u32;
    st.all_groups |= s.groups;
    st.total_chars += s.chars as u64;
    if FULL {
        out.tokens.push(TokenInfo {
            start: start as u32,
            end: end as u32,
            chars: s.chars,
            junk,
            groups: s.groups,
        });
    }
    if !ascii || !tok.iter().any(u8::is_ascii_alphabetic) {
        st.prev = NO_PREV;
        return;
    }
    let mut ws = 0;
    let mut we = tok.len();
    while ws < we && STRIP[tok[ws] as usize] & LEAD != 0 {
        ws += 1;
    }
    let mut trailing = 0u8;
    while we > ws && STRIP[tok[we - 1] as usize] & TRAIL != 0 {
        if trailing == 0 || STRIP[tok[we - 1] as usize] & SENTENCE_END != 0 {
            trailing = tok[we - 1];
        }
        we -= 1;
    }
    let core = &tok[ws..we];
    let is_word = !core.is_empty()
        && core.len() <= 24
        && core[0].is_ascii_alphabetic()
        && core[core.len() - 1].is_ascii_alphabetic()
        && core
            .iter()
            .all(|&c| c.is_ascii_alphabetic() || c == b'-' || c == b'\'');
    if !is_word {
        st.prev = NO_PREV;
        return;
    }
    let len = core.len();
    let all_lower = !core.iter().any(u8::is_ascii_uppercase);
    let titlecase = !all_lower
        && len > 1
        && core[0].is_ascii_uppercase()
        && !core[1..].iter().any(u8::is_ascii_uppercase);
    let mut lower = [0u8; 24];
    for (d, s) in lower.iter_mut().zip(core) {
        *d = s | 0x20;
    }
    if len <= 16 {
        let packed = u128::from_le_bytes(lower[..16].try_into().unwrap());
        plain_word::<FULL>(out, st, packed, len, trailing, all_lower, titlecase);
    } else {
        // Too long for the lexicon and the packed form: compared by hash.
        let hash = hash_bytes(&lower[..len]);
        let word = Word {
            trailing,
            all_lower,
            titlecase,
            packed: long_word_key(hash),
            lower_hash: hash,
            code: NO_ENTRY,
        };
        on_word::<FULL>(out, st, word);
    }
}

/// Length of the longest run of ASCII letters and digits.
fn longest_alnum_run(tok: &[u8]) -> usize {
    let (mut run, mut longest) = (0usize, 0usize);
    for &c in tok {
        run = if c.is_ascii_alphanumeric() {
            run + 1
        } else {
            0
        };
        longest = longest.max(run);
    }
    longest
}
