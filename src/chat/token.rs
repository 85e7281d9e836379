//! Splitting a chat script into tokens, as chat's `do_file()` does.
//!
//! chat reads its file with `fgets` into a 1024-byte buffer, so a line longer than 1023
//! bytes is cut and its rest read as the next "line" (where a `#` in column 1 makes it a
//! comment). Only lines starting with `#` are comments. A token is either a run of
//! non-blanks or a quoted string that starts with `'` or `"` and runs to the same quote,
//! a backslash protecting the next byte. A closing quote ends the token even with no blank
//! after it. Newlines mean nothing to the expect/send alternation.

/// chat's line buffer: `fgets` reads at most this minus one bytes at a time.
pub const LINE_BUFFER: usize = 1024;

/// One token, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: Vec<u8>,
    /// The line (file mode, counting `fgets` pieces as chat does) or the argument number.
    pub line: u32,
    /// The token was quoted in the file (for `atchat import`).
    pub quoted: bool,
}

/// A tokenized script: the tokens up to the first error, then the error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tokens {
    pub tokens: Vec<Token>,
    /// `unterminated quote (line N)`: chat stops there with exit code 1, after running the
    /// tokens before it.
    pub error: Option<String>,
    /// Comment lines, with the number of tokens before each (for `atchat import`).
    pub comments: Vec<(usize, Vec<u8>)>,
}

/// Tokenizes the contents of a `-f` file.
pub fn tokenize(data: &[u8]) -> Tokens {
    let mut out = Tokens::default();
    let mut rest = data;
    let mut line = 0u32;
    while !rest.is_empty() {
        // fgets: up to LINE_BUFFER - 1 bytes, through a newline.
        let max = rest.len().min(LINE_BUFFER - 1);
        let len = rest[..max].iter().position(|&b| b == b'\n').map_or(max, |p| p + 1);
        let mut buf = &rest[..len];
        rest = &rest[len..];
        line += 1;
        if let Some(nl) = buf.iter().position(|&b| b == b'\n') {
            buf = &buf[..nl];
        }
        // A C string ends at the first NUL.
        if let Some(nul) = buf.iter().position(|&b| b == 0) {
            buf = &buf[..nul];
        }
        if buf.first() == Some(&b'#') {
            out.comments.push((out.tokens.len(), buf.to_vec()));
            continue;
        }
        let mut i = 0;
        while i < buf.len() {
            let c = buf[i];
            if c == b' ' || c == b'\t' {
                i += 1;
                continue;
            }
            let (text, quoted) = if c == b'"' || c == b'\'' {
                i += 1;
                let start = i;
                loop {
                    match buf.get(i) {
                        None => {
                            out.error = Some(format!("unterminated quote (line {line})"));
                            return out;
                        }
                        Some(&q) if q == c => break,
                        Some(&b'\\') => i += if i + 1 < buf.len() { 2 } else { 1 },
                        Some(_) => i += 1,
                    }
                }
                (buf[start..i].to_vec(), true)
            } else {
                let start = i;
                while i < buf.len() && buf[i] != b' ' && buf[i] != b'\t' {
                    i += 1;
                }
                (buf[start..i].to_vec(), false)
            };
            // The byte that ended the token (closing quote or blank) is overwritten by chat.
            if i < buf.len() {
                i += 1;
            }
            out.tokens.push(Token { text, line, quoted });
        }
    }
    out
}

/// Argv mode: every argument is a token as it is.
pub fn from_args(args: &[Vec<u8>]) -> Tokens {
    let tokens =
        args.iter().enumerate().map(|(i, a)| Token { text: a.clone(), line: i as u32 + 1, quoted: false }).collect();
    Tokens { tokens, ..Tokens::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(data: &str) -> Vec<String> {
        tokenize(data.as_bytes()).tokens.into_iter().map(|t| String::from_utf8(t.text).unwrap()).collect()
    }

    #[test]
    fn quotes_comments_and_blanks() {
        assert_eq!(texts("# c\n  # x\n'' AT\nOK 'it\\'s' \"a'b c\""), ["#", "x", "", "AT", "OK", "it\\'s", "a'b c"]);
        assert_eq!(texts("'abc'def AT+X=\"IP\""), ["abc", "def", "AT+X=\"IP\""]);
    }

    #[test]
    fn unterminated_quote_stops_with_the_line() {
        let t = tokenize(b"a b\n'c d\ne f\n");
        assert_eq!(t.tokens.len(), 2);
        assert_eq!(t.error.as_deref(), Some("unterminated quote (line 2)"));
    }

    #[test]
    fn long_lines_are_split() {
        let line = format!("{} b\n", "a".repeat(1030));
        let t = texts(&line);
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].len(), 1023);
    }
}

/// chat's keywords; each is one only in expect position (as a send string it is sent as is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    Hangup,
    Abort,
    ClrAbort,
    Report,
    ClrReport,
    Timeout,
    Echo,
    Say,
}

impl Keyword {
    /// The keyword `token` spells, if any.
    pub fn parse(token: &[u8]) -> Option<Keyword> {
        Some(match token {
            b"HANGUP" => Keyword::Hangup,
            b"ABORT" => Keyword::Abort,
            b"CLR_ABORT" => Keyword::ClrAbort,
            b"REPORT" => Keyword::Report,
            b"CLR_REPORT" => Keyword::ClrReport,
            b"TIMEOUT" => Keyword::Timeout,
            b"ECHO" => Keyword::Echo,
            b"SAY" => Keyword::Say,
            _ => return None,
        })
    }
}
