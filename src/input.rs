//! Every file atchat reads as input, read with a size limit per kind.
//!
//! A path can name something endless (`/dev/zero`, a FIFO that never closes, a huge file
//! given by mistake). Reading stops one byte past the limit, so memory stays bounded whatever
//! the path is, and the error names the file and the limit. The limits are far above any real
//! modem script and low enough that the whole pipeline (parse, check, compile, run) stays well
//! under 100 MB for the largest input accepted (docs/security.md).

use std::io::{self, Read};
use std::path::Path;

/// How much of one kind of input atchat accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// The kind of input, plural, for messages: "scripts".
    pub what: &'static str,
    /// The largest size accepted, in bytes.
    pub bytes: usize,
}

/// Scripts (`.atc`): the main script and the modules it `use`s from its folder, together
/// (the bundled stdlib does not count).
pub const SCRIPT: Limit = Limit { what: "a script and its modules", bytes: 128 << 10 };
/// Compiled programs (`.atcb`); the decoder refuses larger ones too (its `MAX_FILE_SIZE`).
pub const PROGRAM: Limit = Limit { what: "compiled programs", bytes: 4 << 20 };
/// chat(8) scripts (`atchat chat -f`, `atchat import`).
pub const CHAT_SCRIPT: Limit = Limit { what: "chat scripts", bytes: 1 << 20 };
/// Simulator scenario files (`sim:hayes?scenario=FILE`, `atchat sim --scenario`).
pub const SCENARIO: Limit = Limit { what: "scenario files", bytes: 1 << 20 };

/// Ports files (`atchat run --ports FILE`): one port and its params a line.
pub const PORTS_FILE: Limit = Limit { what: "ports files", bytes: 1 << 20 };

impl Limit {
    /// "1 MiB", "128 KiB", or bytes when not a whole number of KiB.
    pub fn size_text(&self) -> String {
        match self.bytes {
            b if b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
            b if b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
            b => format!("{b} bytes"),
        }
    }

    /// The error of an input past this limit.
    pub fn too_large(&self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, TooLarge(*self))
    }
}

/// The error of a file past its limit.
#[derive(Debug)]
pub struct TooLarge(pub Limit);

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Limit { what, .. } = self.0;
        write!(f, "larger than {}, the limit for {what}", self.0.size_text())
    }
}

impl std::error::Error for TooLarge {}

/// Whether `error` is a file past its limit.
pub fn is_too_large(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|e| e.is::<TooLarge>())
}

/// Reads the file at `path`, refusing it once it is larger than `limit`.
pub fn read(path: &Path, limit: Limit) -> io::Result<Vec<u8>> {
    read_from(std::fs::File::open(path)?, limit)
}

/// Reads `reader` to its end (stdin: `atchat run -`), refusing it once it is larger than
/// `limit`: at most one byte past the limit is ever read.
pub fn read_from(reader: impl Read, limit: Limit) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    reader.take(limit.bytes as u64 + 1).read_to_end(&mut data)?;
    if data.len() > limit.bytes {
        return Err(limit.too_large());
    }
    Ok(data)
}

/// [`read`], for text that must be UTF-8.
pub fn read_to_string(path: &Path, limit: Limit) -> io::Result<String> {
    utf8(read(path, limit)?)
}

/// [`read_from`], for text that must be UTF-8.
pub fn read_to_string_from(reader: impl Read, limit: Limit) -> io::Result<String> {
    utf8(read_from(reader, limit)?)
}

/// Text that is not UTF-8 is refused naming the first bad byte by line and column (an old
/// chat script with one Latin-1 `é`), so it can be found and converted.
fn utf8(bytes: Vec<u8>) -> io::Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        io::Error::new(io::ErrorKind::InvalidData, NotUtf8(not_utf8(e.as_bytes(), e.utf8_error().valid_up_to())))
    })
}

/// The error inside [`read_to_string`]'s `InvalidData` when the text is not UTF-8.
#[derive(Debug)]
pub struct NotUtf8(pub String);

impl std::fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotUtf8 {}

/// "line 3, column 7 has the byte 0xe9, which is not UTF-8 (`é` in Latin-1)"; `at` is the
/// first byte that is not UTF-8, every byte before it is.
pub fn not_utf8(bytes: &[u8], at: usize) -> String {
    let before = &bytes[..at.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    // Valid UTF-8 up to `at`: count characters, as editors count columns.
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    let byte = bytes.get(at).copied().unwrap_or(0);
    let latin1 = if byte >= 0xa0 { format!(" (`{}` in Latin-1)", char::from(byte)) } else { String::new() };
    format!("line {line}, column {column} has the byte {byte:#04x}, which is not UTF-8{latin1}")
}
