//! Whole-text byte masks for the token scan: whitespace and newlines as bit masks (one bit per
//! byte), plus whether the text holds any control character and how many ASCII letters it has.
//! AVX2, where the CPU has it (checked at run time), does 32 bytes per step in one pass; otherwise
//! SSE2 (part of every x86_64 CPU) does 16; other targets use the plain byte loop. The tests
//! compare them.

/// Bit `i % 64` of word `i / 64` is set when byte `i` is ASCII whitespace
/// (`\t \n \v \f \r` or space); bits past the end of the text are set.
#[derive(Debug, Default)]
pub(super) struct ByteMasks {
    pub space: Vec<u64>,
    /// `\n` bytes, in the same layout (no bits past the end).
    pub newline: Vec<u64>,
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
        self.clear(b.len());
        let mut control = false;
        let mut chunks = b.chunks_exact(64);
        for c in &mut chunks {
            let (space, newline, ctl) = block(c.try_into().unwrap());
            self.space.push(space);
            self.newline.push(newline);
            control |= ctl;
        }
        let rest = chunks.remainder();
        let mut pad = [b' '; 64];
        pad[..rest.len()].copy_from_slice(rest);
        let (space, newline, ctl) = block(&pad);
        self.space.push(space);
        self.newline.push(newline);
        self.has_control = control | ctl;
        self.letters = count_ascii_letters(b);
    }

    /// `build` in one AVX2 pass: whitespace and newline bits, controls OR-ed into one vector,
    /// letters counted in byte lanes (flushed before they can overflow). The masks are sized
    /// first and written by index: no capacity test per block.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn build_avx2(&mut self, b: &[u8]) {
        use std::arch::x86_64::*;
        let blocks = b.len() / 64 + 1;
        self.space.clear();
        self.space.resize(blocks, 0);
        self.newline.clear();
        self.newline.resize(blocks, 0);
        let mut v = Avx2Blocks {
            control: _mm256_setzero_si256(),
            lanes: _mm256_setzero_si256(),
        };
        let mut letters = 0u64;
        let full = blocks - 1;
        let (space, newline) = (self.space.as_mut_ptr(), self.newline.as_mut_ptr());
        let mut k = 0;
        while k < full {
            // Each 64-byte block adds at most 2 to a byte lane: flush every 127 blocks.
            let stop = full.min(k + 127);
            while k < stop {
                // SAFETY: `k < full = b.len() / 64` blocks are whole; both masks have `blocks`
                // slots.
                let c = &*b.as_ptr().add(64 * k).cast::<[u8; 64]>();
                (*space.add(k), *newline.add(k)) = v.block(c);
                k += 1;
            }
            letters += v.flush();
        }
        let rest = &b[64 * full..];
        let mut pad = [b' '; 64];
        pad[..rest.len()].copy_from_slice(rest);
        (self.space[blocks - 1], self.newline[blocks - 1]) = v.block(&pad);
        letters += v.flush();
        self.has_control = _mm256_movemask_epi8(v.control) != 0;
        // At most `b.len()` (< 2^32 bytes are scanned).
        self.letters = letters as u32;
    }

    /// Empty masks with room for a text of `len` bytes.
    fn clear(&mut self, len: usize) {
        self.space.clear();
        self.space.reserve(len / 64 + 1);
        self.newline.clear();
        self.newline.reserve(len / 64 + 1);
    }

    /// First newline at or after `pos`, `usize::MAX` when there is none. A bit scan over the
    /// mask, as lines are short: a `memchr` call per line cost ~77 instructions (measured).
    #[inline]
    pub fn next_newline(&self, pos: usize) -> usize {
        let mut k = pos / 64;
        let Some(&first) = self.newline.get(k) else {
            return usize::MAX;
        };
        let mut w = first & (u64::MAX << (pos % 64));
        while w == 0 {
            k += 1;
            match self.newline.get(k) {
                Some(&next) => w = next,
                None => return usize::MAX,
            }
        }
        k * 64 + w.trailing_zeros() as usize
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

/// The running vectors of `ByteMasks::build_avx2`: controls seen, and ASCII letters per byte
/// lane.
#[cfg(target_arch = "x86_64")]
struct Avx2Blocks {
    control: std::arch::x86_64::__m256i,
    lanes: std::arch::x86_64::__m256i,
}

#[cfg(target_arch = "x86_64")]
impl Avx2Blocks {
    /// Whitespace and newline bits of 64 bytes; their controls OR-ed into `control`, their
    /// letters added to `lanes`.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX2. (An `unsafe fn` rather than a safe one with `target_feature`,
    /// which needs Rust 1.86: the crate builds on 1.85.)
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn block(&mut self, c: &[u8; 64]) -> (u64, u64) {
        use std::arch::x86_64::*;
        // The loads read bytes 0..32 and 32..64 of `c`.
        let (s0, n0) = self.half(_mm256_loadu_si256(c.as_ptr() as *const __m256i));
        let (s1, n1) = self.half(_mm256_loadu_si256(c.as_ptr().add(32) as *const __m256i));
        (s0 as u64 | (s1 as u64) << 32, n0 as u64 | (n1 as u64) << 32)
    }

    /// `block` on 32 bytes, inlined into the loop. An earlier build kept it out of line (its
    /// inlined form had compiled to byte-by-byte mask code); as a call, the two running vectors
    /// went through memory and `vzeroupper` ran every time: 96 instructions per 64 bytes, against
    /// 51 now (counted under callgrind).
    ///
    /// # Safety
    ///
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn half(&mut self, v: std::arch::x86_64::__m256i) -> (u32, u32) {
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
        self.control = _mm256_or_si256(
            self.control,
            _mm256_or_si256(_mm256_andnot_si256(space, low), del),
        );
        // A letter is `(v | 0x20) - 'a' <= 25` unsigned; its compare lane is -1.
        let l = _mm256_sub_epi8(
            _mm256_or_si256(v, _mm256_set1_epi8(0x20)),
            _mm256_set1_epi8(b'a' as i8),
        );
        let letter = _mm256_cmpeq_epi8(_mm256_min_epu8(l, _mm256_set1_epi8(25)), l);
        self.lanes = _mm256_sub_epi8(self.lanes, letter);
        let newline = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\n' as i8));
        (
            _mm256_movemask_epi8(space) as u32,
            _mm256_movemask_epi8(newline) as u32,
        )
    }

    /// The sum of the byte lanes, which are cleared.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn flush(&mut self) -> u64 {
        use std::arch::x86_64::*;
        let sums = _mm256_sad_epu8(self.lanes, _mm256_setzero_si256());
        self.lanes = _mm256_setzero_si256();
        (_mm256_extract_epi64::<0>(sums)
            + _mm256_extract_epi64::<1>(sums)
            + _mm256_extract_epi64::<2>(sums)
            + _mm256_extract_epi64::<3>(sums)) as u64
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

/// Whitespace and newline bits of 64 bytes, and whether any is a control character.
#[cfg(target_arch = "x86_64")]
#[inline]
fn block(c: &[u8; 64]) -> (u64, u64, bool) {
    use std::arch::x86_64::*;
    let mut m = 0u64;
    let mut nl = 0u64;
    let mut ctl = 0u32;
    for k in 0..4 {
        // SAFETY: SSE2 is part of the x86_64 baseline; the load reads bytes 16k..16k+16 of `c`.
        let (space, newline, control) = unsafe {
            let v = _mm_loadu_si128(c.as_ptr().add(16 * k) as *const __m128i);
            // 9..=13 is `v - 9 <= 4` unsigned: min(t, 4) == t.
            let t = _mm_sub_epi8(v, _mm_set1_epi8(9));
            let tab_to_cr = _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(4)), t);
            let space = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(b' ' as i8)), tab_to_cr);
            // Below 0x20 is `min(v, 0x1f) == v`; DEL by equality.
            let low = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
            let del = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7F));
            let control = _mm_or_si128(_mm_andnot_si128(space, low), del);
            let newline = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8));
            (
                _mm_movemask_epi8(space) as u32,
                _mm_movemask_epi8(newline) as u32,
                _mm_movemask_epi8(control) as u32,
            )
        };
        m |= (space as u64) << (16 * k);
        nl |= (newline as u64) << (16 * k);
        ctl |= control;
    }
    (m, nl, ctl != 0)
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn block(c: &[u8; 64]) -> (u64, u64, bool) {
    block_scalar(c)
}

/// The definition `block` implements.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn block_scalar(c: &[u8; 64]) -> (u64, u64, bool) {
    let bits = |f: fn(u8) -> bool| {
        c.iter()
            .enumerate()
            .fold(0u64, |m, (i, &x)| m | ((f(x) as u64) << i))
    };
    (
        bits(is_space),
        bits(|x| x == b'\n'),
        c.iter().any(|&x| is_control(x)),
    )
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
        assert_eq!(m.next_newline(0), usize::MAX);
        assert!(!m.has_control);
        let text = format!("a\n{}b\nc{}\n", " ".repeat(70), "x".repeat(200));
        m.build(text.as_bytes());
        assert_eq!(m.next_newline(0), 1);
        assert_eq!(m.next_newline(1), 1);
        assert_eq!(m.next_newline(2), 73);
        assert_eq!(m.next_newline(74), text.len() - 1);
        assert_eq!(m.next_newline(text.len()), usize::MAX);
        assert_eq!(m.next_newline(10_000), usize::MAX);
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
            assert_eq!(fast.newline, slow.newline, "len {len}");
            assert_eq!(fast.has_control, slow.has_control, "len {len}");
            assert_eq!(fast.letters, slow.letters, "len {len}");
            assert_eq!(
                slow.letters as usize,
                b.iter().filter(|c| c.is_ascii_alphabetic()).count()
            );
        }
    }
}
