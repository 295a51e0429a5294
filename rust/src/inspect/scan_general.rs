//! The general token path of the scan: a token with non-ASCII bytes, or of 16 bytes and more,
//! byte by byte (the common short ASCII tokens take the register paths of `scan_short`).

use super::*;

/// Any other token (non-ASCII, or 16 bytes and longer), byte by byte. `CONTROLS`: whether the
/// text has control characters at all (without, no token needs looking for them).
pub(super) fn general_token<const FULL: bool, const CONTROLS: bool>(
    out: &mut Scan,
    st: &mut State,
    text: &str,
    start: usize,
    end: usize,
) {
    let b = text.as_bytes();
    let tok = &b[start..end];
    st.push_hash(hash_bytes(tok));
    // Non-ASCII tokens need only `unicode_stats` (and the control test where controls exist);
    // ASCII ones get every byte fact from one pass.
    let ascii = tok.is_ascii();
    let summary = if ascii || CONTROLS {
        summarize(tok)
    } else {
        Summary::default()
    };
    let has_ctrl = summary.classes & CTRL != 0;
    let any_letter = summary.classes & ALPHA != 0;
    let s: TokenStats = if ascii && tok.len() < 16 {
        let mut s = TokenStats::new();
        s.chars = tok.len() as u32;
        s.alnum = (summary.classes & (ALPHA | DIGIT) != 0) as u32;
        if has_ctrl {
            s.control = tok.iter().filter(|&&c| c < 0x20 || c == 0x7F).count() as u32;
        }
        if any_letter {
            s.groups = 1 << Script::Latin.index();
        }
        s
    } else if ascii && !has_ctrl && !summary.base64_possible() {
        // Only controls and base64-like runs can make a long ASCII token junk: without either,
        // its character counts are not needed.
        let mut s = TokenStats::new();
        s.chars = tok.len() as u32;
        if any_letter {
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
    if !ascii || !any_letter {
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

const LOWER: u8 = 1;
const DIGIT: u8 = 2;
const CTRL: u8 = 4;
const UPPER: u8 = 8;
const ALPHA: u8 = LOWER | UPPER;

/// Byte classes: ASCII letters, digits, and controls (below 0x20 but whitespace, or DEL).
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let x = c as u8;
        t[c] = if x.is_ascii_lowercase() {
            LOWER
        } else if x.is_ascii_uppercase() {
            UPPER
        } else if x.is_ascii_digit() {
            DIGIT
        } else if (x < 0x20 && !matches!(x, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r'))
            || x == 0x7F
        {
            CTRL
        } else {
            0
        };
        c += 1;
    }
    t
};

/// What the general path needs of a token's bytes, from one pass.
#[derive(Default)]
struct Summary {
    /// Union of the bytes' `CLASS`es.
    classes: u8,
    /// 8 or more ASCII letters and digits in a row.
    alnum_run8: bool,
}

impl Summary {
    /// Whether the base64 rule (`TokenStats::is_junk`) can hold: it needs runs of >= 8 letters
    /// and digits that flip between lower case, upper case and digits, so two of those classes.
    fn base64_possible(&self) -> bool {
        let kinds = self.classes & (LOWER | UPPER | DIGIT);
        self.alnum_run8 && kinds & kinds.wrapping_sub(1) != 0
    }
}

fn summarize(tok: &[u8]) -> Summary {
    let (mut classes, mut run, mut longest) = (0u8, 0u32, 0u32);
    for &c in tok {
        let k = CLASS[c as usize];
        classes |= k;
        // Branch-free: the run grows on a letter or digit and restarts at 0 otherwise.
        run = (run + 1) * (k & (ALPHA | DIGIT) != 0) as u32;
        longest = longest.max(run);
    }
    Summary {
        classes,
        alnum_run8: longest >= 8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_matches_its_definition() {
        for tok in [
            &b""[..],
            b"abc",
            b"\\frac{n(n+1)(2n+1)}{6}$.",
            b"aGVsbG8gd29ybGQ=",
            b"abc1234x",
            b"abc1234",
            b"a\x01b\x7f",
            "na\u{ef}ve".as_bytes(),
        ] {
            let s = summarize(tok);
            let longest = tok
                .split(|c| !c.is_ascii_alphanumeric())
                .map(<[u8]>::len)
                .max()
                .unwrap_or(0);
            assert_eq!(s.alnum_run8, longest >= 8, "{tok:?}");
            assert_eq!(
                s.classes & ALPHA != 0,
                tok.iter().any(u8::is_ascii_alphabetic)
            );
            assert_eq!(
                s.classes & UPPER != 0,
                tok.iter().any(u8::is_ascii_uppercase)
            );
            assert_eq!(s.classes & DIGIT != 0, tok.iter().any(u8::is_ascii_digit));
            let ctrl = tok
                .iter()
                .any(|&c| (c < 0x20 && !c.is_ascii_whitespace() && c != 0x0B) || c == 0x7F);
            assert_eq!(s.classes & CTRL != 0, ctrl, "{tok:?}");
        }
    }
}
