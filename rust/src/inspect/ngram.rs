//! Archer's n-gram repetition statistics over a response's tokens (whitespace tokens here):
//! `repetition_ratio` = 1 - distinct n-grams / all n-grams, `maximum_frequency` = occurrences of
//! the most frequent n-gram (n = 20 by default; both 0 for texts shorter than n tokens).

use std::cell::RefCell;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NgramStats {
    pub repetition_ratio: f32,
    pub maximum_frequency: u32,
}

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

thread_local! {
    // Reused across calls on one thread.
    static TABLE: RefCell<Table> = const { RefCell::new(Table { slots: Vec::new(), generation: 0 }) };
}

pub fn ngram_stats(token_hashes: &[u64], n: usize) -> NgramStats {
    if n == 0 || token_hashes.len() < n {
        return NgramStats::default();
    }
    let total = token_hashes.len() - n + 1;
    let cap = (total * 2).next_power_of_two().max(64);
    let mask = cap - 1;
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
