//! Answer-tree normalization before comparison: assignments (`x = 3`, `(x, y) = (3, 4)`,
//! `m + n = 25`) become their value, one-variable inequality chains become intervals, and `±`
//! expands into the set of both signs.

use super::expr::{Ans, Expr, RelOp};

/// Drop a leading `v =` / `v \in` (one variable on the left); expand `±` into a set.
pub(super) fn normalize(a: Ans) -> Ans {
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

/// `v = ...` with only variables on the left.
pub(super) fn assignment(items: &[Ans]) -> bool {
    items.len() == 2 && only_variables(&items[0])
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

pub(super) fn flip(op: RelOp) -> RelOp {
    match op {
        RelOp::Lt => RelOp::Gt,
        RelOp::Gt => RelOp::Lt,
        RelOp::Le => RelOp::Ge,
        RelOp::Ge => RelOp::Le,
        o => o,
    }
}
