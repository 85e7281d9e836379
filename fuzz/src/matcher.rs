//! `matcher`: the streaming matcher (`atchat::vm::matcher`) against a naive reference that
//! follows the documented rules directly, on the whole stream at once.
//!
//! The reference tries every pattern at every start position and keeps the match that ends
//! first; ties go to the pattern listed first, then to the earlier start. A pattern matches
//! at `s` when:
//! - line-start patterns: `s` is 0 or follows `\r` or `\n`;
//! - its first literal is at `s`, and each capture takes the bytes up to the first
//!   occurrence of the literal after it (never a line break, at most `MAX_CAPTURE` bytes),
//!   a trailing capture the bytes up to the first line break, which ends the match;
//! - then `End::Here` ends with the last literal, `LineEnd` needs `\r`/`\n` next (included),
//!   `RestOfLine` too, or ` `/`:` and anything up to a line break (included);
//! - in numeric mode, a pattern with a numeric form also matches as a whole line: the digits
//!   at a line start, then `\r`, with every capture empty.
//!
//! The next search starts after the match. The stream is handed to the scanner in pieces of
//! sizes chosen by the fuzzer, which must not change what is found. Echo suppression is not
//! modelled.

use atchat::bytecode::pattern::{End, Pattern, Segment, MAX_CAPTURE};
use atchat::vm::matcher::{Active, PatternSet, Scan, Scanner};

use super::input::Input;

/// Few distinct bytes, so that patterns occur in the stream; any byte may still appear.
const ALPHABET: &[u8] = b"AB0:\r\n K";

fn letter(input: &mut Input) -> u8 {
    let b = input.byte();
    if b >= 0xF0 {
        b
    } else {
        ALPHABET[usize::from(b) % ALPHABET.len()]
    }
}

fn text(input: &mut Input, max: usize) -> Vec<u8> {
    let len = input.below(max + 1);
    (0..len).map(|_| letter(input)).collect()
}

fn pattern(input: &mut Input) -> Pattern {
    let count = input.below(5);
    let segments = (0..count)
        .map(|_| if input.below(3) == 0 { Segment::Capture } else { Segment::Literal(text(input, 3)) })
        .collect();
    let flags = input.byte();
    Pattern {
        segments,
        line_start: flags & 1 != 0,
        end: match (flags >> 1) % 3 {
            0 => End::Here,
            1 => End::LineEnd,
            _ => End::RestOfLine,
        },
        numeric: (flags & 8 != 0).then(|| {
            let digits = input.below(3);
            (0..digits).map(|_| b'0' + input.below(3) as u8).collect()
        }),
    }
}

/// Whether `PatternSet::new` must accept `p`: a non-empty literal first, no empty literal,
/// no two captures in a row, a non-empty numeric form.
fn valid(p: &Pattern) -> bool {
    let starts_literal = matches!(p.segments.first(), Some(Segment::Literal(_)));
    let no_empty = p.segments.iter().all(|s| !matches!(s, Segment::Literal(t) if t.is_empty()));
    let no_adjacent = p.segments.windows(2).all(|w| !(w[0] == Segment::Capture && w[1] == Segment::Capture));
    starts_literal && no_empty && no_adjacent && p.numeric.as_ref().map_or(true, |n| !n.is_empty())
}

fn is_eol(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

/// The stream, with the offset of the first line break at or after each position.
struct Stream<'a> {
    bytes: &'a [u8],
    next_eol: Vec<Option<usize>>,
}

impl Stream<'_> {
    fn new(bytes: &[u8]) -> Stream<'_> {
        let mut next_eol = vec![None; bytes.len() + 1];
        for i in (0..bytes.len()).rev() {
            next_eol[i] = if is_eol(bytes[i]) { Some(i) } else { next_eol[i + 1] };
        }
        Stream { bytes, next_eol }
    }

    fn line_start(&self, s: usize) -> bool {
        s == 0 || is_eol(self.bytes[s - 1])
    }

    /// The first occurrence of `needle` at or after `from`; none past `limit` is needed.
    fn find(&self, from: usize, needle: &[u8], limit: usize) -> Option<usize> {
        let last = self.bytes.len().checked_sub(needle.len())?.min(limit);
        (from..=last).find(|&q| self.bytes[q..].starts_with(needle))
    }
}

/// The last byte and the captures of a match of `p` starting at `s`, by the rules above.
fn match_at(p: &Pattern, stream: &Stream, s: usize, numeric: bool) -> Option<(usize, Vec<Vec<u8>>)> {
    let captures = p.segments.iter().filter(|s| **s == Segment::Capture).count();
    let numeric_match = match &p.numeric {
        Some(digits)
            if numeric
                && stream.line_start(s)
                && stream.bytes[s..].starts_with(&[digits.as_slice(), b"\r"].concat()) =>
        {
            Some((s + digits.len(), vec![Vec::new(); captures]))
        }
        _ => None,
    };
    let verbose = verbose_match_at(p, stream, s);
    match (numeric_match, verbose) {
        (Some(n), Some(v)) => Some(if v.0 < n.0 { v } else { n }),
        (n, v) => n.or(v),
    }
}

fn verbose_match_at(p: &Pattern, stream: &Stream, s: usize) -> Option<(usize, Vec<Vec<u8>>)> {
    if p.line_start && !stream.line_start(s) {
        return None;
    }
    let bytes = stream.bytes;
    let mut pos = s;
    let mut captures = Vec::new();
    let mut segments = p.segments.iter().peekable();
    while let Some(segment) = segments.next() {
        match segment {
            Segment::Literal(lit) => {
                if !bytes[pos..].starts_with(lit) {
                    return None;
                }
                pos += lit.len();
            }
            Segment::Capture => {
                // The literal that ends this capture: the following literal segments, joined.
                let mut lit = Vec::new();
                while let Some(Segment::Literal(t)) = segments.peek() {
                    lit.extend_from_slice(t);
                    segments.next();
                }
                if lit.is_empty() {
                    let q = stream.next_eol[pos]?;
                    if q - pos > MAX_CAPTURE {
                        return None;
                    }
                    captures.push(bytes[pos..q].to_vec());
                    return Some((q, captures));
                }
                let q = stream.find(pos, &lit, pos + MAX_CAPTURE)?;
                let capture = &bytes[pos..q];
                if capture.iter().any(|&b| is_eol(b)) {
                    return None;
                }
                captures.push(capture.to_vec());
                pos = q + lit.len();
            }
        }
    }
    let end = match p.end {
        End::Here => pos.checked_sub(1)?,
        End::LineEnd if bytes.get(pos).is_some_and(|&b| is_eol(b)) => pos,
        End::LineEnd => return None,
        End::RestOfLine => match bytes.get(pos) {
            Some(&b) if is_eol(b) => pos,
            Some(b' ' | b':') => stream.next_eol[pos + 1]?,
            _ => return None,
        },
    };
    Some((end, captures))
}

type Found = (u32, usize, Vec<Vec<u8>>);

/// Every match in order: (pattern, offset of its last byte, captures).
fn reference(patterns: &[Pattern], ids: &[u32], numeric: bool, stream: &Stream) -> Vec<Found> {
    let mut order: Vec<u32> = Vec::new();
    for &id in ids {
        if (id as usize) < patterns.len() && !order.contains(&id) {
            order.push(id);
        }
    }
    let mut found = Vec::new();
    let mut from = 0;
    loop {
        // (end, rank, start) orders the candidates.
        let mut best: Option<((usize, usize, usize), Found)> = None;
        for (rank, &id) in order.iter().enumerate() {
            for s in from..stream.bytes.len() {
                // A match starting here cannot end before the best one found.
                if best.as_ref().is_some_and(|((end, _, _), _)| s > *end) {
                    break;
                }
                if let Some((end, captures)) = match_at(&patterns[id as usize], stream, s, numeric) {
                    let key = (end, rank, s);
                    if best.as_ref().map_or(true, |(k, _)| key < *k) {
                        best = Some((key, (id, end, captures)));
                    }
                }
            }
        }
        let Some((_, m)) = best else { return found };
        from = m.1 + 1;
        found.push(m);
    }
}

/// The scanner, fed `stream` in pieces of `sizes` (cycled), each match's rest handed back.
fn scanner(set: &PatternSet, active: &Active, numeric: bool, stream: &[u8], sizes: &[usize]) -> Vec<Found> {
    let mut scanner = Scanner::new();
    let mut found = Vec::new();
    let mut offset = 0;
    let mut sizes = sizes.iter().cycle();
    while offset < stream.len() {
        let size = (*sizes.next().unwrap_or(&1)).max(1);
        let mut piece = &stream[offset..stream.len().min(offset + size)];
        let mut at = offset;
        offset += piece.len();
        while let Scan::Match { pattern, consumed, captures } = scanner.scan(set, active, numeric, piece) {
            assert!(consumed > 0 && consumed <= piece.len(), "consumed {consumed} of {}", piece.len());
            found.push((pattern, at + consumed - 1, captures));
            piece = &piece[consumed..];
            at += consumed;
        }
    }
    found
}

pub fn matcher(data: &[u8]) {
    let mut input = Input::new(data);
    let count = input.below(6);
    let patterns: Vec<Pattern> = (0..count).map(|_| pattern(&mut input)).collect();
    let ids: Vec<u32> = (0..input.below(8)).map(|_| input.below(8) as u32).collect();
    let numeric = input.flag();
    let sizes: Vec<usize> = (0..input.below(4) + 1).map(|_| input.below(64) + 1).collect();
    // A stream long enough to overrun a capture: each byte may repeat the one before.
    let mut stream = Vec::new();
    while !input.is_empty() && stream.len() < 2048 {
        let b = letter(&mut input);
        let times = if input.below(8) == 0 { input.below(160) + 1 } else { 1 };
        stream.extend(std::iter::repeat(b).take(times));
    }
    let set = match PatternSet::new(&patterns) {
        Ok(set) => set,
        Err(e) => {
            assert!(!patterns.iter().all(valid), "valid patterns rejected: {e}");
            return;
        }
    };
    assert!(patterns.iter().all(valid), "invalid patterns accepted: {patterns:?}");
    let active = Active::new(&set, &ids);
    let expected = reference(&patterns, &ids, numeric, &Stream::new(&stream));
    let whole = scanner(&set, &active, numeric, &stream, &[stream.len().max(1)]);
    assert_eq!(
        whole,
        expected,
        "the scanner and the reference disagree\npatterns {patterns:?}\nids {ids:?} numeric {numeric}\nstream {:?}",
        String::from_utf8_lossy(&stream)
    );
    let pieces = scanner(&set, &active, numeric, &stream, &sizes);
    assert_eq!(
        pieces,
        expected,
        "reads of {sizes:?} change the matches\npatterns {patterns:?}\nids {ids:?} numeric {numeric}\nstream {:?}",
        String::from_utf8_lossy(&stream)
    );
}
