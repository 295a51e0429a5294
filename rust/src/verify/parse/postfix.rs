//! Postfix marks after a value: `!`, `%` (and "percent"), degree marks, and ignored unit words
//! (`5 cm^2`, `12 km/h`).

use super::*;

impl Parser<'_> {
    pub(super) fn postfix(&mut self) -> Res<Ans> {
        let p = self.primary()?;
        match p {
            Ans::Expr(e) => Ok(Ans::Expr(self.postfix_ops(e)?)),
            other => {
                self.skip_units();
                Ok(other)
            }
        }
    }

    pub(super) fn postfix_ops(&mut self, mut e: Expr) -> Res<Expr> {
        loop {
            match self.peek() {
                Some(Tok::Sym('!')) => {
                    self.pos += 1;
                    e = Expr::Factorial(Box::new(e));
                }
                Some(Tok::Sym('%')) => {
                    self.pos += 1;
                    e = Expr::Percent(Box::new(e));
                }
                Some(Tok::Word(w)) if is_percent_word(w) => {
                    self.pos += 1;
                    e = Expr::Percent(Box::new(e));
                }
                Some(Tok::Degree) => self.pos += 1,
                Some(Tok::Word(w)) if !is_connector(w) && w != "..." => self.skip_units(),
                _ => return Ok(e),
            }
        }
    }

    /// Units after a value are ignored: words, `/word`, `^2`, degree marks (`5 cm^2`, `12 km/h`).
    pub(super) fn skip_units(&mut self) {
        let mut seen_word = false;
        loop {
            match self.peek() {
                Some(Tok::Word(w)) if !is_connector(w) && w != "..." && !is_percent_word(w) => {
                    seen_word = true;
                    self.pos += 1;
                }
                Some(Tok::Degree) => self.pos += 1,
                Some(Tok::Sym('^')) if seen_word => {
                    self.pos += 1;
                    if matches!(self.peek(), Some(Tok::Num { .. })) {
                        self.pos += 1;
                    } else if self.peek_sym('{') {
                        let mut k = self.pos;
                        while k < self.toks.len() && self.toks[k] != Tok::Sym('}') {
                            k += 1;
                        }
                        self.pos = (k + 1).min(self.toks.len());
                    }
                }
                Some(Tok::Sym('/'))
                    if seen_word
                        && matches!(
                            self.toks.get(self.pos + 1),
                            Some(Tok::Word(_) | Tok::Var(_))
                        ) =>
                {
                    self.pos += 2;
                }
                _ => return,
            }
        }
    }
}
