//! Front-end speed: parse, check and compile a 1,000-line script (DESIGN.md §10: start-up plus
//! compile under 10 ms).

use criterion::{criterion_group, criterion_main, Criterion};

use atchat::check::{check, CheckOptions};
use atchat::syntax::Sources;

/// A realistic 1,000-line script: procs, handlers, retries and expects.
fn script() -> String {
    let mut s = String::from("param number = \"5551234\"\ntimeout 5s\non NO CARRIER fail \"lost\"\n");
    let mut lines = 3;
    let mut i = 0;
    while lines < 1000 {
        s.push_str(&format!(
            "proc step{i}(limit = 2s) {{\n    send \"AT+CSQ\"\n    expect \"+CSQ: {{rssi}},{{ber}}\" within limit\n    expect OK\n    return rssi\n}}\nlet q{i} = step{i}()\nif q{i} < 10 {{ say \"weak {{q{i}}}\" }}\nretry 3 times every 1s {{\n    on BUSY retry\n    send \"ATDT{{number}}\"\n    expect {{\n        \"CONNECT {{rate}}\" => say \"rate {{rate}}\"\n        timeout => fail 7\n    }} within 30s\n}}\n"
        ));
        lines += 16;
        i += 1;
    }
    s
}

fn bench(c: &mut Criterion) {
    let text = script();
    c.bench_function("parse+check+compile 1000 lines", |b| {
        b.iter(|| {
            let sources = Sources::from_text("bench.atc", &text, None);
            assert!(check(&sources, &CheckOptions { params: None }).is_empty());
            atchat::bytecode::compiler::compile(&sources).unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
