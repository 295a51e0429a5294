//! Which part of a response is its final answer (Archer mode). Priority, as in the policy:
//! text after the last `</think>`; the last `\boxed{}`/`\fbox{}` (an unclosed last box means no
//! answer, with no fallback); the last `Answer:` line; "the answer is ..." in the final sentence;
//! the last number in the final sentence. Every scan is linear in the response length.

/// Where the answer came from (useful for debugging and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Boxed,
    AnswerLine,
    AnswerPhrase,
    LastNumber,
}

/// Which fallbacks after `\boxed{}` are enabled.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub after_think: bool,
    pub answer_line: bool,
    pub answer_phrase: bool,
    pub last_number: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            after_think: true,
            answer_line: true,
            answer_phrase: true,
            last_number: true,
        }
    }
}

/// The final answer of `response` with every rule enabled, or `None` when it has none.
pub fn extract_answer(response: &str) -> Option<(String, Source)> {
    extract_with(response, &Options::default())
}

/// The final answer of `response` under `opts`.
pub fn extract_with(response: &str, opts: &Options) -> Option<(String, Source)> {
    let bytes = response.as_bytes();
    let think = memchr::memrchr_iter(b'<', bytes).find(|&i| bytes[i..].starts_with(b"</think>"));
    let text = match think {
        Some(i) if opts.after_think => &response[i + "</think>".len()..],
        _ => response,
    };
    if let Some(found) = last_box(text) {
        // A box is present: its content is the answer, or there is none (never a fallback).
        return found.map(|s| (s.to_string(), Source::Boxed));
    }
    if opts.answer_line {
        if let Some(a) = answer_line(text) {
            return Some((a, Source::AnswerLine));
        }
    }
    let sentence = final_sentence(text);
    if opts.answer_phrase {
        if let Some(a) = answer_phrase(sentence) {
            return Some((a, Source::AnswerPhrase));
        }
    }
    // A question is not an answer, and a sentence cut inside math (odd `$`, unclosed `{` or
    // `\(`) is a truncated response: neither has a final number.
    if !opts.last_number || sentence.trim_end().ends_with('?') || cut_inside_math(sentence) {
        return None;
    }
    last_number(sentence).map(|a| (a, Source::LastNumber))
}

/// Unbalanced math delimiters: an odd number of unescaped `$`, more `{` than `}`, or an
/// unclosed `\(`.
fn cut_inside_math(sentence: &str) -> bool {
    let b = sentence.as_bytes();
    let (mut dollars, mut depth, mut parens) = (0usize, 0i64, 0i64);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if i + 1 < b.len() => {
                match b[i + 1] {
                    b'(' => parens += 1,
                    b')' => parens -= 1,
                    _ => {}
                }
                i += 2;
                continue;
            }
            b'$' => dollars += 1,
            b'{' => depth += 1,
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    dollars % 2 == 1 || depth > 0 || parens > 0
}

/// `None` when the text has no box command; `Some(None)` when the last one is never closed.
fn last_box(text: &str) -> Option<Option<&str>> {
    // SIMD scan for backslashes from the end; the first `\boxed`/`\fbox` found is the last.
    let bytes = text.as_bytes();
    let (start, cmd_len) = memchr::memrchr_iter(b'\\', bytes).find_map(|i| {
        let after = &bytes[i + 1..];
        if after.starts_with(b"boxed") {
            Some((i, 6))
        } else if after.starts_with(b"fbox") {
            Some((i, 5))
        } else {
            None
        }
    })?;
    let rest = &text[start + cmd_len..];
    let trimmed = rest.trim_start();
    let offset = rest.len() - trimmed.len();
    if !trimmed.starts_with('{') {
        // `\boxed 5`: old-style single-token argument.
        let tok: &str = trimmed
            .split(|c: char| c.is_whitespace() || c == '$' || c == '\\')
            .next()
            .unwrap_or("");
        let tok = tok.trim_end_matches(['.', ',']);
        return Some(if tok.is_empty() || offset == 0 {
            None
        } else {
            Some(tok)
        });
    }
    Some(balanced_group(trimmed))
}

/// Content of the brace group that `s` starts with (escaped braces `\{` `\}` do not count).
pub fn balanced_group(s: &str) -> Option<&str> {
    let bytes = s.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                i += 2;
                continue;
            }
            b'{' => depth += 1,
            b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(&s[1..i]);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Case-insensitive ASCII search for `needle` (lowercase) ending at or before `end`, from the back.
fn rfind_ascii_ci(hay: &[u8], needle: &[u8], end: usize) -> Option<usize> {
    const BY_FREQUENCY: &[u8] = b"etaoinshrdlucmfwypvbgkjqxz";
    let n = needle.len();
    let last_start = end.min(hay.len()).checked_sub(n)?;
    // Anchor on the needle's rarest letter (SIMD scan, either case), then compare the rest.
    let rank = |b: u8| {
        BY_FREQUENCY
            .iter()
            .position(|&c| c == b.to_ascii_lowercase())
            .unwrap_or(BY_FREQUENCY.len())
    };
    let k = (0..n).max_by_key(|&k| rank(needle[k])).unwrap_or(0);
    let (lo, up) = (
        needle[k].to_ascii_lowercase(),
        needle[k].to_ascii_uppercase(),
    );
    // An index into the slice starting at `k` is exactly the candidate start in `hay`.
    memchr::memrchr2_iter(lo, up, &hay[k..=last_start + k])
        .find(|&i| hay[i..i + n].eq_ignore_ascii_case(needle))
}

/// The last line of the form `Answer: X` (also `**Answer:** X`, `Final Answer: X`); when X is
/// empty on that line, the next non-empty line.
fn answer_line(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut end = bytes.len();
    while let Some(pos) = rfind_ascii_ci(bytes, b"answer", end) {
        end = pos + 5; // next search ends before this occurrence
        let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let prefix: String = text[line_start..pos]
            .chars()
            .filter(|c| !matches!(c, '*' | '#' | '_' | '>' | '-') && !c.is_whitespace())
            .flat_map(|c| c.to_lowercase())
            .collect();
        if !(prefix.is_empty() || prefix == "final" || prefix == "the" || prefix == "thefinal") {
            continue;
        }
        let after = text[pos + 6..line_end].trim_start_matches(['*', ' ', '\t']);
        let Some(after) = after.strip_prefix(':') else {
            continue;
        };
        let mut value = after
            .trim_start_matches(['*', ' ', '\t'])
            .trim()
            .to_string();
        if value.is_empty() {
            value = text[line_end..]
                .lines()
                .map(|l| l.trim())
                .find(|l| !l.is_empty())
                .unwrap_or("")
                .to_string();
        }
        // `Answer: \[` with the math on the following lines.
        if matches!(value.as_str(), "\\[" | "$$" | "\\(" | "$") {
            let close = match value.as_str() {
                "\\[" => "\\]",
                "\\(" => "\\)",
                other => other,
            };
            let rest = &text[line_end..];
            if let Some(j) = rest.find(close) {
                value = rest[..j].trim().to_string();
            }
        }
        // Minerva style: `Final Answer: The final answer is $X$. I hope it is correct.`
        if let Some(k) = value.to_ascii_lowercase().find("answer is") {
            let after = value[k + "answer is".len()..].trim_start_matches([':', ' ']);
            value = first_sentence(after).to_string();
        }
        let value = strip_trailing_period(&value);
        return if value.is_empty() { None } else { Some(value) };
    }
    None
}

/// Text up to the first `.`/`!`/`?` followed by whitespace (outside `$...$`).
fn first_sentence(s: &str) -> &str {
    let b = s.as_bytes();
    let mut in_math = false;
    for i in 0..b.len() {
        if b[i] == b'$' {
            in_math = !in_math;
        }
        let ends = i + 1 == b.len() || b[i + 1].is_ascii_whitespace();
        if !in_math && matches!(b[i], b'.' | b'!' | b'?') && ends {
            return &s[..i];
        }
    }
    s
}

/// The text after the last `.`/`!`/`?` followed by whitespace, or after the last line break.
pub fn final_sentence(text: &str) -> &str {
    let t = text.trim_end();
    let bytes = t.as_bytes();
    let mut cut = 0;
    for i in (0..bytes.len()).rev() {
        let b = bytes[i];
        if b == b'\n' {
            cut = i + 1;
            break;
        }
        if matches!(b, b'.' | b'!' | b'?')
            && i + 1 < bytes.len()
            && bytes[i + 1].is_ascii_whitespace()
        {
            cut = i + 1;
            break;
        }
    }
    &t[cut..]
}

/// "... the answer is X." in the final sentence: X without the period and math delimiters.
fn answer_phrase(sentence: &str) -> Option<String> {
    let lower = sentence.to_ascii_lowercase();
    let pos = lower.rfind("answer is")?;
    let rest = sentence[pos + "answer is".len()..].trim_start_matches([':', ' ']);
    let v = strip_trailing_period(rest.trim());
    if v.is_empty() {
        None
    } else {
        Some(v)
    }
}

/// Remove a sentence-final period and surrounding math delimiters.
fn strip_trailing_period(s: &str) -> String {
    let mut v = s.trim();
    loop {
        let before = v;
        v = v.trim_end_matches(['.', ' ']);
        // `$x$!` / `\(x\)!`: an exclamation after closed math ends the sentence.
        for close in ["$!", "\\)!", "\\]!"] {
            if v.ends_with(close) {
                v = &v[..v.len() - 1];
            }
        }
        for (open, close) in [("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")] {
            if v.len() >= open.len() + close.len() && v.starts_with(open) && v.ends_with(close) {
                v = v[open.len()..v.len() - close.len()].trim();
            }
        }
        if v == before {
            return v.to_string();
        }
    }
}

/// The last number (optional sign, decimals, comma thousands separators) in `sentence`.
fn last_number(sentence: &str) -> Option<String> {
    let b = sentence.as_bytes();
    let mut limit = b.len();
    loop {
        let mut end = limit;
        while end > 0 && !b[end - 1].is_ascii_digit() {
            end -= 1;
        }
        if end == 0 {
            return None;
        }
        let mut start = end;
        loop {
            while start > 0 && b[start - 1].is_ascii_digit() {
                start -= 1;
            }
            // A decimal point or a thousands comma followed by digits continues leftward.
            if start >= 2 && matches!(b[start - 1], b'.' | b',') && b[start - 2].is_ascii_digit() {
                if b[start - 1] == b',' && end - start < 3 {
                    break;
                }
                start -= 1;
                continue;
            }
            break;
        }
        // A number glued to a preceding letter, subscript or exponent mark (`AZYUK2A`, `x_1`,
        // `x^2`) is not a final answer.
        if start > 0 && (b[start - 1].is_ascii_alphabetic() || matches!(b[start - 1], b'_' | b'^'))
        {
            limit = start;
            continue;
        }
        if start > 0 && b[start - 1] == b'-' {
            start -= 1;
        }
        return Some(sentence[start..end].to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(s: &str) -> Option<String> {
        extract_answer(s).map(|(a, _)| a)
    }

    #[test]
    fn priority_and_boxes() {
        assert_eq!(
            ex("so \\boxed{1} then \\boxed{\\frac{1}{2}}."),
            Some("\\frac{1}{2}".into())
        );
        assert_eq!(ex("Answer: 3\n\\boxed{4"), None);
        assert_eq!(ex("x \\boxed {5}"), Some("5".into()));
        assert_eq!(ex("<think>\\boxed{1}</think> Answer: 2"), Some("2".into()));
        assert_eq!(ex("\\boxed{\\{1,2\\}}"), Some("\\{1,2\\}".into()));
    }

    #[test]
    fn lines_phrases_numbers() {
        assert_eq!(ex("Answer: 8\n\nredo.\n\nAnswer: 4"), Some("4".into()));
        assert_eq!(ex("work\n**Final Answer:** $-5/2$"), Some("-5/2".into()));
        assert_eq!(ex("Hence, the answer is \\(1/12\\)."), Some("1/12".into()));
        assert_eq!(
            ex("Steps. So the total comes to 1,234.5."),
            Some("1,234.5".into())
        );
        assert_eq!(ex("Therefore, the result is -70."), Some("-70".into()));
        assert_eq!(ex("We got 12. Let me know if you need more."), None);
        assert_eq!(ex("Is the total 12?"), None);
        assert_eq!(ex("Hmm. So the number of divisors is $3 + 4"), None);
        assert_eq!(ex("Hmm. So we get $\\frac{12"), None);
        assert_eq!(ex(""), None);
    }
}
