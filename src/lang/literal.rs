//! How the language writes bytes and durations: string literals (`"ATZ\r"`) and duration
//! literals (`1500ms`). The parser reads them with these functions, and everything that
//! shows bytes or durations to a user (the disassembler, messages, transcripts, the REPL,
//! `atchat import`) writes them with them, so what a tool prints can be pasted into a script.

use std::fmt::Write;
use std::time::Duration;

/// `b"AT{x}\r"` → `"AT\{x\}\r"`: bytes as a string literal that stands for exactly them.
/// Printable ASCII stays as it is; `\r \n \t \\ \" \{ \}` and `\xNN` for the rest.
pub fn quote(bytes: &[u8]) -> String {
    format!("\"{}\"", quote_text(bytes))
}

/// What goes between the quotes of [`quote`]'s literal, for a literal made of text and
/// `{holes}`.
pub fn quote_text(bytes: &[u8]) -> String {
    escaped(bytes, true)
}

/// Bytes as readable text, for transcripts and messages: escaped as in a literal, except
/// that `{` and `}` stay as they are (there are no holes to tell them from).
pub fn escape_bytes(bytes: &[u8]) -> String {
    escaped(bytes, false)
}

fn escaped(bytes: &[u8], braces: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'{' | b'}' if braces => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out
}

/// The escape at the start of `text` (which starts with `\`): the byte it stands for and its
/// length in `text`. `None` for an escape the language does not know (`\q`, `\x4`).
pub fn decode_escape(text: &str) -> Option<(u8, usize)> {
    let mut chars = text.strip_prefix('\\')?.chars();
    let byte = match chars.next()? {
        'r' => b'\r',
        'n' => b'\n',
        't' => b'\t',
        '0' => 0,
        'e' => 0x1b,
        c @ ('\\' | '"' | '{' | '}') => c as u8,
        'x' => {
            let hex = text.get(2..4)?;
            return hex.bytes().all(|h| h.is_ascii_hexdigit()).then(|| (u8::from_str_radix(hex, 16).unwrap_or(0), 4));
        }
        _ => return None,
    };
    Some((byte, 2))
}

/// Decodes one escape as the parser found it (`\r`, `\x1a`). An unknown escape stands for
/// the character itself; the checker warns about it.
pub fn unescape(escape: &str) -> Vec<u8> {
    match decode_escape(escape) {
        Some((byte, len)) if len == escape.len() => vec![byte],
        _ => escape.get(1..).unwrap_or("").as_bytes().to_vec(),
    }
}

/// `"AT\{x\}\r"` → `b"AT{x}\r"`: the bytes a string literal without holes stands for, the
/// inverse of [`quote`]. `None` for text that is not one such literal.
pub fn unquote(literal: &str) -> Option<Vec<u8>> {
    let body = literal.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while let Some(c) = rest.chars().next() {
        match c {
            '\\' => {
                let (byte, len) = decode_escape(rest)?;
                out.push(byte);
                rest = &rest[len..];
            }
            '"' | '{' | '}' | '\r' | '\n' => return None,
            c => {
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    Some(out)
}

/// Seconds in one `unit` of a duration literal (`ms`, `s`, `m` or `min`, `h`).
pub fn duration_unit(unit: &str) -> Option<f64> {
    Some(match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return None,
    })
}

/// The longest duration the language has: a year (366 days). More is a typo, and the limit
/// keeps deadline arithmetic far from overflow; `.atcb` files are held to it too.
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 86400);

/// `500ms` → 0.5 s. `None` for an unknown unit or an absurd value (past [`MAX_DURATION`]).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let seconds = number.parse::<f64>().ok()? * duration_unit(unit)?;
    (seconds.is_finite() && (0.0..=MAX_DURATION.as_secs_f64()).contains(&seconds))
        .then(|| Duration::from_secs_f64(seconds))
}

/// A duration the way a script writes it, exactly, in the largest unit that gives a whole
/// number: `250ms`, `5s`, `2m`, `1500ms`; finer ones in `us` or `ns`.
pub fn format_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        "0s".to_string()
    } else if nanos % 60_000_000_000 == 0 {
        format!("{}m", nanos / 60_000_000_000)
    } else if nanos % 1_000_000_000 == 0 {
        format!("{}s", nanos / 1_000_000_000)
    } else if nanos % 1_000_000 == 0 {
        format!("{}ms", nanos / 1_000_000)
    } else if nanos % 1_000 == 0 {
        format!("{}us", nanos / 1_000)
    } else {
        format!("{nanos}ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_and_unquote_are_inverses() {
        let all: Vec<u8> = (0..=255).collect();
        for bytes in [&b""[..], b"ATZ\r", b"{x} \"q\" \\ \x00\x1b\x7f\xff", &all] {
            assert_eq!(unquote(&quote(bytes)).as_deref(), Some(bytes), "{}", quote(bytes));
        }
        assert_eq!(quote(b"AT{x}\r"), r#""AT\{x\}\r""#);
        assert_eq!(quote(b"a\"b\\c\n\t\x1a\xff"), r#""a\"b\\c\n\t\x1a\xff""#);
        assert_eq!(escape_bytes(b"AT{x}\r\x1a"), r"AT{x}\r\x1a");
        assert_eq!(unquote(r#""\e\0\x41é""#), Some(b"\x1b\0A\xc3\xa9".to_vec()));
        for bad in [r#""{x}""#, r#""\q""#, r#""\x4""#, r#""a"b""#, "ATZ"] {
            assert_eq!(unquote(bad), None, "{bad}");
        }
    }

    #[test]
    fn escapes_as_the_parser_finds_them() {
        assert_eq!(unescape(r"\r"), b"\r");
        assert_eq!(unescape(r"\x1a"), b"\x1a");
        assert_eq!(unescape(r"\}"), b"}");
        assert_eq!(unescape(r"\q"), b"q");
        assert_eq!(unescape(r"\x"), b"x");
        assert_eq!(decode_escape(r"\x1g"), None);
    }

    #[test]
    fn durations_read_and_written() {
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2min"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration("99999h"), None);
        for (ms, text) in [(250, "250ms"), (5000, "5s"), (120_000, "2m"), (1500, "1500ms"), (0, "0s")] {
            let d = Duration::from_millis(ms);
            assert_eq!(format_duration(d), text);
            assert_eq!(parse_duration(text), Some(d));
        }
        assert_eq!(format_duration(Duration::from_nanos(1_500)), "1500ns");
    }
}
