//! Is an extracted answer equal to the ground truth? Both strings are parsed into answer trees,
//! normalized (a leading `v =` dropped, `±` expanded), and compared structurally: tuples and
//! intervals in order with matching brackets, sets and unions order-insensitively, relations up
//! to a constant factor, scalars by value (exact rationals exactly; irrationals numerically;
//! free variables at several rational points). See docs/verify-policy.md.

use num_rational::BigRational;
use num_traits::{Signed, Zero};

use super::budget::{Budget, Fail, Res, MAX_ANSWER_CHARS};
use super::eval::{div, eval, Env, Val};
use super::expr::{Ans, Expr, RelOp};
use super::lexer::lex;
use super::parse::parse;
use super::Status;

/// Tolerance for answers written with a decimal point against an irrational value.
const DECIMAL_RTOL: f64 = 1e-6;
/// Tolerance for symbolic irrationals (only floating-point rounding separates equal values).
const SYMBOLIC_RTOL: f64 = 1e-9;
const SYMBOLIC_ATOL: f64 = 1e-12;

/// Rational evaluation points for free variables (avoid integers, where removable
/// singularities such as (x^2-1)/(x-1) at x = 1 sit).
const POINTS: [(i64, i64); 8] = [
    (7, 5),
    (-11, 6),
    (13, 9),
    (5, 17),
    (-3, 11),
    (23, 7),
    (2, 13),
    (-17, 10),
];
const N_POINTS: usize = 4;

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
    let parsed_t = lex(t, budget).and_then(|toks| parse(toks, budget));
    let parsed_a = lex(a, budget).and_then(|toks| parse(toks, budget));
    match (parsed_a, parsed_t) {
        (Ok(pa), Ok(pt)) => {
            // Two equations are first compared as equations (`2y = 4x + 6` is `y = 2x + 3`).
            if matches!((&pa, &pt), (Ans::Rel(..), Ans::Rel(..)))
                && answers_equal(&pa, &pt, budget).unwrap_or(false)
            {
                return Status::Match;
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

/// Fast path for the most common case (DAPO integer answers): both sides plain integers.
fn plain_integers_equal(a: &str, t: &str) -> Option<bool> {
    fn digits(s: &str) -> Option<(bool, &str)> {
        let (neg, d) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        if d.is_empty() || d.len() > 40 || !d.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let d = d.trim_start_matches('0');
        Some((neg && !d.is_empty(), d))
    }
    let (x, y) = (digits(a)?, digits(t)?);
    Some(x == y)
}

/// Markdown emphasis around an answer (`**42**`) and a sentence-final period (`5.`).
fn strip_markup(s: &str) -> &str {
    let mut t = s.trim();
    loop {
        let before = t;
        t = t.trim_matches(|c: char| c == '*' || c.is_whitespace());
        if let Some(inner) = t.strip_prefix("__").and_then(|x| x.strip_suffix("__")) {
            t = inner;
        }
        if t.ends_with('.') && !t.ends_with("\\.") {
            t = &t[..t.len() - 1];
        }
        if t == before {
            return t;
        }
    }
}

/// `\quad`, `~`, `\ ` only: an empty box.
fn is_blank_math(s: &str) -> bool {
    let stripped: String = s
        .replace("\\quad", "")
        .replace("\\qquad", "")
        .chars()
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '$' | '~' | '{' | '}' | '\\' | ',' | '!' | ';')
        })
        .collect();
    stripped.is_empty()
}

/// Remove font/text wrappers, `$`, braces, parentheses and spaces: what is left of a
/// multiple-choice answer.
fn strip_wrappers(s: &str) -> String {
    let mut t = s.to_string();
    if t.contains('\\') {
        // Longer names first: `\textbf` must not leave `bf` behind.
        for w in [
            "\\displaystyle",
            "\\textbf",
            "\\textrm",
            "\\text",
            "\\mathrm",
            "\\mathbf",
            "\\mbox",
            "\\boxed",
            "\\left",
            "\\right",
        ] {
            t = t.replace(w, "");
        }
    }
    t.chars()
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '$' | '{' | '}' | '(' | ')' | '.' | '\\' | ':')
        })
        .collect()
}

/// A multiple-choice letter A-E (any case, any wrapper).
fn choice_letter(s: &str) -> Option<char> {
    if s.len() > 64 {
        return None;
    }
    let t = strip_wrappers(s);
    let mut it = t.chars();
    match (it.next(), it.next()) {
        (Some(c), None)
            if c.is_ascii_alphabetic() && ('a'..='e').contains(&c.to_ascii_lowercase()) =>
        {
            Some(c.to_ascii_uppercase())
        }
        _ => None,
    }
}

/// `(C) 120` / `\textbf{(C)} 120`: a choice letter in parentheses that opens the answer.
fn leading_choice(s: &str) -> Option<char> {
    let t: String = s
        .replace("\\textbf", "")
        .replace("\\text", "")
        .replace("\\mathrm", "")
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '{' | '}' | '$'))
        .collect();
    let b = t.as_bytes();
    if b.len() >= 3
        && b[0] == b'('
        && b[2] == b')'
        && (b'a'..=b'e').contains(&b[1].to_ascii_lowercase())
    {
        Some((b[1] as char).to_ascii_uppercase())
    } else {
        None
    }
}

/// Last resort for non-math answers (names, words): compare text without markup and case.
fn text_equal(a: &str, t: &str) -> bool {
    fn norm(s: &str) -> String {
        let mut x = s.to_string();
        for w in [
            "\\text",
            "\\textbf",
            "\\mathrm",
            "\\mathbf",
            "\\mbox",
            "\\left",
            "\\right",
            "\\displaystyle",
            "\\,",
            "\\!",
            "\\;",
            "\\ ",
        ] {
            x = x.replace(w, "");
        }
        x.chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '$' | '{' | '}' | '~'))
            .flat_map(|c| c.to_lowercase())
            .collect::<String>()
            .trim_end_matches('.')
            .to_string()
    }
    let (na, nt) = (norm(a), norm(t));
    !na.is_empty() && na == nt
}

/// Drop a leading `v =` / `v \in` (one variable on the left); expand `±` into a set.
fn normalize(a: Ans) -> Ans {
    match a {
        // `x = 3`, `(x, y) = (3, 4)`, `x \in [2, 5)`: only variables on the left.
        Ans::Rel(mut items, ops)
            if ops.len() == 1
                && matches!(ops[0], RelOp::Eq | RelOp::In)
                && only_variables(&items[0]) =>
        {
            normalize(items.pop().unwrap_or(Ans::Set(Vec::new())))
        }
        // `m + n = 25`: an expression in variables set equal to a constant is that constant.
        Ans::Rel(mut items, ops)
            if ops.len() == 1
                && ops[0] == RelOp::Eq
                && has_variables(&items[0])
                && !has_variables(&items[1]) =>
        {
            normalize(items.pop().unwrap_or(Ans::Set(Vec::new())))
        }
        // `a < x \le b`, `x > a`: an interval in the one variable.
        Ans::Rel(items, ops) if inequality_interval(&items, &ops).is_some() => {
            inequality_interval(&items, &ops).unwrap_or(Ans::Set(Vec::new()))
        }
        // `2x + 3 = y`: the variable on the right.
        Ans::Rel(mut items, ops)
            if ops.len() == 1
                && ops[0] == RelOp::Eq
                && matches!(items[1], Ans::Expr(Expr::Var(_))) =>
        {
            items.truncate(1);
            normalize(items.pop().unwrap_or(Ans::Set(Vec::new())))
        }
        Ans::Rel(items, ops) => Ans::Rel(items.into_iter().map(normalize).collect(), ops),
        Ans::Set(items) => Ans::Set(flatten_sets(items.into_iter().map(normalize).collect())),
        Ans::Union(items) => Ans::Union(items.into_iter().map(normalize).collect()),
        Ans::Bracket { open, close, items } => Ans::Bracket {
            open,
            close,
            items: items.into_iter().map(normalize).collect(),
        },
        Ans::Matrix(rows) => Ans::Matrix(
            rows.into_iter()
                .map(|r| r.into_iter().map(normalize).collect())
                .collect(),
        ),
        Ans::Expr(e) => {
            let mut variants = Vec::new();
            expand_pm(&e, &mut variants, 0);
            if variants.len() <= 1 {
                Ans::Expr(e)
            } else {
                Ans::Set(variants.into_iter().map(Ans::Expr).collect())
            }
        }
    }
}

/// `a < x < b` -> (a, b), `x \ge a` -> [a, ∞), `b > x` -> (-∞, b), ...; None when the
/// relation is not a one-variable inequality chain in one direction.
fn inequality_interval(items: &[Ans], ops: &[RelOp]) -> Option<Ans> {
    let less = ops.iter().all(|o| matches!(o, RelOp::Lt | RelOp::Le));
    let greater = ops.iter().all(|o| matches!(o, RelOp::Gt | RelOp::Ge));
    if !(less || greater) || ops.is_empty() || ops.len() > 2 {
        return None;
    }
    let (items, ops): (Vec<&Ans>, Vec<RelOp>) = if less {
        (items.iter().collect(), ops.to_vec())
    } else {
        (
            items.iter().rev().collect(),
            ops.iter().rev().map(|o| flip(*o)).collect(),
        )
    };
    let var = |a: &Ans| matches!(a, Ans::Expr(Expr::Var(_)));
    let inf = |neg: bool| {
        let e = Expr::Infinity;
        Ans::Expr(if neg { Expr::Neg(Box::new(e)) } else { e })
    };
    let closed = |o: RelOp| o == RelOp::Le;
    let (lo, lo_closed, hi, hi_closed) = match (items.len(), ops.as_slice()) {
        (3, [a, b]) if var(items[1]) && !var(items[0]) && !var(items[2]) => {
            (items[0].clone(), closed(*a), items[2].clone(), closed(*b))
        }
        (2, [a]) if var(items[0]) && !var(items[1]) => {
            (inf(true), false, items[1].clone(), closed(*a))
        }
        (2, [a]) if var(items[1]) && !var(items[0]) => {
            (items[0].clone(), closed(*a), inf(false), false)
        }
        _ => return None,
    };
    Some(Ans::Bracket {
        open: if lo_closed { '[' } else { '(' },
        close: if hi_closed { ']' } else { ')' },
        items: vec![lo, hi],
    })
}

/// A variable, or a tuple/set of variables.
fn only_variables(a: &Ans) -> bool {
    match a {
        Ans::Expr(Expr::Var(_)) => true,
        Ans::Bracket { items, .. } | Ans::Set(items) => {
            !items.is_empty() && items.iter().all(only_variables)
        }
        _ => false,
    }
}

fn has_variables(a: &Ans) -> bool {
    let mut found = false;
    let mut visit = |e: &Expr| e.walk(&mut |n| found |= matches!(n, Expr::Var(_)));
    match a {
        Ans::Expr(e) => visit(e),
        _ => return true,
    }
    found
}

/// `x = 1 or x = 2` lists whose items were `±` sets become one flat set.
fn flatten_sets(items: Vec<Ans>) -> Vec<Ans> {
    let mut out = Vec::new();
    for it in items {
        match it {
            Ans::Set(inner) if !inner.is_empty() => out.extend(inner),
            other => out.push(other),
        }
    }
    out
}

fn contains_pm(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |n| found |= matches!(n, Expr::PlusMinus(..)));
    found
}

/// All sign choices of the `±` in `e` (at most 8 variants).
fn expand_pm(e: &Expr, out: &mut Vec<Expr>, depth: usize) {
    if depth > 3 || !contains_pm(e) {
        out.push(e.clone());
        return;
    }
    for sign in [false, true] {
        let v = replace_first_pm(e, sign, &mut false);
        expand_pm(&v, out, depth + 1);
    }
}

fn replace_first_pm(e: &Expr, minus: bool, done: &mut bool) -> Expr {
    if *done {
        return e.clone();
    }
    let mut r = |x: &Expr| Box::new(replace_first_pm(x, minus, done));
    match e {
        Expr::PlusMinus(a, b) => {
            *done = true;
            let b2 = if minus {
                Expr::Neg(b.clone())
            } else {
                (**b).clone()
            };
            Expr::Add(vec![(**a).clone(), b2])
        }
        Expr::Add(v) => Expr::Add(v.iter().map(|x| *r(x)).collect()),
        Expr::Mul(v) => Expr::Mul(v.iter().map(|x| *r(x)).collect()),
        Expr::Neg(a) => Expr::Neg(r(a)),
        Expr::Div(a, b) => {
            let a2 = r(a);
            let b2 = r(b);
            Expr::Div(a2, b2)
        }
        Expr::Pow(a, b) => {
            let a2 = r(a);
            let b2 = r(b);
            Expr::Pow(a2, b2)
        }
        Expr::Percent(a) => Expr::Percent(r(a)),
        Expr::Call(f, a) => Expr::Call(*f, r(a)),
        other => other.clone(),
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

fn flip(op: RelOp) -> RelOp {
    match op {
        RelOp::Lt => RelOp::Gt,
        RelOp::Gt => RelOp::Lt,
        RelOp::Le => RelOp::Ge,
        RelOp::Ge => RelOp::Le,
        o => o,
    }
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

struct Point<'a> {
    names: &'a [String],
    index: usize,
}

impl Env for Point<'_> {
    fn get(&self, name: &str) -> Option<BigRational> {
        let k = self.names.iter().position(|n| n == name)?;
        let (p, q) = POINTS[(self.index + 3 * k) % POINTS.len()];
        Some(BigRational::new(p.into(), q.into()))
    }
}

fn free_vars(exprs: &[&Expr]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for e in exprs {
        e.walk(&mut |n| {
            if let Expr::Var(v) = n {
                if !names.contains(v) {
                    names.push(v.clone());
                }
            }
        });
    }
    names.sort();
    names
}

fn has_decimal(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |n| found |= matches!(n, Expr::Num { decimal: true, .. }));
    found
}

/// Split a top-level percent: (`a` for `a%`, true) or (e, false).
fn strip_percent(e: &Expr) -> (&Expr, bool) {
    match e {
        Expr::Percent(inner) => (inner, true),
        other => (other, false),
    }
}

fn scalars_equal(a: &Expr, t: &Expr, budget: &mut Budget) -> Res<bool> {
    let (av, ap) = strip_percent(a);
    let (tv, tp) = strip_percent(t);
    if ap == tp {
        return values_equal(av, tv, budget);
    }
    // Lenient percent: `a%` equals both a and a/100.
    if values_equal(av, tv, budget)? {
        return Ok(true);
    }
    let hundredth = |e: &Expr| Expr::Percent(Box::new(e.clone()));
    if ap {
        values_equal(&hundredth(av), tv, budget)
    } else {
        values_equal(av, &hundredth(tv), budget)
    }
}

/// Value equality at every evaluation point (one point when there are no free variables).
fn values_equal(a: &Expr, t: &Expr, budget: &mut Budget) -> Res<bool> {
    let names = free_vars(&[a, t]);
    let rtol = if has_decimal(a) || has_decimal(t) {
        DECIMAL_RTOL
    } else {
        SYMBOLIC_RTOL
    };
    let n_points = if names.is_empty() { 1 } else { N_POINTS };
    let mut compared = 0;
    for index in 0..n_points {
        let env = Point {
            names: &names,
            index,
        };
        let va = eval(a, &env, budget);
        let vt = eval(t, &env, budget);
        match (va, vt) {
            (Ok(x), Ok(y)) => {
                if !close(&x, &y, rtol)? {
                    return Ok(false);
                }
                compared += 1;
            }
            (Err(Fail::Undefined), Err(Fail::Undefined)) if !names.is_empty() => continue,
            (Err(e), _) => return Err(e),
            (_, Err(Fail::Undefined)) => return Ok(false),
            (_, Err(e)) => return Err(e),
        }
    }
    Ok(compared > 0)
}

fn close(x: &Val, y: &Val, rtol: f64) -> Res<bool> {
    Ok(match (x, y) {
        (Val::Exact(p), Val::Exact(q)) => p == q,
        (Val::Inf(s), Val::Inf(t)) => s == t,
        (Val::Inf(_), _) | (_, Val::Inf(_)) => false,
        _ => {
            let (p, q) = (x.approx()?, y.approx()?);
            let diff = (p - q).norm();
            let scale = p.norm().max(q.norm());
            diff <= rtol * scale || (rtol == SYMBOLIC_RTOL && diff <= SYMBOLIC_ATOL)
        }
    })
}

/// d1 = k * d2 for one constant k != 0 (k > 0 when `need_positive`) at every point.
fn proportional(d1: &Expr, d2: &Expr, need_positive: bool, budget: &mut Budget) -> Res<bool> {
    let names = free_vars(&[d1, d2]);
    let rtol = if has_decimal(d1) || has_decimal(d2) {
        DECIMAL_RTOL
    } else {
        SYMBOLIC_RTOL
    };
    let mut ratio: Option<Val> = None;
    for index in 0..N_POINTS.max(1) {
        let env = Point {
            names: &names,
            index,
        };
        let (Ok(x), Ok(y)) = (eval(d1, &env, budget), eval(d2, &env, budget)) else {
            continue;
        };
        let zx = matches!(&x, Val::Exact(r) if r.is_zero());
        let zy = matches!(&y, Val::Exact(r) if r.is_zero());
        if zx || zy {
            if zx != zy {
                return Ok(false);
            }
            continue;
        }
        let k = div(x, y, budget)?;
        if need_positive {
            let positive = match &k {
                Val::Exact(r) => r.is_positive(),
                Val::Approx(c) => c.re > 0.0 && c.im.abs() <= 1e-12 * c.re,
                Val::Inf(_) => false,
            };
            if !positive {
                return Ok(false);
            }
        }
        match &ratio {
            None => ratio = Some(k),
            Some(r0) => {
                if !close(r0, &k, rtol)? {
                    return Ok(false);
                }
            }
        }
        if names.is_empty() {
            break;
        }
    }
    Ok(ratio.is_some())
}
