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

// ---- Lookup table: one branch-free probe per text word, keyed by its packed lower-case bytes ----

/// A word's lexicon facts in one byte: its category index in bits 0..3 (`NO_CATEGORY` if none)
/// and its closed class in bits 3..7 (`NO_CLASS` if none). Branch-free consumers index tables
/// with the two fields instead of testing `Option`s: a text word's lexicon status is as random
/// as the text, so a branch on it is mispredicted often.
pub(super) type Code = u8;
pub(super) const NO_CATEGORY: u8 = CATEGORIES.len() as u8;
/// Pair-table index of a word of no closed class (`pair_class`).
pub(super) const NO_CLASS: u8 = 15;
pub(super) const NO_ENTRY: Code = NO_CATEGORY | NO_CLASS << 3;

#[inline(always)]
pub(super) fn code_category(code: Code) -> usize {
    (code & 7) as usize
}

/// The word's `pair_class`.
#[inline(always)]
pub(super) fn code_class(code: Code) -> u8 {
    code >> 3
}

/// A closed-class word's index in the pair table (`Lexicon::pairs`), `NO_CLASS` for others: its
/// `WordClass`, except that auxiliaries are split by the chains they start or end
/// (`auxiliary_chain`, "being" after a preposition), so that the two indices alone decide
/// `implausible_pair` for every pair of lexicon words (a test checks all of them).
pub(super) fn pair_class(w: &str) -> u8 {
    match word_class(w) {
        None => NO_CLASS,
        Some(WordClass::Auxiliary) => match w {
            "have" => WordClass::Auxiliary as u8,
            "has" | "had" => 8,
            "will" | "would" | "could" | "should" | "can" | "may" | "must" | "might" | "shall" => 9,
            "is" | "are" | "was" | "were" => 10,
            "do" | "does" | "did" => 11,
            "be" => 12,
            "been" => 13,
            "being" => 14,
            _ => panic!("auxiliary {w:?} has no pair class: add it to `pair_class`"),
        },
        Some(c) => c as u8,
    }
}

/// Word-order verdicts of two adjacent pair classes: 1 where `implausible_pair` holds, taken
/// from one word of each class.
fn pair_verdicts(words: &[&str]) -> [u8; 256] {
    let mut representative = [None; 16];
    for w in words {
        representative[pair_class(w) as usize].get_or_insert(*w);
    }
    let mut pairs = [0u8; 256];
    for a in 0..NO_CLASS {
        for b in 0..NO_CLASS {
            if let (Some(x), Some(y)) = (representative[a as usize], representative[b as usize]) {
                pairs[(a << 4 | b) as usize] = implausible_pair(x, y) as u8;
            }
        }
    }
    pairs
}

/// Slots of the perfect hash: 4096 one-byte slots for ~190 words.
const SLOT_BITS: u32 = 12;

/// The lexicon as a collision-free (perfect) hash: `multiplier` is searched when the table is
/// built so that every word has a slot of its own. A lookup is then one slot read, one word
/// compare and a select, with no branch: `slot` holds an index into `words`/`codes` (0: no
/// word; `words[0]` is 0, which no packed word equals).
pub(super) struct Lexicon {
    /// 1 where two adjacent words of these pair classes (`prev << 4 | next`) are an
    /// implausible pair, else 0 (always 0 for `NO_CLASS`).
    pub pairs: [u8; 256],
    multiplier: u64,
    slot: [u8; 1 << SLOT_BITS],
    // Fixed-size, so that a `u8` index needs no bounds check.
    words: [u128; 256],
    codes: [Code; 256],
    /// Words of at most 8 bytes again, one level deep (`lexicon_code8`): a slot holds the word
    /// itself (0: none) and its code.
    short_multiplier: u64,
    short_words: [u64; 1 << SHORT_BITS],
    short_codes: [Code; 1 << SHORT_BITS],
}

/// Slots of the one-level table of short words: 2048 for ~180 words.
const SHORT_BITS: u32 = 11;

/// The code of a word of 1..=8 bytes given as `pack_lower` of its bytes (in a `u64`): one slot
/// read, not two in a row as `lexicon_code`, since the lookup sits on the chain of dependent
/// loads that decides the word's evidence.
#[inline(always)]
pub(super) fn lexicon_code8(lex: &Lexicon, packed: u64) -> Code {
    let s = (packed.wrapping_mul(lex.short_multiplier) >> (64 - SHORT_BITS)) as usize;
    let code = lex.short_codes[s];
    if lex.short_words[s] == packed {
        code
    } else {
        NO_ENTRY
    }
}

/// An odd multiplier under which `keys` take distinct top-`bits` slots: the first of a fixed
/// sequence that does (deterministic, so every build agrees). Building the lexicon, both
/// searches included, takes well under 10 ms (a whole one-text run of `inspect_bench` printed
/// 0.00 s).
fn perfect_multiplier(keys: &[u64], bits: u32) -> u64 {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut taken = vec![false; 1 << bits];
    for _ in 0..10_000_000 {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let m = (z ^ (z >> 31)) | 1;
        taken.fill(false);
        if keys.iter().all(|&k| {
            let s = &mut taken[(k.wrapping_mul(m) >> (64 - bits)) as usize];
            !std::mem::replace(s, true)
        }) {
            return m;
        }
    }
    panic!(
        "no collision-free multiplier for {} keys in {bits} bits",
        keys.len()
    );
}

/// A packed word folded into 64 bits (the key of the perfect hash).
#[inline(always)]
fn fold(packed: u128) -> u64 {
    let lo = packed as u64;
    let hi = (packed >> 64) as u64;
    lo ^ hi.wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
}

#[inline(always)]
fn slot_of(packed: u128, multiplier: u64) -> usize {
    (fold(packed).wrapping_mul(multiplier) >> (64 - SLOT_BITS)) as usize
}

pub(super) fn lexicon_table() -> &'static Lexicon {
    static TABLE: OnceLock<Lexicon> = OnceLock::new();
    TABLE.get_or_init(build_lexicon)
}

fn build_lexicon() -> Lexicon {
    let mut words: Vec<&'static str> = Vec::new();
    for w in [LOGICAL_CONNECTIVES, VERIFICATION, REFLECTION, PLANNING]
        .iter()
        .flat_map(|l| l.iter())
        .chain(CLASS_WORDS)
    {
        if !words.contains(w) {
            words.push(w);
        }
    }
    assert!(words.len() < 256, "the lexicon must have < 256 words");
    let mut packed = vec![0u128];
    let mut codes = vec![NO_ENTRY];
    for w in &words {
        assert!(
            !w.is_empty() && w.len() <= 16,
            "lexicon word {w:?} must have 1..=16 bytes"
        );
        packed.push(pack_lower(w.as_bytes()));
        let cat = category(w).map_or(NO_CATEGORY, |c| c as u8);
        codes.push(cat | pair_class(w) << 3);
    }
    // Every word gets a slot of its own (a perfect hash), in both tables.
    let folded: Vec<u64> = packed[1..].iter().map(|&p| fold(p)).collect();
    let multiplier = perfect_multiplier(&folded, SLOT_BITS);
    let mut lex = Lexicon {
        pairs: pair_verdicts(&words),
        multiplier,
        slot: [0; 1 << SLOT_BITS],
        words: [0; 256],
        codes: [NO_ENTRY; 256],
        short_multiplier: 0,
        short_words: [0; 1 << SHORT_BITS],
        short_codes: [NO_ENTRY; 1 << SHORT_BITS],
    };
    for (i, &p) in packed.iter().enumerate().skip(1) {
        lex.slot[slot_of(p, multiplier)] = i as u8;
    }
    lex.words[..packed.len()].copy_from_slice(&packed);
    lex.codes[..codes.len()].copy_from_slice(&codes);
    // Words of at most 8 bytes: their packed form fits a `u64`.
    let short: Vec<(u64, Code)> = packed
        .iter()
        .zip(&codes)
        .skip(1)
        .filter(|(p, _)| **p >> 64 == 0)
        .map(|(p, c)| (*p as u64, *c))
        .collect();
    let keys: Vec<u64> = short.iter().map(|s| s.0).collect();
    lex.short_multiplier = perfect_multiplier(&keys, SHORT_BITS);
    for (k, c) in short {
        let s = (k.wrapping_mul(lex.short_multiplier) >> (64 - SHORT_BITS)) as usize;
        lex.short_words[s] = k;
        lex.short_codes[s] = c;
    }
    lex
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

/// The code of a word given as `pack_lower` of its bytes (1..=16 of them); `NO_ENTRY` for a
/// word not in the lexicon.
#[inline(always)]
pub(super) fn lexicon_code(lex: &Lexicon, packed: u128) -> Code {
    let i = lex.slot[slot_of(packed, lex.multiplier)] as usize;
    // The code is read next to the word, not after the compare: a word's lookup is a chain of
    // dependent loads that the next tokens' work waits on.
    let code = lex.codes[i];
    if lex.words[i] == packed {
        code
    } else {
        NO_ENTRY
    }
}

// Every word `word_class` knows, so one map lookup answers both questions.
pub(super) const CLASS_WORDS: &[&str] = &[
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
                let c = lexicon_code(lex, pack_lower(w.as_bytes()));
                assert_eq!(code_category(c), ci, "{w}");
                assert_eq!(code_class(c), pair_class(w), "{w}");
            }
        }
        for w in CLASS_WORDS {
            let c = lexicon_code(lex, pack_lower(w.as_bytes()));
            assert_eq!(code_class(c), pair_class(w), "{w}");
            assert_eq!(code_class(c) == NO_CLASS, word_class(w).is_none(), "{w}");
            assert_eq!(category(w).unwrap_or(4), code_category(c), "{w}");
        }
        assert_eq!(
            code_category(lexicon_code(lex, pack_lower(b"THEREFORE"))),
            0
        );
        for w in [
            "cat",
            "thee",
            "th",
            "therefores",
            "double-checked",
            "zzzzzzzzzzzzzzzz",
        ] {
            assert_eq!(lexicon_code(lex, pack_lower(w.as_bytes())), NO_ENTRY, "{w}");
        }
    }

    /// The one-level table of short words answers as the full lookup: on every lexicon word of
    /// at most 8 bytes, and on near misses and arbitrary 1..=8-byte strings.
    #[test]
    fn short_lookup_agrees_with_the_full_one() {
        let lex = lexicon_table();
        let short = |w: &[u8]| lexicon_code8(lex, pack_lower(w) as u64);
        let mut checked = 0;
        for w in [
            LOGICAL_CONNECTIVES,
            VERIFICATION,
            REFLECTION,
            PLANNING,
            CLASS_WORDS,
        ]
        .iter()
        .flat_map(|l| l.iter())
        .filter(|w| w.len() <= 8)
        {
            let full = lexicon_code(lex, pack_lower(w.as_bytes()));
            assert_ne!(full, NO_ENTRY, "{w}");
            assert_eq!(short(w.as_bytes()), full, "{w}");
            // Near misses: one byte more, one less, one changed.
            for v in [format!("{w}s"), w[1..].to_string(), format!("x{}", &w[1..])] {
                if (1..=8).contains(&v.len()) {
                    assert_eq!(
                        short(v.as_bytes()),
                        lexicon_code(lex, pack_lower(v.as_bytes()))
                    );
                }
            }
            checked += 1;
        }
        assert!(checked > 150, "{checked}");
        let mut state = 1u64;
        for _ in 0..100_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let len = 1 + (state >> 61) as usize;
            let w: Vec<u8> = (0..len)
                .map(|k| b"aeiostnh-'"[(state >> (8 * k)) as usize % 10])
                .collect();
            assert_eq!(short(&w), lexicon_code(lex, pack_lower(&w)), "{w:?}");
        }
    }
}

#[cfg(test)]
mod pair_tests {
    use super::*;

    /// The pair table decides every pair of lexicon words exactly as `implausible_pair` does.
    #[test]
    fn pair_table_agrees_with_the_rules_on_every_word_pair() {
        let lex = lexicon_table();
        let words: Vec<&str> = [LOGICAL_CONNECTIVES, VERIFICATION, REFLECTION, PLANNING]
            .iter()
            .flat_map(|l| l.iter().copied())
            .chain(CLASS_WORDS.iter().copied())
            .chain(["triangle", "x"])
            .collect();
        for a in &words {
            for b in &words {
                let (ca, cb) = (pair_class(a), pair_class(b));
                assert_eq!(
                    lex.pairs[(ca << 4 | cb) as usize] == 1,
                    implausible_pair(a, b),
                    "{a} {b}"
                );
            }
        }
    }
}
