//! Properties of the streaming matcher: no panics on any patterns or bytes, the same matches
//! however the stream is split into reads, and memory that does not grow with the stream.

use atchat::bytecode::pattern::{End, Pattern, Segment, MAX_CAPTURE};
use atchat::vm::matcher::{Active, PatternSet, Scan, Scanner};
use proptest::prelude::*;

/// Bytes that make anchors, line breaks and delimiters collide often.
const ALPHABET: &[u8] = b"OKAB0 :,\r\n";

fn small_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(ALPHABET), 0..=max)
}

fn segment() -> impl Strategy<Value = Segment> {
    prop_oneof![
        3 => small_bytes(3).prop_map(Segment::Literal),
        1 => Just(Segment::Capture),
    ]
}

fn end() -> impl Strategy<Value = End> {
    prop_oneof![Just(End::Here), Just(End::LineEnd), Just(End::RestOfLine)]
}

/// Any pattern, valid or not.
fn any_pattern() -> impl Strategy<Value = Pattern> {
    (prop::collection::vec(segment(), 0..5), any::<bool>(), end(), prop::option::of(small_bytes(2)))
        .prop_map(|(segments, line_start, end, numeric)| Pattern { segments, line_start, end, numeric })
}

/// A valid pattern: a non-empty literal first, literal text between captures.
fn valid_pattern() -> impl Strategy<Value = Pattern> {
    let literal = prop::collection::vec(prop::sample::select(ALPHABET), 1..4);
    (
        literal.clone(),
        prop::collection::vec((literal, any::<bool>()), 0..3),
        any::<bool>(),
        any::<bool>(),
        end(),
        prop::option::of(prop::collection::vec(prop::sample::select(b"01".as_slice()), 1..3)),
    )
        .prop_map(|(first, rest, trailing, line_start, end, numeric)| {
            let mut segments = vec![Segment::Literal(first)];
            for (text, capture_before) in rest {
                if capture_before {
                    segments.push(Segment::Capture);
                }
                segments.push(Segment::Literal(text));
            }
            if trailing {
                segments.push(Segment::Capture);
            }
            Pattern { segments, line_start, end, numeric }
        })
}

/// One reported match: pattern, offset in the stream just past its end, captures.
type Found = (u32, usize, Vec<Vec<u8>>);

/// Feeds `stream` in reads of the given sizes (cycled), rescanning what a match leaves over,
/// as the VM does; the scanner restarts after each match as a new wait would.
fn run(
    set: &PatternSet,
    active: &Active,
    numeric: bool,
    echo: Option<&[u8]>,
    stream: &[u8],
    sizes: &[usize],
) -> Vec<Found> {
    let mut scanner = Scanner::new();
    if let Some(line) = echo {
        scanner.expect_echo(line);
    }
    let mut found = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut offset = 0; // stream offset of pending[0]
    let mut fed = 0;
    let mut size = sizes.iter().copied().cycle();
    while fed < stream.len() {
        let n = size.next().unwrap_or(1).clamp(1, stream.len() - fed);
        pending.extend_from_slice(&stream[fed..fed + n]);
        fed += n;
        loop {
            match scanner.scan(set, active, numeric, &pending) {
                Scan::Match { pattern, consumed, captures } => {
                    assert!(consumed >= 1 && consumed <= pending.len());
                    offset += consumed;
                    found.push((pattern, offset, captures));
                    pending.drain(..consumed);
                    scanner.restart();
                }
                Scan::NoMatch => {
                    offset += pending.len();
                    pending.clear();
                    break;
                }
            }
        }
    }
    found
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_any_patterns_or_bytes(
        patterns in prop::collection::vec(any_pattern(), 0..6),
        ids in prop::collection::vec(0u32..8, 0..8),
        numeric in any::<bool>(),
        echo in prop::option::of(small_bytes(6)),
        stream in prop::collection::vec(any::<u8>(), 0..300),
        noise in small_bytes(300),
        sizes in prop::collection::vec(1usize..40, 1..5),
    ) {
        if let Ok(set) = PatternSet::new(&patterns) {
            let active = Active::new(&set, &ids);
            for bytes in [&stream, &noise] {
                let found = run(&set, &active, numeric, echo.as_deref(), bytes, &sizes);
                for (pattern, _, captures) in found {
                    prop_assert!(ids.contains(&pattern));
                    let slots = set.pattern(pattern).segments.iter()
                        .filter(|s| matches!(s, Segment::Capture)).count();
                    prop_assert_eq!(captures.len(), slots);
                    for c in captures {
                        prop_assert!(c.len() <= MAX_CAPTURE);
                        prop_assert!(!c.contains(&b'\r') && !c.contains(&b'\n'));
                    }
                }
            }
        }
    }

    #[test]
    fn split_reads_give_the_same_matches_as_one_read(
        patterns in prop::collection::vec(valid_pattern(), 1..6),
        ids in prop::collection::vec(0u32..6, 1..6),
        numeric in any::<bool>(),
        echo in prop::option::of(small_bytes(8)),
        stream in small_bytes(400),
        sizes in prop::collection::vec(1usize..16, 1..6),
    ) {
        let set = PatternSet::new(&patterns).expect("valid patterns");
        let active = Active::new(&set, &ids);
        let whole = run(&set, &active, numeric, echo.as_deref(), &stream, &[stream.len().max(1)]);
        let split = run(&set, &active, numeric, echo.as_deref(), &stream, &sizes);
        prop_assert_eq!(whole, split);
    }
}

/// A reference model for literal-only substring patterns: the earliest-ending occurrence,
/// ties to the earlier active id.
#[test]
fn plain_substrings_agree_with_a_naive_search() {
    let words: [&[u8]; 5] = [b"OK", b"K", b"OKA", b"A0", b"0 :"];
    let patterns: Vec<Pattern> = words
        .iter()
        .map(|w| Pattern {
            segments: vec![Segment::Literal(w.to_vec())],
            line_start: false,
            end: End::Here,
            numeric: None,
        })
        .collect();
    let set = PatternSet::new(&patterns).expect("valid");
    let ids = [2, 0, 4, 1, 3];
    let active = Active::new(&set, &ids);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut stream = Vec::new();
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        stream.push(ALPHABET[(seed % ALPHABET.len() as u64) as usize]);
    }
    let mut expected = Vec::new();
    let mut from = 0;
    'outer: for end in 1..=stream.len() {
        for &id in &ids {
            let w = words[id as usize];
            if end >= from + w.len() && stream[..end].ends_with(w) {
                expected.push((id, end, Vec::new()));
                from = end;
                continue 'outer;
            }
        }
    }
    assert!(expected.len() > 1000);
    assert_eq!(run(&set, &active, false, None, &stream, &[4096]), expected);
    assert_eq!(run(&set, &active, false, None, &stream, &[7, 1, 300]), expected);
}

/// Garbage designed to keep candidates alive (captures that never close, long lines) must
/// not make the scanner hold more and more memory.
#[test]
fn memory_stays_bounded_on_endless_garbage() {
    let lit = |s: &[u8]| Segment::Literal(s.to_vec());
    let patterns = vec![
        Pattern {
            segments: vec![lit(b"A"), Segment::Capture, lit(b"B")],
            line_start: false,
            end: End::Here,
            numeric: None,
        },
        Pattern { segments: vec![lit(b"A"), Segment::Capture], line_start: false, end: End::Here, numeric: None },
        Pattern { segments: vec![lit(b"A ")], line_start: false, end: End::RestOfLine, numeric: None },
        Pattern {
            segments: vec![lit(b"OKAY OKAY OKAY OKAY OKAY!")],
            line_start: true,
            end: End::LineEnd,
            numeric: Some(b"0".to_vec()),
        },
    ];
    let set = PatternSet::new(&patterns).expect("valid");
    let active = Active::new(&set, &[0, 1, 2, 3]);
    let mut scanner = Scanner::new();
    // Only `A` and spaces: every byte starts or extends a candidate and nothing ever ends one.
    let chunk: Vec<u8> = (0..65_536).map(|i| if i % 3 == 0 { b' ' } else { b'A' }).collect();
    let total: usize = 4 << 20;
    let mut peak = 0;
    let mut peak_first_mib = 0;
    for i in 0..total / chunk.len() {
        assert_eq!(scanner.scan(&set, &active, true, &chunk), Scan::NoMatch);
        peak = peak.max(scanner.buffered_bytes());
        if i < 16 {
            peak_first_mib = peak;
        }
    }
    assert!(peak > 0);
    assert_eq!(peak, peak_first_mib, "memory grew after the first MiB");
    assert!(peak < 512 * 1024, "peak {peak} bytes");
}
