//! Partial matches in flight: what is checked byte by byte once an anchor has been found.
//!
//! Most candidates live for a byte or two (is the anchor followed by an end of line?) and are
//! kept in a plain list. Captures are different: a capture may run for [`MAX_CAPTURE`] bytes,
//! and hostile input (`AAAA…` for `"A{x}B"`) can start a new one at every byte. Candidates of
//! one pattern filling the same capture see the same bytes, find the delimiting literal at the
//! same moment and die in the order they started, so they share one [`Group`]: one window of
//! bytes, one check per byte, and a queue of start offsets. That keeps the cost per byte
//! independent of how many candidates are alive.

use std::collections::VecDeque;

use super::{is_eol, Compiled};
use crate::bytecode::pattern::{End, MAX_CAPTURE};

/// Where a single candidate is in its pattern, once all its captures are filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// All literals matched; checking the pattern's [`End`].
    End,
    /// Inside the rest of a line after `CONNECT ` or `+CME ERROR:`; waiting for its end.
    Rest,
}

/// A candidate past its last capture.
#[derive(Debug, Clone)]
struct Candidate {
    pattern: u32,
    step: Step,
    captures: Vec<Vec<u8>>,
}

/// One candidate filling a capture, as an offset into its group's window.
#[derive(Debug, Clone)]
struct Member {
    /// Offset in the window of the first byte of the capture.
    start: usize,
    /// Captures already filled.
    captures: Vec<Vec<u8>>,
}

/// The candidates of one pattern filling capture `index`, oldest first.
#[derive(Debug, Clone)]
struct Group {
    pattern: u32,
    index: usize,
    /// The bytes since the oldest member's capture began.
    window: Vec<u8>,
    /// Offsets in `window` of line breaks that may still end some member.
    eols: VecDeque<usize>,
    members: VecDeque<Member>,
}

/// Drop the front of a group's window once this much of it belongs to no member; the window
/// stays under this plus one capture and one literal.
const TRIM: usize = 1024;

impl Group {
    fn join(&mut self, captures: Vec<Vec<u8>>) {
        self.members.push_back(Member { start: self.window.len(), captures });
    }

    /// Feeds one byte; returns the captures of the oldest member if this byte completed
    /// the capture (and its delimiting literal).
    fn feed(&mut self, c: &Compiled, b: u8) -> Option<Vec<Vec<u8>>> {
        self.window.push(b);
        let n = self.window.len();
        let done = match c.after.get(self.index) {
            None => {
                // A trailing capture: every member ends at this line break; the oldest wins.
                if is_eol(b) {
                    let front = self.members.pop_front();
                    self.members.clear();
                    front.map(|m| with_capture(m, self.window.get(..n - 1).unwrap_or(&[])))
                } else {
                    while self.members.front().is_some_and(|m| n - m.start > MAX_CAPTURE) {
                        self.members.pop_front();
                    }
                    None
                }
            }
            Some(lit) => {
                let l = lit.len();
                if is_eol(b) {
                    self.eols.push_back(n - 1);
                }
                let mut done = None;
                if self.window.ends_with(lit) {
                    // Members whose capture began inside this occurrence of the literal
                    // cannot use it; the others all end here, and the oldest wins.
                    let at = n - l;
                    if self.members.front().is_some_and(|m| m.start <= at) {
                        done = self.members.pop_front().map(|m| with_capture(m, self.window.get(..at).unwrap_or(&[])));
                        while self.members.front().is_some_and(|m| m.start <= at) {
                            self.members.pop_front();
                        }
                    }
                }
                // Any later end of the literal leaves a line break at `q` inside the capture
                // of every member that started at or before `q`.
                while let Some(&q) = self.eols.front() {
                    if q + l > n {
                        break;
                    }
                    while self.members.front().is_some_and(|m| m.start <= q) {
                        self.members.pop_front();
                    }
                    self.eols.pop_front();
                }
                // Any later end would make the capture longer than allowed.
                while self.members.front().is_some_and(|m| n >= m.start + MAX_CAPTURE + l) {
                    self.members.pop_front();
                }
                done
            }
        };
        self.trim();
        done
    }

    /// Forgets window bytes no member needs, so the window stays bounded.
    fn trim(&mut self) {
        let Some(first) = self.members.front().map(|m| m.start) else {
            self.window.clear();
            self.eols.clear();
            return;
        };
        if first < TRIM {
            return;
        }
        self.window.drain(..first);
        for m in &mut self.members {
            m.start -= first;
        }
        self.eols.retain(|&q| q >= first);
        for q in &mut self.eols {
            *q -= first;
        }
    }

    fn heap_bytes(&self) -> usize {
        self.window.capacity()
            + self.eols.capacity() * std::mem::size_of::<usize>()
            + self.members.capacity() * std::mem::size_of::<Member>()
            + self.members.iter().map(|m| captures_bytes(&m.captures)).sum::<usize>()
    }
}

/// A member's captures with the one it just finished, `window[start..end]` given as `upto`.
fn with_capture(m: Member, upto: &[u8]) -> Vec<Vec<u8>> {
    let mut captures = m.captures;
    captures.push(upto.get(m.start..).unwrap_or(&[]).to_vec());
    captures
}

#[allow(clippy::ptr_arg)] // the capacity of the Vec itself is what is measured
fn captures_bytes(captures: &Vec<Vec<u8>>) -> usize {
    captures.capacity() * std::mem::size_of::<Vec<u8>>() + captures.iter().map(Vec::capacity).sum::<usize>()
}

/// What happened to a candidate when it was started or moved on.
pub(super) enum Progress {
    /// The match is complete with these captures.
    Done(Vec<Vec<u8>>),
    /// It needs more bytes (or was redundant and dropped).
    Pending,
}

/// All partial matches of one scanner.
#[derive(Debug, Clone, Default)]
pub(super) struct InFlight {
    singles: Vec<Candidate>,
    groups: Vec<Group>,
    /// Scratch: group winners that move on after the current byte, with their pattern.
    moved: Vec<(u32, usize, Vec<Vec<u8>>)>,
}

impl InFlight {
    pub(super) fn is_empty(&self) -> bool {
        self.singles.is_empty() && self.groups.is_empty()
    }

    pub(super) fn clear(&mut self) {
        self.singles.clear();
        self.groups.clear();
    }

    /// Starts a candidate whose anchor (first literal) just matched.
    pub(super) fn start(&mut self, c: &Compiled, pattern: u32) -> Progress {
        self.next_capture(c, pattern, 0, Vec::new())
    }

    /// Moves a candidate on to capture `index`, or past its last capture.
    fn next_capture(&mut self, c: &Compiled, pattern: u32, index: usize, captures: Vec<Vec<u8>>) -> Progress {
        if index < c.captures {
            match self.groups.iter_mut().find(|g| g.pattern == pattern && g.index == index) {
                Some(g) => g.join(captures),
                None => {
                    let mut g =
                        Group { pattern, index, window: Vec::new(), eols: VecDeque::new(), members: VecDeque::new() };
                    g.join(captures);
                    self.groups.push(g);
                }
            }
            return Progress::Pending;
        }
        // A trailing capture already ran to the end of the line, terminator included.
        let trailing = c.captures > c.after.len();
        if trailing || c.end == End::Here {
            return Progress::Done(captures);
        }
        // An earlier candidate of this pattern already in the rest of a line ends where
        // this one would, and wins the tie: skipping this one keeps long lines linear.
        if self.singles.iter().any(|o| o.pattern == pattern && o.step == Step::Rest) {
            return Progress::Pending;
        }
        self.singles.push(Candidate { pattern, step: Step::End, captures });
        Progress::Pending
    }

    /// Feeds one byte to every candidate. `done(pattern, captures)` is called for
    /// each one completed by it, in the order candidates were started.
    pub(super) fn feed(&mut self, compiled: &[Compiled], b: u8, mut done: impl FnMut(u32, Vec<Vec<u8>>)) {
        self.singles.retain_mut(|cand| {
            let complete = match cand.step {
                Step::End if is_eol(b) => true,
                Step::End => {
                    let rest = compiled.get(cand.pattern as usize).is_some_and(|c| c.end == End::RestOfLine);
                    if rest && (b == b' ' || b == b':') {
                        cand.step = Step::Rest;
                    }
                    return cand.step == Step::Rest;
                }
                Step::Rest => is_eol(b),
            };
            if complete {
                done(cand.pattern, std::mem::take(&mut cand.captures));
            }
            !complete
        });
        if self.groups.is_empty() {
            return;
        }
        let mut moved = std::mem::take(&mut self.moved);
        self.groups.retain_mut(|g| {
            if let Some(c) = compiled.get(g.pattern as usize) {
                if let Some(captures) = g.feed(c, b) {
                    moved.push((g.pattern, g.index + 1, captures));
                }
            }
            !g.members.is_empty()
        });
        for (pattern, index, captures) in moved.drain(..) {
            let Some(c) = compiled.get(pattern as usize) else {
                continue;
            };
            if let Progress::Done(captures) = self.next_capture(c, pattern, index, captures) {
                done(pattern, captures);
            }
        }
        self.moved = moved;
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.singles.capacity() * std::mem::size_of::<Candidate>()
            + self.singles.iter().map(|c| captures_bytes(&c.captures)).sum::<usize>()
            + self.groups.capacity() * std::mem::size_of::<Group>()
            + self.groups.iter().map(Group::heap_bytes).sum::<usize>()
            + self.moved.capacity() * std::mem::size_of::<(u32, usize, Vec<Vec<u8>>)>()
    }
}
