//! The `--ports FILE` format: one port a line, then the params that port runs with.
//!
//! ```text
//! # comment lines and blank lines are skipped
//! /dev/serial/by-id/usb-Huawei_E1752-if00   number=5551234 apn=internet
//! /dev/ttyUSB*                              number=5550000     # a glob: every match
//! tcp://10.0.0.7:2000                       greeting="hello world"
//! ```
//!
//! Words are separated by blanks; a value in double quotes may hold blanks, `\"` and `\\`.
//! A `#` outside quotes starts a comment. A port's params override `-D` and the environment.

use indexmap::IndexMap;

/// One line of a ports file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortLine {
    /// The port spec as written (a glob is expanded later).
    pub spec: String,
    /// `NAME=VALUE` words, in order.
    pub params: IndexMap<String, String>,
    /// The line it was on (from 1), for messages.
    pub line: usize,
}

/// Parses a ports file; an error names the line and what is wrong with it.
pub fn parse(text: &str) -> Result<Vec<PortLine>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let words = words(raw).map_err(|e| format!("line {line}: {e}"))?;
        let mut words = words.into_iter();
        let Some(spec) = words.next() else { continue };
        if spec.contains('=') && !spec.contains(':') && !spec.contains('/') {
            return Err(format!("line {line}: `{spec}` looks like a param; each line starts with a port"));
        }
        let mut params = IndexMap::new();
        for word in words {
            let Some((name, value)) = word.split_once('=') else {
                return Err(format!("line {line}: `{word}` is not NAME=VALUE"));
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("line {line}: `{name}` is not a param name"));
            }
            if params.insert(name.to_string(), value.to_string()).is_some() {
                return Err(format!("line {line}: param `{name}` is given twice"));
            }
        }
        out.push(PortLine { spec, params, line });
    }
    Ok(out)
}

/// The words of one line: blanks separate, double quotes group, `#` ends the line.
fn words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '#' => break,
            c if c.is_whitespace() => words.extend(word.take()),
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        None => return Err("a quote is not closed".to_string()),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\')) => w.push(e),
                            Some(e) => return Err(format!("unknown escape `\\{e}` in quotes (only \\\" and \\\\)")),
                            None => return Err("a quote is not closed".to_string()),
                        },
                        Some(c) => w.push(c),
                    }
                }
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_with_params_comments_and_quotes() {
        let text = "# bank\n\n/dev/ttyUSB0 number=1 # first\n  sim:hayes  greeting=\"a \\\"b\\\" # c\"\n";
        let lines = parse(text).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].spec, "/dev/ttyUSB0");
        assert_eq!(lines[0].params["number"], "1");
        assert_eq!(lines[0].line, 3);
        assert_eq!(lines[1].params["greeting"], "a \"b\" # c");
    }

    #[test]
    fn mistakes_name_their_line() {
        assert_eq!(parse("sim:hayes number\n").unwrap_err(), "line 1: `number` is not NAME=VALUE");
        assert_eq!(parse("\nsim:hayes a=\"x\n").unwrap_err(), "line 2: a quote is not closed");
        assert_eq!(parse("sim:hayes a=1 a=2\n").unwrap_err(), "line 1: param `a` is given twice");
        assert_eq!(
            parse("number=1 sim:hayes\n").unwrap_err(),
            "line 1: `number=1` looks like a param; each line starts with a port"
        );
        assert_eq!(parse("sim:hayes -x=1\n").unwrap_err(), "line 1: `-x` is not a param name");
    }
}
