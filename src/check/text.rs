//! Checks that need the source text, not just the AST: escapes (decoded by the parser) and
//! duplicate `timeout =>` arms (the AST keeps only one), plus "did you mean" suggestions.

use crate::lang::literal::decode_escape;
use crate::syntax::ast::Span;

/// The closest candidate to `wanted` by edit distance, if close enough to be a likely typo.
pub fn suggest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let limit = (wanted.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != wanted)
        .map(|c| (distance(&wanted.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c.to_string())
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The keywords of the language (`keyword` in grammar/atchat.pest).
pub const KEYWORDS: &[&str] = &[
    "use", "secret", "param", "let", "timeout", "results", "port", "proc", "return", "send", "raw", "pace", "expect",
    "within", "idle", "on", "fail", "retry", "ignore", "times", "every", "if", "else", "and", "or", "not", "dtr",
    "rts", "break", "hangup", "escape", "wait", "baud", "flush", "sleep", "say", "print", "exit",
];

/// The keyword that starts at byte `at` of `source`, if a whole word there is one.
pub fn keyword_at(source: &str, at: usize) -> Option<&'static str> {
    let rest = source.get(at..)?;
    let end = rest.bytes().position(|b| !is_word(b)).unwrap_or(rest.len());
    let before_is_word = at > 0 && source.as_bytes().get(at - 1).is_some_and(|&b| is_word(b));
    KEYWORDS.iter().copied().find(|k| !before_is_word && *k == &rest[..end])
}

/// Unknown escapes in the string literal at `span`: `(escape as written, its span)`.
pub fn bad_escapes(source: &str, span: Span) -> Vec<(String, Span)> {
    let Some(text) = source.get(span.start..span.end) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            continue;
        }
        let Some((_, next)) = chars.next() else { break };
        if let Some((_, len)) = decode_escape(&text[i..]) {
            // Past the rest of it: the digits of `\xNN`.
            while chars.next_if(|(j, _)| *j < i + len).is_some() {}
        } else {
            let escape = format!("\\{}", next.escape_debug());
            let start = span.start + i;
            out.push((escape, Span::new(start, start + 1 + next.len_utf8())));
        }
    }
    out
}

/// The spans of the `timeout` keywords of `timeout =>` arms in the expect statement at `span`.
///
/// Only the arms block itself is scanned (depth 1): action blocks, strings and comments are
/// skipped, and `timeout` is a keyword, so a `timeout` word there followed by `=>` can only be
/// an arm.
pub fn timeout_arms(source: &str, span: Span) -> Vec<Span> {
    let Some(text) = source.get(span.start..span.end) else {
        return Vec::new();
    };
    let bytes = text.as_bytes();
    let mut i = "expect".len();
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\\' | b'\r' | b'\n') {
        i += 1;
    }
    if bytes.get(i) != Some(&b'{') {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut depth = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b if depth == 1 && is_word(b) && (i == 0 || !is_word(bytes[i - 1])) => {
                let start = i;
                while i < bytes.len() && is_word(bytes[i]) {
                    i += 1;
                }
                if &text[start..i] == "timeout" {
                    let rest = text[i..].trim_start_matches([' ', '\t']);
                    if rest.starts_with("=>") {
                        out.push(Span::new(span.start + start, span.start + i));
                    }
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(suggest("rat", ["rate", "number"]), Some("rate".into()));
        assert_eq!(suggest("OKK", ["OK", "ERROR"]), Some("OK".into()));
        assert_eq!(suggest("xyz", ["rate", "number"]), None);
    }

    #[test]
    fn finds_keywords_used_as_names() {
        assert_eq!(keyword_at("f(within: 1s)", 2), Some("within"));
        assert_eq!(keyword_at("f(withinx: 1s)", 2), None);
        assert_eq!(keyword_at("xwithin", 1), None);
    }

    #[test]
    fn finds_bad_escapes() {
        let src = r#""a\q\x1a\xZZ\r""#;
        let bad = bad_escapes(src, Span::new(0, src.len()));
        let names: Vec<&str> = bad.iter().map(|(e, _)| e.as_str()).collect();
        assert_eq!(names, ["\\q", "\\x"]);
        assert_eq!(bad[0].1, Span::new(2, 4));
    }

    #[test]
    fn finds_timeout_arms_at_depth_one() {
        let src = "expect {\n OK => { expect { timeout => ignore } }\n \"timeout =>\" => ignore\n timeout => fail\n timeout=>retry\n}";
        let arms = timeout_arms(src, Span::new(0, src.len()));
        assert_eq!(arms.len(), 2);
        assert_eq!(&src[arms[0].start..arms[0].end], "timeout");
    }
}
