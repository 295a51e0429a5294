//! Whole-text byte masks for the token scan: whitespace as a bit mask (one bit per byte), plus
//! whether the text holds any control character. SSE2 (part of every x86_64 CPU) does 16 bytes
//! per step; other targets use the plain byte loop, which the tests compare it with.

/// Bit `i % 64` of word `i / 64` is set when byte `i` is ASCII whitespace
/// (`\t \n \v \f \r` or space); bits past the end of the text are set.
#[derive(Debug, Default)]
pub(super) struct ByteMasks {
    pub space: Vec<u64>,
    /// A byte below 0x20 other than whitespace, or DEL.
    pub has_control: bool,
}

impl ByteMasks {
    pub fn build(&mut self, b: &[u8]) {
        self.space.clear();
        self.space.reserve(b.len() / 64 + 1);
        let mut control = false;
        let mut chunks = b.chunks_exact(64);
        for c in &mut chunks {
            let (space, ctl) = block(c.try_into().unwrap());
            self.space.push(space);
            control |= ctl;
        }
        let rest = chunks.remainder();
        let mut pad = [b' '; 64];
        pad[..rest.len()].copy_from_slice(rest);
        let (space, ctl) = block(&pad);
        self.space.push(space);
        self.has_control = control | ctl;
    }

    /// First whitespace byte after `pos` (the padding guarantees one).
    #[inline]
    pub fn next_space(&self, pos: usize) -> usize {
        let mut k = pos / 64;
        let mut w = self.space[k] & (u64::MAX << (pos % 64));
        while w == 0 {
            k += 1;
            w = self.space[k];
        }
        k * 64 + w.trailing_zeros() as usize
    }
}

#[inline]
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

#[inline]
fn is_control(c: u8) -> bool {
    (c < 0x20 && !is_space(c)) || c == 0x7F
}

/// Whitespace bits of 64 bytes, and whether any is a control character.
#[cfg(target_arch = "x86_64")]
#[inline]
fn block(c: &[u8; 64]) -> (u64, bool) {
    use std::arch::x86_64::*;
    let mut m = 0u64;
    let mut ctl = 0u32;
    for k in 0..4 {
        // SAFETY: SSE2 is part of the x86_64 baseline; the load reads bytes 16k..16k+16 of `c`.
        let (space, control) = unsafe {
            let v = _mm_loadu_si128(c.as_ptr().add(16 * k) as *const __m128i);
            // 9..=13 is `v - 9 <= 4` unsigned: min(t, 4) == t.
            let t = _mm_sub_epi8(v, _mm_set1_epi8(9));
            let tab_to_cr = _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(4)), t);
            let space = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(b' ' as i8)), tab_to_cr);
            // Below 0x20 is `min(v, 0x1f) == v`; DEL by equality.
            let low = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
            let del = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7F));
            let control = _mm_or_si128(_mm_andnot_si128(space, low), del);
            (
                _mm_movemask_epi8(space) as u32,
                _mm_movemask_epi8(control) as u32,
            )
        };
        m |= (space as u64) << (16 * k);
        ctl |= control;
    }
    (m, ctl != 0)
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn block(c: &[u8; 64]) -> (u64, bool) {
    block_scalar(c)
}

/// The definition `block` implements.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn block_scalar(c: &[u8; 64]) -> (u64, bool) {
    let space = c
        .iter()
        .enumerate()
        .fold(0u64, |m, (i, &x)| m | ((is_space(x) as u64) << i));
    (space, c.iter().any(|&x| is_control(x)))
}

/// ASCII letters of `b`. Branch-free with byte-wide counters over chunks of 255 bytes, so the
/// loop vectorises 16 or 32 bytes wide.
pub(super) fn count_ascii_letters(b: &[u8]) -> u32 {
    b.chunks(255)
        .map(|c| {
            c.iter().fold(0u8, |acc, &x| {
                acc + ((x | 0x20).wrapping_sub(b'a') < 26) as u8
            }) as u32
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simd_blocks_match_the_definition() {
        let mut c = [0u8; 64];
        for round in 0..300u32 {
            for (i, x) in c.iter_mut().enumerate() {
                *x = (i as u32 * 37 + round * 11)
                    .wrapping_mul(2_654_435_761)
                    .to_le_bytes()[3];
            }
            // Every byte value in some position, and runs of whitespace and controls.
            c[round as usize % 64] = (round % 256) as u8;
            if round % 3 == 0 {
                c.iter_mut().for_each(|x| *x &= 0x7F);
                c.iter_mut().filter(|x| **x < 0x20).for_each(|x| *x = b'\n');
            }
            assert_eq!(block(&c), block_scalar(&c), "round {round}");
        }
    }

    #[test]
    fn token_boundaries() {
        let text = format!("{}ab\tc{}d", " ".repeat(62), " ".repeat(70));
        let mut m = ByteMasks::default();
        m.build(text.as_bytes());
        assert_eq!(m.next_space(62), 64);
        assert_eq!(m.next_space(65), 66);
        assert_eq!(m.next_space(text.len() - 1), text.len());
        assert_eq!(m.space[0], u64::MAX >> 2);
        assert!(!m.has_control);
        m.build(b"a\x01b");
        assert!(m.has_control);
        m.build(b"");
        assert_eq!(m.space, vec![u64::MAX]);
    }
}
