//! Evaluation of expression trees: exact big-rational arithmetic while values stay rational,
//! complex floating point once an irrational (π, e, a non-perfect root, log, trig) enters.
//! Variables take the rational values of an evaluation point. Every step spends budget and
//! exact numbers are size-capped, so huge exponents and factorials give up instead of hanging.

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

use super::budget::{Budget, Fail, Res, MAX_EXACT_BITS};
use super::complex::C64;
use super::expr::{Constant, Expr, Func};

#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Exact(BigRational),
    Approx(C64),
    /// +∞ (sign 1) or -∞ (sign -1); only meaningful as an interval endpoint.
    Inf(i8),
}

impl Val {
    pub fn approx(&self) -> Res<C64> {
        match self {
            Val::Exact(r) => Ok(C64::real(rat_to_f64(r))),
            Val::Approx(c) => Ok(*c),
            Val::Inf(_) => Err(Fail::Undefined),
        }
    }
}

pub fn rat_to_f64(r: &BigRational) -> f64 {
    match (r.numer().to_f64(), r.denom().to_f64()) {
        (Some(n), Some(d)) if n.is_finite() && d.is_finite() => n / d,
        _ => {
            // Scale both by a common power of two so the quotient is representable.
            let shift = r.numer().bits().max(r.denom().bits()).saturating_sub(900);
            let n = (r.numer() >> shift).to_f64().unwrap_or(f64::NAN);
            let d = (r.denom() >> shift).to_f64().unwrap_or(f64::NAN);
            if d == 0.0 {
                if n.is_sign_negative() {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                }
            } else {
                n / d
            }
        }
    }
}

fn size_bits(r: &BigRational) -> u64 {
    r.numer().bits() + r.denom().bits()
}

fn exact(r: BigRational, budget: &mut Budget) -> Res<Val> {
    let bits = size_bits(&r);
    budget.spend(1 + (bits / 64) as i64)?;
    if bits > MAX_EXACT_BITS {
        return approx(C64::real(rat_to_f64(&r)));
    }
    Ok(Val::Exact(r))
}

/// Charge a binary exact operation before doing it. Operands whose result would exceed the exact-size cap return
/// `false`, and the caller falls back to floating point without touching the big numbers.
fn charge_binary(x: &BigRational, y: &BigRational, budget: &mut Budget) -> Res<bool> {
    let (bx, by) = (size_bits(x), size_bits(y));
    // The gcd that normalizes the result dominates: ~ (total limbs)^2 steps.
    let limbs = ((bx + by) / 64 + 1) as i64;
    budget.spend(1 + 4 * limbs * limbs)?;
    Ok(bx + by <= 2 * MAX_EXACT_BITS)
}

fn approx(c: C64) -> Res<Val> {
    if c.re.is_finite() && c.im.is_finite() {
        Ok(Val::Approx(c))
    } else {
        Err(Fail::Undefined)
    }
}

/// Variable values at one evaluation point.
pub trait Env {
    fn get(&self, name: &str) -> Option<BigRational>;
}

pub fn eval(e: &Expr, env: &dyn Env, budget: &mut Budget) -> Res<Val> {
    budget.spend(1)?;
    match e {
        Expr::Num { value, .. } => Ok(Val::Exact(value.clone())),
        Expr::Var(name) => env.get(name).map(Val::Exact).ok_or(Fail::Syntax),
        Expr::Const(Constant::Pi) => Ok(Val::Approx(C64::real(std::f64::consts::PI))),
        Expr::Const(Constant::E) => Ok(Val::Approx(C64::real(std::f64::consts::E))),
        Expr::Const(Constant::I) => Ok(Val::Approx(C64::new(0.0, 1.0))),
        Expr::Infinity => Ok(Val::Inf(1)),
        Expr::Add(terms) => {
            let mut acc = Val::Exact(BigRational::zero());
            for t in terms {
                let v = eval(t, env, budget)?;
                acc = add(acc, v, budget)?;
            }
            Ok(acc)
        }
        Expr::Mul(fs) => {
            let mut acc = Val::Exact(BigRational::one());
            for f in fs {
                let v = eval(f, env, budget)?;
                acc = mul(acc, v, budget)?;
            }
            Ok(acc)
        }
        Expr::Neg(a) => match eval(a, env, budget)? {
            Val::Exact(r) => Ok(Val::Exact(-r)),
            Val::Approx(c) => Ok(Val::Approx(-c)),
            Val::Inf(s) => Ok(Val::Inf(-s)),
        },
        Expr::Div(a, b) => {
            let a = eval(a, env, budget)?;
            let b = eval(b, env, budget)?;
            div(a, b, budget)
        }
        Expr::Percent(a) => {
            let a = eval(a, env, budget)?;
            div(
                a,
                Val::Exact(BigRational::from_integer(BigInt::from(100))),
                budget,
            )
        }
        Expr::Pow(a, b) => {
            let a = eval(a, env, budget)?;
            let b = eval(b, env, budget)?;
            pow(a, b, budget)
        }
        Expr::Root { index, arg } => {
            let n = eval(index, env, budget)?;
            let a = eval(arg, env, budget)?;
            let inv = div(Val::Exact(BigRational::one()), n, budget)?;
            pow(a, inv, budget)
        }
        Expr::Log { base, arg } => {
            let a = eval(arg, env, budget)?;
            let la = ln(&a)?;
            match base {
                None => approx(la),
                Some(b) => {
                    let b = eval(b, env, budget)?;
                    // log_b(b^k) = k exactly when both are rational powers of one integer.
                    if let (Val::Exact(x), Val::Exact(bb)) = (&a, &b) {
                        if let Some(k) = exact_log(x, bb) {
                            return Ok(Val::Exact(k));
                        }
                    }
                    let lb = ln(&b)?;
                    if lb.norm() == 0.0 {
                        return Err(Fail::Undefined);
                    }
                    approx(la / lb)
                }
            }
        }
        Expr::Call(f, a) => {
            let v = eval(a, env, budget)?;
            call(*f, v)
        }
        Expr::Factorial(a) => {
            let v = eval(a, env, budget)?;
            factorial(v, budget)
        }
        Expr::Binom(n, k) => {
            let n = eval(n, env, budget)?;
            let k = eval(k, env, budget)?;
            binom(n, k, budget)
        }
        // ± is expanded before evaluation; reaching here means it sat somewhere unsupported.
        Expr::PlusMinus(..) => Err(Fail::Syntax),
    }
}

pub fn add(a: Val, b: Val, budget: &mut Budget) -> Res<Val> {
    match (a, b) {
        (Val::Exact(x), Val::Exact(y)) if charge_binary(&x, &y, budget)? => exact(x + y, budget),
        (Val::Inf(_), _) | (_, Val::Inf(_)) => Err(Fail::Undefined),
        (x, y) => approx(x.approx()? + y.approx()?),
    }
}

pub fn mul(a: Val, b: Val, budget: &mut Budget) -> Res<Val> {
    match (a, b) {
        (Val::Exact(x), Val::Exact(y)) if charge_binary(&x, &y, budget)? => exact(x * y, budget),
        (Val::Inf(_), _) | (_, Val::Inf(_)) => Err(Fail::Undefined),
        (x, y) => approx(x.approx()? * y.approx()?),
    }
}

pub fn div(a: Val, b: Val, budget: &mut Budget) -> Res<Val> {
    match (a, b) {
        (_, Val::Exact(y)) if y.is_zero() => Err(Fail::Undefined),
        (Val::Exact(x), Val::Exact(y)) if charge_binary(&x, &y, budget)? => exact(x / y, budget),
        (Val::Inf(_), _) | (_, Val::Inf(_)) => Err(Fail::Undefined),
        (x, y) => {
            let d = y.approx()?;
            if d.norm() == 0.0 {
                return Err(Fail::Undefined);
            }
            approx(x.approx()? / d)
        }
    }
}

/// Exact k-th root of a non-negative integer, if it is a perfect power.
fn exact_root(n: &BigInt, k: u32) -> Option<BigInt> {
    let r = n.nth_root(k);
    if num_traits::pow(r.clone(), k as usize) == *n {
        Some(r)
    } else {
        None
    }
}

pub fn pow(a: Val, b: Val, budget: &mut Budget) -> Res<Val> {
    match (&a, &b) {
        (Val::Exact(x), Val::Exact(y)) => {
            let p = y.numer();
            let q = y.denom();
            if x.is_zero() {
                return if y.is_positive() {
                    Ok(Val::Exact(BigRational::zero()))
                } else if y.is_zero() {
                    Ok(Val::Exact(BigRational::one()))
                } else {
                    Err(Fail::Undefined)
                };
            }
            if x.is_one() {
                return Ok(Val::Exact(BigRational::one()));
            }
            // Work estimate: result bits ≈ size(x) * |p| / q.
            let est = (size_bits(x) as f64) * p.to_f64().unwrap_or(f64::INFINITY).abs()
                / q.to_f64().unwrap_or(1.0);
            let small_q = q.to_u32().filter(|&q| q <= 64);
            if est <= MAX_EXACT_BITS as f64 {
                if let Some(qq) = small_q {
                    let neg = x.is_negative();
                    if !neg || qq % 2 == 1 {
                        let xl = (size_bits(x) / 64 + 1) as i64;
                        budget.spend(4 * xl * xl)?;
                        let ax = x.abs();
                        if let (Some(rn), Some(rd)) =
                            (exact_root(ax.numer(), qq), exact_root(ax.denom(), qq))
                        {
                            let mut root = BigRational::new(rn, rd);
                            if neg {
                                root = -root;
                            }
                            let e = p.abs().to_usize().ok_or(Fail::Budget)?;
                            let limbs = (est as i64) / 64 + 1;
                            budget.spend(1 + limbs * limbs)?;
                            // Powers of a reduced fraction stay reduced: no gcd needed.
                            let (n, d) = (root.numer().clone(), root.denom().clone());
                            let mut r =
                                BigRational::new_raw(num_traits::pow(n, e), num_traits::pow(d, e));
                            if p.is_negative() {
                                r = r.recip();
                            }
                            return exact(r, budget);
                        }
                    }
                }
            }
            let xf = rat_to_f64(x);
            let yf = rat_to_f64(y);
            // Real odd roots of negative numbers stay real.
            if xf < 0.0 {
                if let Some(qq) = small_q {
                    if qq % 2 == 1 {
                        let mag = (-xf).powf(yf);
                        let sign = if p.is_odd() { -1.0 } else { 1.0 };
                        return approx(C64::real(sign * mag));
                    }
                }
            }
            approx(C64::real(xf).powc(C64::real(yf)))
        }
        (Val::Inf(_), _) | (_, Val::Inf(_)) => Err(Fail::Undefined),
        _ => {
            let x = a.approx()?;
            let y = b.approx()?;
            if x.norm() == 0.0 {
                return if y.re > 0.0 {
                    Ok(Val::Approx(C64::real(0.0)))
                } else {
                    Err(Fail::Undefined)
                };
            }
            approx(x.powc(y))
        }
    }
}

fn ln(v: &Val) -> Res<C64> {
    let c = v.approx()?;
    if c.norm() == 0.0 {
        return Err(Fail::Undefined);
    }
    Ok(c.ln())
}

/// log_b(x) when x = b^k for a small rational k (integers and unit fractions).
fn exact_log(x: &BigRational, b: &BigRational) -> Option<BigRational> {
    if !x.is_positive() || !b.is_positive() || b.is_one() || x.is_one() {
        return if x.is_one() && b.is_positive() && !b.is_one() {
            Some(BigRational::zero())
        } else {
            None
        };
    }
    let lx = rat_to_f64(x).ln();
    let lb = rat_to_f64(b).ln();
    let k = lx / lb;
    if !k.is_finite() {
        return None;
    }
    for q in 1..=12i64 {
        let p = (k * q as f64).round();
        if p.abs() > 4096.0 || ((k * q as f64) - p).abs() > 1e-6 {
            continue;
        }
        // Verify exactly: x^q == b^p, unless either power would be too large to build.
        let pi = p as i64;
        if size_bits(x) * q as u64 > MAX_EXACT_BITS
            || size_bits(b) * pi.unsigned_abs() > MAX_EXACT_BITS
        {
            return None;
        }
        let lhs = num_traits::pow(x.clone(), q as usize);
        let rhs = if pi >= 0 {
            num_traits::pow(b.clone(), pi as usize)
        } else {
            num_traits::pow(b.recip(), (-pi) as usize)
        };
        if size_bits(&lhs) > MAX_EXACT_BITS || size_bits(&rhs) > MAX_EXACT_BITS {
            return None;
        }
        if lhs == rhs {
            return Some(BigRational::new(BigInt::from(pi), BigInt::from(q)));
        }
    }
    None
}

fn call(f: Func, v: Val) -> Res<Val> {
    if let Val::Exact(r) = &v {
        match f {
            Func::Abs => return Ok(Val::Exact(r.abs())),
            Func::Floor => return Ok(Val::Exact(r.floor())),
            Func::Ceil => return Ok(Val::Exact(r.ceil())),
            Func::Sin | Func::Tan | Func::Asin | Func::Atan | Func::Sinh | Func::Tanh
                if r.is_zero() =>
            {
                return Ok(Val::Exact(BigRational::zero()))
            }
            Func::Cos | Func::Cosh | Func::Exp if r.is_zero() => {
                return Ok(Val::Exact(BigRational::one()))
            }
            Func::Ln if r.is_one() => return Ok(Val::Exact(BigRational::zero())),
            _ => {}
        }
    }
    let z = v.approx()?;
    let out = match f {
        Func::Sin => z.sin(),
        Func::Cos => z.cos(),
        Func::Tan => z.sin() / z.cos(),
        Func::Sec => C64::real(1.0) / z.cos(),
        Func::Csc => C64::real(1.0) / z.sin(),
        Func::Cot => z.cos() / z.sin(),
        Func::Asin | Func::Acos | Func::Atan if z.im != 0.0 => return Err(Fail::Undefined),
        Func::Asin if z.re.abs() <= 1.0 => C64::real(z.re.asin()),
        Func::Acos if z.re.abs() <= 1.0 => C64::real(z.re.acos()),
        Func::Atan => C64::real(z.re.atan()),
        Func::Sinh => (z.exp() - (-z).exp()) * C64::real(0.5),
        Func::Cosh => (z.exp() + (-z).exp()) * C64::real(0.5),
        Func::Tanh => {
            let (a, b) = (z.exp(), (-z).exp());
            (a - b) / (a + b)
        }
        Func::Ln => {
            if z.norm() == 0.0 {
                return Err(Fail::Undefined);
            }
            z.ln()
        }
        Func::Exp => z.exp(),
        Func::Abs => C64::real(z.norm()),
        Func::Floor if z.im == 0.0 => C64::real(z.re.floor()),
        Func::Ceil if z.im == 0.0 => C64::real(z.re.ceil()),
        _ => return Err(Fail::Undefined),
    };
    approx(out)
}

fn small_nonneg_int(v: &Val, cap: u64) -> Res<u64> {
    match v {
        Val::Exact(r) if r.is_integer() && !r.is_negative() => {
            let n = r.to_integer().to_u64().ok_or(Fail::Budget)?;
            if n > cap {
                Err(Fail::Budget)
            } else {
                Ok(n)
            }
        }
        _ => Err(Fail::Undefined),
    }
}

fn factorial(v: Val, budget: &mut Budget) -> Res<Val> {
    let n = small_nonneg_int(&v, 2_000)?;
    // log2(n!) <= n log2 n: refuse results beyond the exact-size cap.
    let bits = (n as f64) * (n.max(2) as f64).log2();
    if bits > MAX_EXACT_BITS as f64 {
        return Err(Fail::Budget);
    }
    budget.spend(1 + n as i64 * (bits as i64 / 64 + 1))?;
    let mut acc = BigInt::one();
    for k in 2..=n {
        acc *= k;
    }
    exact(BigRational::from_integer(acc), budget)
}

fn binom(n: Val, k: Val, budget: &mut Budget) -> Res<Val> {
    let n = small_nonneg_int(&n, 100_000)?;
    let k = small_nonneg_int(&k, 100_000)?;
    if k > n {
        return Ok(Val::Exact(BigRational::zero()));
    }
    let k = k.min(n - k);
    // C(n, k) <= n^k: refuse results beyond the exact-size cap.
    let bits = (k as f64) * (n.max(2) as f64).log2();
    if bits > MAX_EXACT_BITS as f64 {
        return Err(Fail::Budget);
    }
    budget.spend(1 + k as i64 * (bits as i64 / 64 + 1))?;
    let mut acc = BigInt::one();
    for i in 0..k {
        acc = acc * (n - i) / (i + 1);
    }
    exact(BigRational::from_integer(acc), budget)
}
