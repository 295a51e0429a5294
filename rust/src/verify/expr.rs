//! The parsed answer: scalar expression trees and the structures around them (tuples,
//! intervals, sets, relations, matrices).

use num_rational::BigRational;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Sin,
    Cos,
    Tan,
    Sec,
    Csc,
    Cot,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Ln,
    Exp,
    Abs,
    Floor,
    Ceil,
}

impl Func {
    pub fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "sin" => Func::Sin,
            "cos" => Func::Cos,
            "tan" => Func::Tan,
            "sec" => Func::Sec,
            "csc" => Func::Csc,
            "cot" => Func::Cot,
            "arcsin" | "asin" => Func::Asin,
            "arccos" | "acos" => Func::Acos,
            "arctan" | "atan" => Func::Atan,
            "sinh" => Func::Sinh,
            "cosh" => Func::Cosh,
            "tanh" => Func::Tanh,
            "ln" => Func::Ln,
            "exp" => Func::Exp,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constant {
    Pi,
    E,
    I,
}

/// A scalar expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// An exact number; `decimal` records that it was written with a decimal point (an
    /// approximation may be compared with tolerance).
    Num {
        value: BigRational,
        decimal: bool,
    },
    Var(String),
    Const(Constant),
    Infinity,
    Add(Vec<Expr>),
    Mul(Vec<Expr>),
    Neg(Box<Expr>),
    Div(Box<Expr>, Box<Expr>),
    Pow(Box<Expr>, Box<Expr>),
    Root {
        index: Box<Expr>,
        arg: Box<Expr>,
    },
    Log {
        base: Option<Box<Expr>>,
        arg: Box<Expr>,
    },
    Call(Func, Box<Expr>),
    Factorial(Box<Expr>),
    Binom(Box<Expr>, Box<Expr>),
    /// `a%`: a/100 inside arithmetic; at the top of an answer it follows the lenient policy.
    Percent(Box<Expr>),
    /// `a ± b` (and `±b` with `a` = 0): expanded into two answers before comparison.
    PlusMinus(Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelOp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
    Ne,
    In,
}

/// A whole answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Ans {
    Expr(Expr),
    /// A chain `e0 op0 e1 op1 e2 ...`.
    Rel(Vec<Ans>, Vec<RelOp>),
    /// `( ... )`, `[ ... ]`, `( ... ]`: tuples and intervals (ordered, bracket types matter).
    Bracket {
        open: char,
        close: char,
        items: Vec<Ans>,
    },
    /// `\{ ... \}` or a bare comma-separated list: order-insensitive.
    Set(Vec<Ans>),
    /// `A \cup B`: order-insensitive union of parts.
    Union(Vec<Ans>),
    Matrix(Vec<Vec<Ans>>),
}

impl Expr {
    pub fn num(value: BigRational) -> Expr {
        Expr::Num {
            value,
            decimal: false,
        }
    }

    /// Visit every node (pre-order).
    pub fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Add(v) | Expr::Mul(v) => v.iter().for_each(|e| e.walk(f)),
            Expr::Neg(a) | Expr::Call(_, a) | Expr::Factorial(a) | Expr::Percent(a) => a.walk(f),
            Expr::Div(a, b) | Expr::Pow(a, b) | Expr::Binom(a, b) | Expr::PlusMinus(a, b) => {
                a.walk(f);
                b.walk(f);
            }
            Expr::Root { index, arg } => {
                index.walk(f);
                arg.walk(f);
            }
            Expr::Log { base, arg } => {
                if let Some(b) = base {
                    b.walk(f);
                }
                arg.walk(f);
            }
            Expr::Num { .. } | Expr::Var(_) | Expr::Const(_) | Expr::Infinity => {}
        }
    }
}
