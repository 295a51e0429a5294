//! verl `math_dapo.compute_score` compatibility (Minerva-style, non-strict path), re-implemented
//! rule by rule so decisions match verl exactly: keep the last 300 characters, take the last
//! `Answer\s*:\s*([^\n]+)` match (case-insensitive), normalize prediction and ground truth with
//! verl's `normalize_final_answer`, and compare the strings.

/// Python's `str.isspace()` (White_Space plus the ASCII information separators).
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.isdigit()` for one character (decimal digits, superscripts, circled digits...).
fn py_digit(c: char) -> bool {
    if c.is_ascii_digit() {
        return true;
    }
    let u = c as u32;
    matches!(u,
        0xB2 | 0xB3 | 0xB9 | 0x2070 | 0x2074..=0x2079 | 0x2080..=0x2089 | 0x2460..=0x2468
        | 0x2474..=0x247C | 0x2488..=0x2490 | 0x24EA | 0x24F5..=0x24FD | 0x24FF | 0x2776..=0x277E
        | 0x2780..=0x2788 | 0x278A..=0x2792 | 0x1369..=0x1371 | 0x19DA | 0xFF10..=0xFF19
        | 0x0660..=0x0669 | 0x06F0..=0x06F9 | 0x07C0..=0x07C9 | 0x0966..=0x096F | 0x09E6..=0x09EF
        | 0x0A66..=0x0A6F | 0x0AE6..=0x0AEF | 0x0B66..=0x0B6F | 0x0BE6..=0x0BEF | 0x0C66..=0x0C6F
        | 0x0CE6..=0x0CEF | 0x0D66..=0x0D6F | 0x0DE6..=0x0DEF | 0x0E50..=0x0E59 | 0x0ED0..=0x0ED9
        | 0x0F20..=0x0F29 | 0x1040..=0x1049 | 0x1090..=0x1099 | 0x17E0..=0x17E9 | 0x1810..=0x1819
        | 0x1946..=0x194F | 0x19D0..=0x19D9 | 0x1A80..=0x1A89 | 0x1A90..=0x1A99 | 0x1B50..=0x1B59
        | 0x1BB0..=0x1BB9 | 0x1C40..=0x1C49 | 0x1C50..=0x1C59 | 0xA620..=0xA629 | 0xA8D0..=0xA8D9
        | 0xA900..=0xA909 | 0xA9D0..=0xA9D9 | 0xA9F0..=0xA9F9 | 0xAA50..=0xAA59 | 0xABF0..=0xABF9
        | 0x1D7CE..=0x1D7FF | 0x1F100..=0x1F10A)
}

/// Characters that match `answer` under Python's case-insensitive Unicode matching.
fn letter_matches(c: char, want: char) -> bool {
    c.to_ascii_lowercase() == want || (want == 's' && c == '\u{17f}')
}

/// All non-overlapping captures of `(?i)Answer\s*:\s*([^\n]+)` in `s`, as `re.findall` gives them.
fn answer_captures(s: &[char]) -> Vec<String> {
    const WORD: [char; 6] = ['a', 'n', 's', 'w', 'e', 'r'];
    let mut out = Vec::new();
    let mut p = 0;
    while p + WORD.len() <= s.len() {
        if !(0..WORD.len()).all(|k| letter_matches(s[p + k], WORD[k])) {
            p += 1;
            continue;
        }
        let mut i = p + WORD.len();
        while i < s.len() && py_space(s[i]) {
            i += 1;
        }
        if i >= s.len() || s[i] != ':' {
            p += 1;
            continue;
        }
        let ws_start = i + 1;
        let mut ws_end = ws_start;
        while ws_end < s.len() && py_space(s[ws_end]) {
            ws_end += 1;
        }
        // Greedy `\s*`, backing off until `[^\n]+` can match at least one character.
        let mut start = None;
        let mut k = ws_end;
        loop {
            if k < s.len() && s[k] != '\n' {
                start = Some(k);
                break;
            }
            if k == ws_start {
                break;
            }
            k -= 1;
        }
        let Some(start) = start else {
            p += 1;
            continue;
        };
        let mut end = start;
        while end < s.len() && s[end] != '\n' {
            end += 1;
        }
        out.push(s[start..end].iter().collect());
        p = end;
    }
    out
}

const SUBSTITUTIONS: [(&str, &str); 10] = [
    ("an ", ""),
    ("a ", ""),
    (".$", "$"),
    ("\\$", ""),
    ("\\ ", ""),
    (" ", ""),
    ("mbox", "text"),
    (",\\text{and}", ","),
    ("\\text{and}", ","),
    ("\\text{m}", "\\text{}"),
];

const REMOVED: [&str; 41] = [
    "square",
    "ways",
    "integers",
    "dollars",
    "mph",
    "inches",
    "hours",
    "km",
    "units",
    "\\ldots",
    "sue",
    "points",
    "feet",
    "minutes",
    "digits",
    "cents",
    "degrees",
    "cm",
    "gm",
    "pounds",
    "meters",
    "meals",
    "edges",
    "students",
    "childrentickets",
    "multiples",
    "\\text{s}",
    "\\text{.}",
    "\\text{\ns}",
    "\\text{}^2",
    "\\text{}^3",
    "\\text{\n}",
    "\\text{}",
    "\\mathrm{th}",
    "^\\circ",
    "^{\\circ}",
    "\\;",
    ",\\!",
    "{,}",
    "\"",
    "\\dots",
];

/// Per line: `(.*?)\$(.*?)\$(.*)` -> `$\2$` (a line with two `$` keeps the text between them).
fn keep_first_math(s: &str) -> String {
    s.split('\n')
        .map(|line| {
            let mut it = line.match_indices('$');
            match (it.next(), it.next()) {
                (Some((a, _)), Some((b, _))) => format!("${}$", &line[a + 1..b]),
                _ => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `(\\cmd\{)(.*?)(\})` -> `\2`: unwrap `\cmd{...}` up to the first `}` on the same line.
fn unwrap_lazy(s: &str, open: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(open) {
        let after = &rest[i + open.len()..];
        let close = after
            .find(['}', '\n'])
            .filter(|&j| after.as_bytes()[j] == b'}');
        match close {
            Some(j) => {
                out.push_str(&rest[..i]);
                out.push_str(&after[..j]);
                rest = &after[j + 1..];
            }
            None => {
                // No match here: keep the first character and search again after it.
                let ch_len = rest[i..].chars().next().map_or(1, |c| c.len_utf8());
                out.push_str(&rest[..i + ch_len]);
                rest = &rest[i + ch_len..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `(\\boxed\{)(.*)(\})` -> `\2`: per line, from the first `\boxed{` to the last `}` after it.
fn unwrap_boxed_greedy(s: &str) -> String {
    s.split('\n')
        .map(|line| {
            if let Some(i) = line.find("\\boxed{") {
                let inner_start = i + "\\boxed{".len();
                if let Some(j) = line[inner_start..].rfind('}') {
                    let j = inner_start + j;
                    return format!("{}{}{}", &line[..i], &line[inner_start..j], &line[j + 1..]);
                }
            }
            line.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `(frac)([^{])(.)` -> `frac{\2}{\3}` and `(sqrt)([^{])` -> `sqrt{\2}`.
fn shorthand(s: &str, cmd: &str, args: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    let pat: Vec<char> = cmd.chars().collect();
    let mut out = String::with_capacity(s.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let at_cmd = i + pat.len() <= chars.len() && chars[i..i + pat.len()] == pat[..];
        if at_cmd {
            let a = chars.get(i + pat.len()).copied();
            let b = chars.get(i + pat.len() + 1).copied();
            let ok_a = matches!(a, Some(c) if c != '{');
            let ok_b = args == 1 || matches!(b, Some(c) if c != '\n');
            if ok_a && ok_b {
                out.push_str(cmd);
                out.push('{');
                out.push(a.unwrap_or(' '));
                out.push('}');
                if args == 2 {
                    out.push('{');
                    out.push(b.unwrap_or(' '));
                    out.push('}');
                }
                i += pat.len() + args;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// verl's `normalize_final_answer`, step for step.
pub fn normalize_final_answer(answer: &str) -> String {
    let mut s = answer.rsplit('=').next().unwrap_or("").to_string();
    for (before, after) in SUBSTITUTIONS {
        s = s.replace(before, after);
    }
    for expr in REMOVED {
        s = s.replace(expr, "");
    }
    s = keep_first_math(&s);
    s = unwrap_lazy(&s, "\\text{");
    s = unwrap_lazy(&s, "\\textbf{");
    s = unwrap_lazy(&s, "\\overline{");
    s = unwrap_boxed_greedy(&s);
    s = shorthand(&s, "frac", 2);
    s = shorthand(&s, "sqrt", 1);
    s = s.replace('$', "");
    let no_commas = s.replace(',', "");
    if !no_commas.is_empty() && no_commas.chars().all(py_digit) {
        s = no_commas;
    }
    s.trim_matches(py_space).to_string()
}

/// (correct, normalized prediction or None when no `Answer:` line is found).
pub fn score(response: &str, ground_truth: &str) -> (bool, Option<String>) {
    // The last 300 characters (code points, as Python slices).
    let cut = response.char_indices().rev().nth(299).map_or(0, |(i, _)| i);
    let tail: Vec<char> = response[cut..].chars().collect();
    let tail = &tail[..];
    let caps = answer_captures(tail);
    let gt = normalize_final_answer(ground_truth);
    match caps.last() {
        Some(raw) => {
            let pred = normalize_final_answer(raw);
            (pred == gt, Some(pred))
        }
        None => {
            // verl compares the normalized placeholder "[INVALID]".
            let pred = normalize_final_answer("[INVALID]");
            (pred == gt, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_examples() {
        assert_eq!(normalize_final_answer("x = \\frac12"), "\\frac{1}{2}");
        assert_eq!(normalize_final_answer(" 1,000 "), "1000");
        assert_eq!(normalize_final_answer("$\\boxed{5}$ dollars"), "5");
        assert_eq!(normalize_final_answer("10 \\text{ cm}"), "10");
        assert_eq!(normalize_final_answer("an apple"), "apple");
    }

    #[test]
    fn answer_line_capture() {
        assert_eq!(score("blah\nAnswer: 42", "42"), (true, Some("42".into())));
        assert!(score("Answer:\n\n 7", "7").0);
        assert_eq!(score("no marker 42", "42"), (false, None));
        assert!(score("Answer: 1\nANSWER : 2", "2").0);
    }
}
