//! A hard work budget per verification: every token, node and arithmetic step spends units, and
//! running out aborts the item with a verdict instead of a timer signal. Size caps (digits,
//! exponents, nesting) keep every single step small too.

/// Why a parse or evaluation gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fail {
    /// Not math we can read.
    Syntax,
    /// Too much work, too deep, too many digits.
    Budget,
    /// Mathematically undefined (division by zero, overflow to infinity).
    Undefined,
}

pub type Res<T> = Result<T, Fail>;

/// Units one verification may spend (tokens + nodes + bigint limbs touched).
pub const ITEM_BUDGET: i64 = 60_000;
/// Maximum nesting of groups/operators in one answer.
pub const MAX_DEPTH: usize = 60;
/// Longest answer string we try to parse (characters).
pub const MAX_ANSWER_CHARS: usize = 4_000;
/// Largest exact rational (numerator + denominator bits) before falling back to floating point.
pub const MAX_EXACT_BITS: u64 = 2_048;

#[derive(Debug)]
pub struct Budget {
    left: i64,
}

impl Budget {
    pub fn new(units: i64) -> Self {
        Budget { left: units }
    }

    #[inline]
    pub fn spend(&mut self, units: i64) -> Res<()> {
        self.left -= units;
        if self.left < 0 {
            Err(Fail::Budget)
        } else {
            Ok(())
        }
    }
}
