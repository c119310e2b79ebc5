//! Which writing system a character belongs to: the first cue for language and tokenisation.

/// A coarse script class; enough to tell Chinese, Latin-script languages and the rest apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    Han,
    Latin,
    /// Hiragana or katakana: Japanese, which shares Han characters with Chinese.
    Kana,
    Hangul,
    /// A letter of any other script (Cyrillic, Arabic, Greek, ...).
    OtherLetter,
    Digit,
    Space,
    /// Punctuation, symbols, marks, controls.
    Other,
}

/// Han ideographs, including the compatibility block and the astral extensions.
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF        // Extension A
        | 0x4E00..=0x9FFF      // Unified Ideographs
        | 0xF900..=0xFAFF      // Compatibility Ideographs
        | 0x20000..=0x2FA1F    // Extensions B–F, compatibility supplement
        | 0x30000..=0x323AF    // Extensions G–H
        | 0x3007               // 〇
    )
}

pub fn script(c: char) -> Script {
    if c.is_ascii() {
        return match c {
            'a'..='z' | 'A'..='Z' => Script::Latin,
            '0'..='9' => Script::Digit,
            c if c.is_ascii_whitespace() => Script::Space,
            _ => Script::Other,
        };
    }
    if is_han(c) {
        return Script::Han;
    }
    match c as u32 {
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9D => Script::Kana,
        0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => Script::Hangul,
        0x00C0..=0x024F | 0x1E00..=0x1EFF | 0xFF21..=0xFF3A | 0xFF41..=0xFF5A
            if c.is_alphabetic() =>
        {
            Script::Latin
        }
        _ if c.is_numeric() => Script::Digit,
        _ if c.is_whitespace() => Script::Space,
        _ if c.is_alphabetic() => Script::OtherLetter,
        _ => Script::Other,
    }
}

/// True for characters that count as word material in any script.
pub fn is_wordish(c: char) -> bool {
    !matches!(script(c), Script::Space | Script::Other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_scripts() {
        assert_eq!(script('中'), Script::Han);
        assert_eq!(script('國'), Script::Han);
        assert_eq!(script('𠀀'), Script::Han);
        assert_eq!(script('é'), Script::Latin);
        assert_eq!(script('ア'), Script::Kana);
        assert_eq!(script('한'), Script::Hangul);
        assert_eq!(script('Ж'), Script::OtherLetter);
        assert_eq!(script('٣'), Script::Digit);
        assert_eq!(script('\u{3000}'), Script::Space);
        assert_eq!(script('。'), Script::Other);
        assert_eq!(script('“'), Script::Other);
    }
}
