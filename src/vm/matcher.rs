//! The streaming multi-pattern matcher: finds the first of several patterns in the bytes a
//! modem sends, however those bytes are split into reads.
//!
//! A wait in the VM listens for "any of these patterns". Patterns are literals with three
//! refinements (see [`Pattern`], the program's data): they may have to start a line (result codes such as `OK`),
//! may have to be followed by an end of line, and may capture text (`"CONNECT {rate}"`).
//!
//! # How it works
//!
//! Every pattern starts with a non-empty literal, its *anchor*; a line-start pattern's anchor
//! also includes the line break before it (`\nOK`, `\rOK`), which makes it rare in ordinary
//! text. All anchors of a [`PatternSet`] go into one Aho-Corasick DFA, searched with
//! overlapping semantics so that a pattern that is not listening can never hide one that is,
//! and Teddy (SIMD) skips through text where no anchor starts (see `anchors.rs`). The cost
//! per byte therefore does not grow with the number of patterns.
//!
//! Each anchor hit becomes a *candidate* that is checked byte by byte against the rest of its
//! pattern (line start, captures, end of line). Candidates are rare, short-lived and bounded
//! (a capture holds at most [`MAX_CAPTURE`](crate::bytecode::pattern::MAX_CAPTURE) bytes), so that per-byte work only happens just
//! after an anchor.
//!
//! Streaming: the [`Scanner`] keeps the candidates still in flight and the last few bytes of
//! the previous read (one anchor length minus one), so an anchor or a whole pattern split
//! across reads is still found. Nothing else is kept, so memory does not grow with the input.

use std::fmt;
use std::ops::Range;

use anchors::{AnchorUse, Table};
use candidate::{InFlight, Progress};

use crate::bytecode::pattern::{End, Pattern, Segment};

mod anchors;
mod candidate;

/// Why a list of patterns cannot be compiled into a [`PatternSet`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatcherError {
    /// The pattern has no segments at all.
    NoSegments {
        /// Index of the pattern.
        pattern: usize,
    },
    /// The pattern starts with a capture; the matcher needs a literal to look for.
    CaptureFirst {
        /// Index of the pattern.
        pattern: usize,
    },
    /// A literal segment is empty (an empty first literal, or one between two captures).
    EmptyLiteral {
        /// Index of the pattern.
        pattern: usize,
        /// Index of the segment.
        segment: usize,
    },
    /// Two captures follow each other, so nothing says where the first one ends.
    AdjacentCaptures {
        /// Index of the pattern.
        pattern: usize,
        /// Index of the second capture.
        segment: usize,
    },
    /// The numeric form is present but empty.
    EmptyNumeric {
        /// Index of the pattern.
        pattern: usize,
    },
    /// More patterns than ids can name.
    TooManyPatterns {
        /// How many patterns were given.
        count: usize,
    },
    /// The Aho-Corasick automaton could not be built (it would be too large).
    Automaton {
        /// The automaton builder's message.
        message: String,
    },
}

impl fmt::Display for MatcherError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatcherError::NoSegments { pattern } => write!(f, "pattern {pattern} is empty"),
            MatcherError::CaptureFirst { pattern } => {
                write!(f, "pattern {pattern} starts with a capture; it must start with literal text")
            }
            MatcherError::EmptyLiteral { pattern, segment } => {
                write!(f, "pattern {pattern} has an empty literal at segment {segment}")
            }
            MatcherError::AdjacentCaptures { pattern, segment } => write!(
                f,
                "pattern {pattern} has two captures in a row at segment {segment}; put literal text between them"
            ),
            MatcherError::EmptyNumeric { pattern } => {
                write!(f, "pattern {pattern} has an empty numeric form")
            }
            MatcherError::TooManyPatterns { count } => {
                write!(f, "too many patterns: {count} (at most {})", u32::MAX)
            }
            MatcherError::Automaton { message } => {
                write!(f, "cannot build the pattern automaton: {message}")
            }
        }
    }
}

impl std::error::Error for MatcherError {}

/// A pattern reduced to what the verifier needs, after the anchor (its first literal).
#[derive(Debug, Clone)]
struct Compiled {
    /// `after[i]` is the literal that ends capture `i`. A trailing capture has no entry.
    after: Vec<Vec<u8>>,
    /// Number of captures.
    captures: usize,
    /// What must follow the last literal (ignored when the last segment is a capture).
    end: End,
}

/// A compiled set of patterns: built once per program, shared by every wait and connection.
#[derive(Debug, Clone)]
pub struct PatternSet {
    patterns: Vec<Pattern>,
    compiled: Vec<Compiled>,
    /// First literals only: numeric forms are single digits, common in ordinary text, and
    /// would slow verbose-mode scanning for nothing.
    verbose: Table,
    /// First literals and numeric forms, for numeric (ATV0) mode.
    numeric: Table,
    /// Length of the longest anchor; a read boundary can split at most this minus one bytes.
    max_anchor: usize,
}

impl PatternSet {
    /// Checks and compiles `patterns`. Adjacent literal segments are joined.
    pub fn new(patterns: &[Pattern]) -> Result<PatternSet, MatcherError> {
        if u32::try_from(patterns.len()).is_err() {
            return Err(MatcherError::TooManyPatterns { count: patterns.len() });
        }
        let mut compiled = Vec::with_capacity(patterns.len());
        let mut verbose = Vec::new();
        let mut numeric = Vec::new();
        for (index, pattern) in patterns.iter().enumerate() {
            let (anchor, c) = compile(index, pattern)?;
            // Cannot truncate: the length was checked above.
            let id = index as u32;
            if pattern.line_start {
                for eol in [b'\r', b'\n'] {
                    let text = [&[eol], anchor.as_slice()].concat();
                    verbose.push((text, AnchorUse { pattern: id, numeric: false, eol: true }));
                }
            } else {
                verbose.push((anchor, AnchorUse { pattern: id, numeric: false, eol: false }));
            }
            if let Some(digits) = &pattern.numeric {
                if digits.is_empty() {
                    return Err(MatcherError::EmptyNumeric { pattern: index });
                }
                // With the line break before and the `\r` after, the anchor is the whole
                // numeric match, and a rare one.
                for eol in [b'\r', b'\n'] {
                    let text = [&[eol], digits.as_slice(), b"\r"].concat();
                    numeric.push((text, AnchorUse { pattern: id, numeric: true, eol: true }));
                }
            }
            compiled.push(c);
        }
        numeric.extend(verbose.iter().cloned());
        let max_anchor = numeric.iter().map(|(t, _)| t.len()).max().unwrap_or(0);
        Ok(PatternSet {
            patterns: patterns.to_vec(),
            compiled,
            verbose: Table::new(&verbose)?,
            numeric: Table::new(&numeric)?,
            max_anchor,
        })
    }

    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// True when the set has no patterns.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The pattern with this id, as given to [`PatternSet::new`].
    ///
    /// # Panics
    ///
    /// When `id` is not below [`PatternSet::len`]: ids come from the program that built the
    /// set, so a bad one is a bug in the caller, not bad input.
    pub fn pattern(&self, id: u32) -> &Pattern {
        &self.patterns[id as usize]
    }

    /// The pattern with this id, or `None` when out of range.
    pub fn get(&self, id: u32) -> Option<&Pattern> {
        self.patterns.get(id as usize)
    }

    fn table(&self, numeric: bool) -> &Table {
        if numeric {
            &self.numeric
        } else {
            &self.verbose
        }
    }
}

/// Validates one pattern and returns its anchor and compiled form.
fn compile(index: usize, pattern: &Pattern) -> Result<(Vec<u8>, Compiled), MatcherError> {
    // Join adjacent literals first so that "literal, capture, literal, ..." strictly alternates.
    let mut parts: Vec<Option<Vec<u8>>> = Vec::new();
    for (segment, s) in pattern.segments.iter().enumerate() {
        match s {
            Segment::Literal(text) => {
                if text.is_empty() {
                    return Err(MatcherError::EmptyLiteral { pattern: index, segment });
                }
                match parts.last_mut() {
                    Some(Some(prev)) => prev.extend_from_slice(text),
                    _ => parts.push(Some(text.clone())),
                }
            }
            Segment::Capture => {
                match parts.last() {
                    None => return Err(MatcherError::CaptureFirst { pattern: index }),
                    Some(None) => return Err(MatcherError::AdjacentCaptures { pattern: index, segment }),
                    Some(Some(_)) => {}
                }
                parts.push(None);
            }
        }
    }
    let mut parts = parts.into_iter();
    let anchor = match parts.next() {
        None => return Err(MatcherError::NoSegments { pattern: index }),
        Some(None) => return Err(MatcherError::CaptureFirst { pattern: index }),
        Some(Some(anchor)) => anchor,
    };
    let mut after = Vec::new();
    let mut captures = 0;
    for part in parts {
        match part {
            None => captures += 1,
            Some(text) => after.push(text),
        }
    }
    let c = Compiled { after, captures, end: pattern.end };
    Ok((anchor, c))
}

/// Which patterns a wait listens for, in priority order.
#[derive(Debug, Clone, Default)]
pub struct Active {
    /// `rank[id]` is the position of pattern `id` in the list, or `u32::MAX` when not listening.
    rank: Vec<u32>,
}

impl Active {
    /// Listens for `ids`, the first one winning ties. Ids out of range are ignored, not a panic;
    /// a repeated id keeps its first position.
    pub fn new(set: &PatternSet, ids: &[u32]) -> Active {
        let mut rank = vec![u32::MAX; set.len()];
        for (position, &id) in ids.iter().enumerate() {
            if let Some(slot) = rank.get_mut(id as usize) {
                if *slot == u32::MAX {
                    *slot = u32::try_from(position).unwrap_or(u32::MAX - 1);
                }
            }
        }
        Active { rank }
    }

    /// Priority of pattern `id` (lower wins), or `None` when it is not listened for.
    fn rank(&self, id: u32) -> Option<u32> {
        self.rank.get(id as usize).copied().filter(|&r| r != u32::MAX)
    }
}

/// The result of [`Scanner::scan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scan {
    /// An active pattern matched.
    Match {
        /// Its id.
        pattern: u32,
        /// Bytes of the input consumed, through the last byte of the match. The rest is for
        /// the next wait.
        consumed: usize,
        /// One entry per [`Segment::Capture`] of the pattern, in order. A numeric match
        /// captures nothing, so its entries are empty.
        captures: Vec<Vec<u8>>,
    },
    /// No match ended in the input; all of it was consumed.
    NoMatch,
}

fn is_eol(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

/// Echo tracking: the modem will repeat `line`; `pos` bytes of it have been seen.
#[derive(Debug, Clone)]
struct Echo {
    line: Vec<u8>,
    pos: usize,
}

impl Echo {
    /// Runs the tracker over `input`: the range of `input` that is echo, and how far into the
    /// line it got (`None` once the echo finished or diverged).
    fn track(&self, input: &[u8]) -> (Option<Range<usize>>, Option<usize>) {
        let mut pos = self.pos;
        let start = if pos == 0 {
            let Some(&first) = self.line.first() else {
                return (None, None);
            };
            match input.iter().position(|&b| b == first) {
                Some(i) => i,
                None => return (None, Some(0)),
            }
        } else {
            0
        };
        let mut end = start;
        for (&b, &want) in input.iter().skip(start).zip(self.line.iter().skip(pos)) {
            if b != want {
                return (Some(start..end), None);
            }
            end += 1;
            pos += 1;
        }
        let next = if pos >= self.line.len() { None } else { Some(pos) };
        (Some(start..end), next)
    }
}

/// The best match found so far in one `scan`.
struct Win {
    /// Offset in the input of its last byte.
    last: usize,
    rank: u32,
    pattern: u32,
    captures: Vec<Vec<u8>>,
}

impl Win {
    /// Earliest end first, then priority; an equal one keeps the earlier-started candidate.
    fn beats(&self, other: &Option<Win>) -> bool {
        match other {
            None => true,
            Some(o) => (self.last, self.rank) < (o.last, o.rank),
        }
    }
}

/// An anchor occurrence, with its end as an offset in the current input.
#[derive(Debug, Clone, Copy)]
struct Hit {
    anchor: usize,
    /// The anchor starts at the virtual line break that stands for the start of the stream
    /// (or a line start whose break was consumed by the previous match).
    virtual_eol: bool,
    end: usize,
}

/// What stays fixed during one `scan`.
struct Ctx<'a> {
    set: &'a PatternSet,
    active: &'a Active,
    numeric: bool,
    input: &'a [u8],
    echo: Option<Range<usize>>,
}

impl Ctx<'_> {
    /// Rank of a match of `pattern` ending at `last`, if that match counts.
    fn accept(&self, pattern: u32, numeric: bool, last: usize) -> Option<u32> {
        if numeric && !self.numeric {
            return None;
        }
        if self.echo.as_ref().is_some_and(|e| e.contains(&last)) {
            return None;
        }
        self.active.rank(pattern)
    }
}

/// Per-connection scanning state; persists across `scan` calls so a pattern split across reads still matches.
#[derive(Debug, Clone)]
pub struct Scanner {
    /// The position before the next input byte starts a line (start of stream, or the last
    /// byte consumed was `\r`/`\n`). Survives matches and restarts.
    line_start: bool,
    /// The last bytes consumed since the last match or restart, at most one anchor length
    /// minus one, where an anchor split across reads may have started.
    tail: Vec<u8>,
    /// Whether the position before `tail[0]` starts a line.
    tail_line_start: bool,
    /// Scratch space: `tail` followed by the head of the input.
    junction: Vec<u8>,
    /// Anchor hits that start in `tail` and end in the input.
    junction_hits: Vec<Hit>,
    /// Partial matches.
    inflight: InFlight,
    echo: Option<Echo>,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner::new()
    }
}

impl Scanner {
    /// A scanner at the start of a stream (which counts as the start of a line).
    pub fn new() -> Scanner {
        Scanner {
            line_start: true,
            tail: Vec::new(),
            tail_line_start: true,
            junction: Vec::new(),
            junction_hits: Vec::new(),
            inflight: InFlight::default(),
            echo: None,
        }
    }

    /// Forget partial matches (start of a new wait). Keeps the line-start context and any
    /// echo still expected.
    pub fn restart(&mut self) {
        self.tail.clear();
        self.inflight.clear();
    }

    /// The modem will next echo `line` (E1): matches that end inside the echoed bytes are ignored.
    /// Echo tracking begins at the first input byte equal to line[0] and stops as soon as input diverges.
    pub fn expect_echo(&mut self, line: &[u8]) {
        self.echo = if line.is_empty() { None } else { Some(Echo { line: line.to_vec(), pos: 0 }) };
    }

    /// Bytes held on the heap by partial matches and carried input: bounded by the pattern
    /// set, never by the length of the stream. For tests.
    #[doc(hidden)]
    pub fn buffered_bytes(&self) -> usize {
        self.tail.capacity()
            + self.junction.capacity()
            + self.junction_hits.capacity() * std::mem::size_of::<Hit>()
            + self.inflight.heap_bytes()
            + self.echo.as_ref().map_or(0, |e| e.line.capacity())
    }

    /// Scan `input` for the earliest-completing match of an active pattern; ties (same end byte) go to the
    /// earlier id in `Active`. Returns the match and how many bytes of `input` it consumed (through the
    /// match end; the rest is left for the caller to pass again later), or NoMatch when all of `input` was consumed.
    pub fn scan(&mut self, set: &PatternSet, active: &Active, numeric: bool, input: &[u8]) -> Scan {
        if input.is_empty() {
            return Scan::NoMatch;
        }
        let echo = self.echo.as_ref().and_then(|e| e.track(input).0);
        let ctx = Ctx { set, active, numeric, input, echo };
        let table = set.table(numeric);
        self.find_junction_hits(set, table, input);

        let mut main_cursor = table.cursor();
        let mut next_main = || -> Option<Hit> {
            let (anchor, end) = table.next(input, &mut main_cursor)?;
            Some(Hit { anchor, virtual_eol: false, end })
        };
        let mut main_peek = next_main();
        let mut junction_next = 0;

        let mut cur = 0;
        loop {
            let junction_peek = self.junction_hits.get(junction_next).copied();
            let next_end = match (junction_peek, main_peek) {
                (Some(j), Some(m)) => Some(j.end.min(m.end)),
                (j, m) => j.or(m).map(|h| h.end),
            };
            let limit = next_end.unwrap_or(input.len()).min(input.len());
            let mut win = self.advance(&ctx, cur, limit);
            cur = limit;
            let Some(h) = next_end else {
                return match win {
                    Some(w) => self.finish(input, w),
                    None => {
                        self.no_match(set, input);
                        Scan::NoMatch
                    }
                };
            };
            // A match ending before the last byte of this anchor cannot be beaten.
            if win.as_ref().is_some_and(|w| w.last + 1 < h) {
                if let Some(w) = win {
                    return self.finish(input, w);
                }
            }
            loop {
                let hit = match self.junction_hits.get(junction_next) {
                    Some(j) if j.end == h => {
                        junction_next += 1;
                        *j
                    }
                    _ => match main_peek {
                        Some(m) if m.end == h => {
                            main_peek = next_main();
                            m
                        }
                        _ => break,
                    },
                };
                self.admit(&ctx, hit, &mut win);
            }
            if let Some(w) = win {
                return self.finish(input, w);
            }
        }
    }

    /// Fills `junction_hits` with anchors that start in the carried tail and end in `input`.
    fn find_junction_hits(&mut self, set: &PatternSet, table: &Table, input: &[u8]) {
        self.junction_hits.clear();
        let keep = set.max_anchor.saturating_sub(1);
        if keep == 0 {
            return;
        }
        // The tail may be longer than this set needs if the caller switched sets.
        let skip = self.tail.len().saturating_sub(keep);
        let tail = self.tail.get(skip..).unwrap_or(&[]);
        // A line start whose line break is not in the tail (start of stream, or consumed by
        // the last match) gets a virtual one, so that line-start anchors, which begin with
        // the break, still find it. When the tail was cut short the real break before it is
        // too far back for any anchor through it to reach the input, so this is harmless.
        let line_start = if self.tail.is_empty() { self.line_start } else { self.tail_line_start };
        if tail.is_empty() && !line_start {
            return;
        }
        let prefix = usize::from(line_start);
        self.junction.clear();
        if line_start {
            self.junction.push(b'\n');
        }
        self.junction.extend_from_slice(tail);
        let before = self.junction.len();
        self.junction.extend_from_slice(input.get(..keep).unwrap_or(input));
        let hits = &mut self.junction_hits;
        table.each_in_short(&self.junction, |anchor, end| {
            let start = end.saturating_sub(table.anchor_len(anchor));
            if start < before && end > before {
                hits.push(Hit { anchor, virtual_eol: prefix == 1 && start == 0, end: end - before });
            }
        });
    }

    /// Feeds input bytes `from..to` to every candidate; returns the match completed first
    /// (ties to the higher priority), dropping finished and dead candidates.
    fn advance(&mut self, ctx: &Ctx<'_>, from: usize, to: usize) -> Option<Win> {
        if self.inflight.is_empty() {
            return None;
        }
        let bytes = ctx.input.get(from..to).unwrap_or(&[]);
        for (i, &b) in bytes.iter().enumerate() {
            let last = from + i;
            let mut win: Option<Win> = None;
            self.inflight.feed(&ctx.set.compiled, b, |pattern, captures| {
                let Some(rank) = ctx.accept(pattern, false, last) else {
                    return;
                };
                let Some(c) = ctx.set.compiled.get(pattern as usize) else {
                    return;
                };
                let w = Win { last, rank, pattern, captures: full_captures(c, captures) };
                if w.beats(&win) {
                    win = Some(w);
                }
            });
            if win.is_some() {
                return win;
            }
            if self.inflight.is_empty() {
                return None;
            }
        }
        None
    }

    /// Starts candidates for an anchor hit ending at `hit.end`; a pattern that is complete
    /// with its anchor competes for `win` at once.
    fn admit(&mut self, ctx: &Ctx<'_>, hit: Hit, win: &mut Option<Win>) {
        let Some(uses) = ctx.set.table(ctx.numeric).uses.get(hit.anchor) else {
            return;
        };
        for u in uses {
            let Some(c) = ctx.set.compiled.get(u.pattern as usize) else {
                continue;
            };
            if ctx.active.rank(u.pattern).is_none() || (u.numeric && !ctx.numeric) {
                continue;
            }
            // The virtual line break only stands in for line starts.
            if hit.virtual_eol && !u.eol {
                continue;
            }
            // A numeric anchor includes its `\r`: the whole match.
            let done = if u.numeric {
                Some(full_captures(c, Vec::new()))
            } else {
                match self.inflight.start(c, u.pattern) {
                    Progress::Done(captures) => Some(captures),
                    Progress::Pending => None,
                }
            };
            if let Some(captures) = done {
                let last = hit.end.saturating_sub(1);
                if let Some(rank) = ctx.accept(u.pattern, u.numeric, last) {
                    let w = Win { last, rank, pattern: u.pattern, captures };
                    if w.beats(win) {
                        *win = Some(w);
                    }
                }
            }
        }
    }

    /// Ends a scan with a match: later bytes start afresh, but the line context stays.
    fn finish(&mut self, input: &[u8], w: Win) -> Scan {
        let consumed = (w.last + 1).min(input.len());
        let used = input.get(..consumed).unwrap_or(input);
        self.line_start = used.last().copied().map_or(self.line_start, is_eol);
        self.tail.clear();
        self.inflight.clear();
        self.track_echo(used);
        Scan::Match { pattern: w.pattern, consumed, captures: w.captures }
    }

    /// Ends a scan that consumed all of `input` without a match.
    fn no_match(&mut self, set: &PatternSet, input: &[u8]) {
        let keep = set.max_anchor.saturating_sub(1);
        if input.len() >= keep {
            let start = input.len() - keep;
            self.tail_line_start = match start.checked_sub(1) {
                None => self.line_start,
                Some(i) => input.get(i).copied().is_some_and(is_eol),
            };
            self.tail.clear();
            self.tail.extend_from_slice(input.get(start..).unwrap_or(&[]));
        } else {
            if self.tail.is_empty() {
                self.tail_line_start = self.line_start;
            }
            let drop = (self.tail.len() + input.len()).saturating_sub(keep).min(self.tail.len());
            if drop > 0 {
                self.tail_line_start = self.tail.get(drop - 1).copied().is_some_and(is_eol);
                self.tail.drain(..drop);
            }
            self.tail.extend_from_slice(input);
        }
        self.line_start = input.last().copied().map_or(self.line_start, is_eol);
        self.track_echo(input);
    }

    /// Moves echo tracking past consumed bytes.
    fn track_echo(&mut self, consumed: &[u8]) {
        if let Some(e) = &mut self.echo {
            match e.track(consumed).1 {
                Some(pos) => e.pos = pos,
                None => self.echo = None,
            }
        }
    }
}

/// Pads captures to one entry per capture slot (a numeric match has none of its own).
fn full_captures(c: &Compiled, mut captures: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    captures.resize(c.captures, Vec::new());
    captures
}

#[cfg(test)]
mod tests;
