//! One format for every data-driven case under `tests/data/`.
//!
//! A case file starts with its header, the lines that begin with `#`:
//!
//! ```text
//! # What the case shows, in prose (any `#` line that is not `key: value`).
//! # modem: "ATZ" => "\r\nOK\r\n"
//! # param: number=5551234
//!
//! the body: the script, or the layer's directives
//! ```
//!
//! - `# key: value` is a field when `key` is lowercase letters, digits and `-` right before
//!   the colon; each layer names the keys it knows, and any other is an error. A key may
//!   repeat where the layer reads all its values (modem rules, params).
//! - Every other `#` line is prose; the first one says what the case shows.
//! - The header ends at the first line that does not start with `#`. If that line is blank it
//!   only separates, and belongs to neither. The rest of the file is the body.
//!
//! In `.atc` cases the whole file is the script (the header is comments to atchat), so the
//! line numbers in diagnostics and listings are those of the file.

use std::path::PathBuf;

/// A field of the header: `# key: value` on line `line` (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    key: String,
    value: String,
    line: usize,
}

/// The header of a case file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Header {
    /// The prose lines, without their `#`, one per line.
    pub about: Vec<String>,
    fields: Vec<Field>,
}

/// `key` of a `# key: value` line, and the value; `None` for prose.
fn field(comment: &str) -> Option<(&str, &str)> {
    let (key, value) = comment.split_once(':')?;
    let is_key = key.starts_with(|c: char| c.is_ascii_lowercase())
        && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let value = if value.is_empty() { value } else { value.strip_prefix(' ')? };
    is_key.then_some((key, value))
}

impl Header {
    /// Splits `text` into its header and the byte offset where the body starts.
    pub fn parse(text: &str) -> (Header, usize) {
        let mut header = Header::default();
        let mut offset = 0;
        for (i, line) in text.split_inclusive('\n').enumerate() {
            let content = line.trim_end_matches(['\n', '\r']);
            let Some(comment) = content.strip_prefix('#') else {
                if content.trim().is_empty() {
                    offset += line.len();
                }
                break;
            };
            offset += line.len();
            let comment = comment.strip_prefix(' ').unwrap_or(comment);
            match field(comment) {
                Some((key, value)) => {
                    header.fields.push(Field { key: key.to_string(), value: value.trim_end().to_string(), line: i + 1 })
                }
                None => header.about.push(comment.to_string()),
            }
        }
        (header, offset)
    }

    /// The one value of `key`, if given; an error if it is given twice.
    pub fn one(&self, key: &str) -> Result<Option<&str>, String> {
        let mut found = self.fields.iter().filter(|f| f.key == key);
        let first = found.next();
        if let Some(second) = found.next() {
            return Err(format!("line {}: `{key}` is given twice", second.line));
        }
        Ok(first.map(|f| f.value.as_str()))
    }

    /// Every value of `key`, in order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields.iter().filter(move |f| f.key == key).map(|f| f.value.as_str())
    }

    /// Every value of `key` with the line it is on, for errors that name the line.
    pub fn all_with_lines<'a>(&'a self, key: &'a str) -> impl Iterator<Item = (usize, &'a str)> + 'a {
        self.fields.iter().filter(move |f| f.key == key).map(|f| (f.line, f.value.as_str()))
    }

    /// An error naming the first field whose key is not in `known`.
    pub fn only(&self, known: &[&str]) -> Result<(), String> {
        match self.fields.iter().find(|f| !known.contains(&f.key.as_str())) {
            None => Ok(()),
            Some(f) if known.is_empty() => Err(format!(
                "line {}: unknown key `{}` (this layer's cases take no keys; write prose without `key:`)",
                f.line, f.key
            )),
            Some(f) => Err(format!(
                "line {}: unknown key `{}`; the keys here are {}",
                f.line,
                f.key,
                known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
            )),
        }
    }
}

/// One case file, read and split.
#[derive(Debug, Clone)]
pub struct Case {
    /// The path under the layer's folder, without the extension (`busy`, `corpus/x`); for a
    /// folder case, the folder.
    pub name: String,
    /// The file holding the header: `NAME.EXT`, or `NAME/main.EXT` for a folder case.
    pub path: PathBuf,
    pub text: String,
    pub header: Header,
    body: usize,
}

impl Case {
    pub fn new(name: String, path: PathBuf, text: String) -> Case {
        let (header, body) = Header::parse(&text);
        Case { name, path, text, header, body }
    }

    /// What follows the header.
    pub fn body(&self) -> &str {
        &self.text[self.body..]
    }

    /// The line number (1-based) of the body's first line in the file.
    pub fn body_line(&self) -> usize {
        self.text[..self.body].matches('\n').count() + 1
    }

    /// The first prose line of the header.
    pub fn about(&self) -> &str {
        self.header.about.first().map_or("", String::as_str)
    }
}

#[test]
fn a_header_is_the_leading_comment_lines() {
    let text =
        "# busy 2: the first dials are busy\n# modem: \"AT\" => \"OK\"\n# modem: echo\n# given:\n#\n\n# body\nsend\n";
    let (h, body) = Header::parse(text);
    assert_eq!(&text[body..], "# body\nsend\n", "a blank line only separates");
    assert_eq!(h.about, ["busy 2: the first dials are busy", ""]);
    assert_eq!(h.all("modem").collect::<Vec<_>>(), ["\"AT\" => \"OK\"", "echo"]);
    assert_eq!(h.one("given"), Ok(Some("")));
    assert!(h.one("modem").unwrap_err().contains("line 3"));
    assert_eq!(h.one("port"), Ok(None));
    assert!(h.only(&["modem"]).unwrap_err().contains("line 4: unknown key `given`"));
    assert_eq!(h.only(&["modem", "given"]), Ok(()));
    let text = "# a\nsend\n";
    let (_, body) = Header::parse(text);
    assert_eq!(&text[body..], "send\n");
}

#[test]
fn prose_is_not_mistaken_for_a_key() {
    for prose in
        ["# The call: busy", "# wild/x.chat: all ports busy", "# Exit 0: fine", "# sim:hayes answers", "# a CR: kept"]
    {
        let (h, _) = Header::parse(prose);
        assert_eq!(h.about.len(), 1, "{prose}");
        assert_eq!(h.only(&[]), Ok(()), "{prose}");
    }
    let (h, body) = Header::parse("send AT\n# modem: echo\n");
    assert_eq!((h, body), (Header::default(), 0), "a header comes first or not at all");
}
