//! Word lists: the reasoning-word categories counted per response, and the closed-class English
//! words the word-salad detector uses to spot word orders no English sentence produces.
//!
//! All lists are lowercase ASCII; a text word matches after lowercasing and stripping leading and
//! trailing punctuation.

use std::sync::OnceLock;

/// Reasoning-word categories, logged as `token/<name>` (and `token/pos_<name>`,
/// `token/neg_<name>`). Counts are occurrences per response.
pub const CATEGORIES: [&str; 4] = [
    "logical_connectives",
    "verification",
    "reflection",
    "planning",
];

/// Words that link steps of an argument (Archer's `logical_connectives`).
pub const LOGICAL_CONNECTIVES: &[&str] = &[
    "therefore",
    "thus",
    "hence",
    "so",
    "because",
    "since",
    "consequently",
    "however",
    "but",
    "moreover",
    "furthermore",
    "implies",
    "then",
    "accordingly",
    "whereas",
    "although",
    "otherwise",
    "conversely",
];
/// Self-checking.
pub const VERIFICATION: &[&str] = &[
    "check",
    "checks",
    "checked",
    "checking",
    "verify",
    "verifies",
    "verified",
    "verifying",
    "verification",
    "confirm",
    "confirms",
    "confirmed",
    "confirming",
    "double-check",
    "recheck",
    "re-check",
    "validate",
];
/// Hesitation and backtracking.
pub const REFLECTION: &[&str] = &[
    "wait",
    "hmm",
    "actually",
    "alternatively",
    "mistake",
    "oops",
    "reconsider",
    "re-examine",
    "rethink",
    "wrong",
    "instead",
    "perhaps",
    "maybe",
];
/// Structuring the solution.
pub const PLANNING: &[&str] = &[
    "first", "firstly", "second", "secondly", "next", "finally", "step", "suppose", "assume",
    "consider", "let", "goal", "plan", "approach",
];

/// Category index of a lowercase word, if any.
pub fn category(word: &str) -> Option<usize> {
    [LOGICAL_CONNECTIVES, VERIFICATION, REFLECTION, PLANNING]
        .iter()
        .position(|list| list.contains(&word))
}

/// Closed word classes for the word-salad detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordClass {
    Determiner,
    Preposition,
    Auxiliary,
    /// Subject pronouns (`we`, `they`); object pronouns (`them`, `us`, `you`) are `ObjectPronoun`.
    Pronoun,
    ObjectPronoun,
    Conjunction,
    Verb,
    Adverb,
}

pub fn word_class(w: &str) -> Option<WordClass> {
    use WordClass::*;
    Some(match w {
        "the" | "a" | "an" | "every" | "our" | "your" | "their" | "his" | "its" | "my" => {
            Determiner
        }
        "of" | "in" | "on" | "at" | "by" | "for" | "with" | "from" | "into" | "over" | "under"
        | "between" | "among" | "through" | "during" | "without" | "until" | "upon" | "against"
        | "about" | "after" | "before" | "within" | "onto" | "toward" | "towards" => Preposition,
        "could" | "would" | "should" | "will" | "can" | "may" | "must" | "might" | "shall"
        | "is" | "are" | "was" | "were" | "be" | "been" | "being" | "has" | "have" | "had"
        | "do" | "does" | "did" => Auxiliary,
        "i" | "he" | "she" | "we" | "they" => Pronoun,
        "you" | "me" | "him" | "us" | "them" => ObjectPronoun,
        "and" | "or" | "but" | "nor" | "than" | "because" | "although" | "though" => Conjunction,
        "came" | "took" | "knew" | "gave" | "went" | "felt" | "told" | "asked" | "turned"
        | "got" | "said" | "saw" | "seemed" | "thought" | "found" | "became" | "began"
        | "brought" | "wrote" | "sat" | "stood" | "lost" | "paid" | "met" | "ran" | "kept"
        | "held" | "heard" | "go" | "give" | "take" | "get" | "know" | "make" | "say" | "see"
        | "think" | "tell" | "become" | "seem" | "want" | "come" | "bring" | "begin" | "keep"
        | "write" => Verb,
        "again" | "ever" | "still" | "too" | "rather" | "however" | "once" | "just" | "also"
        | "not" | "here" | "there" | "then" | "now" | "never" | "often" | "perhaps" | "yet"
        | "already" | "soon" => Adverb,
        _ => return None,
    })
}

/// Is `a b` (two adjacent words, no punctuation between) an order English does not produce?
/// E.g. "the of", "your could", "from or", "the came", "were has", "of we".
pub fn implausible_pair(a: &str, b: &str) -> bool {
    match (word_class(a), word_class(b)) {
        (Some(ca), Some(cb)) => implausible_classes(ca, cb, a, b),
        _ => false,
    }
}

/// `implausible_pair` for words whose classes are already known.
pub fn implausible_classes(ca: WordClass, cb: WordClass, a: &str, b: &str) -> bool {
    use WordClass::*;
    match (ca, cb) {
        (Determiner, _)
        | (Preposition, Preposition)
        | (Preposition, Conjunction)
        | (Preposition, Verb)
        | (Preposition, Pronoun)
        | (Conjunction, Conjunction)
        | (Pronoun, Pronoun)
        | (Pronoun, ObjectPronoun)
        | (Pronoun, Determiner)
        | (Verb, Auxiliary) => true,
        (Preposition, Auxiliary) => b != "being",
        (Auxiliary, Auxiliary) => !auxiliary_chain(a, b),
        _ => false,
    }
}

fn auxiliary_chain(a: &str, b: &str) -> bool {
    matches!(
        (a, b),
        ("have" | "has" | "had", "been")
            | (
                "will" | "would" | "could" | "should" | "can" | "may" | "must" | "might" | "shall",
                "be" | "have"
            )
            | ("is" | "are" | "was" | "were", "being")
            | ("do" | "does" | "did", "not")
    )
}

// ---- Lookup table: one probe per text word, keyed by the word's packed lower-case bytes ----

#[derive(Clone, Copy)]
pub(super) struct Entry {
    pub category: Option<u8>,
    pub class: Option<WordClass>,
}

const LEX_BITS: u32 = 10;
/// Bits of the home-slot bitmap: 4096 bits for ~190 words, so ~5% of misses reach the table.
const PRESENT_BITS: u32 = 12;

/// One slot of the lookup table: the word packed into a `u128` (lowercase bytes, little-endian,
/// zero-padded; every lexicon word has 1..=16 bytes, so 0 marks an empty slot).
#[derive(Clone, Copy)]
pub(super) struct LexSlot {
    packed: u128,
    entry: Entry,
}

/// Open-addressing table of the lexicon keyed by a multiplicative hash of the packed word, which
/// the scan has in a register anyway. `present`, a 512-byte bitmap of the words' home slots,
/// answers most misses (most text words) without touching the table.
pub(super) struct Lexicon {
    present: [u64; (1 << PRESENT_BITS) / 64],
    slots: Vec<LexSlot>,
}

#[inline]
fn key(packed: u128) -> u64 {
    let lo = packed as u64;
    let hi = (packed >> 64) as u64;
    (lo ^ hi.wrapping_mul(0xC2B2_AE3D_27D4_EB4F)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

#[inline]
fn present_bit(k: u64) -> usize {
    (k >> (64 - PRESENT_BITS)) as usize
}

#[inline]
fn home_slot(k: u64) -> usize {
    (k >> (64 - LEX_BITS)) as usize
}

pub(super) fn lexicon_table() -> &'static Lexicon {
    static TABLE: OnceLock<Lexicon> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut words: Vec<(&'static str, Entry)> = Vec::new();
        let lists = [LOGICAL_CONNECTIVES, VERIFICATION, REFLECTION, PLANNING];
        for (ci, list) in lists.iter().enumerate() {
            for w in *list {
                words.push((
                    w,
                    Entry {
                        category: Some(ci as u8),
                        class: word_class(w),
                    },
                ));
            }
        }
        for w in CLASS_WORDS {
            if !words.iter().any(|(x, _)| x == w) {
                words.push((
                    w,
                    Entry {
                        category: None,
                        class: word_class(w),
                    },
                ));
            }
        }
        let mask = (1usize << LEX_BITS) - 1;
        let empty = LexSlot {
            packed: 0,
            entry: Entry {
                category: None,
                class: None,
            },
        };
        let mut table = vec![empty; 1 << LEX_BITS];
        let mut present = [0u64; (1 << PRESENT_BITS) / 64];
        for (w, e) in words {
            assert!(
                !w.is_empty() && w.len() <= 16,
                "lexicon word {w:?} must have 1..=16 bytes"
            );
            let packed = pack_lower(w.as_bytes());
            let k = key(packed);
            let bit = present_bit(k);
            present[bit / 64] |= 1 << (bit % 64);
            let mut slot = home_slot(k);
            while table[slot].packed != 0 {
                slot = (slot + 1) & mask;
            }
            table[slot] = LexSlot { packed, entry: e };
        }
        Lexicon {
            present,
            slots: table,
        }
    })
}

/// The bytes (at most 16) OR 0x20, packed little-endian. For letters, `-` and `'` (the only
/// bytes of a scanned word) this is exactly ASCII lowercasing.
#[inline]
pub(super) fn pack_lower(word: &[u8]) -> u128 {
    let mut buf = [0u8; 16];
    for (d, s) in buf.iter_mut().zip(word) {
        *d = s | 0x20;
    }
    u128::from_le_bytes(buf)
}

/// Entry of a word given as `pack_lower` of its bytes (1..=16 of them).
#[inline]
pub(super) fn lexicon_lookup(lex: &Lexicon, packed: u128) -> Option<Entry> {
    let k = key(packed);
    let bit = present_bit(k);
    if lex.present[bit / 64] & (1 << (bit % 64)) == 0 {
        return None;
    }
    let mask = (1usize << LEX_BITS) - 1;
    let mut slot = home_slot(k);
    loop {
        let s = &lex.slots[slot];
        if s.packed == packed {
            return Some(s.entry);
        }
        if s.packed == 0 {
            return None;
        }
        slot = (slot + 1) & mask;
    }
}

// Every word `word_class` knows, so one map lookup answers both questions.
const CLASS_WORDS: &[&str] = &[
    "the", "a", "an", "every", "our", "your", "their", "his", "its", "my", "of", "in", "on", "at",
    "by", "for", "with", "from", "into", "over", "under", "between", "among", "through", "during",
    "without", "until", "upon", "against", "about", "after", "before", "within", "onto", "toward",
    "towards", "could", "would", "should", "will", "can", "may", "must", "might", "shall", "is",
    "are", "was", "were", "be", "been", "being", "has", "have", "had", "do", "does", "did", "i",
    "you", "he", "she", "we", "they", "me", "him", "us", "them", "and", "or", "but", "nor", "than",
    "because", "although", "though", "came", "took", "knew", "gave", "went", "felt", "told",
    "asked", "turned", "got", "said", "saw", "seemed", "thought", "found", "became", "began",
    "brought", "wrote", "sat", "stood", "lost", "paid", "met", "ran", "kept", "held", "heard",
    "go", "give", "take", "get", "know", "make", "say", "see", "think", "tell", "become", "seem",
    "want", "come", "bring", "begin", "keep", "write", "again", "ever", "still", "too", "rather",
    "however", "once", "just", "also", "not", "here", "there", "then", "now", "never", "often",
    "perhaps", "yet", "already", "soon",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_pairs() {
        assert_eq!(category("therefore"), Some(0));
        assert_eq!(category("verify"), Some(1));
        assert_eq!(category("wait"), Some(2));
        assert_eq!(category("step"), Some(3));
        assert_eq!(category("triangle"), None);
        assert!(implausible_pair("the", "of"));
        assert!(implausible_pair("your", "could"));
        assert!(!implausible_pair("have", "been"));
        assert!(!implausible_pair("of", "the"));
        assert!(!implausible_pair("we", "know"));
        assert!(!implausible_pair("of", "them"));
        assert!(!implausible_pair("give", "them"));
        assert!(implausible_pair("from", "we"));
    }
}

#[cfg(test)]
mod lookup_tests {
    use super::*;

    #[test]
    fn lookup_finds_every_word_and_nothing_else() {
        let lex = lexicon_table();
        for (ci, list) in [LOGICAL_CONNECTIVES, VERIFICATION, REFLECTION, PLANNING]
            .iter()
            .enumerate()
        {
            for w in *list {
                let e = lexicon_lookup(lex, pack_lower(w.as_bytes()));
                assert_eq!(e.and_then(|e| e.category), Some(ci as u8), "{w}");
            }
        }
        for w in CLASS_WORDS {
            let e = lexicon_lookup(lex, pack_lower(w.as_bytes()));
            assert_eq!(e.and_then(|e| e.class), word_class(w), "{w}");
        }
        assert_eq!(
            lexicon_lookup(lex, pack_lower(b"THEREFORE")).and_then(|e| e.category),
            Some(0)
        );
        for w in [
            "cat",
            "thee",
            "th",
            "therefores",
            "double-checked",
            "zzzzzzzzzzzzzzzz",
        ] {
            assert!(
                lexicon_lookup(lex, pack_lower(w.as_bytes())).is_none(),
                "{w}"
            );
        }
    }
}
