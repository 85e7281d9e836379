//! Grammar rules, one table per rule: what parses and what does not.

use atchat::syntax::{parse, parses_as};

use crate::support::layer::Layer;

#[track_caller]
fn accepts(rule: &str, inputs: &[&str]) {
    for input in inputs {
        assert!(parses_as(rule, input), "rule `{rule}` should accept {input:?}");
    }
}

#[track_caller]
fn rejects(rule: &str, inputs: &[&str]) {
    for input in inputs {
        assert!(!parses_as(rule, input), "rule `{rule}` should reject {input:?}");
    }
}

#[test]
fn patterns() {
    accepts("pattern", &["OK", "NO CARRIER", "+CME ERROR", "NO DIAL TONE", "\"ogin:\"", "\"CONNECT {rate}\"", "+CMTI"]);
    rejects("pattern", &["ok", "NO  CARRIER", "\"unterminated", "\"{1x}\""]);
}

#[test]
fn durations() {
    accepts("duration", &["500ms", "5s", "1.5s", "2m", "1h", "5x"]);
    rejects("duration", &["5", "s", "1.s"]);
    assert_eq!(atchat::lang::literal::parse_duration("1.5s"), Some(std::time::Duration::from_millis(1500)));
    assert_eq!(atchat::lang::literal::parse_duration("5x"), None);
    assert_eq!(atchat::lang::literal::parse_duration("99999h"), None);
}

#[test]
fn strings() {
    accepts("string", &[r#""AT\r""#, r#""\x1a""#, r#""a \{literal\} brace""#, r#""ATDT{number}""#, r#""""#]);
    rejects("string", &[r#""{ spaced }""#, "\"line\nbreak\""]);
}

#[test]
fn conditions() {
    accepts("condition", &["rssi < 10", "a == b and not (c != d or e)", "ready", "x >= 3 or y <= 4"]);
    rejects("condition", &["rssi <", "and a"]);
}

#[test]
fn statements_need_separators() {
    assert!(parse("send \"AT\" expect OK").is_err());
    assert!(parse("send \"AT\"; expect OK").is_ok());
    assert!(parse("send \"AT\"\nexpect OK\n").is_ok());
}

#[test]
fn keywords_are_not_names() {
    assert!(parse("let send = 1").is_err());
    assert!(parse("let sender = 1").is_ok());
}

#[test]
fn syntax_errors_say_what_was_expected() {
    let e = parse("expect\n").unwrap_err();
    assert!(e.message().contains("pattern"), "{}", e.message());
    let e = parse("retry 3 times {\nsend \"AT\"\n").unwrap_err();
    assert!(e.message().contains('}') || e.message().contains("statement"), "{}", e.message());
}

#[test]
fn every_shipped_script_parses() {
    for dir in ["examples", "stdlib"] {
        Layer::new(dir, "atc")
            .at_least(2)
            .run(|case| parse(&case.text).map(|_| ()).map_err(|e| format!("{} at {:?}", e.message(), e.span)));
    }
}
