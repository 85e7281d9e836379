//! Matcher throughput (the target: at least 1 GB/s with 64 patterns, flat in the number
//! of patterns). About 1 MiB of modem-like text is fed in 4 KiB reads, as a driver would.
//!
//! Run with `cargo bench --bench matcher`.

use atchat::bytecode::pattern::{End, Pattern, Segment};
use atchat::vm::matcher::{Active, PatternSet, Scan, Scanner};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

const READ: usize = 4096;
const TOTAL: usize = 1 << 20;

fn code(text: &str, end: End, numeric: Option<&str>) -> Pattern {
    Pattern {
        segments: vec![Segment::Literal(text.as_bytes().to_vec())],
        line_start: true,
        end,
        numeric: numeric.map(|n| n.as_bytes().to_vec()),
    }
}

fn template(parts: &[Option<&str>]) -> Pattern {
    let segments = parts
        .iter()
        .map(|p| match p {
            Some(text) => Segment::Literal(text.as_bytes().to_vec()),
            None => Segment::Capture,
        })
        .collect();
    Pattern { segments, line_start: false, end: End::Here, numeric: None }
}

/// 64 patterns a script could plausibly wait for: result codes first, then templates.
fn patterns() -> Vec<Pattern> {
    let mut p = vec![
        code("OK", End::LineEnd, Some("0")),
        code("ERROR", End::LineEnd, Some("4")),
        code("NO CARRIER", End::LineEnd, Some("3")),
        code("CONNECT", End::RestOfLine, Some("1")),
        code("BUSY", End::LineEnd, Some("7")),
        code("NO DIALTONE", End::LineEnd, Some("6")),
        code("+CME ERROR", End::RestOfLine, None),
        template(&[Some("+CMGS: "), None]),
        code("NO ANSWER", End::LineEnd, Some("8")),
        code("+CMS ERROR", End::RestOfLine, None),
        template(&[Some("> ")]),
        template(&[Some("+CSQ: "), None, Some(","), None]),
        template(&[Some("+CMTI: \""), None, Some("\","), None]),
        template(&[Some("login:")]),
        template(&[Some("Password:")]),
    ];
    // Unsolicited codes with distinct prefixes (`+CAA: `, `+CHB: `, ...), the hard case
    // for the matcher: no two share their first four bytes.
    let mut i = 0u8;
    while p.len() < 64 {
        let text = format!(
            "+{}{}{}: ",
            char::from(b'C' + i % 3 * 6),
            char::from(b'A' + i % 26),
            char::from(b'B' + (i * 7) % 25)
        );
        p.push(template(&[Some(&text), None]));
        i += 1;
    }
    p
}

/// Realistic traffic in which nothing active matches: status lines, near misses such as
/// `TOKEN` and `ERRORS=0`, and binary-ish payload.
fn quiet_text() -> Vec<u8> {
    let lines: &[&str] = &[
        "AT+COPS?\r",
        "\r\n+COPS: 0,0,\"Example Telecom\",7\r\n",
        "\r\n+CREG: 0,1\r\n",
        "\r\n+CGDCONT: 1,\"IP\",\"internet.example.net\",\"0.0.0.0\",0,0,0,0\r\n",
        "Manufacturer: Quectel\r\nModel: EC25\r\nRevision: EC25EFAR06A03M4G\r\n",
        "\r\n+QENG: \"servingcell\",\"NOCONN\",\"LTE\",\"FDD\",262,01,1A2B3C4,301,1300,3,5,5,9A1F,-98,-11,-67,12,38\r\n",
        "TOKEN=4f2a9c77e1; BOOKING=confirmed; ERRORS=0\r\n",
        "GET /status HTTP/1.1\r\nHost: modem.example\r\nUser-Agent: atchat-bench\r\n\r\n",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n",
        "\r\n+QIND: \"csq\",23,99\r\n",
        "ATI\r\nQuectel\r\nEC25\r\n",
    ];
    let mut text = Vec::with_capacity(TOTAL);
    let mut i = 0;
    while text.len() < TOTAL {
        text.extend_from_slice(lines[i % lines.len()].as_bytes());
        i += 7;
    }
    text.truncate(TOTAL);
    text
}

/// Traffic with a final result code every few lines (busy command/response traffic).
fn busy_text() -> Vec<u8> {
    let block = "\r\n+CREG: 0,1\r\n\r\nOK\r\n\r\n+CSQ: 23,99\r\n\r\nOK\r\n\r\nRING\r\n\r\nCONNECT 115200\r\n";
    block.as_bytes().repeat(TOTAL / block.len() + 1)[..TOTAL].to_vec()
}

/// Scans `text` in reads of `READ` bytes, rescanning after each match as the VM does.
fn scan_all(set: &PatternSet, active: &Active, text: &[u8]) -> usize {
    let mut scanner = Scanner::new();
    let mut found = 0;
    for read in text.chunks(READ) {
        let mut rest = read;
        while let Scan::Match { consumed, .. } = scanner.scan(set, active, false, rest) {
            found += 1;
            scanner.restart();
            rest = rest.get(consumed..).unwrap_or(&[]);
        }
    }
    found
}

fn bench(c: &mut Criterion) {
    let all = patterns();
    let quiet = quiet_text();
    let busy = busy_text();
    let mut group = c.benchmark_group("matcher");
    group.throughput(Throughput::Bytes(TOTAL as u64));
    for n in [1usize, 8, 64] {
        let set = PatternSet::new(&all[..n]).expect("valid patterns");
        let ids: Vec<u32> = (0..n as u32).collect();
        let active = Active::new(&set, &ids);
        assert_eq!(scan_all(&set, &active, &quiet), 0, "the quiet text must not match");
        group.bench_function(format!("quiet/{n}"), |b| b.iter(|| scan_all(&set, &active, black_box(&quiet))));
    }
    let set = PatternSet::new(&all).expect("valid patterns");
    let ids: Vec<u32> = (0..all.len() as u32).collect();
    let active = Active::new(&set, &ids);
    assert!(scan_all(&set, &active, &busy) > 10_000);
    group.bench_function("busy/64", |b| b.iter(|| scan_all(&set, &active, black_box(&busy))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
