//! Unicode script and character-class classification, table-driven and allocation-free.
//!
//! Only what the detectors need: which writing system a letter belongs to (for language drift and
//! for script mixing inside a token), and a coarse class for every other character (digit, ASCII
//! punctuation, math symbol, pictographic or box-drawing symbol, control). Ranges follow the
//! Unicode block layout; a letter outside the listed blocks is `Script::Other`.

/// Writing systems distinguished by the detectors. `Common` covers letter-like math symbols
/// (ℝ, 𝑥) that belong to no language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Script {
    Latin,
    Greek,
    Cyrillic,
    Armenian,
    Hebrew,
    Arabic,
    Devanagari,
    Bengali,
    Indic,
    Thai,
    Lao,
    Tibetan,
    Myanmar,
    Georgian,
    Ethiopic,
    Khmer,
    Hangul,
    /// Han ideographs, Hiragana, Katakana and Bopomofo: Chinese and Japanese text mixes them.
    Cjk,
    Common,
    Other,
}

impl Script {
    pub const ALL: [Script; 20] = [
        Script::Latin,
        Script::Greek,
        Script::Cyrillic,
        Script::Armenian,
        Script::Hebrew,
        Script::Arabic,
        Script::Devanagari,
        Script::Bengali,
        Script::Indic,
        Script::Thai,
        Script::Lao,
        Script::Tibetan,
        Script::Myanmar,
        Script::Georgian,
        Script::Ethiopic,
        Script::Khmer,
        Script::Hangul,
        Script::Cjk,
        Script::Common,
        Script::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Script::Latin => "latin",
            Script::Greek => "greek",
            Script::Cyrillic => "cyrillic",
            Script::Armenian => "armenian",
            Script::Hebrew => "hebrew",
            Script::Arabic => "arabic",
            Script::Devanagari => "devanagari",
            Script::Bengali => "bengali",
            Script::Indic => "indic",
            Script::Thai => "thai",
            Script::Lao => "lao",
            Script::Tibetan => "tibetan",
            Script::Myanmar => "myanmar",
            Script::Georgian => "georgian",
            Script::Ethiopic => "ethiopic",
            Script::Khmer => "khmer",
            Script::Hangul => "hangul",
            Script::Cjk => "cjk",
            Script::Common => "common",
            Script::Other => "other",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// Scripts that never count as foreign for an English text: Latin itself, Greek (math
    /// symbols such as θ, Δ, π) and letter-like math symbols.
    pub fn neutral_for_english(self) -> bool {
        matches!(self, Script::Latin | Script::Greek | Script::Common)
    }
}

/// Coarse class of a non-whitespace character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharClass {
    /// A letter (Unicode alphabetic, combining marks excluded) of the given script.
    Letter(Script),
    /// A combining mark (accents, Indic vowel signs, Thai tone marks).
    Mark,
    Digit,
    /// ASCII punctuation and symbols: used by LaTeX, code and markdown.
    AsciiPunct,
    /// Symbols used in mathematical and ordinary writing: Latin-1 signs (± × ÷ · ° ²),
    /// general punctuation (– — ‘ ’ “ ” … ′ ″), letter-like symbols, number forms, arrows,
    /// mathematical operators, CJK and full-width punctuation.
    MathOrPunct,
    /// Pictographic and decorative symbols: box drawing, blocks, geometric shapes, dingbats,
    /// miscellaneous symbols and technical signs, emoji, private use, replacement characters.
    Pictograph,
    /// Control and format characters other than whitespace.
    Control,
}

const LETTER_RANGES: &[(u32, u32, Script)] = &[
    (0x00AA, 0x00AA, Script::Latin),
    (0x00B5, 0x00B5, Script::Greek),
    (0x00BA, 0x00BA, Script::Latin),
    (0x00C0, 0x02AF, Script::Latin),
    (0x0370, 0x03FF, Script::Greek),
    (0x0400, 0x052F, Script::Cyrillic),
    (0x0530, 0x058F, Script::Armenian),
    (0x0590, 0x05FF, Script::Hebrew),
    (0x0600, 0x06FF, Script::Arabic),
    (0x0750, 0x077F, Script::Arabic),
    (0x08A0, 0x08FF, Script::Arabic),
    (0x0900, 0x097F, Script::Devanagari),
    (0x0980, 0x09FF, Script::Bengali),
    (0x0A00, 0x0DFF, Script::Indic),
    (0x0E00, 0x0E7F, Script::Thai),
    (0x0E80, 0x0EFF, Script::Lao),
    (0x0F00, 0x0FFF, Script::Tibetan),
    (0x1000, 0x109F, Script::Myanmar),
    (0x10A0, 0x10FF, Script::Georgian),
    (0x1100, 0x11FF, Script::Hangul),
    (0x1200, 0x139F, Script::Ethiopic),
    (0x1780, 0x17FF, Script::Khmer),
    (0x1C80, 0x1C8F, Script::Cyrillic),
    (0x1C90, 0x1CBF, Script::Georgian),
    (0x1D00, 0x1DBF, Script::Latin),
    (0x1E00, 0x1EFF, Script::Latin),
    (0x1F00, 0x1FFF, Script::Greek),
    (0x2071, 0x209F, Script::Latin),
    (0x2100, 0x214F, Script::Common),
    (0x2C60, 0x2C7F, Script::Latin),
    (0x2D00, 0x2D2F, Script::Georgian),
    (0x2D80, 0x2DDF, Script::Ethiopic),
    (0x2DE0, 0x2DFF, Script::Cyrillic),
    (0x3005, 0x3007, Script::Cjk),
    (0x3021, 0x3029, Script::Cjk),
    (0x3031, 0x303C, Script::Cjk),
    (0x3040, 0x30FF, Script::Cjk),
    (0x3100, 0x312F, Script::Cjk),
    (0x3130, 0x318F, Script::Hangul),
    (0x31A0, 0x31FF, Script::Cjk),
    (0x3400, 0x4DBF, Script::Cjk),
    (0x4E00, 0x9FFF, Script::Cjk),
    (0xA640, 0xA69F, Script::Cyrillic),
    (0xA720, 0xA7FF, Script::Latin),
    (0xA960, 0xA97F, Script::Hangul),
    (0xAB30, 0xAB6F, Script::Latin),
    (0xAC00, 0xD7FF, Script::Hangul),
    (0xF900, 0xFAFF, Script::Cjk),
    (0xFB00, 0xFB06, Script::Latin),
    (0xFB1D, 0xFB4F, Script::Hebrew),
    (0xFB50, 0xFDFF, Script::Arabic),
    (0xFE70, 0xFEFF, Script::Arabic),
    (0xFF21, 0xFF3A, Script::Latin),
    (0xFF41, 0xFF5A, Script::Latin),
    (0xFF66, 0xFF9F, Script::Cjk),
    (0xFFA0, 0xFFDC, Script::Hangul),
    (0x1D400, 0x1D7FF, Script::Common),
    (0x20000, 0x323AF, Script::Cjk),
];

fn letter_script(cp: u32) -> Script {
    // Binary search over sorted, non-overlapping ranges.
    let (mut lo, mut hi) = (0usize, LETTER_RANGES.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        let (a, b, s) = LETTER_RANGES[mid];
        if cp < a {
            hi = mid;
        } else if cp > b {
            lo = mid + 1;
        } else {
            return s;
        }
    }
    Script::Other
}

/// Combining marks that `char::is_alphabetic` counts as alphabetic (Other_Alphabetic) but that
/// Unicode categorises as marks (M*), not letters (L*).
fn is_mark(cp: u32) -> bool {
    match cp {
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05C7 => true,
        0x0610..=0x061A | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED => true,
        // Indic blocks share one layout: signs at the start, vowel signs and virama mid-block.
        0x0900..=0x0DFF => {
            let o = cp & 0x7F;
            matches!(o, 0x00..=0x03 | 0x3A..=0x3C | 0x3E..=0x4F | 0x51..=0x57 | 0x62..=0x63)
        }
        0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E => true,
        0x0EB1 | 0x0EB4..=0x0EBC | 0x0EC8..=0x0ECD => true,
        0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F => true,
        _ => false,
    }
}

/// Classify one non-whitespace character: the Basic Multilingual Plane from a table built once
/// by `classify_uncached`, so both always agree.
#[inline]
pub fn classify(c: char) -> CharClass {
    let cp = c as u32;
    if cp < 0x80 {
        return classify_uncached(c);
    }
    match bmp_table().get(cp as usize) {
        Some(&code) => decode(code),
        None => classify_uncached(c),
    }
}

/// `CharClass` as one byte: scripts 0..20 are letters of `Script::ALL[code]`.
const MARK: u8 = 32;
const DIGIT: u8 = 33;
const ASCII_PUNCT: u8 = 34;
const MATH_OR_PUNCT: u8 = 35;
const PICTOGRAPH: u8 = 36;
const CONTROL: u8 = 37;

fn encode(c: CharClass) -> u8 {
    match c {
        CharClass::Letter(s) => s.index() as u8,
        CharClass::Mark => MARK,
        CharClass::Digit => DIGIT,
        CharClass::AsciiPunct => ASCII_PUNCT,
        CharClass::MathOrPunct => MATH_OR_PUNCT,
        CharClass::Pictograph => PICTOGRAPH,
        CharClass::Control => CONTROL,
    }
}

#[inline]
fn decode(code: u8) -> CharClass {
    match code {
        MARK => CharClass::Mark,
        DIGIT => CharClass::Digit,
        ASCII_PUNCT => CharClass::AsciiPunct,
        MATH_OR_PUNCT => CharClass::MathOrPunct,
        PICTOGRAPH => CharClass::Pictograph,
        CONTROL => CharClass::Control,
        s => CharClass::Letter(Script::ALL[s as usize % Script::ALL.len()]),
    }
}

/// Class codes of U+0000..U+FFFF (surrogates, which are not chars, as Control).
fn bmp_table() -> &'static [u8] {
    static TABLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..0x10000u32)
            .map(|cp| char::from_u32(cp).map_or(CONTROL, |c| encode(classify_uncached(c))))
            .collect()
    })
}

/// The classification rules themselves.
fn classify_uncached(c: char) -> CharClass {
    let cp = c as u32;
    if cp < 0x80 {
        return match c {
            'a'..='z' | 'A'..='Z' => CharClass::Letter(Script::Latin),
            '0'..='9' => CharClass::Digit,
            '\x00'..='\x1F' | '\x7F' => CharClass::Control,
            _ => CharClass::AsciiPunct,
        };
    }
    // Fast paths for the blocks text and soups mostly use, before the general tables.
    match cp {
        0x4E00..=0x9FFF | 0x3041..=0x3096 | 0x30A1..=0x30FA => {
            return CharClass::Letter(Script::Cjk)
        }
        0xAC00..=0xD7A3 => return CharClass::Letter(Script::Hangul),
        0x0410..=0x044F => return CharClass::Letter(Script::Cyrillic),
        0x0391..=0x03A1 | 0x03A3..=0x03A9 | 0x03B1..=0x03C9 => {
            return CharClass::Letter(Script::Greek)
        }
        0x00C0..=0x00D6 | 0x00D8..=0x00F6 | 0x00F8..=0x017F => {
            return CharClass::Letter(Script::Latin)
        }
        0x0E01..=0x0E30 | 0x0E32..=0x0E33 | 0x0E40..=0x0E46 => {
            return CharClass::Letter(Script::Thai)
        }
        0x0621..=0x064A => return CharClass::Letter(Script::Arabic),
        0x0905..=0x0939 => return CharClass::Letter(Script::Devanagari),
        0x2200..=0x22FF | 0x2190..=0x21FF | 0x2010..=0x2027 | 0x3000..=0x3003 => {
            return CharClass::MathOrPunct
        }
        0xFF01..=0xFF0F | 0xFF1A..=0xFF20 => return CharClass::MathOrPunct,
        0x2500..=0x25FF | 0x2600..=0x27BF | 0x1F300..=0x1FAFF => return CharClass::Pictograph,
        _ => {}
    }
    if c.is_alphabetic() {
        if is_mark(cp) {
            return CharClass::Mark;
        }
        return CharClass::Letter(letter_script(cp));
    }
    if c.is_numeric() && (0x2460..=0x24FF).contains(&cp) {
        // Enclosed alphanumerics (①) are decorative here.
        return CharClass::Pictograph;
    }
    if c.is_numeric() {
        return CharClass::Digit;
    }
    match cp {
        0x80..=0x9F | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0xFEFF => {
            CharClass::Control
        }
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05C7 | 0x0610..=0x061A => CharClass::Mark,
        0x064B..=0x065F | 0x0900..=0x0DFF | 0x0E31..=0x0E4E | 0x0EB1..=0x0ECD => CharClass::Mark,
        0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F => CharClass::Mark,
        0x00A0..=0x00BF | 0x00D7 | 0x00F7 => CharClass::MathOrPunct,
        0x2000..=0x20CF => CharClass::MathOrPunct,
        0x2100..=0x218F | 0x2190..=0x21FF | 0x2200..=0x22FF | 0x27C0..=0x27EF => {
            CharClass::MathOrPunct
        }
        0x2980..=0x2AFF | 0x3000..=0x303F | 0xFF00..=0xFFEF => CharClass::MathOrPunct,
        0x1D400..=0x1D7FF => CharClass::MathOrPunct,
        // Other scripts' punctuation (Arabic comma, Devanagari danda, Thai signs, ...).
        0x0370..=0x1FFF => CharClass::MathOrPunct,
        _ => CharClass::Pictograph,
    }
}

/// Group used to decide whether one token mixes writing systems: Greek and Common mix freely
/// with anything (math), everything else is its own group.
#[inline]
pub fn mixing_group(s: Script) -> Option<Script> {
    match s {
        Script::Greek | Script::Common => None,
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_scripts_and_symbols() {
        assert_eq!(classify('a'), CharClass::Letter(Script::Latin));
        assert_eq!(classify('é'), CharClass::Letter(Script::Latin));
        assert_eq!(classify('θ'), CharClass::Letter(Script::Greek));
        assert_eq!(classify('ж'), CharClass::Letter(Script::Cyrillic));
        assert_eq!(classify('答'), CharClass::Letter(Script::Cjk));
        assert_eq!(classify('ゆ'), CharClass::Letter(Script::Cjk));
        assert_eq!(classify('정'), CharClass::Letter(Script::Hangul));
        assert_eq!(classify('ค'), CharClass::Letter(Script::Thai));
        assert_eq!(classify('ั'), CharClass::Mark);
        assert_eq!(classify('ा'), CharClass::Mark);
        assert_eq!(classify('उ'), CharClass::Letter(Script::Devanagari));
        assert_eq!(classify('ا'), CharClass::Letter(Script::Arabic));
        assert_eq!(classify('ℝ'), CharClass::Letter(Script::Common));
        assert_eq!(classify('7'), CharClass::Digit);
        assert_eq!(classify('²'), CharClass::Digit);
        assert_eq!(classify('≤'), CharClass::MathOrPunct);
        assert_eq!(classify('√'), CharClass::MathOrPunct);
        assert_eq!(classify('…'), CharClass::MathOrPunct);
        assert_eq!(classify('─'), CharClass::Pictograph);
        assert_eq!(classify('♣'), CharClass::Pictograph);
        assert_eq!(classify('🍽'), CharClass::Pictograph);
        assert_eq!(classify('$'), CharClass::AsciiPunct);
        assert_eq!(classify('\u{FFFD}'), CharClass::Pictograph);
    }

    #[test]
    fn table_agrees_with_the_rules() {
        for cp in 0..0x11000u32 {
            if let Some(c) = char::from_u32(cp) {
                assert_eq!(classify(c), classify_uncached(c), "U+{cp:04X}");
            }
        }
    }

    #[test]
    fn ranges_are_sorted() {
        for w in LETTER_RANGES.windows(2) {
            assert!(w[0].1 < w[1].0, "{:x?}", w);
        }
    }
}
