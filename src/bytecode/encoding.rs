//! The binary form of a [`Program`] (`atchat compile -o x.atcb`).
//!
//! [`encode`] writes every field of a program; [`decode`] reads it back and runs [`verify`], so
//! a program that decodes is one the VM can run without an index going out of range. A corrupt
//! or hostile file gets a [`DecodeError`], never a panic.
//!
//! # Byte layout, format version 1
//!
//! All integers are little-endian. The file is a header followed by twelve sections in a fixed
//! order; nothing may follow the last one.
//!
//! | offset | size | field                                             |
//! |--------|------|---------------------------------------------------|
//! | 0      | 4    | magic `ATCB`                                      |
//! | 4      | 2    | format version, `u16` ([`FORMAT_VERSION`])        |
//! | 6      | ...  | sections 1 to 12, each laid out as below          |
//!
//! | size | section field                                         |
//! |------|-------------------------------------------------------|
//! | 1    | tag: the section's number in the table below          |
//! | 4    | length of the payload in bytes, `u32`                 |
//! | len  | payload: a `u32` item count, then the items           |
//!
//! | tag | section       | one item                                                       |
//! |-----|---------------|----------------------------------------------------------------|
//! | 1   | constants     | `u8` kind (0 string: `bytes`, 1 integer: `i64`, 2 duration)   |
//! | 2   | patterns      | `u32` segment count, segments (`u8` 0 + `bytes` literal, `u8` 1 capture), `bool` line start, `u8` end (0 here, 1 line end, 2 rest of line), `opt(bytes)` numeric form |
//! | 3   | pattern texts | `str`                                                          |
//! | 4   | waits         | `u32` arm count, arms (`u32` pattern, `vars` captures, `u32` target), `opt(u32)` timeout target, `opt(darg)` within, `opt(darg)` idle, `bool` watch handlers |
//! | 5   | handlers      | `opt(u32)` pattern, `vars` captures, `u32` target              |
//! | 6   | retries       | `opt(u32)` times, `opt(dur)` every, `opt(darg)` within, `u32` body, `u32` end |
//! | 7   | procs         | `str` name, `u32` entry, `u16` params, `u16` locals, `u32` count + `str` local names |
//! | 8   | globals       | `str` name, `opt(` `opt(u32)` default, `bool` secret `)` param |
//! | 9   | files         | `str`                                                          |
//! | 10  | lines         | `u32` pc, `u16` file, `u32` line                               |
//! | 11  | port          | `opt(str)`; the item count is 1                                |
//! | 12  | code          | `u8` opcode, then its operands, each stored as its type (the opcode table in [`super::opcode`]) |
//!
//! `atchat compile` writes no secret param's default but an empty one ([`secret_defaults`]):
//! the file would hold it in plain text. Durations are at most a year (the verifier).
//!
//! Building blocks: `bool` is a `u8` 0 or 1; `bytes` a `u32` length and the bytes; `str` the
//! same, holding UTF-8; `dur` a `u64` of seconds and a `u32` of nanoseconds (below 10⁹);
//! `opt(T)` a `u8` 0 (none) or 1 followed by a `T`; `var` a variable reference, a `u8` (0
//! global, 1 local) and a `u16` slot; `vars` a `u32` count and that many `var`s; `darg` a
//! duration operand, a `u8` 0 and a `dur` (fixed) or a `u8` 1 and a `var` (read at run time);
//! `cmp` a comparison, a `u8`: 0 `==`, 1 `!=`, 2 `<`, 3 `<=`, 4 `>`, 5 `>=`. Operands of type
//! `u8`, `u16`, `u32`, `bool`, `Duration`, `VarRef`, `DurArg`, `Comparison` and `Option<T>` are
//! stored as `u8`, `u16`, `u32`, `bool`, `dur`, `var`, `darg`, `cmp` and `opt(T)`.
//!
//! # Limits
//!
//! A file longer than [`MAX_FILE_SIZE`] is refused, and all the item counts of a file (table
//! entries, instructions, pattern segments, captures, local names) add up to at most
//! [`MAX_ITEMS`]; no count or length may exceed the bytes left in its section. Decoding
//! therefore allocates at most a small multiple of the file's size. A program past these limits
//! still encodes, but does not decode.

use std::time::Duration;

use super::opcode::{Comparison, DurArg, Op, OperandReader, OperandWriter, VarRef};
use super::pattern::{End, Pattern, Segment};
use super::program::*;
use super::verify::{verify, VerifyError};

/// The first four bytes of every `.atcb` file.
pub const MAGIC: [u8; 4] = *b"ATCB";
/// The format version this build writes, and the only one it reads.
pub const FORMAT_VERSION: u16 = 1;
/// The longest file [`decode`] accepts, in bytes.
/// `crate::input` reads no more of a `.atcb` file than this.
pub const MAX_FILE_SIZE: usize = crate::input::PROGRAM.bytes;
/// The most items (of all kinds together) a file may declare.
pub const MAX_ITEMS: usize = 1 << 20;

/// Why a byte string is not a program this build can run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The file does not start with `ATCB`.
    BadMagic { found: Vec<u8> },
    /// The file was written by a newer (or unknown) format version.
    UnsupportedVersion { found: u16, supported: u16 },
    /// Larger than [`MAX_FILE_SIZE`].
    FileTooLarge { size: usize, limit: usize },
    /// The data ends inside a field.
    Truncated { section: &'static str, offset: usize },
    /// A section other than the expected one (or garbage) where a section should start.
    WrongSection { expected: u8, name: &'static str, found: u8, offset: usize },
    /// A section declares more bytes than the file has left.
    SectionTooLong { section: &'static str, declared: u32, remaining: usize },
    /// A section with a fixed number of items that holds another number.
    ItemCount { section: &'static str, count: usize, expected: usize },
    /// A count or length larger than the bytes left to hold it.
    CountTooLarge { section: &'static str, what: &'static str, count: u32, remaining: usize, offset: usize },
    /// All counts together exceed [`MAX_ITEMS`].
    TooManyItems { section: &'static str, limit: usize },
    /// An unknown value in a field with a fixed set of values (opcode, kind, bool).
    BadTag { section: &'static str, what: &'static str, tag: u8, offset: usize },
    /// A text field that is not UTF-8.
    BadUtf8 { section: &'static str, offset: usize },
    /// A duration whose nanoseconds are 10⁹ or more.
    BadDuration { section: &'static str, nanos: u32, offset: usize },
    /// Bytes left over at the end of a section or of the file.
    TrailingBytes { section: &'static str, count: usize, offset: usize },
    /// The file is well formed but the program is not valid.
    Invalid(VerifyError),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use DecodeError::*;
        match self {
            BadMagic { found } => {
                write!(f, "not an atchat bytecode file (it starts with {}, not `ATCB`)", hex(found))
            }
            UnsupportedVersion { found, supported } if found > supported => write!(
                f,
                "bytecode format version {found} is newer than this atchat reads (version {supported}); \
                 recompile the script or upgrade atchat"
            ),
            UnsupportedVersion { found, supported } => {
                write!(f, "unknown bytecode format version {found} (this atchat reads version {supported})")
            }
            FileTooLarge { size, limit } => {
                write!(f, "bytecode file of {size} bytes is larger than the limit of {limit} bytes")
            }
            Truncated { section, offset } => {
                write!(f, "bytecode ends early: {section} section cut off at byte {offset}")
            }
            WrongSection { expected, name, found, offset } => {
                write!(f, "expected the {name} section (tag {expected}) at byte {offset}, found tag {found}")
            }
            SectionTooLong { section, declared, remaining } => {
                write!(f, "{section} section declares {declared} bytes but only {remaining} remain")
            }
            ItemCount { section, count, expected } => {
                write!(f, "{section} section holds {count} items, expected {expected}")
            }
            CountTooLarge { section, what, count, remaining, offset } => write!(
                f,
                "{section} section declares {count} {what} at byte {offset} but only {remaining} bytes remain"
            ),
            TooManyItems { section, limit } => {
                write!(f, "{section} section: the file declares more than {limit} items in all")
            }
            BadTag { section, what, tag, offset } => {
                write!(f, "{section} section: invalid {what} {tag:#04x} at byte {offset}")
            }
            BadUtf8 { section, offset } => {
                write!(f, "{section} section: text at byte {offset} is not UTF-8")
            }
            BadDuration { section, nanos, offset } => {
                write!(f, "{section} section: duration at byte {offset} has {nanos} nanoseconds (at most 999999999)")
            }
            TrailingBytes { section, count, offset } => {
                write!(f, "{section} section: {count} unexpected bytes at byte {offset}")
            }
            Invalid(e) => write!(f, "invalid program: {e}"),
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DecodeError::Invalid(e) => Some(e),
            _ => None,
        }
    }
}

impl From<VerifyError> for DecodeError {
    fn from(e: VerifyError) -> DecodeError {
        DecodeError::Invalid(e)
    }
}

fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "nothing".to_string();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------- encoding

/// The secret params of `program` whose default is not empty, by name. A `.atcb` file holds
/// defaults as constants, in plain text for anyone who can read the file, so `atchat
/// compile` refuses these: the value is to be given when the program runs (`-D`, the
/// environment).
pub fn secret_defaults(program: &Program) -> Vec<&str> {
    program
        .globals
        .iter()
        .filter(|g| {
            g.param.as_ref().is_some_and(|p| {
                let value = p.default.and_then(|k| program.consts.get(k as usize));
                p.secret && value.is_some_and(|c| !matches!(c, Const::Str(s) if s.is_empty()))
            })
        })
        .map(|g| g.name.as_str())
        .collect()
}

/// Writes `program` in the binary form described at the top of this module. Every field is
/// written as is, valid or not; [`decode`] is where validity is checked. A secret param's
/// default is written too: check [`secret_defaults`] before writing a file.
pub fn encode(program: &Program) -> Vec<u8> {
    let mut w = Writer { out: Vec::new() };
    w.out.extend_from_slice(&MAGIC);
    w.u16(FORMAT_VERSION);
    w.section(1, &program.consts, |w, c| match c {
        Const::Str(s) => {
            w.u8(0);
            w.bytes(s);
        }
        Const::Int(i) => {
            w.u8(1);
            w.out.extend_from_slice(&i.to_le_bytes());
        }
        Const::Duration(d) => {
            w.u8(2);
            w.duration(*d);
        }
    });
    w.section(2, &program.patterns, |w, p| w.pattern(p));
    w.section(3, &program.pattern_text, |w, t| w.bytes(t.as_bytes()));
    w.section(4, &program.waits, |w, t| {
        w.count(t.arms.len());
        for arm in &t.arms {
            w.u32(arm.pattern);
            w.vars(&arm.captures);
            w.u32(arm.target);
        }
        w.option(&t.timeout_target, |w, t| w.u32(*t));
        w.option(&t.within, |w, d| w.dur_arg(*d));
        w.option(&t.idle, |w, d| w.dur_arg(*d));
        w.bool(t.watch_handlers);
    });
    w.section(5, &program.handlers, |w, h| {
        w.option(&h.pattern, |w, p| w.u32(*p));
        w.vars(&h.captures);
        w.u32(h.target);
    });
    w.section(6, &program.retries, |w, r| {
        w.option(&r.times, |w, t| w.u32(*t));
        w.option(&r.every, |w, d| w.duration(*d));
        w.option(&r.within, |w, d| w.dur_arg(*d));
        w.u32(r.body);
        w.u32(r.end);
    });
    w.section(7, &program.procs, |w, p| {
        w.bytes(p.name.as_bytes());
        w.u32(p.entry);
        w.u16(p.params);
        w.u16(p.locals);
        w.count(p.local_names.len());
        for n in &p.local_names {
            w.bytes(n.as_bytes());
        }
    });
    w.section(8, &program.globals, |w, g| {
        w.bytes(g.name.as_bytes());
        w.option(&g.param, |w, p| {
            w.option(&p.default, |w, k| w.u32(*k));
            w.bool(p.secret);
        });
    });
    w.section(9, &program.files, |w, f| w.bytes(f.as_bytes()));
    w.section(10, &program.lines, |w, l| {
        w.u32(l.pc);
        w.u16(l.file);
        w.u32(l.line);
    });
    w.section(11, std::slice::from_ref(&program.port), |w, p| {
        w.option(p, |w, p| w.bytes(p.as_bytes()));
    });
    w.section(12, &program.code, |w, op| op.encode(w));
    w.out
}

struct Writer {
    out: Vec<u8>,
}

impl Writer {
    /// A length or count. Anything past `u32` cannot be decoded anyway (see the limits), so it
    /// is written as `u32::MAX`, which decoding refuses.
    fn count(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
    fn bytes(&mut self, b: &[u8]) {
        self.count(b.len());
        self.out.extend_from_slice(b);
    }
    fn vars(&mut self, vars: &[VarRef]) {
        self.count(vars.len());
        for v in vars {
            self.var(*v);
        }
    }
    fn section<T>(&mut self, tag: u8, items: &[T], mut f: impl FnMut(&mut Writer, &T)) {
        self.u8(tag);
        let len_at = self.out.len();
        self.u32(0);
        self.count(items.len());
        for item in items {
            f(self, item);
        }
        let len = self.out.len() - len_at - 4;
        let len = u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes();
        self.out[len_at..len_at + 4].copy_from_slice(&len);
    }
    fn pattern(&mut self, p: &Pattern) {
        self.count(p.segments.len());
        for s in &p.segments {
            match s {
                Segment::Literal(b) => {
                    self.u8(0);
                    self.bytes(b);
                }
                Segment::Capture => self.u8(1),
            }
        }
        self.bool(p.line_start);
        self.u8(match p.end {
            End::Here => 0,
            End::LineEnd => 1,
            End::RestOfLine => 2,
        });
        self.option(&p.numeric, |w, n| w.bytes(n));
    }
}

/// The building blocks operands are made of (and the tables too).
impl OperandWriter for Writer {
    fn u8(&mut self, v: u8) {
        self.out.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    fn bool(&mut self, v: bool) {
        self.u8(u8::from(v));
    }
    fn duration(&mut self, d: Duration) {
        self.out.extend_from_slice(&d.as_secs().to_le_bytes());
        self.u32(d.subsec_nanos());
    }
    fn var(&mut self, v: VarRef) {
        match v {
            VarRef::Global(i) => {
                self.u8(0);
                self.u16(i);
            }
            VarRef::Local(i) => {
                self.u8(1);
                self.u16(i);
            }
        }
    }
    fn dur_arg(&mut self, d: DurArg) {
        match d {
            DurArg::Fixed(d) => {
                self.u8(0);
                self.duration(d);
            }
            DurArg::Var(v) => {
                self.u8(1);
                self.var(v);
            }
        }
    }
    fn comparison(&mut self, c: Comparison) {
        self.u8(match c {
            Comparison::Eq => 0,
            Comparison::Ne => 1,
            Comparison::Lt => 2,
            Comparison::Le => 3,
            Comparison::Gt => 4,
            Comparison::Ge => 5,
        });
    }
    fn option<T>(&mut self, v: &Option<T>, f: impl FnOnce(&mut Writer, &T)) {
        match v {
            None => self.u8(0),
            Some(x) => {
                self.u8(1);
                f(self, x);
            }
        }
    }
}

// ---------------------------------------------------------------- decoding

/// Reads a program written by [`encode`] and [`verify`]s it.
pub fn decode(bytes: &[u8]) -> Result<Program, DecodeError> {
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err(DecodeError::BadMagic { found: bytes.iter().take(MAGIC.len()).copied().collect() });
    }
    let mut r = Reader { data: bytes, pos: MAGIC.len(), end: bytes.len(), section: "header", items_left: MAX_ITEMS };
    let version = r.u16()?;
    if version != FORMAT_VERSION {
        return Err(DecodeError::UnsupportedVersion { found: version, supported: FORMAT_VERSION });
    }
    // Checked after the version, so that a newer file always gets the clearer message.
    if bytes.len() > MAX_FILE_SIZE {
        return Err(DecodeError::FileTooLarge { size: bytes.len(), limit: MAX_FILE_SIZE });
    }
    let mut program = Program {
        consts: r.section(1, "constants", |r| {
            let at = r.pos;
            match r.u8()? {
                0 => Ok(Const::Str(r.bytes("string bytes")?)),
                1 => Ok(Const::Int(i64::from_le_bytes(r.array()?))),
                2 => Ok(Const::Duration(r.duration()?)),
                tag => Err(r.bad_tag("constant kind", tag, at)),
            }
        })?,
        patterns: r.section(2, "patterns", Reader::pattern)?,
        pattern_text: r.section(3, "pattern texts", Reader::string)?,
        waits: r.section(4, "waits", |r| {
            let arms = r.list("arms", |r| Ok(ArmInfo { pattern: r.u32()?, captures: r.vars()?, target: r.u32()? }))?;
            Ok(WaitTable {
                arms,
                timeout_target: r.option(Reader::u32)?,
                within: r.option(Reader::dur_arg)?,
                idle: r.option(Reader::dur_arg)?,
                watch_handlers: r.bool()?,
            })
        })?,
        handlers: r.section(5, "handlers", |r| {
            Ok(HandlerInfo { pattern: r.option(Reader::u32)?, captures: r.vars()?, target: r.u32()? })
        })?,
        retries: r.section(6, "retries", |r| {
            Ok(RetryTable {
                times: r.option(Reader::u32)?,
                every: r.option(Reader::duration)?,
                within: r.option(Reader::dur_arg)?,
                body: r.u32()?,
                end: r.u32()?,
            })
        })?,
        procs: r.section(7, "procs", |r| {
            Ok(ProcInfo {
                name: r.string()?,
                entry: r.u32()?,
                params: r.u16()?,
                locals: r.u16()?,
                local_names: r.list("local names", Reader::string)?,
            })
        })?,
        globals: r.section(8, "globals", |r| {
            Ok(GlobalInfo {
                name: r.string()?,
                param: r.option(|r| Ok(ParamInfo { default: r.option(Reader::u32)?, secret: r.bool()? }))?,
            })
        })?,
        files: r.section(9, "files", Reader::string)?,
        lines: r.section(10, "lines", |r| Ok(LineEntry { pc: r.u32()?, file: r.u16()?, line: r.u32()? }))?,
        ..Program::default()
    };
    let mut port = r.section(11, "port", |r| r.option(Reader::string))?;
    if port.len() != 1 {
        return Err(DecodeError::ItemCount { section: "port", count: port.len(), expected: 1 });
    }
    program.port = port.pop().flatten();
    program.code = r.section(12, "code", Reader::op)?;
    if r.pos != bytes.len() {
        return Err(DecodeError::TrailingBytes { section: "code", count: bytes.len() - r.pos, offset: r.pos });
    }
    verify(&program)?;
    Ok(program)
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// The end of the current section.
    end: usize,
    section: &'static str,
    items_left: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.end.saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError::Truncated { section: self.section, offset: self.end });
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn bad_tag(&self, what: &'static str, tag: u8, offset: usize) -> DecodeError {
        DecodeError::BadTag { section: self.section, what, tag, offset }
    }

    /// A count of things, each at least one byte long, charged to the item budget.
    fn count(&mut self, what: &'static str) -> Result<usize, DecodeError> {
        let at = self.pos;
        let count = self.u32()?;
        let n = count as usize;
        if n > self.remaining() {
            return Err(DecodeError::CountTooLarge {
                section: self.section,
                what,
                count,
                remaining: self.remaining(),
                offset: at,
            });
        }
        self.items_left = self
            .items_left
            .checked_sub(n)
            .ok_or(DecodeError::TooManyItems { section: self.section, limit: MAX_ITEMS })?;
        Ok(n)
    }

    fn bytes(&mut self, what: &'static str) -> Result<Vec<u8>, DecodeError> {
        let at = self.pos;
        let len = self.u32()?;
        if len as usize > self.remaining() {
            return Err(DecodeError::CountTooLarge {
                section: self.section,
                what,
                count: len,
                remaining: self.remaining(),
                offset: at,
            });
        }
        Ok(self.take(len as usize)?.to_vec())
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        let at = self.pos;
        let bytes = self.bytes("text bytes")?;
        String::from_utf8(bytes).map_err(|_| DecodeError::BadUtf8 { section: self.section, offset: at })
    }

    fn list<T>(
        &mut self,
        what: &'static str,
        mut f: impl FnMut(&mut Reader<'a>) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let n = self.count(what)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(f(self)?);
        }
        Ok(items)
    }

    fn section<T>(
        &mut self,
        tag: u8,
        name: &'static str,
        f: impl FnMut(&mut Reader<'a>) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        self.section = name;
        let at = self.pos;
        let found = self.u8()?;
        if found != tag {
            return Err(DecodeError::WrongSection { expected: tag, name, found, offset: at });
        }
        let declared = self.u32()?;
        if declared as usize > self.remaining() {
            return Err(DecodeError::SectionTooLong { section: name, declared, remaining: self.remaining() });
        }
        let outer_end = self.end;
        self.end = self.pos + declared as usize;
        let items = self.list("items", f)?;
        if self.pos != self.end {
            return Err(DecodeError::TrailingBytes { section: name, count: self.end - self.pos, offset: self.pos });
        }
        self.end = outer_end;
        Ok(items)
    }

    fn vars(&mut self) -> Result<Vec<VarRef>, DecodeError> {
        self.list("captures", Reader::var)
    }

    fn pattern(&mut self) -> Result<Pattern, DecodeError> {
        let segments = self.list("segments", |r| {
            let at = r.pos;
            match r.u8()? {
                0 => Ok(Segment::Literal(r.bytes("literal bytes")?)),
                1 => Ok(Segment::Capture),
                tag => Err(r.bad_tag("segment kind", tag, at)),
            }
        })?;
        let line_start = self.bool()?;
        let at = self.pos;
        let end = match self.u8()? {
            0 => End::Here,
            1 => End::LineEnd,
            2 => End::RestOfLine,
            tag => return Err(self.bad_tag("pattern end", tag, at)),
        };
        let numeric = self.option(|r| r.bytes("numeric form bytes"))?;
        Ok(Pattern { segments, line_start, end, numeric })
    }

    fn op(&mut self) -> Result<Op, DecodeError> {
        let at = self.pos;
        let code = self.u8()?;
        Op::decode(code, self)?.ok_or_else(|| self.bad_tag("opcode", code, at))
    }
}

/// The building blocks operands are made of (and the tables too).
impl<'a> OperandReader for Reader<'a> {
    type Error = DecodeError;

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn bool(&mut self) -> Result<bool, DecodeError> {
        let at = self.pos;
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(self.bad_tag("boolean", tag, at)),
        }
    }

    fn duration(&mut self) -> Result<Duration, DecodeError> {
        let secs = u64::from_le_bytes(self.array()?);
        let at = self.pos;
        let nanos = self.u32()?;
        if nanos >= 1_000_000_000 {
            return Err(DecodeError::BadDuration { section: self.section, nanos, offset: at });
        }
        Ok(Duration::new(secs, nanos))
    }

    fn option<T>(
        &mut self,
        f: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
    ) -> Result<Option<T>, DecodeError> {
        let at = self.pos;
        match self.u8()? {
            0 => Ok(None),
            1 => f(self).map(Some),
            tag => Err(self.bad_tag("option marker", tag, at)),
        }
    }

    fn var(&mut self) -> Result<VarRef, DecodeError> {
        let at = self.pos;
        match self.u8()? {
            0 => Ok(VarRef::Global(self.u16()?)),
            1 => Ok(VarRef::Local(self.u16()?)),
            tag => Err(self.bad_tag("variable kind", tag, at)),
        }
    }

    fn dur_arg(&mut self) -> Result<DurArg, DecodeError> {
        let at = self.pos;
        match self.u8()? {
            0 => Ok(DurArg::Fixed(self.duration()?)),
            1 => Ok(DurArg::Var(self.var()?)),
            tag => Err(self.bad_tag("duration operand kind", tag, at)),
        }
    }

    fn comparison(&mut self) -> Result<Comparison, DecodeError> {
        let at = self.pos;
        match self.u8()? {
            0 => Ok(Comparison::Eq),
            1 => Ok(Comparison::Ne),
            2 => Ok(Comparison::Lt),
            3 => Ok(Comparison::Le),
            4 => Ok(Comparison::Gt),
            5 => Ok(Comparison::Ge),
            tag => Err(self.bad_tag("comparison", tag, at)),
        }
    }
}
