//! The anchor search: every place where some pattern's first literal occurs.
//!
//! Anchors are found with overlapping semantics (every occurrence, in order of end), so a
//! pattern that is not listening never hides one that is. Teddy (SIMD) skips through text
//! with no anchor; a DFA reports the anchors from each place Teddy stops.

use aho_corasick::automaton::{Automaton as _, OverlappingState, StateID};
use aho_corasick::{Anchored, Input, MatchKind, Span};

use super::MatcherError;

/// One anchor of the automaton is the first literal (or numeric form) of these patterns.
#[derive(Debug, Clone, Copy)]
pub(super) struct AnchorUse {
    pub(super) pattern: u32,
    /// The anchor is the pattern's numeric form followed by `\r`, a whole match by itself.
    pub(super) numeric: bool,
    /// The anchor starts with the line break before a line-start pattern, so a hit is at a
    /// line start by construction (the scanner supplies a virtual `\n` at stream start).
    pub(super) eol: bool,
}

/// An automaton over anchors and, for each anchor, the patterns that start with it.
#[derive(Debug, Clone)]
pub(super) struct Table {
    /// With Aho-Corasick's own prefilter: the fallback search.
    automaton: Automaton,
    /// The usual search: a Teddy (SIMD) searcher jumps to the next place an anchor starts,
    /// and a DFA without prefilter reports every anchor ending from there. The crate's own
    /// prefilter choice suits a handful of patterns; Teddy's three-byte fingerprints stay
    /// selective on modem text for the dozens of anchors a script has. Anchors shorter than
    /// three bytes get searchers of their own, so that one `"> "` does not cut every
    /// fingerprint to two bytes.
    pub(super) fast: Option<(aho_corasick::dfa::DFA, Vec<aho_corasick::packed::Searcher>)>,
    /// Indexed by automaton pattern id.
    pub(super) uses: Vec<Vec<AnchorUse>>,
    /// Anchor lengths, by automaton pattern id.
    lens: Vec<usize>,
}

/// Where an overlapping search over one haystack is.
#[derive(Debug)]
pub(super) enum Cursor {
    Fast {
        sid: Option<StateID>,
        at: usize,
        next_match: usize,
        /// Per Teddy searcher, where its next anchor starts (the haystack length for none),
        /// valid while not before `at`: each searcher then reads the haystack once.
        next_start: [Option<usize>; 3],
    },
    Slow(OverlappingState),
}

/// The automaton actually built. Searched through the `Automaton` trait directly rather than
/// through `AhoCorasick`, which saves a dynamic call and checks per anchor hit.
#[derive(Debug, Clone)]
enum Automaton {
    Dfa(aho_corasick::dfa::DFA),
    /// For sets too large for a DFA: slower, no size limit.
    Nfa(aho_corasick::nfa::contiguous::NFA),
}

impl Table {
    pub(super) fn new(anchors: &[(Vec<u8>, AnchorUse)]) -> Result<Table, MatcherError> {
        let mut texts: Vec<&[u8]> = Vec::new();
        let mut uses: Vec<Vec<AnchorUse>> = Vec::new();
        for (text, usage) in anchors {
            // Share one automaton entry between patterns with the same anchor: fewer states,
            // and one hit serves them all.
            match texts.iter().position(|t| *t == text.as_slice()) {
                Some(i) => uses[i].push(*usage),
                None => {
                    texts.push(text);
                    uses.push(vec![*usage]);
                }
            }
        }
        // Overlapping search needs standard semantics. The DFA is the fastest automaton and
        // stays small for the few dozen short anchors a script has.
        let automaton =
            match aho_corasick::dfa::DFA::builder().match_kind(MatchKind::Standard).prefilter(true).build(&texts) {
                Ok(dfa) => Automaton::Dfa(dfa),
                Err(_) => Automaton::Nfa(
                    aho_corasick::nfa::contiguous::NFA::builder()
                        .match_kind(MatchKind::Standard)
                        .prefilter(true)
                        .build(&texts)
                        .map_err(|e| MatcherError::Automaton { message: e.to_string() })?,
                ),
            };
        let fast = teddy_by_length(&texts).and_then(|finders| {
            let dfa = aho_corasick::dfa::DFA::builder()
                .match_kind(MatchKind::Standard)
                .prefilter(false)
                .build(&texts)
                .ok()?;
            Some((dfa, finders))
        });
        let lens = texts.iter().map(|t| t.len()).collect();
        Ok(Table { automaton, fast, uses, lens })
    }

    pub(super) fn anchor_len(&self, anchor: usize) -> usize {
        self.lens.get(anchor).copied().unwrap_or(0)
    }

    pub(super) fn cursor(&self) -> Cursor {
        match self.fast {
            Some(_) => Cursor::Fast { sid: None, at: 0, next_match: 0, next_start: [None; 3] },
            None => Cursor::Slow(OverlappingState::start()),
        }
    }

    /// Calls `f(anchor, end)` for every anchor occurrence in `hay`, a few bytes long: the DFA
    /// alone, since setting up a skip search would cost more than it saves.
    pub(super) fn each_in_short(&self, hay: &[u8], mut f: impl FnMut(usize, usize)) {
        let Some((dfa, _)) = &self.fast else {
            let mut cursor = self.cursor();
            while let Some((anchor, end)) = self.next(hay, &mut cursor) {
                f(anchor, end);
            }
            return;
        };
        let Ok(mut state) = dfa.start_state(Anchored::No) else {
            return;
        };
        for (i, &b) in hay.iter().enumerate() {
            state = dfa.next_state(Anchored::No, state, b);
            if dfa.is_match(state) {
                for k in 0..dfa.match_len(state) {
                    f(dfa.match_pattern(state, k).as_usize(), i + 1);
                }
            }
        }
    }

    /// The next anchor occurrence in `hay` (overlapping: every one, in order of end), as
    /// the anchor's id and the offset just past its end.
    pub(super) fn next(&self, hay: &[u8], cursor: &mut Cursor) -> Option<(usize, usize)> {
        match (cursor, &self.fast) {
            (Cursor::Fast { sid, at, next_match, next_start }, Some((dfa, finders))) => {
                // An error would mean an unsupported search configuration, fixed at build
                // time; treating it as "no more anchors" keeps scanning panic-free.
                let mut state = match *sid {
                    Some(state) => state,
                    None => dfa.start_state(Anchored::No).ok()?,
                };
                if sid.is_some() && dfa.is_match(state) && *next_match < dfa.match_len(state) {
                    *next_match += 1;
                    return Some((dfa.match_pattern(state, *next_match - 1).as_usize(), *at));
                }
                let mut i = *at;
                let found = loop {
                    if dfa.is_start(state) {
                        // No anchor is in progress: skip to where the next one starts.
                        let mut first = hay.len();
                        for (finder, cached) in finders.iter().zip(next_start.iter_mut()) {
                            let start = match *cached {
                                Some(start) if start >= i => start,
                                _ => skip_window(finder, hay, i),
                            };
                            *cached = Some(start);
                            first = first.min(start);
                        }
                        i = first;
                        if i >= hay.len() {
                            break None;
                        }
                    }
                    let Some(&b) = hay.get(i) else { break None };
                    state = dfa.next_state(Anchored::No, state, b);
                    i += 1;
                    if dfa.is_match(state) {
                        break Some((dfa.match_pattern(state, 0).as_usize(), i));
                    }
                };
                *sid = Some(state);
                *at = i;
                *next_match = 1;
                found
            }
            (Cursor::Slow(state), _) => {
                let input = Input::new(hay);
                match &self.automaton {
                    Automaton::Dfa(a) => a.try_find_overlapping(&input, state).ok()?,
                    Automaton::Nfa(a) => a.try_find_overlapping(&input, state).ok()?,
                }
                state.get_match().map(|m| (m.pattern().as_usize(), m.end()))
            }
            (Cursor::Fast { .. }, None) => None,
        }
    }
}

/// Look this far ahead per Teddy call. After a match the caller passes the rest of its read
/// again, so an unbounded search for an anchor that is not there would be repeated for
/// every match in a read; a window bounds that cost and is long enough to cost nothing when
/// matches are rare.
pub(super) const SKIP_WINDOW: usize = 1024;

/// Where, from `at`, the next anchor of `finder` may start: where Teddy found one, or as
/// far as the window proves there is none. Prefixes are at most four bytes, so one that
/// starts within three bytes of the window's end may have been cut off: stop before it.
fn skip_window(finder: &aho_corasick::packed::Searcher, hay: &[u8], at: usize) -> usize {
    let end = hay.len().min(at.saturating_add(SKIP_WINDOW));
    match finder.find_in(hay, Span::from(at..end)) {
        Some(m) => m.start(),
        None if end == hay.len() => end,
        None => end - 3,
    }
}

/// Teddy searchers for the anchors of one, two, and three or more bytes (the fingerprint
/// length Teddy can use is that of the shortest pattern it holds). `None` when Teddy is not
/// available (no SIMD) or there are too many anchors.
fn teddy_by_length(texts: &[&[u8]]) -> Option<Vec<aho_corasick::packed::Searcher>> {
    let mut finders = Vec::new();
    for (min, max) in [(1, 1), (2, 2), (3, usize::MAX)] {
        // Teddy only has to find where an anchor may start; the DFA checks the rest. So
        // anchors are cut short and duplicates dropped: fewer patterns keep Teddy in its
        // faster configurations (`NO CARRIER`, `NO ANSWER`, ... share `\nNO `). Four bytes
        // keep candidates rare; past 32 prefixes (when Teddy needs its slower "fat" form)
        // three bytes, its fingerprint length, measured faster.
        let prefixes = |len: usize| {
            let mut group: Vec<&[u8]> =
                texts.iter().filter(|t| (min..=max).contains(&t.len())).map(|t| t.get(..len).unwrap_or(t)).collect();
            group.sort_unstable();
            group.dedup();
            group
        };
        let mut group = prefixes(4);
        if group.len() > 32 {
            group = prefixes(3);
        }
        if group.is_empty() {
            continue;
        }
        let finder = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
            // Teddy or nothing: Rabin-Karp over whole reads is slower than the fallback.
            .only_teddy(true)
            // Past 64 anchors Teddy's buckets fill and it reports more false candidates, but
            // on modem text that is still faster than the alternatives (measured with
            // `cargo bench --bench matcher`).
            .heuristic_pattern_limits(false)
            .builder()
            .extend(&group)
            .build()?;
        finders.push(finder);
    }
    Some(finders)
}
