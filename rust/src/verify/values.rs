//! Scalar value equality: exact rationals compare exactly, irrationals numerically (1e-9
//! relative for symbolic forms, 1e-6 when a decimal literal is involved), expressions with free
//! variables at several rational points, relations up to a constant factor; the lenient percent
//! rule lives here too.

use num_rational::BigRational;
use num_traits::{Signed, Zero};

use super::budget::{Budget, Fail, Res};
use super::eval::{div, eval, Env, Val};
use super::expr::{Ans, Expr};

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

pub(super) fn scalars_equal(a: &Expr, t: &Expr, budget: &mut Budget) -> Res<bool> {
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
pub(super) fn proportional(
    d1: &Expr,
    d2: &Expr,
    need_positive: bool,
    budget: &mut Budget,
) -> Res<bool> {
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

/// Every scalar in `a` has a value at some evaluation point: used when the answer is written
/// exactly like the ground truth, where only "is it defined at all" is left to decide
/// (`\frac{1}{0}` and overflowing towers are not answers even when copied).
pub(super) fn all_defined(a: &Ans, budget: &mut Budget) -> Res<()> {
    match a {
        Ans::Expr(e) => {
            let names = free_vars(&[e]);
            let n_points = if names.is_empty() { 1 } else { N_POINTS };
            for index in 0..n_points {
                match eval(
                    e,
                    &Point {
                        names: &names,
                        index,
                    },
                    budget,
                ) {
                    Ok(_) => return Ok(()),
                    Err(Fail::Undefined) => continue,
                    Err(other) => return Err(other),
                }
            }
            Err(Fail::Undefined)
        }
        Ans::Rel(items, _) | Ans::Bracket { items, .. } | Ans::Set(items) | Ans::Union(items) => {
            items.iter().try_for_each(|x| all_defined(x, budget))
        }
        Ans::Matrix(rows) => rows
            .iter()
            .flatten()
            .try_for_each(|x| all_defined(x, budget)),
    }
}
