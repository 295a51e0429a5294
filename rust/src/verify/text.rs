//! String-level answer handling before parsing: the integer fast path, markup and empty boxes,
//! multiple-choice letters, and the text comparison used for non-math answers.

/// Fast path for the most common case (DAPO integer answers): both sides plain integers.
pub(super) fn plain_integers_equal(a: &str, t: &str) -> Option<bool> {
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
pub(super) fn strip_markup(s: &str) -> &str {
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
pub(super) fn is_blank_math(s: &str) -> bool {
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
pub(super) fn choice_letter(s: &str) -> Option<char> {
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
pub(super) fn leading_choice(s: &str) -> Option<char> {
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
pub(super) fn text_equal(a: &str, t: &str) -> bool {
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
