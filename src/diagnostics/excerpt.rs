//! The part of a file a diagnostic shows, as miette's source code.
//!
//! Handing miette the whole file costs a copy of it per diagnostic (gigabytes for thousands
//! of errors in a large file), a 10 MB line is printed whole, raw control bytes reach the
//! terminal, and miette's renderer panics past column 65,535. An [`Excerpt`] holds only the
//! lines around each label, each cut to a window around the label, with control characters
//! written as escapes. The line and column numbers miette prints are still the file's.

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::syntax::ast::Span;

/// Lines of context shown above and below a label (miette's default).
const CONTEXT: usize = 1;
/// Labels at most this many lines apart share one snippet with the lines between them.
const JOIN_GAP: usize = 8;
/// Longer lines are cut to a window around the label.
const MAX_LINE: usize = 120;
/// How much of a cut line is shown before the label's start, in characters.
const BEFORE: usize = 40;
/// How much of a cut line is shown in all, in characters.
const WINDOW: usize = 100;
/// Marks where a cut line goes on.
const MORE: &str = "…";

/// The lines of a file around some spans, ready for miette.
#[derive(Debug)]
pub struct Excerpt {
    name: String,
    segments: Vec<Segment>,
}

/// Consecutive lines of the file, in the excerpt's own offsets.
#[derive(Debug)]
struct Segment {
    /// Where the segment starts among the excerpt's offsets.
    base: usize,
    /// The lines as shown, each with its line ending.
    text: String,
    /// The file's line number (from 0) of the first line.
    first_line: usize,
    /// (excerpt offset, byte column in the file) of each label start, for miette's header.
    columns: Vec<(usize, usize)>,
}

/// One line of the file: byte offsets of its start, its end, and the end of its line ending.
#[derive(Debug, Clone, Copy)]
struct Line {
    number: usize,
    start: usize,
    end: usize,
    next: usize,
}

impl Excerpt {
    /// The excerpt of `text` (named `name`) showing `spans`, and each span translated into
    /// the excerpt's offsets. A span is cut at the end of its first line.
    pub fn new(name: &str, text: &str, spans: &[Span]) -> (Excerpt, Vec<SourceSpan>) {
        let lines: Vec<Line> = spans.iter().map(|s| line_at(text, s.start.min(text.len()))).collect();
        // Line ranges to show, joined when close.
        let mut ranges: Vec<(usize, usize)> =
            lines.iter().map(|l| (l.number.saturating_sub(CONTEXT), l.number + CONTEXT)).collect();
        ranges.sort_unstable();
        let mut joined: Vec<(usize, usize)> = Vec::new();
        for (a, b) in ranges {
            match joined.last_mut() {
                Some(last) if a <= last.1 + JOIN_GAP => last.1 = last.1.max(b),
                _ => joined.push((a, b)),
            }
        }
        let mut excerpt = Excerpt { name: name.to_string(), segments: Vec::new() };
        let mut mapped = vec![SourceSpan::from((0, 0)); spans.len()];
        let mut base = 0;
        for (first, last) in joined {
            let mut segment = Segment { base, text: String::new(), first_line: first, columns: Vec::new() };
            let mut line = nth_line(text, lines.iter().copied(), first);
            loop {
                // Where this line's labels are; the window follows the first of them.
                let here: Vec<usize> = (0..spans.len()).filter(|&i| lines[i].number == line.number).collect();
                let focus = here.first().map_or(line.start, |&i| spans[i].start.min(line.end));
                let shown = Shown::new(&text[line.start..line.end], focus - line.start);
                let offset = base + segment.text.len();
                for &i in &here {
                    let start = spans[i].start.clamp(line.start, line.end);
                    let end = spans[i].end.clamp(start, line.end);
                    let a = offset + shown.map(start - line.start);
                    let b = offset + shown.map(end - line.start);
                    mapped[i] = (a, b - a).into();
                    segment.columns.push((a, start - line.start));
                }
                segment.text.push_str(&shown.text);
                segment.text.push_str(&text[line.end..line.next]);
                // After a final line ending there is an empty line, shown only for a label on it.
                let more = line.next < text.len()
                    || (line.next > line.end && lines.iter().any(|l| l.number == line.number + 1));
                if line.number >= last || !more {
                    break;
                }
                line = line_at(text, line.next);
            }
            base += segment.text.len();
            excerpt.segments.push(segment);
        }
        (excerpt, mapped)
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let segment = self
            .segments
            .iter()
            .rev()
            .find(|s| s.base <= span.offset())
            .filter(|s| span.offset() + span.len() <= s.base + s.text.len())
            .ok_or(MietteError::OutOfBounds)?;
        let local = SourceSpan::from((span.offset() - segment.base, span.len()));
        let contents = segment.text.read_span(&local, before, after)?;
        let column = match segment.columns.iter().find(|(at, _)| *at == span.offset()) {
            Some(&(_, column)) if before == 0 => column,
            _ => contents.column(),
        };
        let at = SourceSpan::from((contents.span().offset() + segment.base, contents.span().len()));
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            at,
            contents.line() + segment.first_line,
            column,
            contents.line_count() + segment.first_line,
        )))
    }
}

/// A line as shown: cut to a window if long, control characters as escapes.
struct Shown {
    text: String,
    /// (byte offset in the line, byte offset in `text`) at every character shown.
    map: Vec<(usize, usize)>,
}

impl Shown {
    fn new(line: &str, focus: usize) -> Shown {
        let plain = line.len() <= MAX_LINE && !line.chars().any(needs_escape);
        let (from, to) = if line.len() <= MAX_LINE { (0, line.len()) } else { window(line, focus) };
        let mut shown = Shown { text: String::new(), map: Vec::new() };
        if plain {
            shown.text.push_str(line);
            return shown;
        }
        if from > 0 {
            shown.text.push_str(MORE);
        }
        for (i, c) in line[from..to].char_indices() {
            shown.map.push((from + i, shown.text.len()));
            if needs_escape(c) {
                shown.text.push_str(&escape(c));
            } else {
                shown.text.push(c);
            }
        }
        shown.map.push((to, shown.text.len()));
        if to < line.len() {
            shown.text.push_str(MORE);
        }
        shown
    }

    /// Where byte `at` of the line is in the text shown; outside the window, at its edge.
    fn map(&self, at: usize) -> usize {
        if self.map.is_empty() {
            return at.min(self.text.len());
        }
        match self.map.binary_search_by_key(&at, |&(line, _)| line) {
            Ok(i) => self.map[i].1,
            Err(0) => 0,
            Err(i) if i == self.map.len() => self.text.len(),
            // Inside a character: its start.
            Err(i) => self.map[i - 1].1,
        }
    }
}

/// The byte range of a window of [`WINDOW`] characters starting [`BEFORE`] characters before
/// `focus`, shifted to fit the line.
fn window(line: &str, focus: usize) -> (usize, usize) {
    let focus = floor_char(line, focus.min(line.len()));
    let before: Vec<usize> = line[..focus].char_indices().rev().take(BEFORE).map(|(i, _)| i).collect();
    let from = before.last().copied().unwrap_or(focus);
    let to = line[from..].char_indices().nth(WINDOW).map_or(line.len(), |(i, _)| from + i);
    if to == line.len() {
        // Near the end: show a full window ending there.
        let from = line.char_indices().rev().nth(WINDOW - 1).map_or(0, |(i, _)| i);
        return (from.min(focus), to);
    }
    (from, to)
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn needs_escape(c: char) -> bool {
    c.is_control() && c != '\t'
}

/// How a control character is shown: as the language writes it in a string.
fn escape(c: char) -> String {
    match c {
        '\r' => "\\r".into(),
        '\n' => "\\n".into(),
        '\0' => "\\0".into(),
        '\x1b' => "\\e".into(),
        c if (c as u32) < 0x100 => format!("\\x{:02x}", c as u32),
        c => format!("\\u{{{:x}}}", c as u32),
    }
}

/// The line holding byte `at`. Lines end at `\n`, `\r\n` or a lone `\r`, as for the grammar
/// and for miette.
fn line_at(text: &str, at: usize) -> Line {
    let bytes = text.as_bytes();
    let mut number = 0;
    let mut start = 0;
    let mut i = 0;
    while i < at {
        match bytes[i] {
            b'\n' => {
                number += 1;
                start = i + 1;
            }
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => {
                number += 1;
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let end = bytes[start..].iter().position(|&b| b == b'\n' || b == b'\r').map_or(bytes.len(), |p| start + p);
    let next = match bytes.get(end..) {
        Some([b'\r', b'\n', ..]) => end + 2,
        Some([_, ..]) => end + 1,
        _ => end,
    };
    Line { number, start, end, next }
}

/// Line number `n` (from 0), walking from a line already found before it if any.
fn nth_line(text: &str, known: impl Iterator<Item = Line>, n: usize) -> Line {
    let mut line = known.filter(|l| l.number <= n).max_by_key(|l| l.number).unwrap_or_else(|| line_at(text, 0));
    while line.number < n && line.next < text.len() {
        line = line_at_from(text, line);
    }
    line
}

/// The line after `line`.
fn line_at_from(text: &str, line: Line) -> Line {
    let mut next = line_at(&text[line.next..], 0);
    next.number = line.number + 1;
    next.start += line.next;
    next.end += line.next;
    next.next += line.next;
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_at_any_line_ending() {
        let text = "ab\ncd\r\nef\rgh";
        let l = line_at(text, 4);
        assert_eq!((l.number, l.start, l.end, l.next), (1, 3, 5, 7));
        let l = line_at(text, 6);
        assert_eq!((l.number, l.start), (1, 3));
        let l = line_at(text, 11);
        assert_eq!((l.number, l.start, l.end, l.next), (3, 10, 12, 12));
        let l = nth_line(text, std::iter::empty(), 2);
        assert_eq!((l.number, l.start, l.end), (2, 7, 9));
    }

    #[test]
    fn a_short_line_is_shown_as_it_is() {
        let text = "one\ntwo three\nfour\nfive\n";
        let (excerpt, spans) = Excerpt::new("t", text, &[Span::new(8, 13)]);
        assert_eq!(excerpt.segments.len(), 1);
        assert_eq!(excerpt.segments[0].text, "one\ntwo three\nfour\n");
        assert_eq!(spans[0], (8, 5).into());
        let contents = excerpt.read_span(&spans[0], 0, 0).unwrap();
        assert_eq!((contents.line(), contents.column()), (1, 4));
    }

    #[test]
    fn a_long_line_is_cut_around_the_label() {
        let text = format!("{}junk\n", " ".repeat(70_000));
        let (excerpt, spans) = Excerpt::new("t", &text, &[Span::new(70_000, 70_004)]);
        let shown = &excerpt.segments[0].text;
        assert!(shown.chars().count() < WINDOW + 5, "{shown:?}");
        assert!(shown.starts_with(MORE) && shown.ends_with("junk\n"), "{shown:?}");
        let at = spans[0];
        assert_eq!(&shown[at.offset()..at.offset() + at.len()], "junk");
        let contents = excerpt.read_span(&at, 0, 0).unwrap();
        assert_eq!((contents.line(), contents.column()), (0, 70_000));
    }

    #[test]
    fn control_characters_are_escaped() {
        let text = "say \"\x1b[2J\x07\"\n";
        let (excerpt, spans) = Excerpt::new("t", text, &[Span::new(9, 10)]);
        assert_eq!(excerpt.segments[0].text, "say \"\\e[2J\\x07\"\n");
        let at = spans[0];
        assert_eq!(&excerpt.segments[0].text[at.offset()..at.offset() + at.len()], "\\x07");
    }

    #[test]
    fn distant_labels_get_separate_segments() {
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let second = text.find("line 90").unwrap();
        let (excerpt, spans) = Excerpt::new("t", &text, &[Span::new(0, 4), Span::new(second, second + 4)]);
        assert_eq!(excerpt.segments.len(), 2);
        assert_eq!(excerpt.segments[1].first_line, 89);
        let contents = excerpt.read_span(&spans[1], 1, 1).unwrap();
        assert_eq!(contents.line(), 89);
        // A span across both cannot be read: miette then shows two snippets.
        let across = SourceSpan::from((0, spans[1].offset()));
        assert!(excerpt.read_span(&across, 1, 1).is_err());
    }

    #[test]
    fn multibyte_text_is_cut_at_character_boundaries() {
        let text = format!("{}x\n", "é".repeat(5_000));
        let at = text.find('x').unwrap();
        let (excerpt, spans) = Excerpt::new("t", &text, &[Span::new(at, at + 1)]);
        let shown = &excerpt.segments[0].text;
        assert_eq!(&shown[spans[0].offset()..spans[0].offset() + 1], "x");
    }
}
