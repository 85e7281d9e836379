//! Streaming multi-pattern matcher. Placeholder types until the matcher branch lands.

/// One pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pub segments: Vec<Segment>,
    pub line_start: bool,
    pub end: End,
    pub numeric: Option<Vec<u8>>,
}
/// A piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(Vec<u8>),
    Capture,
}
/// What must follow the last segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Here,
    LineEnd,
    RestOfLine,
}

// ---- A naive reference implementation, replaced by the matcher branch. ----

/// Compiled patterns.
pub struct PatternSet {
    patterns: Vec<Pattern>,
}
/// Why patterns cannot be compiled.
#[derive(Debug)]
pub struct MatcherError(String);
impl std::fmt::Display for MatcherError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl PatternSet {
    pub fn new(patterns: &[Pattern]) -> Result<PatternSet, MatcherError> {
        Ok(PatternSet { patterns: patterns.to_vec() })
    }
    pub fn len(&self) -> usize {
        self.patterns.len()
    }
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
    pub fn pattern(&self, id: u32) -> &Pattern {
        &self.patterns[id as usize]
    }
}
/// Active ids.
pub struct Active {
    ids: Vec<u32>,
}
impl Active {
    pub fn new(set: &PatternSet, ids: &[u32]) -> Active {
        Active { ids: ids.iter().copied().filter(|&i| (i as usize) < set.len()).collect() }
    }
}
/// Scanner state.
#[derive(Default)]
pub struct Scanner {
    window: Vec<u8>,
    line_start_before: bool,
    echo: Option<(Vec<u8>, usize)>,
    echo_until: usize,
}
/// A scan result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scan {
    Match { pattern: u32, consumed: usize, captures: Vec<Vec<u8>> },
    NoMatch,
}
impl Scanner {
    pub fn new() -> Scanner {
        Scanner { line_start_before: true, ..Default::default() }
    }
    pub fn restart(&mut self) {
        if let Some(&last) = self.window.last() {
            self.line_start_before = last == b'\r' || last == b'\n';
        }
        self.window.clear();
        self.echo_until = 0;
    }
    pub fn expect_echo(&mut self, line: &[u8]) {
        self.echo = Some((line.to_vec(), 0));
    }
    pub fn scan(&mut self, set: &PatternSet, active: &Active, numeric: bool, input: &[u8]) -> Scan {
        for (i, &b) in input.iter().enumerate() {
            self.window.push(b);
            if let Some((echo, n)) = &mut self.echo {
                if echo.get(*n) == Some(&b) {
                    *n += 1;
                    self.echo_until = self.window.len();
                    if *n == echo.len() {
                        self.echo = None;
                    }
                } else if *n > 0 {
                    self.echo = None;
                }
            }
            for &id in &active.ids {
                if let Some(caps) = self.try_match(&set.patterns[id as usize], numeric) {
                    let consumed = i + 1;
                    let last = self.window.last().copied();
                    self.window.clear();
                    self.line_start_before = matches!(last, Some(b'\r' | b'\n'));
                    self.echo_until = 0;
                    return Scan::Match { pattern: id, consumed, captures: caps };
                }
            }
            if self.window.len() > 4096 {
                let cut = self.window.len() - 1024;
                self.line_start_before = matches!(self.window[cut - 1], b'\r' | b'\n');
                self.window.drain(..cut);
                self.echo_until = self.echo_until.saturating_sub(cut);
            }
        }
        Scan::NoMatch
    }
    fn at_line_start(&self, pos: usize) -> bool {
        if pos == 0 {
            self.line_start_before
        } else {
            matches!(self.window[pos - 1], b'\r' | b'\n')
        }
    }
    /// Does a match of `p` end exactly at the last byte of the window?
    fn try_match(&self, p: &Pattern, numeric: bool) -> Option<Vec<Vec<u8>>> {
        let w = &self.window;
        if self.echo_until == w.len() {
            return None;
        }
        if numeric {
            if let Some(num) = &p.numeric {
                if w.len() > num.len() && w.ends_with(b"\r") && &w[w.len() - 1 - num.len()..w.len() - 1] == num.as_slice() && self.at_line_start(w.len() - 1 - num.len()) {
                    return Some(vec![]);
                }
            }
        }
        // Try every start position (naive).
        for start in 0..w.len() {
            if p.line_start && !self.at_line_start(start) {
                continue;
            }
            if let Some(caps) = match_from(&w[start..], &p.segments, p.end) {
                return Some(caps);
            }
        }
        None
    }
}

/// Whether `text` (entirely) is a match of segments + end.
fn match_from(text: &[u8], segments: &[Segment], end: End) -> Option<Vec<Vec<u8>>> {
    let mut pos = 0;
    let mut caps = Vec::new();
    let mut i = 0;
    while i < segments.len() {
        match &segments[i] {
            Segment::Literal(l) => {
                if !text[pos..].starts_with(l) {
                    return None;
                }
                pos += l.len();
            }
            Segment::Capture => {
                match segments.get(i + 1) {
                    Some(Segment::Literal(next)) => {
                        let rest = &text[pos..];
                        let at = rest.windows(next.len()).position(|win| win == next.as_slice())?;
                        let cap = &rest[..at];
                        if cap.len() > 256 || cap.iter().any(|&b| b == b'\r' || b == b'\n') {
                            return None;
                        }
                        caps.push(cap.to_vec());
                        pos += at;
                    }
                    _ => {
                        let rest = &text[pos..];
                        let at = rest.iter().position(|&b| b == b'\r' || b == b'\n')?;
                        if at + 1 != rest.len() || at > 256 {
                            return None;
                        }
                        caps.push(rest[..at].to_vec());
                        return Some(caps);
                    }
                }
            }
        }
        i += 1;
    }
    let rest = &text[pos..];
    let ok = match end {
        End::Here => rest.is_empty(),
        End::LineEnd => rest.len() == 1 && (rest[0] == b'\r' || rest[0] == b'\n'),
        End::RestOfLine => {
            (rest.len() == 1 && (rest[0] == b'\r' || rest[0] == b'\n'))
                || (rest.len() >= 2
                    && (rest[0] == b' ' || rest[0] == b':')
                    && (rest[rest.len() - 1] == b'\r' || rest[rest.len() - 1] == b'\n')
                    && !rest[..rest.len() - 1].iter().any(|&b| b == b'\r' || b == b'\n'))
        }
    };
    ok.then_some(caps)
}
