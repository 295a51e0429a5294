//! Tokens to an answer tree: a recursive-descent parser for the math graders meet. Precedence,
//! loosest first: list (`,` `;` "and" "or") > union (`\cup`) > relation (`=` `<` `\le` ...) >
//! sum (`+` `-` `\pm`) > product (`\cdot` `\times` `/` implicit) > unary sign > power > postfix
//! (`!` `%` degrees, units) > primary.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Zero};

use super::budget::{Budget, Fail, Res};
use super::expr::{Ans, Constant, Expr, Func, RelOp};
use super::lexer::Tok;

mod commands;
mod numerals;
mod postfix;

pub use numerals::numeral;
use numerals::{based_numeral, is_one, mixed_fraction, repeating};

/// Deepest nesting of sub-expressions the parser follows.
const MAX_PARSE_DEPTH: usize = 100;
pub fn parse(toks: Vec<Tok>, budget: &mut Budget) -> Res<Ans> {
    if toks.is_empty() {
        return Err(Fail::Syntax);
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
        budget,
    };
    let items = p.list()?;
    if p.pos != p.toks.len() {
        return Err(Fail::Syntax);
    }
    Ok(if items.len() == 1 {
        items.into_iter().next().unwrap_or(Ans::Set(Vec::new()))
    } else {
        Ans::Set(items)
    })
}

struct Parser<'b> {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
    budget: &'b mut Budget,
}

fn expr_of(a: Ans) -> Res<Expr> {
    match a {
        Ans::Expr(e) => Ok(e),
        _ => Err(Fail::Syntax),
    }
}

fn int(n: i64) -> Expr {
    Expr::num(BigRational::from_integer(BigInt::from(n)))
}

fn is_percent_word(w: &str) -> bool {
    matches!(
        w.to_ascii_lowercase().as_str(),
        "percent" | "pct" | "percentage" | "percents"
    )
}

fn is_connector(w: &str) -> bool {
    matches!(w.to_ascii_lowercase().as_str(), "and" | "or")
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn peek_sym(&self, c: char) -> bool {
        self.peek() == Some(&Tok::Sym(c))
    }

    fn peek_cmd(&self, names: &[&str]) -> bool {
        matches!(self.peek(), Some(Tok::Cmd(n)) if names.contains(&n.as_str()))
    }

    fn bump(&mut self) -> Res<Tok> {
        self.budget.spend(1)?;
        let t = self.toks.get(self.pos).cloned().ok_or(Fail::Syntax)?;
        self.pos += 1;
        Ok(t)
    }

    fn expect(&mut self, t: Tok) -> Res<()> {
        if self.peek() == Some(&t) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Fail::Syntax)
        }
    }

    fn enter(&mut self) -> Res<()> {
        self.depth += 1;
        self.budget.spend(1)?;
        if self.depth > MAX_PARSE_DEPTH {
            Err(Fail::Budget)
        } else {
            Ok(())
        }
    }

    /// Items separated by `,`, `;`, "and", "or".
    fn list(&mut self) -> Res<Vec<Ans>> {
        self.enter()?;
        let mut items = vec![self.union()?];
        loop {
            let mut sep = false;
            while matches!(self.peek(), Some(Tok::Sym(',' | ';')))
                || matches!(self.peek(), Some(Tok::Word(w)) if is_connector(w))
            {
                self.pos += 1;
                sep = true;
            }
            if !sep {
                break;
            }
            items.push(self.union()?);
        }
        self.depth -= 1;
        Ok(items)
    }

    fn union(&mut self) -> Res<Ans> {
        let mut parts = vec![self.relation()?];
        while self.peek_cmd(&["cup"]) {
            self.pos += 1;
            parts.push(self.relation()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().ok_or(Fail::Syntax)?
        } else {
            Ans::Union(parts)
        })
    }

    fn relop(&self) -> Option<RelOp> {
        Some(match self.peek()? {
            Tok::Sym('=') => RelOp::Eq,
            Tok::Sym('<') => RelOp::Lt,
            Tok::Sym('>') => RelOp::Gt,
            Tok::Cmd(n) => match n.as_str() {
                "le" => RelOp::Le,
                "ge" => RelOp::Ge,
                "ne" => RelOp::Ne,
                "in" => RelOp::In,
                "approx" | "equiv" => RelOp::Eq,
                _ => return None,
            },
            _ => return None,
        })
    }

    fn relation(&mut self) -> Res<Ans> {
        let mut items = vec![self.sum()?];
        let mut ops = Vec::new();
        while let Some(mut op) = self.relop() {
            self.pos += 1;
            // `<=`, `>=`, `!=` written with two symbols.
            if self.peek_sym('=') {
                op = match op {
                    RelOp::Lt => RelOp::Le,
                    RelOp::Gt => RelOp::Ge,
                    other => other,
                };
                self.pos += 1;
            }
            ops.push(op);
            items.push(self.sum()?);
        }
        Ok(if ops.is_empty() {
            items.pop().ok_or(Fail::Syntax)?
        } else {
            Ans::Rel(items, ops)
        })
    }

    fn sum(&mut self) -> Res<Ans> {
        let mut lead_pm = false;
        let mut lead_neg = false;
        if self.peek_sym('+') {
            self.pos += 1;
        } else if self.peek_cmd(&["pm", "mp"]) {
            self.pos += 1;
            lead_pm = true;
        } else if self.peek_sym('-') {
            self.pos += 1;
            lead_neg = true;
        }
        let first = self.term()?;
        let continues =
            matches!(self.peek(), Some(Tok::Sym('+' | '-'))) || self.peek_cmd(&["pm", "mp"]);
        if !continues && !lead_pm && !lead_neg {
            return Ok(first);
        }
        let first = expr_of(first)?;
        let mut acc: Vec<Expr> = vec![if lead_pm {
            Expr::PlusMinus(Box::new(int(0)), Box::new(first))
        } else if lead_neg {
            Expr::Neg(Box::new(first))
        } else {
            first
        }];
        loop {
            let op = match self.peek() {
                Some(Tok::Sym('+')) => '+',
                Some(Tok::Sym('-')) => '-',
                Some(Tok::Cmd(n)) if n == "pm" || n == "mp" => '±',
                _ => break,
            };
            self.pos += 1;
            let t = expr_of(self.term()?)?;
            match op {
                '+' => acc.push(t),
                '-' => acc.push(Expr::Neg(Box::new(t))),
                _ => {
                    let left = if acc.len() == 1 {
                        acc.pop().ok_or(Fail::Syntax)?
                    } else {
                        Expr::Add(std::mem::take(&mut acc))
                    };
                    acc = vec![Expr::PlusMinus(Box::new(left), Box::new(t))];
                }
            }
        }
        Ok(Ans::Expr(if acc.len() == 1 {
            acc.pop().ok_or(Fail::Syntax)?
        } else {
            Expr::Add(acc)
        }))
    }

    /// Can the next token begin an implicitly multiplied factor?
    fn starts_factor(&self) -> bool {
        match self.peek() {
            Some(Tok::Num { .. } | Tok::Var(_)) => true,
            Some(Tok::Sym('(')) => true,
            Some(Tok::Cmd(n)) => {
                matches!(
                    n.as_str(),
                    "frac" | "sqrt" | "pi" | "binom" | "log" | "lfloor" | "lceil" | "exp" | "ln"
                ) || Func::from_name(n).is_some()
            }
            _ => false,
        }
    }

    fn term(&mut self) -> Res<Ans> {
        let first = self.unary()?;
        let mut factors: Vec<Expr> = Vec::new();
        let mut first = Some(first);
        loop {
            let explicit_mul =
                matches!(self.peek(), Some(Tok::Sym('*'))) || self.peek_cmd(&["cdot", "times"]);
            let div = self.peek_sym('/') || self.peek_cmd(&["div"]);
            if !explicit_mul && !div && !self.starts_factor() {
                break;
            }
            let left = match first.take() {
                Some(a) => expr_of(a)?,
                None => {
                    if factors.len() == 1 {
                        factors.pop().ok_or(Fail::Syntax)?
                    } else {
                        Expr::Mul(std::mem::take(&mut factors))
                    }
                }
            };
            if explicit_mul || div {
                self.pos += 1;
                let right = expr_of(self.unary()?)?;
                if div {
                    factors = vec![Expr::Div(Box::new(left), Box::new(right))];
                } else {
                    factors = vec![left, right];
                }
                continue;
            }
            // Implicit product. Two numerals in a row are not a product ("42 43").
            let left_is_num = matches!(left, Expr::Num { .. });
            if left_is_num && matches!(self.peek(), Some(Tok::Num { .. })) {
                return Err(Fail::Syntax);
            }
            let right = expr_of(self.power()?)?;
            if let (
                Expr::Num {
                    value: w,
                    decimal: false,
                },
                Some(mixed),
            ) = (&left, mixed_fraction(&right))
            {
                // `2\frac{1}{3}` is the mixed number 2 + 1/3.
                if w.is_integer() && !w.is_zero() {
                    factors = vec![Expr::Add(vec![left.clone(), mixed])];
                    if w < &BigRational::zero() {
                        return Err(Fail::Syntax);
                    }
                    continue;
                }
            }
            factors = vec![left, right];
        }
        Ok(match first {
            Some(a) => a,
            None => Ans::Expr(if factors.len() == 1 {
                factors.pop().ok_or(Fail::Syntax)?
            } else {
                Expr::Mul(factors)
            }),
        })
    }

    fn unary(&mut self) -> Res<Ans> {
        self.enter()?;
        let r = if self.peek_sym('-') {
            self.pos += 1;
            Ok(Ans::Expr(Expr::Neg(Box::new(expr_of(self.unary()?)?))))
        } else if self.peek_sym('+') {
            self.pos += 1;
            self.unary()
        } else {
            self.power()
        };
        self.depth -= 1;
        r
    }

    fn power(&mut self) -> Res<Ans> {
        let base = self.postfix()?;
        if !self.peek_sym('^') {
            return Ok(base);
        }
        self.pos += 1;
        let base = expr_of(base)?;
        let exp = self.script_arg()?;
        let mut e = Expr::Pow(Box::new(base), Box::new(exp));
        // Postfix marks after the exponent: `5^2 \text{ cm}`, `(3!)^2!`.
        e = self.postfix_ops(e)?;
        Ok(Ans::Expr(e))
    }

    /// An exponent / subscript argument: `{...}`, one digit of a numeral, or a signed primary.
    fn script_arg(&mut self) -> Res<Expr> {
        self.enter()?;
        let r = if self.peek_sym('-') {
            self.pos += 1;
            self.script_arg().map(|e| Expr::Neg(Box::new(e)))
        } else if self.peek_sym('+') {
            self.pos += 1;
            self.script_arg()
        } else {
            self.arg()
        };
        self.depth -= 1;
        r
    }

    /// A command argument: a braced group, the first digit of a numeral (`\frac12`), or a primary.
    fn arg(&mut self) -> Res<Expr> {
        if self.peek_sym('{') {
            self.pos += 1;
            let inner = self.list()?;
            self.expect(Tok::Sym('}'))?;
            if inner.len() != 1 {
                return Err(Fail::Syntax);
            }
            return expr_of(inner.into_iter().next().ok_or(Fail::Syntax)?);
        }
        if let Some(Tok::Num {
            digits,
            frac: 0,
            exp: 0,
        }) = self.peek()
        {
            if digits.len() > 1 {
                let first = digits[..1].to_string();
                let rest = digits[1..].to_string();
                self.toks[self.pos] = Tok::Num {
                    digits: rest,
                    frac: 0,
                    exp: 0,
                };
                return numeral(&first, 0, 0);
            }
        }
        let a = self.primary()?;
        expr_of(a)
    }

    fn group(&mut self, close: Tok) -> Res<Vec<Ans>> {
        let items = self.list()?;
        self.expect(close)?;
        Ok(items)
    }

    fn primary(&mut self) -> Res<Ans> {
        self.enter()?;
        let r = self.primary_inner();
        self.depth -= 1;
        r
    }

    fn primary_inner(&mut self) -> Res<Ans> {
        let tok = self.bump()?;
        let e = match tok {
            Tok::Num { digits, frac, exp } => {
                // Decimal-to-binary conversion is quadratic in the digit count.
                let chunks = (digits.len() / 19 + 1) as i64;
                self.budget.spend(1 + chunks * chunks / 8)?;
                let n = numeral(&digits, frac, exp)?;
                if self.peek_sym('_') {
                    self.pos += 1;
                    let base = self.script_arg()?;
                    return Ok(Ans::Expr(based_numeral(&digits, frac, exp, &base)?));
                }
                n
            }
            Tok::Repeating { digits, frac, rep } => repeating(&digits, frac, &rep)?,
            Tok::Var(name) => {
                if self.peek_sym('_') {
                    self.pos += 1;
                    let sub = self.subscript_name()?;
                    Expr::Var(format!("{name}_{sub}"))
                } else {
                    match name.as_str() {
                        "e" => Expr::Const(Constant::E),
                        "i" => Expr::Const(Constant::I),
                        _ => {
                            // `f(x)`: function notation is one opaque quantity, so `f(x) = 2x`
                            // reads as an assignment like `y = 2x`.
                            let arg = match (
                                self.toks.get(self.pos),
                                self.toks.get(self.pos + 1),
                                self.toks.get(self.pos + 2),
                            ) {
                                (Some(Tok::Sym('(')), Some(Tok::Var(a)), Some(Tok::Sym(')')))
                                    if *a != name =>
                                {
                                    Some(a.clone())
                                }
                                _ => None,
                            };
                            match arg {
                                Some(a) => {
                                    self.pos += 3;
                                    Expr::Var(format!("{name}({a})"))
                                }
                                None => Expr::Var(name),
                            }
                        }
                    }
                }
            }
            Tok::Sym(open @ ('(' | '[')) => {
                let items = self.list()?;
                let close = match self.bump()? {
                    Tok::Sym(c @ (')' | ']')) => c,
                    _ => return Err(Fail::Syntax),
                };
                if items.len() == 1
                    && ((open == '(' && close == ')') || (open == '[' && close == ']'))
                {
                    return items.into_iter().next().ok_or(Fail::Syntax);
                }
                return Ok(Ans::Bracket { open, close, items });
            }
            Tok::Sym('{') => {
                let items = self.group(Tok::Sym('}'))?;
                return Ok(if items.len() == 1 {
                    items.into_iter().next().ok_or(Fail::Syntax)?
                } else {
                    Ans::Set(items)
                });
            }
            Tok::SetOpen => {
                if self.peek() == Some(&Tok::SetClose) {
                    self.pos += 1;
                    return Ok(Ans::Set(Vec::new()));
                }
                return Ok(Ans::Set(self.group(Tok::SetClose)?));
            }
            Tok::Sym('|') => {
                let inner = expr_of(self.sum()?)?;
                self.expect(Tok::Sym('|'))?;
                Expr::Call(Func::Abs, Box::new(inner))
            }
            Tok::Begin(env) => return self.matrix(&env),
            Tok::Cmd(name) => return self.command(&name),
            _ => return Err(Fail::Syntax),
        };
        Ok(Ans::Expr(e))
    }
}
