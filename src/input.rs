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
pub const SCRIPT: Limit = Limit {
    what: "a script and its modules",
    bytes: 128 << 10,
};
/// Compiled programs (`.atcb`); the decoder refuses larger ones too (its `MAX_FILE_SIZE`).
pub const PROGRAM: Limit = Limit {
    what: "compiled programs",
    bytes: 4 << 20,
};
/// chat(8) scripts (`atchat chat -f`, `atchat import`).
pub const CHAT_SCRIPT: Limit = Limit {
    what: "chat scripts",
    bytes: 1 << 20,
};
/// Simulator scenario files (`sim:hayes?scenario=FILE`, `atchat sim --scenario`).
pub const SCENARIO: Limit = Limit {
    what: "scenario files",
    bytes: 1 << 20,
};

/// Ports files (`atchat run --ports FILE`): one port and its params a line.
pub const PORTS_FILE: Limit = Limit {
    what: "ports files",
    bytes: 1 << 20,
};

impl Limit {
    /// "1 MiB", "128 KiB", or bytes when not a whole number of KiB.
    pub fn size_text(&self) -> String {
        match self.bytes {
            b if b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
            b if b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
            b => format!("{b} bytes"),
        }
    }

    fn too_large(&self) -> io::Error {
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
    let file = std::fs::File::open(path)?;
    let mut data = Vec::new();
    file.take(limit.bytes as u64 + 1).read_to_end(&mut data)?;
    if data.len() > limit.bytes {
        return Err(limit.too_large());
    }
    Ok(data)
}

/// [`read`], for text that must be UTF-8.
pub fn read_to_string(path: &Path, limit: Limit) -> io::Result<String> {
    String::from_utf8(read(path, limit)?).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}
