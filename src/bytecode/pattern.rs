//! The patterns an `expect` or an `on` handler waits for, as the program stores them. The VM's
//! matcher (`crate::vm::matcher`) finds them in the modem's bytes; the compiler builds them,
//! the encoding stores them and the verifier checks them with [`Pattern::problem`].

/// The longest text one capture may hold; a candidate whose capture would grow past this is
/// dropped. Modem fields are short, and the bound keeps memory fixed on hostile input.
pub const MAX_CAPTURE: usize = 256;

/// One pattern. Ids are indexes into [`super::Program::patterns`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// Literal text and capture slots, in order. The first segment is a non-empty literal.
    pub segments: Vec<Segment>,
    /// The match must begin at the start of a line: start of stream, or just after `\r` or `\n`.
    pub line_start: bool,
    /// What must follow the last segment.
    pub end: End,
    /// Numeric (ATV0) form of a result code, e.g. `b"0"` for OK: matches as a whole line
    /// (`0` at line start, followed by `\r`) when the modem answers in numeric codes.
    pub numeric: Option<Vec<u8>>,
}

/// One piece of a [`Pattern`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Bytes that must appear exactly.
    Literal(Vec<u8>),
    /// Any bytes up to the next literal, or up to the end of the line when last; never
    /// contains `\r` or `\n` and holds at most [`MAX_CAPTURE`] bytes.
    Capture,
}

/// What must follow the last segment of a [`Pattern`].
///
/// A trailing [`Segment::Capture`] always runs to the end of the line and the match then
/// includes the first terminator byte, whatever `End` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The match ends with the last literal byte.
    Here,
    /// The last literal must be followed by `\r` or `\n`; that one terminator byte is part of the match.
    LineEnd,
    /// The last literal must be followed by `\r`/`\n` directly, or by ` ` or `:` then anything up to `\r`/`\n`; the match runs through that first terminator byte.
    RestOfLine,
}

/// Why a pattern cannot be matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternProblem {
    NoSegments,
    StartsWithCapture,
    EmptyLiteral,
    /// Two captures in a row: nothing would tell where the first one ends.
    AdjacentCaptures,
    EmptyNumeric,
}

impl std::fmt::Display for PatternProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PatternProblem::NoSegments => "it has no segments",
            PatternProblem::StartsWithCapture => "it starts with a capture, not a literal",
            PatternProblem::EmptyLiteral => "it has an empty literal segment",
            PatternProblem::AdjacentCaptures => "it has two captures in a row",
            PatternProblem::EmptyNumeric => "its numeric form is empty",
        })
    }
}

impl Pattern {
    /// How many captures the pattern makes.
    pub fn capture_count(&self) -> usize {
        self.segments.iter().filter(|s| matches!(s, Segment::Capture)).count()
    }

    /// What keeps the pattern from being matched, if anything.
    pub fn problem(&self) -> Option<PatternProblem> {
        match self.segments.first() {
            None => return Some(PatternProblem::NoSegments),
            Some(Segment::Capture) => return Some(PatternProblem::StartsWithCapture),
            Some(Segment::Literal(_)) => {}
        }
        if self.segments.iter().any(|s| matches!(s, Segment::Literal(l) if l.is_empty())) {
            return Some(PatternProblem::EmptyLiteral);
        }
        if self.segments.windows(2).any(|w| matches!(w, [Segment::Capture, Segment::Capture])) {
            return Some(PatternProblem::AdjacentCaptures);
        }
        if self.numeric.as_ref().is_some_and(|n| n.is_empty()) {
            return Some(PatternProblem::EmptyNumeric);
        }
        None
    }
}
