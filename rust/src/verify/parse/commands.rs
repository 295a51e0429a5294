//! Parser rules for LaTeX commands (`\\frac`, `\\sqrt`, `\\log`, functions), subscripted
//! names and matrix environments.

use super::*;

impl Parser<'_> {
    pub(super) fn subscript_name(&mut self) -> Res<String> {
        let mut s = String::new();
        let braced = self.peek_sym('{');
        if braced {
            self.pos += 1;
        }
        loop {
            match self.bump()? {
                Tok::Num { digits, .. } => s.push_str(&digits),
                Tok::Var(v) | Tok::Word(v) | Tok::Cmd(v) => s.push_str(&v),
                Tok::Sym('}') if braced => break,
                Tok::Sym(c) if braced => s.push(c),
                _ => return Err(Fail::Syntax),
            }
            if !braced {
                break;
            }
        }
        Ok(s)
    }

    pub(super) fn command(&mut self, name: &str) -> Res<Ans> {
        let e = match name {
            "frac" => {
                let a = self.arg()?;
                let b = self.arg()?;
                Expr::Div(Box::new(a), Box::new(b))
            }
            "sqrt" => {
                let index = if self.peek_sym('[') {
                    self.pos += 1;
                    let i = expr_of(self.sum()?)?;
                    self.expect(Tok::Sym(']'))?;
                    i
                } else {
                    int(2)
                };
                let arg = self.arg()?;
                Expr::Root {
                    index: Box::new(index),
                    arg: Box::new(arg),
                }
            }
            "binom" | "choose" => {
                let a = self.arg()?;
                let b = self.arg()?;
                Expr::Binom(Box::new(a), Box::new(b))
            }
            "pi" => Expr::Const(Constant::Pi),
            "infty" | "inf" | "infinity" => Expr::Infinity,
            "emptyset" | "varnothing" => return Ok(Ans::Set(Vec::new())),
            "lfloor" | "lceil" => {
                let inner = expr_of(self.sum()?)?;
                let close = if name == "lfloor" { "rfloor" } else { "rceil" };
                self.expect(Tok::Cmd(close.into()))?;
                Expr::Call(
                    if name == "lfloor" {
                        Func::Floor
                    } else {
                        Func::Ceil
                    },
                    Box::new(inner),
                )
            }
            "log" | "lg" => {
                let base = if self.peek_sym('_') {
                    self.pos += 1;
                    Some(Box::new(self.script_arg()?))
                } else {
                    None
                };
                let arg = self.func_arg()?;
                Expr::Log {
                    base,
                    arg: Box::new(arg),
                }
            }
            _ => {
                let Some(f) = Func::from_name(name) else {
                    return Err(Fail::Syntax);
                };
                // `\sin^2 x` = (sin x)^2; `\sin^{-1} x` = arcsin x.
                let mut power = None;
                if self.peek_sym('^') {
                    self.pos += 1;
                    power = Some(self.script_arg()?);
                }
                let arg = self.func_arg()?;
                let inverse = matches!(&power, Some(Expr::Neg(inner)) if is_one(inner));
                let f = if inverse {
                    match f {
                        Func::Sin => Func::Asin,
                        Func::Cos => Func::Acos,
                        Func::Tan => Func::Atan,
                        _ => return Err(Fail::Syntax),
                    }
                } else {
                    f
                };
                let call = Expr::Call(f, Box::new(arg));
                match power {
                    Some(p) if !inverse => Expr::Pow(Box::new(call), Box::new(p)),
                    _ => call,
                }
            }
        };
        Ok(Ans::Expr(e))
    }

    /// A function argument: `(x)`, `{x}`, or a power-level factor with following variables
    /// (`\sin 2x`).
    pub(super) fn func_arg(&mut self) -> Res<Expr> {
        if self.peek_sym('{') || self.peek_sym('(') {
            return expr_of(self.power()?);
        }
        let mut f = vec![expr_of(self.power()?)?];
        while matches!(self.peek(), Some(Tok::Var(_))) {
            f.push(expr_of(self.power()?)?);
        }
        Ok(if f.len() == 1 {
            f.pop().ok_or(Fail::Syntax)?
        } else {
            Expr::Mul(f)
        })
    }

    pub(super) fn matrix(&mut self, env: &str) -> Res<Ans> {
        if !matches!(
            env,
            "pmatrix" | "bmatrix" | "matrix" | "array" | "smallmatrix" | "Bmatrix"
        ) {
            return Err(Fail::Syntax);
        }
        let mut rows = vec![Vec::new()];
        loop {
            match self.peek() {
                Some(Tok::End(e)) if e == env => {
                    self.pos += 1;
                    break;
                }
                Some(Tok::RowSep) => {
                    self.pos += 1;
                    rows.push(Vec::new());
                }
                Some(Tok::Sym('&')) => self.pos += 1,
                None => return Err(Fail::Syntax),
                _ => {
                    let cell = self.relation()?;
                    rows.last_mut().ok_or(Fail::Syntax)?.push(cell);
                }
            }
        }
        if rows.last().is_some_and(|r| r.is_empty()) {
            rows.pop();
        }
        if rows.is_empty() {
            return Err(Fail::Syntax);
        }
        Ok(Ans::Matrix(rows))
    }
}
