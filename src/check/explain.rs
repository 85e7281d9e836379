//! Syntax errors in words a newcomer can act on. The parser says where it stopped and what
//! would have fitted there; this reads the text around that point to name what was found and
//! to recognise the usual slips: a string not closed, a misspelt or capitalised keyword,
//! arithmetic, two statements on one line.

use super::text::{suggest, KEYWORDS};
use crate::syntax::ast::Span;
use crate::syntax::SyntaxError;

/// What a syntax error report says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub span: Span,
    pub message: String,
    /// A help only where there is something specific to say: the same generic advice under
    /// every error teaches nothing.
    pub help: Option<String>,
    /// What would have fitted, in plain words (for the help chosen from it).
    pub expected: Vec<String>,
}

/// Keywords that start a statement: the candidates for "did you mean" at a statement's start.
const STATEMENT_KEYWORDS: &[&str] = &[
    "use", "secret", "param", "let", "timeout", "results", "port", "proc", "return", "send", "expect", "on", "fail",
    "retry", "if", "dtr", "rts", "break", "hangup", "escape", "wait", "baud", "flush", "sleep", "say", "print", "exit",
    "command", "final",
];

pub fn explain(source: &str, error: &SyntaxError) -> Explanation {
    let at = error.span.start.min(source.len());
    if let Some(open) = unclosed_string(source, at) {
        return Explanation {
            span: Span::new(open, open + 1),
            message: "this string is not closed".into(),
            help: Some(
                "end it with `\"` on the same line; a string cannot run over lines (write `\\n` for a line break)"
                    .into(),
            ),
            expected: Vec::new(),
        };
    }
    if let Some(word) = statement_word(source, at) {
        let text = &source[word.start..word.end];
        let lower = text.to_ascii_lowercase();
        if lower != text && STATEMENT_KEYWORDS.contains(&lower.as_str()) {
            return Explanation {
                span: word,
                message: format!("`{text}` is not a statement"),
                help: Some(format!("keywords are lower case: write `{lower}`")),
                expected: Vec::new(),
            };
        }
        if !KEYWORDS.contains(&text) {
            let close = suggest(text, STATEMENT_KEYWORDS.iter().copied())
                .or_else(|| STATEMENT_KEYWORDS.iter().find(|k| swapped(text, k)).map(|k| k.to_string()));
            if let Some(k) = close {
                return Explanation {
                    span: word,
                    message: format!("unknown statement `{text}`"),
                    help: Some(format!("did you mean `{k}`?")),
                    expected: Vec::new(),
                };
            }
        }
    }
    let found_at = skip_blanks(source, at);
    let found = found(source, found_at);
    if let Some(op) = source[found_at..].chars().next().filter(|c| matches!(c, '+' | '-' | '*' | '/')) {
        return Explanation {
            span: Span::new(found_at, found_at + 1),
            message: format!("found `{op}`: there is no arithmetic in the language"),
            help: Some(
                "values are text, numbers and durations, never computed: build text with `{name}` \
                 in a string (`\"AT+CSQ{suffix}\"`), count attempts with `retry N times { ... }`, \
                 and compute anything else before running (`-D name=VALUE`)"
                    .into(),
            ),
            expected: Vec::new(),
        };
    }
    // The parser lists "the end of the file" wherever a statement may end; where the file
    // goes on, what fits is the end of the statement.
    let at_end = found_at >= source.len();
    let mut expected: Vec<String> = error
        .expected
        .iter()
        .map(|e| match e.as_str() {
            "the end of the file" if !at_end => "the end of the statement (a newline or `;`)".to_string(),
            _ => e.clone(),
        })
        .collect();
    expected.dedup();
    let message = match expected.as_slice() {
        [] => format!("unexpected {found}"),
        [one] => format!("expected {one}; found {found}"),
        [init @ .., last] => format!("expected {}, or {last}; found {found}", init.join(", ")),
    };
    let help = expected
        .iter()
        .any(|e| e.starts_with("the end of the statement"))
        .then(|| "one statement per line: put the rest on a new line, or separate them with `;`".to_string());
    // Point at what was found, not at the blanks before it.
    let span = if found_at > at { Span::new(found_at, found_at) } else { error.span };
    Explanation { span, message, help, expected }
}

/// The start of a string literal that the line holding `at` opens and never closes, when
/// `at` is inside or after it.
fn unclosed_string(source: &str, at: usize) -> Option<usize> {
    let bytes = source.as_bytes();
    let line_start = bytes[..at].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let line_end = bytes[at..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| at + p);
    let mut open: Option<usize> = None;
    let mut i = line_start;
    while i < line_end {
        match (bytes[i], open) {
            (b'#', None) => return None,
            (b'"', None) => open = Some(i),
            (b'"', Some(_)) => open = None,
            (b'\\', Some(_)) => i += 1,
            _ => {}
        }
        i += 1;
    }
    open.filter(|&o| o <= at)
}

/// The word that starts the statement `at` is in, when `at` is on that word or just after
/// it (where a statement keyword was wanted).
fn statement_word(source: &str, at: usize) -> Option<Span> {
    let bytes = source.as_bytes();
    let mut start = at;
    while start > 0 && !matches!(bytes[start - 1], b'\n' | b';' | b'{' | b'}') {
        start -= 1;
    }
    while start < bytes.len() && matches!(bytes[start], b' ' | b'\t' | b'\r') {
        start += 1;
    }
    let len =
        bytes[start..].iter().position(|b| !(b.is_ascii_alphanumeric() || *b == b'_')).unwrap_or(bytes.len() - start);
    if len == 0 || !bytes[start].is_ascii_alphabetic() {
        return None;
    }
    let end = start + len;
    (at <= skip_blanks(source, end)).then(|| Span::new(start, end))
}

/// Whether `a` is `b` with two neighbouring letters swapped (`sned`, `expcet`): the most
/// common typo, which an edit distance counts as two.
fn swapped(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let differ: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    matches!(differ.as_slice(), [i, j] if *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i])
}

/// Past spaces and tabs (not line ends: they end statements).
fn skip_blanks(source: &str, at: usize) -> usize {
    let bytes = source.as_bytes();
    let mut i = at.min(bytes.len());
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

/// What is at `at`, in words: "`say`", "`+`", "the end of the line".
fn found(source: &str, at: usize) -> String {
    let rest = &source[at.min(source.len())..];
    let Some(c) = rest.chars().next() else { return "the end of the file".into() };
    match c {
        '\n' | '\r' => "the end of the line".into(),
        '"' => "a string".into(),
        c if c.is_alphanumeric() || c == '_' => {
            let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').take(40).collect();
            format!("`{word}`")
        }
        '\u{feff}' => "a byte order mark (U+FEFF)".into(),
        c if c.is_control() => format!("the control character {}", c.escape_unicode()),
        c => format!("`{c}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explained(source: &str) -> Explanation {
        let error = crate::syntax::parse(source).expect_err("a syntax error");
        explain(source, &error)
    }

    #[test]
    fn an_unclosed_string_points_at_its_quote() {
        let e = explained("send \"AT\nexpect OK\n");
        assert_eq!((e.span, e.message.as_str()), (Span::new(5, 6), "this string is not closed"));
    }

    #[test]
    fn misspelt_and_capitalised_keywords() {
        for (source, help) in [
            ("sned \"AT\"\n", "did you mean `send`?"),
            ("expcet OK\n", "did you mean `expect`?"),
            ("comand \"AT\" expect OK\n", "did you mean `command`?"),
            ("SEND \"AT\"\n", "keywords are lower case: write `send`"),
            ("send \"AT\"\nExpect OK\n", "keywords are lower case: write `expect`"),
        ] {
            assert_eq!(explained(source).help.as_deref(), Some(help), "{source}");
        }
    }

    #[test]
    fn two_statements_on_a_line_are_not_the_end_of_the_file() {
        let e = explained("expect OK\tsay \"x\"\n");
        assert!(!e.message.contains("end of the file"), "{}", e.message);
        assert!(e.message.contains("the end of the statement"), "{}", e.message);
        assert!(e.message.ends_with("found `say`"), "{}", e.message);
    }

    #[test]
    fn arithmetic_is_named() {
        let e = explained("let n = 1\nlet n = n + 1\n");
        assert_eq!(e.message, "found `+`: there is no arithmetic in the language");
        assert_eq!(e.span, Span::new(20, 21));
    }
}
