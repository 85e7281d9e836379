//! Table-driven tests of the matcher's semantics. Streaming and robustness properties are
//! in `tests/it/matcher.rs`.

use super::anchors::SKIP_WINDOW;
use super::*;
use crate::bytecode::pattern::MAX_CAPTURE;

/// A bare result code (`OK`): a whole line.
fn code(text: &str) -> Pattern {
    Pattern {
        segments: vec![Segment::Literal(text.as_bytes().to_vec())],
        line_start: true,
        end: End::LineEnd,
        numeric: None,
    }
}

/// A bare result code with its numeric (V0) form.
fn code_v0(text: &str, digits: &str) -> Pattern {
    Pattern { numeric: Some(digits.as_bytes().to_vec()), ..code(text) }
}

/// A result code that takes the rest of its line (`CONNECT`, `+CME ERROR`).
fn code_rest(text: &str) -> Pattern {
    Pattern { end: End::RestOfLine, ..code(text) }
}

/// A quoted string, with `{name}` captures: substring anywhere.
fn quoted(text: &str) -> Pattern {
    let mut segments = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            segments.push(Segment::Literal(rest.as_bytes()[..open].to_vec()));
        }
        segments.push(Segment::Capture);
        rest = rest[open..].split_once('}').map_or("", |(_, after)| after);
    }
    if !rest.is_empty() {
        segments.push(Segment::Literal(rest.as_bytes().to_vec()));
    }
    Pattern { segments, line_start: false, end: End::Here, numeric: None }
}

/// One match as the tests see it: (pattern, matched text, captures).
type Found = (u32, String, Vec<String>);

/// Everything one stream yields: (pattern, matched text, captures), rescanning after each
/// match as the VM does.
fn matches(patterns: &[Pattern], ids: &[u32], numeric: bool, echo: Option<&str>, input: &str) -> Vec<Found> {
    let set = PatternSet::new(patterns).expect("valid patterns");
    let active = Active::new(&set, ids);
    let mut scanner = Scanner::new();
    if let Some(line) = echo {
        scanner.expect_echo(line.as_bytes());
    }
    let mut rest = input.as_bytes();
    let mut out = Vec::new();
    while let Scan::Match { pattern, consumed, captures } = scanner.scan(&set, &active, numeric, rest) {
        assert!(consumed > 0 && consumed <= rest.len(), "consumed {consumed} of {}", rest.len());
        let text = String::from_utf8_lossy(&rest[..consumed]).into_owned();
        let caps = captures.iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect();
        out.push((pattern, text, caps));
        rest = &rest[consumed..];
    }
    out
}

/// Shorthand for an expected match without captures.
fn m(pattern: u32, text: &str) -> Found {
    (pattern, text.to_string(), Vec::new())
}

/// Shorthand for an expected match with captures.
fn mc(pattern: u32, text: &str, caps: &[&str]) -> Found {
    (pattern, text.to_string(), caps.iter().map(|c| c.to_string()).collect())
}

#[test]
fn result_codes_match_whole_lines_only() {
    let patterns = [code("OK"), code("NO CARRIER"), code("ERROR")];
    let cases: &[(&str, Vec<Found>)] = &[
        ("TOKEN\r\n", vec![]),
        ("BOOK\r\n", vec![]),
        ("OKAY\r\n", vec![]),
        ("\r\nTOKEN\r\n", vec![]),
        ("\r\nOK\r\n", vec![m(0, "\r\nOK\r")]),
        ("OK\r\n", vec![m(0, "OK\r")]),
        ("OK\n", vec![m(0, "OK\n")]),
        ("OK", vec![]),
        ("\r\nBOOK\r\nOK\r\n", vec![m(0, "\r\nBOOK\r\nOK\r")]),
        ("\r\nNO CARRIER\r\n", vec![m(1, "\r\nNO CARRIER\r")]),
        ("\r\nNO CARRIERS\r\n", vec![]),
        ("\r\nOK\r\nOK\r\n", vec![m(0, "\r\nOK\r"), m(0, "\nOK\r")]),
        ("\r\n+CME ERROR: 10\r\n", vec![]),
        ("ERROR\r\n", vec![m(2, "ERROR\r")]),
    ];
    for (input, want) in cases {
        assert_eq!(&matches(&patterns, &[0, 1, 2], false, None, input), want, "input {input:?}");
    }
}

#[test]
fn rest_of_line_codes_take_the_line() {
    let patterns = [code_rest("CONNECT"), code_rest("+CME ERROR")];
    let cases: &[(&str, Vec<Found>)] = &[
        ("\r\nCONNECT\r\n", vec![m(0, "\r\nCONNECT\r")]),
        ("\r\nCONNECT 9600\r\n", vec![m(0, "\r\nCONNECT 9600\r")]),
        ("\r\nCONNECT 115200/V42bis\n", vec![m(0, "\r\nCONNECT 115200/V42bis\n")]),
        ("\r\nCONNECTED\r\n", vec![]),
        ("\r\nRECONNECT 9600\r\n", vec![]),
        ("\r\n+CME ERROR: 10\r\n", vec![m(1, "\r\n+CME ERROR: 10\r")]),
        ("+CME ERROR:10\r", vec![m(1, "+CME ERROR:10\r")]),
        ("CONNECT 9600", vec![]),
    ];
    for (input, want) in cases {
        assert_eq!(&matches(&patterns, &[0, 1], false, None, input), want, "input {input:?}");
    }
}

#[test]
fn numeric_forms_match_only_in_numeric_mode() {
    let patterns = [code_v0("OK", "0"), code_rest("CONNECT"), code_v0("NO CARRIER", "3")];
    let patterns = {
        let mut p = patterns;
        p[1].numeric = Some(b"1".to_vec());
        p
    };
    let cases: &[(bool, &str, Vec<Found>)] = &[
        (true, "0\r", vec![m(0, "0\r")]),
        (false, "0\r", vec![]),
        (true, "3\r", vec![m(2, "3\r")]),
        (false, "3\r", vec![]),
        (true, "0\r1\r", vec![m(0, "0\r"), m(1, "1\r")]),
        (true, "10\r", vec![]),
        (true, "0\n", vec![]),
        (true, "03\r", vec![]),
        (true, "\r\nOK\r\n", vec![m(0, "\r\nOK\r")]),
        (true, "+CSQ: 0\r", vec![]),
    ];
    for (numeric, input, want) in cases {
        assert_eq!(&matches(&patterns, &[0, 1, 2], *numeric, None, input), want, "input {input:?} numeric {numeric}");
    }
}

#[test]
fn captures_run_to_the_next_literal_or_the_end_of_the_line() {
    let long = "9".repeat(MAX_CAPTURE);
    let too_long = "9".repeat(MAX_CAPTURE + 1);
    let cases: Vec<(Pattern, String, Vec<Found>)> = vec![
        (quoted("CONNECT {rate}"), "\r\nCONNECT 9600\r\n".into(), vec![mc(0, "\r\nCONNECT 9600\r", &["9600"])]),
        (quoted("+CSQ: {a},{b}"), "+CSQ: 23,99\r\n".into(), vec![mc(0, "+CSQ: 23,99\r", &["23", "99"])]),
        (quoted("+CSQ: {a},{b}"), "+CSQ: ,\n".into(), vec![mc(0, "+CSQ: ,\n", &["", ""])]),
        (quoted("+CSQ: {a},{b}"), "+CSQ: 23\r\n,99\r\n".into(), vec![]),
        (quoted("<{x}>"), "a<bc>d".into(), vec![mc(0, "a<bc>", &["bc"])]),
        (quoted("<{x}>"), "<b\nc>".into(), vec![]),
        (quoted("<{x}\r\n>"), "<bc\r\n>".into(), vec![mc(0, "<bc\r\n>", &["bc"])]),
        (quoted("<{x}aab"), "<xaaab".into(), vec![mc(0, "<xaaab", &["xa"])]),
        (quoted("+CMGS: {ref}"), format!("+CMGS: {long}\r"), vec![mc(0, &format!("+CMGS: {long}\r"), &[&long])]),
        (quoted("+CMGS: {ref}"), format!("+CMGS: {too_long}\r"), vec![]),
        (quoted("<{x}>"), format!("<{long}>"), vec![mc(0, &format!("<{long}>"), &[&long])]),
        (quoted("<{x}>"), format!("<{too_long}>"), vec![]),
        // The earliest start wins among candidates of one pattern ending together.
        (quoted("A{x}B"), "A1A2B".into(), vec![mc(0, "A1A2B", &["1A2"])]),
        // The first candidate's capture is too long but a later one fits.
        (quoted("A{x}B"), format!("A{too_long}A1B"), vec![mc(0, &format!("A{too_long}A1B"), &["1"])]),
    ];
    for (pattern, input, want) in cases {
        assert_eq!(
            matches(std::slice::from_ref(&pattern), &[0], false, None, &input),
            want,
            "pattern {pattern:?} input {input:?}"
        );
    }
}

#[test]
fn numeric_match_of_a_template_has_empty_captures() {
    let mut p = quoted("CONNECT {rate}");
    p.line_start = true;
    p.numeric = Some(b"1".to_vec());
    assert_eq!(matches(&[p], &[0], true, None, "1\r"), vec![mc(0, "1\r", &[""])]);
}

#[test]
fn ties_go_to_the_earlier_active_id() {
    let patterns = [quoted("OK"), quoted("K"), code("OK")];
    let cases: &[(&[u32], &str, u32)] = &[
        (&[0, 1], "xOKx", 0),
        (&[1, 0], "xOKx", 1),
        (&[0, 2], "\r\nOK\r\n", 0),
        (&[2, 0, 1], "OK\r\n", 0),
        (&[1, 2], "\nOK\r", 1),
    ];
    for (ids, input, want) in cases {
        let got = matches(&patterns, ids, false, None, input);
        assert_eq!(got.first().map(|g| g.0), Some(*want), "ids {ids:?} input {input:?}");
    }
}

#[test]
fn earliest_completion_wins_over_priority() {
    let patterns = [quoted("CONNECT {rate}"), quoted("96"), code("OK")];
    assert_eq!(matches(&patterns, &[0, 1], false, None, "CONNECT 9600\r\n"), vec![m(1, "CONNECT 96")]);
    // A line-end code needs one more byte than a substring that ends at the same letter.
    assert_eq!(matches(&patterns[2..], &[0], false, None, "\r\nOK\r\n"), vec![m(0, "\r\nOK\r")]);
    let patterns = [code("OK"), quoted("OK")];
    assert_eq!(matches(&patterns, &[0, 1], false, None, "OK\r"), vec![m(1, "OK")]);
}

#[test]
fn inactive_patterns_do_not_hide_active_ones() {
    let patterns = [quoted("ABC"), quoted("B"), quoted("ABD")];
    assert_eq!(matches(&patterns, &[1], false, None, "xABCx"), vec![m(1, "xAB")]);
    assert_eq!(matches(&patterns, &[2], false, None, "ABCABD"), vec![m(2, "ABCABD")]);
    assert_eq!(matches(&patterns, &[], false, None, "ABCABD"), vec![]);
    // Ids out of range are ignored.
    assert_eq!(matches(&patterns, &[7, 0], false, None, "ABC"), vec![m(0, "ABC")]);
}

#[test]
fn echo_of_the_command_is_not_its_reply() {
    let patterns = [quoted("OK"), code("OK"), code("ERROR")];
    let sent = "AT+X=\"OK\"\r";
    let cases: &[(&[u32], &str, Vec<Found>)] = &[
        (&[0], "AT+X=\"OK\"\r\r\nOK\r\n", vec![m(0, "AT+X=\"OK\"\r\r\nOK")]),
        (&[1], "AT+X=\"OK\"\r\r\nOK\r\n", vec![m(1, "AT+X=\"OK\"\r\r\nOK\r")]),
        // Bytes before the echo starts are not echo.
        (&[0], "OKAT+X=\"OK\"\r", vec![m(0, "OK")]),
        // Once the input diverges, tracking stops and matches count again.
        (&[0], "AT+Y=\"OK\"\r", vec![m(0, "AT+Y=\"OK")]),
    ];
    for (ids, input, want) in cases {
        assert_eq!(&matches(&patterns, ids, false, Some(sent), input), want, "input {input:?}");
    }
}

#[test]
fn echo_split_across_reads_is_still_echo() {
    let set = PatternSet::new(&[quoted("OK")]).expect("valid");
    let active = Active::new(&set, &[0]);
    let mut s = Scanner::new();
    s.expect_echo(b"AT+X=\"OK\"\r");
    assert_eq!(s.scan(&set, &active, false, b"AT+X=\"O"), Scan::NoMatch);
    assert_eq!(s.scan(&set, &active, false, b"K\"\r\r\n"), Scan::NoMatch);
    assert_eq!(s.scan(&set, &active, false, b"OK\r\n"), Scan::Match { pattern: 0, consumed: 2, captures: vec![] });
}

#[test]
fn bytes_after_a_match_are_left_for_the_next_wait() {
    let set = PatternSet::new(&[code("OK"), code("RING")]).expect("valid");
    let active = Active::new(&set, &[0, 1]);
    let mut s = Scanner::new();
    let input = b"\r\nOK\r\n\r\nRING\r\n";
    assert_eq!(s.scan(&set, &active, false, input), Scan::Match { pattern: 0, consumed: 5, captures: vec![] });
    // The `\n` left over is still a line break for what follows.
    assert_eq!(s.scan(&set, &active, false, &input[5..]), Scan::Match { pattern: 1, consumed: 8, captures: vec![] });
}

#[test]
fn restart_forgets_partial_matches_but_not_the_line() {
    let set = PatternSet::new(&[code("OK"), quoted("+CSQ: {a}")]).expect("valid");
    let active = Active::new(&set, &[0, 1]);
    let mut s = Scanner::new();
    assert_eq!(s.scan(&set, &active, false, b"\r\nO"), Scan::NoMatch);
    s.restart();
    assert_eq!(s.scan(&set, &active, false, b"K\r\n"), Scan::NoMatch);
    assert_eq!(s.scan(&set, &active, false, b"+CSQ: 1"), Scan::NoMatch);
    s.restart();
    assert_eq!(s.scan(&set, &active, false, b"9\r\n"), Scan::NoMatch);
    assert_eq!(s.scan(&set, &active, false, b"OK\r\n"), Scan::Match { pattern: 0, consumed: 3, captures: vec![] });
}

#[test]
fn a_pattern_split_across_reads_still_matches() {
    let patterns = [code("NO CARRIER"), quoted("+CSQ: {a},{b}"), code_rest("CONNECT")];
    let input = b"junk\r\nNO CARRIER\r\n+CSQ: 12,34\r\nCONNECT 9600\r\n";
    let whole = {
        let text = String::from_utf8_lossy(input).into_owned();
        matches(&patterns, &[0, 1, 2], false, None, &text)
    };
    assert_eq!(whole.len(), 3);
    let set = PatternSet::new(&patterns).expect("valid");
    let active = Active::new(&set, &[0, 1, 2]);
    for size in 1..input.len() {
        let mut s = Scanner::new();
        let mut got = Vec::new();
        let mut pending: Vec<u8> = Vec::new();
        for chunk in input.chunks(size) {
            pending.extend_from_slice(chunk);
            while let Scan::Match { pattern, consumed, .. } = s.scan(&set, &active, false, &pending) {
                got.push(pattern);
                pending.drain(..consumed);
            }
            pending.clear();
        }
        assert_eq!(got, vec![0, 1, 2], "chunk size {size}");
    }
}

#[test]
fn bad_patterns_are_rejected_with_a_reason() {
    let lit = |s: &str| Segment::Literal(s.as_bytes().to_vec());
    let with = |segments: Vec<Segment>| Pattern { segments, ..quoted("x") };
    let cases: Vec<(Pattern, MatcherError)> = vec![
        (with(vec![]), MatcherError::NoSegments { pattern: 0 }),
        (with(vec![Segment::Capture, lit("a")]), MatcherError::CaptureFirst { pattern: 0 }),
        (with(vec![lit("")]), MatcherError::EmptyLiteral { pattern: 0, segment: 0 }),
        (
            with(vec![lit("a"), Segment::Capture, Segment::Capture]),
            MatcherError::AdjacentCaptures { pattern: 0, segment: 2 },
        ),
        (
            with(vec![lit("a"), Segment::Capture, lit(""), Segment::Capture]),
            MatcherError::EmptyLiteral { pattern: 0, segment: 2 },
        ),
        (Pattern { numeric: Some(vec![]), ..quoted("OK") }, MatcherError::EmptyNumeric { pattern: 0 }),
    ];
    for (pattern, want) in cases {
        let err = PatternSet::new(std::slice::from_ref(&pattern)).expect_err("invalid pattern");
        assert_eq!(err, want);
        assert!(err.to_string().starts_with("pattern 0 "), "{err}");
    }
}

#[test]
fn adjacent_literals_are_joined() {
    let lit = |s: &str| Segment::Literal(s.as_bytes().to_vec());
    let p = Pattern { segments: vec![lit("+C"), lit("SQ: "), Segment::Capture], ..quoted("x") };
    let set = PatternSet::new(std::slice::from_ref(&p)).expect("valid");
    assert_eq!(set.pattern(0), &p);
    assert_eq!(matches(&[p], &[0], false, None, "+CSQ: 5\r"), vec![mc(0, "+CSQ: 5\r", &["5"])]);
}

#[test]
fn an_empty_set_never_matches() {
    let set = PatternSet::new(&[]).expect("valid");
    assert!(set.is_empty());
    let active = Active::new(&set, &[0]);
    assert_eq!(Scanner::new().scan(&set, &active, true, b"OK\r\n0\r"), Scan::NoMatch);
}

#[test]
fn long_lines_with_many_rest_of_line_anchors_stay_linear() {
    // Each ` X` could start a candidate waiting for the end of the line; only one is kept.
    let p = Pattern { end: End::RestOfLine, ..quoted("X") };
    let set = PatternSet::new(&[p]).expect("valid");
    let active = Active::new(&set, &[0]);
    let mut s = Scanner::new();
    let line = b"X ".repeat(100_000);
    assert_eq!(s.scan(&set, &active, false, &line), Scan::NoMatch);
    assert!(s.buffered_bytes() < 4096, "{}", s.buffered_bytes());
    assert_eq!(s.scan(&set, &active, false, b"\r"), Scan::Match { pattern: 0, consumed: 1, captures: vec![] });
}

/// Every match of `input`, as `matches` does, on an already built set.
fn matches_in(set: &PatternSet, ids: &[u32], numeric: bool, input: &[u8]) -> Vec<(u32, usize, Vec<Vec<u8>>)> {
    let active = Active::new(set, ids);
    let mut scanner = Scanner::new();
    let mut out = Vec::new();
    let mut at = 0;
    // Reads longer than the Teddy skip window, so window edges are crossed.
    for read in input.chunks(3 * SKIP_WINDOW + 5) {
        let mut rest = read;
        while let Scan::Match { pattern, consumed, captures } = scanner.scan(set, &active, numeric, rest) {
            at += consumed;
            out.push((pattern, at, captures));
            rest = &rest[consumed..];
            scanner.restart();
        }
        at += rest.len();
    }
    out
}

#[test]
fn the_teddy_search_and_the_fallback_search_agree() {
    let patterns = [
        code_v0("OK", "0"),
        code_rest("CONNECT"),
        quoted("K"),
        quoted("> "),
        quoted("+CSQ: {a},{b}"),
        code("NO CARRIER"),
        quoted("OKA"),
    ];
    let fast = PatternSet::new(&patterns).expect("valid");
    let mut slow = fast.clone();
    slow.verbose.fast = None;
    slow.numeric.fast = None;
    let alphabet = b"OK>+CSQ:0123 ,\r\nNONNECTAR";
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let input: Vec<u8> = (0..50_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            alphabet[(seed % alphabet.len() as u64) as usize]
        })
        .collect();
    for numeric in [false, true] {
        let want = matches_in(&slow, &[0, 1, 2, 3, 4, 5, 6], numeric, &input);
        assert!(want.len() > 100, "{}", want.len());
        assert_eq!(matches_in(&fast, &[0, 1, 2, 3, 4, 5, 6], numeric, &input), want, "numeric {numeric}");
        let want = matches_in(&slow, &[5, 4, 1, 0], numeric, &input);
        assert_eq!(matches_in(&fast, &[5, 4, 1, 0], numeric, &input), want, "numeric {numeric}");
    }
}

#[test]
fn anchors_across_the_edge_of_a_skip_window_are_found() {
    let patterns = [code("NO CARRIER"), quoted("+CSQ: {a},{b}"), quoted("> ")];
    let set = PatternSet::new(&patterns).expect("valid");
    for (id, text) in [(0, "\r\nNO CARRIER\r\n"), (1, "+CSQ: 1,2\r\n"), (2, "> ")] {
        for pad in SKIP_WINDOW - 6..SKIP_WINDOW + 2 {
            let input = [vec![b'x'; pad], text.as_bytes().to_vec(), vec![b'x'; 2 * SKIP_WINDOW]].concat();
            let got = matches_in(&set, &[0, 1, 2], false, &input);
            assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![id], "pad {pad} text {text:?}");
        }
    }
}
