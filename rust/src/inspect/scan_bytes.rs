//! Whole-text byte masks for the token scan: whitespace as a bit mask (one bit per byte), plus
//! whether the text holds any control character and how many ASCII letters it has. AVX2, where
//! the CPU has it (checked at run time), does 32 bytes per step in one pass; otherwise SSE2 (part
//! of every x86_64 CPU) does 16; other targets use the plain byte loop. The tests compare them.

/// Bit `i % 64` of word `i / 64` is set when byte `i` is ASCII whitespace
/// (`\t \n \v \f \r` or space); bits past the end of the text are set.
#[derive(Debug, Default)]
pub(super) struct ByteMasks {
    pub space: Vec<u64>,
    /// A byte below 0x20 other than whitespace, or DEL.
    pub has_control: bool,
    /// ASCII letters.
    pub letters: u32,
}

impl ByteMasks {
    pub fn build(&mut self, b: &[u8]) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (tested just above).
            unsafe { self.build_avx2(b) };
            return;
        }
        self.build_portable(b);
    }

    /// `build` without AVX2: SSE2 whitespace blocks, then a letter count.
    fn build_portable(&mut self, b: &[u8]) {
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
        self.letters = count_ascii_letters(b);
    }

    /// `build` in one AVX2 pass: whitespace bits, controls OR-ed into one vector, letters
    /// counted in byte lanes (flushed before they can overflow).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn build_avx2(&mut self, b: &[u8]) {
        use std::arch::x86_64::*;
        self.space.clear();
        self.space.reserve(b.len() / 64 + 1);
        let mut control = _mm256_setzero_si256();
        let mut lanes = _mm256_setzero_si256();
        let mut letters = 0u64;
        let mut in_lanes = 0;
        let mut chunks = b.chunks_exact(64);
        for c in &mut chunks {
            let c: &[u8; 64] = c.try_into().unwrap();
            self.space.push(chunk_avx2(c, &mut control, &mut lanes));
            // Each 64-byte chunk adds at most 2 to a byte lane.
            in_lanes += 1;
            if in_lanes == 127 {
                letters += flush_avx2(&mut lanes);
                in_lanes = 0;
            }
        }
        let rest = chunks.remainder();
        let mut pad = [b' '; 64];
        pad[..rest.len()].copy_from_slice(rest);
        self.space.push(chunk_avx2(&pad, &mut control, &mut lanes));
        letters += flush_avx2(&mut lanes);
        self.has_control = _mm256_movemask_epi8(control) != 0;
        // At most `b.len()` (< 2^32 bytes are scanned).
        self.letters = letters as u32;
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

/// Whitespace bits of 64 bytes (`half_avx2` on each half).
///
/// # Safety
///
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn chunk_avx2(
    c: &[u8; 64],
    control: &mut std::arch::x86_64::__m256i,
    lanes: &mut std::arch::x86_64::__m256i,
) -> u64 {
    use std::arch::x86_64::*;
    // The loads read bytes 0..32 and 32..64 of `c`.
    let v0 = _mm256_loadu_si256(c.as_ptr() as *const __m256i);
    let v1 = _mm256_loadu_si256(c.as_ptr().add(32) as *const __m256i);
    let lo = half_avx2(v0, control, lanes);
    let hi = half_avx2(v1, control, lanes);
    lo as u64 | (hi as u64) << 32
}

/// Whitespace bits of 32 bytes; their controls OR-ed into `control`, their letters added to the
/// byte lanes of `lanes`. Not inlined: inlined into the loop, LLVM rewrote the two mask moves of
/// a 64-byte chunk into 64 single-byte extracts (measured: 3x the instructions of this call).
///
/// # Safety
///
/// The CPU must have AVX2. (An `unsafe fn` rather than a safe one with `target_feature`, which
/// needs Rust 1.86: the crate builds on 1.85.)
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline(never)]
unsafe fn half_avx2(
    v: std::arch::x86_64::__m256i,
    control: &mut std::arch::x86_64::__m256i,
    lanes: &mut std::arch::x86_64::__m256i,
) -> u32 {
    use std::arch::x86_64::*;
    // 9..=13 is `v - 9 <= 4` unsigned: min(t, 4) == t.
    let t = _mm256_sub_epi8(v, _mm256_set1_epi8(9));
    let tab_to_cr = _mm256_cmpeq_epi8(_mm256_min_epu8(t, _mm256_set1_epi8(4)), t);
    let space = _mm256_or_si256(
        _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b' ' as i8)),
        tab_to_cr,
    );
    let low = _mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(0x1F)), v);
    let del = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(0x7F));
    *control = _mm256_or_si256(
        *control,
        _mm256_or_si256(_mm256_andnot_si256(space, low), del),
    );
    // A letter is `(v | 0x20) - 'a' <= 25` unsigned; its compare lane is -1.
    let l = _mm256_sub_epi8(
        _mm256_or_si256(v, _mm256_set1_epi8(0x20)),
        _mm256_set1_epi8(b'a' as i8),
    );
    let letter = _mm256_cmpeq_epi8(_mm256_min_epu8(l, _mm256_set1_epi8(25)), l);
    *lanes = _mm256_sub_epi8(*lanes, letter);
    _mm256_movemask_epi8(space) as u32
}

/// The sum of the byte lanes, which are cleared.
///
/// # Safety
///
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn flush_avx2(lanes: &mut std::arch::x86_64::__m256i) -> u64 {
    use std::arch::x86_64::*;
    let sums = _mm256_sad_epu8(*lanes, _mm256_setzero_si256());
    *lanes = _mm256_setzero_si256();
    (_mm256_extract_epi64::<0>(sums)
        + _mm256_extract_epi64::<1>(sums)
        + _mm256_extract_epi64::<2>(sums)
        + _mm256_extract_epi64::<3>(sums)) as u64
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

    /// The AVX2 pass (where the CPU has it) and the portable one agree on every field, on texts
    /// long enough to flush the letter lanes several times. On a CPU without AVX2 both sides
    /// are the portable pass, and only the letter count against its definition is tested.
    #[test]
    fn avx2_build_matches_the_portable_one() {
        let mut state = 7u64;
        for len in [0usize, 1, 63, 64, 65, 200, 8191, 8192, 8193, 40_000] {
            let b: Vec<u8> = (0..len)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    let x = (state >> 56) as u8;
                    // Mostly letters and spaces, sometimes anything (controls included).
                    if x < 200 {
                        b"ab Z\tq\nX"[x as usize % 8]
                    } else {
                        x
                    }
                })
                .collect();
            let (mut fast, mut slow) = (ByteMasks::default(), ByteMasks::default());
            fast.build(&b);
            slow.build_portable(&b);
            assert_eq!(fast.space, slow.space, "len {len}");
            assert_eq!(fast.has_control, slow.has_control, "len {len}");
            assert_eq!(fast.letters, slow.letters, "len {len}");
            assert_eq!(
                slow.letters as usize,
                b.iter().filter(|c| c.is_ascii_alphabetic()).count()
            );
        }
    }
}
