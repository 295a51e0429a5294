//! LaTeX / plain-text math to tokens. Pure formatting (spacing commands, `\left`/`\right`, `$`,
//! `\displaystyle`, font wrappers) disappears here; `\text{}`-like groups become words; thousands
//! separators are merged into one number; Unicode math symbols map to their LaTeX meaning.

use super::budget::{Budget, Fail, Res, MAX_DEPTH};
use super::lexicon::{DROPPED, FUNCTION_WORDS, GREEK, INLINE_WRAPPERS, SHORT_WORDS, TEXT_WRAPPERS};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A decimal numeral: all digits (integer part then fraction), digits after the point,
    /// and a power-of-ten exponent (scientific notation).
    Num {
        digits: String,
        frac: u32,
        exp: i64,
    },
    /// A repeating decimal `0.1\overline{6}`: like `Num` plus the repeating digits.
    Repeating {
        digits: String,
        frac: u32,
        rep: String,
    },
    /// A one-letter (or Greek) variable name.
    Var(String),
    /// A word (unit, connector such as "and"/"or", or text).
    Word(String),
    /// A LaTeX command without its backslash (`frac`, `sqrt`, `pi`, `le`, `sin`, ...).
    Cmd(String),
    /// A single symbol: `+ - * / ^ _ ! % = < > , ; : | & ( ) [ ] { } '`.
    Sym(char),
    /// An escaped brace `\{` or `\}` (set delimiters).
    SetOpen,
    SetClose,
    /// A degree mark (`^\circ`, `°`, `degrees`): ignored in comparison.
    Degree,
    /// `\\` inside a matrix.
    RowSep,
    Begin(String),
    End(String),
}

pub fn lex(src: &str, budget: &mut Budget) -> Res<Vec<Tok>> {
    let mut lx = Lexer {
        chars: src.chars().collect(),
        pos: 0,
        out: Vec::new(),
    };
    lx.run(false, 0, budget)?;
    Ok(lx.out)
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    out: Vec<Tok>,
}

impl Lexer {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.pos + k).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(c) if c.is_whitespace()) {
            self.pos += 1;
        }
    }

    /// Read `{...}` (balanced) starting at the current position; returns its inner text.
    fn brace_arg(&mut self) -> Res<String> {
        self.skip_ws();
        if self.peek() != Some('{') {
            return Err(Fail::Syntax);
        }
        let start = self.pos + 1;
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            match c {
                '\\' => {
                    self.pos += 2;
                    continue;
                }
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        let inner: String = self.chars[start..self.pos].iter().collect();
                        self.pos += 1;
                        return Ok(inner);
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        Err(Fail::Syntax)
    }

    /// Lex `text` (an argument of a wrapper) at nesting `depth` and append its tokens.
    fn sub(&mut self, text: &str, text_mode: bool, depth: usize, budget: &mut Budget) -> Res<()> {
        let mut inner = Lexer {
            chars: text.chars().collect(),
            pos: 0,
            out: std::mem::take(&mut self.out),
        };
        let r = inner.run(text_mode, depth + 1, budget);
        self.out = inner.out;
        r
    }

    fn run(&mut self, text_mode: bool, depth: usize, budget: &mut Budget) -> Res<()> {
        if depth > MAX_DEPTH {
            return Err(Fail::Budget);
        }
        while let Some(c) = self.peek() {
            budget.spend(1)?;
            if c.is_whitespace() || c == '$' || c == '~' {
                self.pos += 1;
            } else if text_mode
                && matches!(c, '.' | '\'' | '"' | '?' | '!')
                && !self.digit_follows()
            {
                // Punctuation inside `\text{sq. ft.}` is part of the words.
                self.pos += 1;
            } else if c.is_ascii_digit()
                || (c == '.' && matches!(self.peek_at(1), Some(d) if d.is_ascii_digit()))
            {
                self.number();
            } else if c.is_ascii_alphabetic() {
                self.letters(text_mode);
            } else if c == '\\' {
                self.command(text_mode, depth, budget)?;
            } else {
                self.pos += 1;
                self.symbol(c)?;
            }
        }
        Ok(())
    }

    fn symbol(&mut self, c: char) -> Res<()> {
        let tok = match c {
            '+' | '-' | '*' | '/' | '^' | '_' | '!' | '%' | '=' | '<' | '>' | ',' | ';' | ':'
            | '|' | '&' | '(' | ')' | '[' | ']' | '{' | '}' | '\'' => Tok::Sym(c),
            '−' | '–' | '—' => Tok::Sym('-'),
            '°' | 'º' => Tok::Degree,
            'π' => Tok::Cmd("pi".into()),
            '∞' => Tok::Cmd("infty".into()),
            '√' => Tok::Cmd("sqrt".into()),
            '×' | '∗' => Tok::Cmd("times".into()),
            '·' | '⋅' | '•' => Tok::Cmd("cdot".into()),
            '÷' => Tok::Cmd("div".into()),
            '≤' | '⩽' => Tok::Cmd("le".into()),
            '≥' | '⩾' => Tok::Cmd("ge".into()),
            '≠' => Tok::Cmd("ne".into()),
            '±' => Tok::Cmd("pm".into()),
            '∓' => Tok::Cmd("mp".into()),
            '∪' => Tok::Cmd("cup".into()),
            '∈' => Tok::Cmd("in".into()),
            '≈' => Tok::Cmd("approx".into()),
            // Vulgar fractions: a parenthesized quotient.
            '½' | '⅓' | '⅔' | '¼' | '¾' => {
                let (p, q) = match c {
                    '½' => ("1", "2"),
                    '⅓' => ("1", "3"),
                    '⅔' => ("2", "3"),
                    '¼' => ("1", "4"),
                    _ => ("3", "4"),
                };
                let num = |d: &str| Tok::Num {
                    digits: d.to_string(),
                    frac: 0,
                    exp: 0,
                };
                self.out.push(Tok::Sym('('));
                self.out.push(num(p));
                self.out.push(Tok::Sym('/'));
                self.out.push(num(q));
                Tok::Sym(')')
            }
            '⁰' | '¹' | '²' | '³' | '⁴' | '⁵' | '⁶' | '⁷' | '⁸' | '⁹' => {
                let d = "⁰¹²³⁴⁵⁶⁷⁸⁹".chars().position(|x| x == c).unwrap_or(0);
                self.out.push(Tok::Sym('^'));
                Tok::Num {
                    digits: d.to_string(),
                    frac: 0,
                    exp: 0,
                }
            }
            c if c.is_alphabetic() => {
                // Greek letters and other scripts' letters as variables.
                Tok::Var(c.to_string())
            }
            _ => return Err(Fail::Syntax),
        };
        self.out.push(tok);
        Ok(())
    }

    fn digit_follows(&self) -> bool {
        matches!(self.peek_at(1), Some(d) if d.is_ascii_digit())
    }

    fn digits_run(&mut self, into: &mut String) -> usize {
        let mut n = 0;
        while let Some(d) = self.peek() {
            if !d.is_ascii_digit() {
                break;
            }
            into.push(d);
            self.pos += 1;
            n += 1;
        }
        n
    }

    /// A thousands separator followed by exactly three digits and then no further digit.
    fn thousands_sep_len(&self) -> Option<usize> {
        const SEPS: &[&str] = &[",\\!", "{,}", ",", "\\,", "\\ ", "\\!"];
        for sep in SEPS {
            let n = sep.chars().count();
            let matches_sep = sep
                .chars()
                .enumerate()
                .all(|(k, sc)| self.peek_at(k) == Some(sc));
            if !matches_sep {
                continue;
            }
            // LaTeX-only separators may be followed by a space (`11,\! 111`).
            let mut n = n;
            if sep.starts_with(",\\") || sep.starts_with('{') {
                while self.peek_at(n) == Some(' ') {
                    n += 1;
                }
            }
            let three =
                (0..3).all(|k| matches!(self.peek_at(n + k), Some(d) if d.is_ascii_digit()));
            let fourth = matches!(self.peek_at(n + 3), Some(d) if d.is_ascii_digit());
            if three && !fourth {
                return Some(n);
            }
        }
        None
    }

    fn number(&mut self) {
        let mut digits = String::new();
        let lead = self.digits_run(&mut digits);
        if lead > 0 && lead <= 3 {
            while let Some(n) = self.thousands_sep_len() {
                self.pos += n;
                self.digits_run(&mut digits);
            }
        }
        let mut frac = 0u32;
        if self.peek() == Some('.') && matches!(self.peek_at(1), Some(d) if d.is_ascii_digit()) {
            self.pos += 1;
            frac = self.digits_run(&mut digits) as u32;
        }
        if let Some(rep) = self.overline_digits() {
            self.out.push(Tok::Repeating { digits, frac, rep });
            return;
        }
        let mut exp = 0i64;
        // Scientific notation: 1.5e10, 2E-3 (the exponent saturates; evaluation caps it).
        if matches!(self.peek(), Some('e' | 'E')) {
            let mut k = 1;
            if matches!(self.peek_at(1), Some('+' | '-')) {
                k = 2;
            }
            if matches!(self.peek_at(k), Some(d) if d.is_ascii_digit())
                && !matches!(self.peek_at(k + 1), Some(c) if c.is_ascii_alphabetic())
            {
                let neg = self.peek_at(1) == Some('-');
                self.pos += k;
                let mut e = String::new();
                self.digits_run(&mut e);
                let v: i64 = e.parse().unwrap_or(i64::MAX / 4).min(i64::MAX / 4);
                exp = if neg { -v } else { v };
            }
        }
        self.out.push(Tok::Num { digits, frac, exp });
    }

    /// `.\overline{ddd}` (after the integer part) or `\overline{ddd}` (after fraction digits).
    fn overline_digits(&mut self) -> Option<String> {
        let save = self.pos;
        if self.peek() == Some('.') {
            self.pos += 1;
        }
        let cmd: Vec<char> = "\\overline".chars().collect();
        if self.chars.get(self.pos..self.pos + cmd.len()) == Some(&cmd[..]) {
            self.pos += cmd.len();
            self.skip_ws();
            if let Ok(arg) = self.brace_arg() {
                let arg = arg.trim().to_string();
                if !arg.is_empty() && arg.len() <= 50 && arg.bytes().all(|b| b.is_ascii_digit()) {
                    return Some(arg);
                }
            }
        }
        self.pos = save;
        None
    }

    fn letters(&mut self, text_mode: bool) {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        let word: String = self.chars[start..self.pos].iter().collect();
        let lower = word.to_ascii_lowercase();
        if lower == "degree" || lower == "degrees" {
            self.out.push(Tok::Degree);
        } else if text_mode {
            self.out.push(Tok::Word(word));
        } else if word.len() == 1 {
            self.out.push(Tok::Var(word));
        } else if FUNCTION_WORDS.contains(&word.as_str()) {
            self.out.push(Tok::Cmd(word));
        } else if SHORT_WORDS.contains(&word.as_str()) || word.len() >= 4 {
            self.out.push(Tok::Word(word));
        } else {
            // `xy`, `abc`: a product of one-letter variables.
            for c in word.chars() {
                self.out.push(Tok::Var(c.to_string()));
            }
        }
    }

    fn command(&mut self, text_mode: bool, depth: usize, budget: &mut Budget) -> Res<()> {
        self.pos += 1; // the backslash
        let Some(c) = self.peek() else {
            return Ok(());
        };
        // `\\frac` (a doubly escaped command, as in JSON-escaped text) is `\frac`.
        if c == '\\' && matches!(self.peek_at(1), Some(l) if l.is_ascii_alphabetic()) {
            return self.command(text_mode, depth, budget);
        }
        if !c.is_ascii_alphabetic() {
            self.pos += 1;
            match c {
                '{' => self.out.push(Tok::SetOpen),
                '}' => self.out.push(Tok::SetClose),
                '\\' => self.out.push(Tok::RowSep),
                '%' => self.out.push(Tok::Sym('%')),
                '|' => self.out.push(Tok::Sym('|')),
                // spacing, `\(`, `\)`, `\[`, `\]`, `\$` (currency), `\.`
                ',' | '!' | ';' | ':' | ' ' | '(' | ')' | '[' | ']' | '$' | '>' | '.' | '/' => {}
                '#' | '&' | '_' => {}
                _ => return Err(Fail::Syntax),
            }
            return Ok(());
        }
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        let name = name.as_str();
        if DROPPED.contains(&name) {
            // `\left.` / `\right.` : the invisible delimiter goes too.
            if (name == "left" || name == "right") && self.peek() == Some('.') {
                self.pos += 1;
            }
            if matches!(name, "hspace" | "vphantom" | "phantom" | "kern") {
                let _ = self.brace_arg();
            }
            return Ok(());
        }
        if INLINE_WRAPPERS.contains(&name) {
            let arg = self.brace_arg()?;
            // Upright letters are units (`5\mathrm{m}`, `\mathrm{kg}`), except the upright
            // constants e and i.
            let upright_word = name == "mathrm"
                && arg.trim().chars().all(|c| c.is_ascii_alphabetic())
                && !matches!(arg.trim(), "" | "e" | "i");
            return self.sub(&arg, text_mode || upright_word, depth, budget);
        }
        if TEXT_WRAPPERS.contains(&name) {
            let arg = self.brace_arg()?;
            return self.sub(&arg, true, depth, budget);
        }
        match name {
            "operatorname" | "mathop" => {
                let arg = self.brace_arg()?;
                self.out.push(Tok::Cmd(arg.trim().to_string()));
            }
            "color" | "textcolor" => {
                let _ = self.brace_arg()?;
            }
            "begin" | "end" => {
                let env = self.brace_arg()?;
                let env = env.trim().trim_end_matches('*').to_string();
                if matches!(env.as_str(), "array") && name == "begin" {
                    let _ = self.brace_arg(); // column spec
                }
                self.out.push(if name == "begin" {
                    Tok::Begin(env)
                } else {
                    Tok::End(env)
                });
            }
            "circ" | "degree" => {
                // `^\circ` / `^{\circ}`: drop the superscript mark already emitted.
                if self.out.last() == Some(&Tok::Sym('^')) {
                    self.out.pop();
                } else if self.out.last() == Some(&Tok::Sym('{'))
                    && self.out.len() >= 2
                    && self.out[self.out.len() - 2] == Tok::Sym('^')
                {
                    self.out.truncate(self.out.len() - 2);
                    self.skip_ws();
                    if self.peek() == Some('}') {
                        self.pos += 1;
                    }
                }
                self.out.push(Tok::Degree);
            }
            "lvert" | "rvert" | "vert" | "mid" | "lVert" | "rVert" | "Vert" => {
                self.out.push(Tok::Sym('|'))
            }
            "lbrace" => self.out.push(Tok::SetOpen),
            "rbrace" => self.out.push(Tok::SetClose),
            "langle" => self.out.push(Tok::Sym('(')),
            "rangle" => self.out.push(Tok::Sym(')')),
            "lbrack" => self.out.push(Tok::Sym('[')),
            "rbrack" => self.out.push(Tok::Sym(']')),
            "dfrac" | "tfrac" | "cfrac" => self.out.push(Tok::Cmd("frac".into())),
            "dbinom" | "tbinom" => self.out.push(Tok::Cmd("binom".into())),
            "leq" | "leqslant" | "le" => self.out.push(Tok::Cmd("le".into())),
            "geq" | "geqslant" | "ge" => self.out.push(Tok::Cmd("ge".into())),
            "neq" | "ne" => self.out.push(Tok::Cmd("ne".into())),
            "lt" => self.out.push(Tok::Sym('<')),
            "gt" => self.out.push(Tok::Sym('>')),
            "ast" | "star" => self.out.push(Tok::Sym('*')),
            "percent" => self.out.push(Tok::Sym('%')),
            "ldots" | "cdots" | "dots" | "dotsc" | "dotsb" => {
                self.out.push(Tok::Word("...".into()))
            }
            "textdegree" => self.out.push(Tok::Degree),
            "infin" | "infinity" => self.out.push(Tok::Cmd("infty".into())),
            g if GREEK.contains(&g) => self.out.push(Tok::Var(g.to_string())),
            _ => self.out.push(Tok::Cmd(name.to_string())),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s, &mut Budget::new(100_000)).unwrap()
    }

    fn num(d: &str) -> Tok {
        Tok::Num {
            digits: d.into(),
            frac: 0,
            exp: 0,
        }
    }

    #[test]
    fn thousands_separators_merge() {
        for s in [
            "1,000,000",
            "1{,}000{,}000",
            "1,\\!000,\\!000",
            "1\\,000\\,000",
        ] {
            assert_eq!(toks(s), vec![num("1000000")], "{s}");
        }
        assert_eq!(toks("1,0").len(), 3);
        assert_eq!(toks("1234,567").len(), 3);
    }

    #[test]
    fn formatting_disappears() {
        assert_eq!(
            toks("\\left( \\displaystyle 5 \\right)"),
            vec![Tok::Sym('('), num("5"), Tok::Sym(')')]
        );
        assert_eq!(toks("30^{\\circ}"), vec![num("30"), Tok::Degree]);
        assert_eq!(toks("\\text{ cm}"), vec![Tok::Word("cm".into())]);
    }
}
