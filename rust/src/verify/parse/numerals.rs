//! Numerals: decimals with exponents, repeating decimals, other bases, mixed-number fractions.

use super::*;

/// Largest power-of-ten exponent in a numeral (`1e999999` is refused).
const MAX_NUMERAL_EXP: i64 = 4_000;

pub(super) fn is_one(e: &Expr) -> bool {
    matches!(e, Expr::Num { value, .. } if value.is_one())
}

/// `\frac{p}{q}` with integer literals: the fractional part of a mixed number.
pub(super) fn mixed_fraction(e: &Expr) -> Option<Expr> {
    if let Expr::Div(a, b) = e {
        if let (
            Expr::Num {
                value: p,
                decimal: false,
            },
            Expr::Num {
                value: q,
                decimal: false,
            },
        ) = (&**a, &**b)
        {
            if p.is_integer() && q.is_integer() && p < q && !q.is_zero() {
                return Some(e.clone());
            }
        }
    }
    None
}

/// The exact value of a numeral: `digits` with `frac` of them after the point, times 10^exp.
pub fn numeral(digits: &str, frac: u32, exp: i64) -> Res<Expr> {
    if digits.len() > 20_000 {
        return Err(Fail::Budget);
    }
    let net = exp - frac as i64;
    if exp.abs() > MAX_NUMERAL_EXP || net.abs() > MAX_NUMERAL_EXP + 20_000 {
        return Err(Fail::Budget);
    }
    let mantissa: BigInt = digits.parse().map_err(|_| Fail::Syntax)?;
    let ten = BigInt::from(10);
    let value = if net >= 0 {
        BigRational::from_integer(mantissa * num_traits::pow(ten, net as usize))
    } else {
        BigRational::new(mantissa, num_traits::pow(ten, (-net) as usize))
    };
    Ok(Expr::Num {
        value,
        decimal: frac > 0 || exp != 0,
    })
}

/// `0.1\overline{6}` = (16 - 1) / 90: digits with `frac` after the point, then `rep` repeating.
pub(super) fn repeating(digits: &str, frac: u32, rep: &str) -> Res<Expr> {
    if digits.len() > 200 || frac > 200 {
        return Err(Fail::Budget);
    }
    let ten = BigInt::from(10);
    let head: BigInt = digits.parse().map_err(|_| Fail::Syntax)?;
    let cycle: BigInt = rep.parse().map_err(|_| Fail::Syntax)?;
    let period = num_traits::pow(ten.clone(), rep.len()) - BigInt::one();
    let scale = num_traits::pow(ten, frac as usize);
    let value = (BigRational::from_integer(head) + BigRational::new(cycle, period))
        / BigRational::from_integer(scale);
    Ok(Expr::num(value))
}

/// `1011_2`, `123_{4}`: a numeral in another base.
pub(super) fn based_numeral(digits: &str, frac: u32, exp: i64, base: &Expr) -> Res<Expr> {
    let Expr::Num { value, .. } = base else {
        return Err(Fail::Syntax);
    };
    if frac != 0 || exp != 0 || !value.is_integer() || digits.len() > 200 {
        return Err(Fail::Syntax);
    }
    let b: u32 = value.to_integer().try_into().map_err(|_| Fail::Syntax)?;
    if !(2..=10).contains(&b) {
        return Err(Fail::Syntax);
    }
    let mut v = BigInt::zero();
    for c in digits.chars() {
        let d = c.to_digit(10).ok_or(Fail::Syntax)?;
        if d >= b {
            return Err(Fail::Syntax);
        }
        v = v * b + d;
    }
    Ok(Expr::num(BigRational::from_integer(v)))
}
