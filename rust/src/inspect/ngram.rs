//! Archer's n-gram repetition statistics over a response's tokens (whitespace tokens here):
//! `repetition_ratio` = 1 - distinct n-grams / all n-grams, `maximum_frequency` = occurrences of
//! the most frequent n-gram (n = 20 by default; both 0 for texts shorter than n tokens).

use std::cell::RefCell;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NgramStats {
    pub repetition_ratio: f32,
    pub maximum_frequency: u32,
}

/// Open-addressing table of n-gram hashes: a slot is an n-gram's rolling hash and its tag, the
/// generation (call) that wrote it in the high 32 bits and its count in the low 32 bits, side by
/// side so that a probe touches one cache line. Slots from older generations count as empty, so
/// the table is never cleared between texts (clearing it would cost more than the tag test).
struct Table {
    slots: Vec<[u64; 2]>,
    generation: u32,
}

thread_local! {
    // Reused across calls on one thread.
    static TABLE: RefCell<Table> = const {
        RefCell::new(Table { slots: Vec::new(), generation: 0 })
    };
}

/// Polynomial base of the rolling hash of n consecutive token hashes (mod 2^64).
const B: u64 = 0x100_0000_01B3;

#[inline(never)]
pub fn ngram_stats(token_hashes: &[u64], n: usize) -> NgramStats {
    if n == 0 || token_hashes.len() < n {
        return NgramStats::default();
    }
    let total = token_hashes.len() - n + 1;
    // At most a quarter full: a probe seldom meets another n-gram's slot, a branch that goes
    // either way unpredictably (measured on the rollout batch alone: 0.95 ms at a quarter,
    // 1.8 ms at half, 2.9 ms full).
    let cap = (total * 4).next_power_of_two().max(64);
    TABLE.with(|t| {
        let mut t = t.borrow_mut();
        if t.slots.len() < cap || t.generation == u32::MAX {
            let len = t.slots.len().max(cap);
            t.slots = vec![[0; 2]; len];
            t.generation = 0;
        }
        t.generation += 1;
        let Table { slots, generation } = &mut *t;
        let (repeats, max) = count_ngrams(token_hashes, n, &mut slots[..cap], *generation);
        NgramStats {
            repetition_ratio: (1.0 - (total - repeats) as f64 / total as f64) as f32,
            maximum_frequency: max,
        }
    })
}

/// Repeated n-grams (occurrences after an n-gram's first) and the largest count, counting each
/// n-gram's rolling hash (64 bits) in `slots` (`[hash, tag]`; a power of two long, at most a
/// quarter full once all are in, so probing always ends; slots tagged with another generation
/// are empty).
fn count_ngrams(
    token_hashes: &[u64],
    n: usize,
    slots: &mut [[u64; 2]],
    generation: u32,
) -> (usize, u32) {
    // The unchecked slots below rely on this.
    assert!(slots.len().is_power_of_two() && slots.len() >= 2);
    let mask = slots.len() - 1;
    let shift = 64 - slots.len().trailing_zeros();
    // Tags of this generation are at least `current` (counts fit in 32 bits), older ones below
    // it (generations only grow until the table is reallocated). A new slot's tag is count 1.
    let current = u64::from(generation) << 32;
    // The rolling hash: the first window is summed up front, then each step adds one token and
    // drops the one n places back.
    let bn = (0..n).fold(1u64, |acc, _| acc.wrapping_mul(B));
    let mut h = token_hashes[..n]
        .iter()
        .fold(0u64, |h, &t| h.wrapping_mul(B).wrapping_add(t));
    let mut repeats = 0usize;
    let mut max = 1u32;
    let mut next = token_hashes[n..].iter().zip(token_hashes);
    loop {
        // The slot is the top bits of `h`: token hashes end with a multiplication, so their top
        // bits are well mixed, and so are those of their polynomial sum. (The slot only decides
        // where an n-gram is stored, never whether two are equal.)
        let mut slot = (h >> shift) as usize;
        // SAFETY: `slot < slots.len()` throughout: `h >> shift` has
        // `64 - shift = log2(slots.len())` bits, and each next slot is masked into the table.
        unsafe {
            loop {
                let s = slots.get_unchecked_mut(slot);
                if s[1] < current {
                    *s = [h, current | 1];
                    break;
                }
                if s[0] == h {
                    s[1] += 1;
                    max = max.max(s[1] as u32);
                    repeats += 1;
                    break;
                }
                slot = (slot + 1) & mask;
            }
        }
        let Some((&add, &drop)) = next.next() else {
            return (repeats, max);
        };
        h = h
            .wrapping_mul(B)
            .wrapping_add(add)
            .wrapping_sub(drop.wrapping_mul(bn));
    }
}

/// The implementation with generation-stamped slots, kept as the reference the table above must
/// equal exactly.
#[cfg(test)]
mod reference {
    use std::cell::RefCell;

    use super::NgramStats;

    /// Table slot: n-gram key, count, and the generation (call) that wrote it. Slots from older
    /// generations count as empty, so the table is never cleared between texts.
    #[derive(Clone, Copy, Default)]
    struct Slot {
        key: u64,
        count: u32,
        generation: u32,
    }

    struct Table {
        slots: Vec<Slot>,
        generation: u32,
    }

    pub(super) fn ngram_stats(token_hashes: &[u64], n: usize) -> NgramStats {
        if n == 0 || token_hashes.len() < n {
            return NgramStats::default();
        }
        let total = token_hashes.len() - n + 1;
        let cap = (total * 2).next_power_of_two().max(64);
        let mask = cap - 1;
        thread_local! {
            static TABLE: RefCell<Table> = const { RefCell::new(Table { slots: Vec::new(), generation: 0 }) };
        }
        TABLE.with(|t| {
            let mut t = t.borrow_mut();
            if t.slots.len() < cap || t.generation == u32::MAX {
                let len = t.slots.len().max(cap);
                t.slots = vec![Slot::default(); len];
                t.generation = 0;
            }
            t.generation += 1;
            let generation = t.generation;
            let table = &mut t.slots[..cap];
            // Polynomial rolling hash of n consecutive token hashes (mod 2^64): the first window is
            // summed up front, then each step adds one token and drops the one n places back, so
            // the loop body has no warm-up branches.
            const B: u64 = 0x100_0000_01B3;
            let bn = (0..n).fold(1u64, |acc, _| acc.wrapping_mul(B));
            let mut h = token_hashes[..n - 1]
                .iter()
                .fold(0u64, |h, &t| h.wrapping_mul(B).wrapping_add(t));
            let mut distinct = 0usize;
            let mut max = 0u32;
            let mut count = |h: u64| {
                let key = (h ^ (h >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                let mut slot = (key >> 32) as usize & mask;
                loop {
                    let e = &mut table[slot];
                    if e.generation != generation {
                        *e = Slot {
                            key,
                            count: 1,
                            generation,
                        };
                        distinct += 1;
                        max = max.max(1);
                        return;
                    }
                    if e.key == key {
                        e.count += 1;
                        max = max.max(e.count);
                        return;
                    }
                    slot = (slot + 1) & mask;
                }
            };
            h = h.wrapping_mul(B).wrapping_add(token_hashes[n - 1]);
            count(h);
            for (&add, &drop) in token_hashes[n..].iter().zip(token_hashes) {
                h = h
                    .wrapping_mul(B)
                    .wrapping_add(add)
                    .wrapping_sub(drop.wrapping_mul(bn));
                count(h);
            }
            NgramStats {
                repetition_ratio: (1.0 - distinct as f64 / total as f64) as f32,
                maximum_frequency: max,
            }
        })
    }
}

#[cfg(test)]
mod equivalence {
    use proptest::prelude::*;

    use super::*;

    fn same(tokens: &[u64], n: usize) -> Result<(), TestCaseError> {
        let a = ngram_stats(tokens, n);
        let b = reference::ngram_stats(tokens, n);
        prop_assert_eq!(a.repetition_ratio.to_bits(), b.repetition_ratio.to_bits());
        prop_assert_eq!(a.maximum_frequency, b.maximum_frequency);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Token streams from a small vocabulary (many repeats), hashes 0 included; texts of
        /// several sizes one after another, so the reused table shrinks and grows.
        #[test]
        fn equals_reference(
            texts in proptest::collection::vec(
                (proptest::collection::vec(0u64..6, 0..400), 1usize..25, any::<u64>()),
                1..5,
            )
        ) {
            for (tokens, n, salt) in texts {
                // Salted and unsalted (small values, hash 0) vocabularies.
                let salted: Vec<u64> = tokens.iter().map(|&t| t.wrapping_mul(salt)).collect();
                same(&tokens, n)?;
                same(&salted, n)?;
            }
        }
    }

    #[test]
    fn generations_wrap() {
        // Tags compare generations as numbers: run across the reallocation at u32::MAX.
        let looped: Vec<u64> = (0..300).map(|i| i % 7 * 0x9E37_79B9).collect();
        TABLE.with(|t| t.borrow_mut().generation = u32::MAX - 3);
        for k in 0..8 {
            same(&looped[k * 10..], 20).unwrap();
            same(&looped[..50 + k], 3).unwrap();
        }
        TABLE.with(|t| assert!(t.borrow().generation < 100));
    }

    #[test]
    fn zero_hashes_count() {
        // All-zero tokens: every n-gram hashes to 0.
        same(&[0; 50], 20).unwrap();
        same(&[0; 50], 1).unwrap();
        // An n-gram hashing to 0 among others: with n = 1 the hash is the token.
        same(&[0, 5, 0, 7, 0, 5], 1).unwrap();
        same(&[5, 7, 0], 1).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_repeated_ngrams() {
        let distinct: Vec<u64> = (0..50).collect();
        let s = ngram_stats(&distinct, 20);
        assert_eq!(s.repetition_ratio, 0.0);
        assert_eq!(s.maximum_frequency, 1);
        let looped: Vec<u64> = (0..60).map(|i| i % 3).collect();
        let s = ngram_stats(&looped, 20);
        // 41 n-grams, 3 distinct.
        assert!((s.repetition_ratio - (1.0 - 3.0 / 41.0)).abs() < 1e-6);
        assert_eq!(s.maximum_frequency, 14);
        assert_eq!(ngram_stats(&distinct[..5], 20), NgramStats::default());
    }
}
