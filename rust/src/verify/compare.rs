//! Is an extracted answer equal to the ground truth? Both strings are parsed into answer trees,
//! normalized (a leading `v =` dropped, `±` expanded), and compared structurally: tuples and
//! intervals in order with matching brackets, sets and unions order-insensitively, relations up
//! to a constant factor, scalars by value (exact rationals exactly; irrationals numerically;
//! free variables at several rational points). See docs/verify-policy.md.

use super::budget::{Budget, Fail, Res, MAX_ANSWER_CHARS};
use super::expr::{Ans, Expr, RelOp};
use super::lexer::lex;
use super::normalize::{assignment, flip, normalize};
use super::parse::parse;
use super::text::{
    choice_letter, is_blank_math, leading_choice, plain_integers_equal, strip_markup, text_equal,
};
use super::values::{all_defined, proportional, scalars_equal};
use super::Status;

/// The string without whitespace.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Decide the status of `answer` (already extracted) against `truth`.
pub fn judge(answer: &str, truth: &str, budget: &mut Budget) -> Status {
    let a = strip_markup(answer);
    let t = strip_markup(truth);
    if a.is_empty() || is_blank_math(a) {
        return Status::NoAnswer;
    }
    if a.chars().count() > MAX_ANSWER_CHARS || t.chars().count() > MAX_ANSWER_CHARS {
        return Status::Unparsable;
    }
    if let Some(equal) = plain_integers_equal(a, t) {
        return if equal {
            Status::Match
        } else {
            Status::Mismatch
        };
    }
    if let Some(tc) = choice_letter(t) {
        return match choice_letter(a).or_else(|| leading_choice(a)) {
            Some(ac) if ac == tc => Status::Match,
            Some(_) => Status::Mismatch,
            None => Status::Mismatch,
        };
    }
    // Written exactly like the truth (up to spaces): equal wherever defined, so one parse and
    // a definedness check replace the full comparison.
    if squash(a) == squash(t) {
        return match lex(a, budget).and_then(|toks| parse(toks, budget)) {
            Err(_) => Status::Match, // identical non-math text
            Ok(pa) => match all_defined(&normalize(pa), budget) {
                Ok(()) => Status::Match,
                Err(Fail::Undefined) => Status::Mismatch,
                Err(_) => Status::Unparsable,
            },
        };
    }
    let parsed_t = lex(t, budget).and_then(|toks| parse(toks, budget));
    let parsed_a = lex(a, budget).and_then(|toks| parse(toks, budget));
    match (parsed_a, parsed_t) {
        (Ok(pa), Ok(pt)) => {
            // Two equations are first compared as equations (`2y = 4x + 6` is `y = 2x + 3`).
            if let (Ans::Rel(ia, oa), Ans::Rel(it, ot)) = (&pa, &pt) {
                if answers_equal(&pa, &pt, budget).unwrap_or(false) {
                    return Status::Match;
                }
                // Two general equations that differ are different, even when both are
                // "something = 0"; only plain assignments (`x = 3`, `y = 3`) go on to compare
                // their values.
                let equations = |o: &[RelOp]| o.iter().all(|op| *op == RelOp::Eq);
                if equations(oa) && equations(ot) && !(assignment(ia) && assignment(it)) {
                    return Status::Mismatch;
                }
            }
            let pa = normalize(pa);
            let pt = normalize(pt);
            match answers_equal(&pa, &pt, budget) {
                Ok(true) => Status::Match,
                Ok(false) => Status::Mismatch,
                Err(Fail::Syntax) | Err(Fail::Budget) => Status::Unparsable,
                Err(Fail::Undefined) => Status::Mismatch,
            }
        }
        (Err(_), _) => {
            if text_equal(a, t) {
                Status::Match
            } else {
                Status::Unparsable
            }
        }
        (Ok(_), Err(_)) => {
            if text_equal(a, t) {
                Status::Match
            } else {
                Status::Mismatch
            }
        }
    }
}

fn answers_equal(a: &Ans, t: &Ans, budget: &mut Budget) -> Res<bool> {
    budget.spend(1)?;
    match (a, t) {
        (Ans::Expr(x), Ans::Expr(y)) => scalars_equal(x, y, budget),
        (
            Ans::Bracket {
                open: o1,
                close: c1,
                items: i1,
            },
            Ans::Bracket {
                open: o2,
                close: c2,
                items: i2,
            },
        ) => {
            if o1 != o2 || c1 != c2 || i1.len() != i2.len() {
                return Ok(false);
            }
            all_pairs(i1, i2, budget)
        }
        (Ans::Set(s1), Ans::Set(s2)) | (Ans::Union(s1), Ans::Union(s2)) => {
            sets_equal(s1, s2, budget)
        }
        (Ans::Set(s), other) | (other, Ans::Set(s)) if s.len() == 1 => {
            answers_equal(&s[0], other, budget)
        }
        (Ans::Matrix(r1), Ans::Matrix(r2)) => {
            if r1.len() != r2.len() || r1.iter().zip(r2).any(|(x, y)| x.len() != y.len()) {
                return Ok(false);
            }
            for (x, y) in r1.iter().zip(r2) {
                if !all_pairs(x, y, budget)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        (Ans::Rel(i1, o1), Ans::Rel(i2, o2)) => relations_equal(i1, o1, i2, o2, budget),
        _ => Ok(false),
    }
}

fn all_pairs(x: &[Ans], y: &[Ans], budget: &mut Budget) -> Res<bool> {
    for (p, q) in x.iter().zip(y) {
        if !answers_equal(p, q, budget)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Every element of each side equals some element of the other.
fn sets_equal(s1: &[Ans], s2: &[Ans], budget: &mut Budget) -> Res<bool> {
    for (x, y) in [(s1, s2), (s2, s1)] {
        for p in x {
            let mut found = false;
            for q in y {
                if answers_equal(p, q, budget).unwrap_or(false) {
                    found = true;
                    break;
                }
            }
            if !found {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

fn relations_equal(
    i1: &[Ans],
    o1: &[RelOp],
    i2: &[Ans],
    o2: &[RelOp],
    budget: &mut Budget,
) -> Res<bool> {
    if i1.len() != i2.len() {
        return Ok(false);
    }
    if o1 == o2 && all_pairs(i1, i2, budget).unwrap_or(false) {
        return Ok(true);
    }
    // The same chain read right to left: `a < x` is `x > a`.
    let rev_ops: Vec<RelOp> = o2.iter().rev().map(|o| flip(*o)).collect();
    let rev_items: Vec<Ans> = i2.iter().rev().cloned().collect();
    if o1 == rev_ops.as_slice() && all_pairs(i1, &rev_items, budget).unwrap_or(false) {
        return Ok(true);
    }
    // One (in)equation: equal when lhs-rhs differ by a constant factor (positive for <, ≤).
    if o1.len() != 1 {
        return Ok(false);
    }
    let (Ans::Expr(l1), Ans::Expr(r1), Ans::Expr(l2), Ans::Expr(r2)) =
        (&i1[0], &i1[1], &i2[0], &i2[1])
    else {
        return Ok(false);
    };
    let d1 = Expr::Add(vec![l1.clone(), Expr::Neg(Box::new(r1.clone()))]);
    let (d2, op2) = if o1[0] == o2[0] {
        (
            Expr::Add(vec![l2.clone(), Expr::Neg(Box::new(r2.clone()))]),
            o2[0],
        )
    } else if o1[0] == flip(o2[0]) {
        (
            Expr::Add(vec![r2.clone(), Expr::Neg(Box::new(l2.clone()))]),
            flip(o2[0]),
        )
    } else {
        return Ok(false);
    };
    let need_positive = matches!(op2, RelOp::Lt | RelOp::Le | RelOp::Gt | RelOp::Ge);
    proportional(&d1, &d2, need_positive, budget)
}
