//! The targets that feed a front end (script text, `.atcb` bytes, chat scripts, modem
//! commands) and run what comes out. The matcher has a file of its own (`matcher.rs`).

use atchat::bytecode::{compiler, disassembler, encoding};
use atchat::chat::compile::Config;
use atchat::chat::escape::Subst;
use atchat::chat::import::ImportOptions;
use atchat::chat::token::{tokenize, Tokens};
use atchat::check::CheckOptions;
use atchat::diagnostics;
use atchat::sim::{LinkEvent, Modem, Profile, Scenario};
use atchat::syntax::Sources;
use indexmap::IndexMap;
use std::time::Duration;

use super::input::Input;
use super::run::{params_for, run_program, BudgetPort};

/// `check`: script text → parse → check → diagnostics rendered as `atchat check` prints
/// them; a script that checks must compile (the compiler trusts the checker), and what the
/// compiler writes must decode (the verifier accepts the compiler's output) to the same
/// program.
pub fn check(data: &[u8]) {
    // `atchat check` reads files as UTF-8 and reports anything else as a load error.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // No folder: `use` finds only the stdlib, never a file of the machine running the fuzzer.
    let sources = Sources::from_text("fuzz.atc", text, None);
    let errors = atchat::check::check(&sources, &CheckOptions { params: None });
    if !errors.is_empty() {
        for report in diagnostics::reports(&sources, &errors) {
            let _ = format!("{report:?}");
        }
        return;
    }
    let program = match compiler::compile(&sources) {
        Ok(program) => program,
        Err(e) => panic!("checked clean but does not compile: {e:?}"),
    };
    let _ = disassembler::disassemble(&program);
    let bytes = encoding::encode(&program);
    let decoded = match encoding::decode(&bytes) {
        Ok(p) => p,
        Err(e) => panic!("the verifier rejects the compiler's output: {e}"),
    };
    assert!(encoding::encode(&decoded) == bytes, "encode(decode(encode(p))) differs from encode(p)");
}

/// `bytecode`: any bytes as a `.atcb` file → decode and verify; a file that passes is
/// disassembled and run on the simulated modem (`atchat disasm`, `atchat run x.atcb`).
pub fn bytecode(data: &[u8]) {
    let program = match encoding::decode(data) {
        Ok(p) => p,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let _ = disassembler::disassemble(&program);
    let bytes = encoding::encode(&program);
    assert!(encoding::decode(&bytes).is_ok(), "a verified program does not survive encode → decode");
    let params = params_for(&program);
    // Fewer operations than for scripts: a program that loops without waiting gets a port
    // operation only every 65,536 instructions (the VM's turn for the driver).
    let mut port = BudgetPort::with_budget(Modem::new(Profile::Gsm, Scenario::default()), 500);
    let _ = run_program(program, &params, &mut port);
}

/// Whether a chat script reads files (`@file`): the fuzzer must not depend on the files of
/// the machine it runs on. `@file` is covered by tests instead.
fn reads_files(tokens: &Tokens) -> bool {
    tokens.tokens.iter().any(|t| t.text.first() == Some(&b'@'))
}

fn chat_config(timeout: i64, flags: u8) -> Config {
    Config {
        echo: flags & 1 != 0,
        verbose: flags & 2 != 0,
        show: flags & 4 != 0,
        timeout,
        pace: flags & 8 != 0,
        subst: Subst { phone: (flags & 16 != 0).then(|| b"5551234".to_vec()), phone2: None, env: None },
        name: "fuzz.chat".to_string(),
    }
}

/// `chat`: a flags byte, a timeout byte, then a chat script → tokenize → compile → run on
/// the simulated Hayes modem (`atchat chat -f`).
pub fn chat(data: &[u8]) {
    let mut input = Input::new(data);
    let flags = input.byte();
    // Signed: 0 and below mean no timeout at all. Short, as every second of a timeout costs
    // the fuzzer 20 reads of the driver's 50 ms slices.
    let timeout = i64::from(input.byte() as i8 % 16);
    let tokens = tokenize(input.rest());
    if reads_files(&tokens) {
        return;
    }
    let program = atchat::chat::compile::compile(&tokens, &chat_config(timeout, flags));
    let _ = disassembler::disassemble(&program);
    let mut port = BudgetPort::new(Profile::Hayes);
    let outcome = run_program(program, &IndexMap::new(), &mut port);
    assert!(outcome.is_some(), "a compiled chat script has no params to miss");
}

const IMPORT_TIMEOUT: i64 = 3;

/// Whether the script may run into one of the differences the imported script's header
/// states, where chat and the import may rightly part ways:
/// - chat strips input to 7 bits: a byte ≥ 0x80 in any string (directly or as a `\2NN` or
///   `\3NN` octal escape) may match, or fail to match, once the modem echoes it;
/// - chat cuts a send short at the timeout: a string that takes that long to write at
///   10 ms a byte (`\d` sleeps a second) may make chat fail where the import goes on; the
///   shortest timeout a script can set is 1 s.
fn documented_difference(tokens: &Tokens) -> bool {
    tokens.tokens.iter().any(|t| {
        let high = t.text.iter().any(|&b| b >= 0x80)
            || t.text.windows(4).any(|w| {
                w[0] == b'\\' && matches!(w[1], b'2' | b'3') && w[2..].iter().all(|b| (b'0'..=b'7').contains(b))
            });
        let delays = t.text.windows(2).filter(|w| *w == b"\\d").count() as i64;
        let write_ms = t.text.len() as i64 * 10 + delays * 1000;
        // The timeout in force may be a script's `TIMEOUT 1`.
        high || write_ms >= 1000
    })
}

/// `import`: a chat script → `atchat import` → the native script must check and compile,
/// and, run on the same simulated modem, end with the same exit code and write the same
/// bytes as the chat script run by `atchat chat` with chat's defaults but `-t 3`.
pub fn import(data: &[u8]) {
    let tokens = tokenize(data);
    if reads_files(&tokens) {
        return;
    }
    // chat -t 3 (short, for speed), the same for both.
    let options = ImportOptions { env: false, name: "fuzz.chat".to_string(), timeout: Some(IMPORT_TIMEOUT) };
    // A script the import refuses (a timeout the language cannot write) is refused with a
    // reason; there is no native script to compare.
    let text = match atchat::chat::import::import(&tokens, &options) {
        Ok(text) => text,
        Err(e) => {
            assert!(!e.message.is_empty(), "an import refused without a reason");
            return;
        }
    };
    let sources = Sources::from_text("fuzz.atc", &text, None);
    let errors = atchat::check::check(&sources, &CheckOptions { params: None });
    assert!(
        errors.is_empty(),
        "the imported script does not check:\n{}\n{text}",
        diagnostics::render_plain(&sources, &errors)
    );
    let native = match compiler::compile(&sources) {
        Ok(p) => p,
        Err(e) => panic!("the imported script does not compile: {e:?}\n{text}"),
    };
    let chat = atchat::chat::compile::compile(&tokens, &chat_config(IMPORT_TIMEOUT, 8));

    if documented_difference(&tokens) {
        return;
    }
    let mut chat_port = BudgetPort::new(Profile::Hayes);
    let chat_outcome = run_program(chat, &IndexMap::new(), &mut chat_port).expect("chat has no params");
    let mut native_port = BudgetPort::new(Profile::Hayes);
    let native_outcome =
        run_program(native, &IndexMap::new(), &mut native_port).expect("an imported script's params all have defaults");
    if chat_port.exhausted() || native_port.exhausted() {
        return;
    }
    assert!(
        chat_outcome.code == native_outcome.code && chat_port.written == native_port.written,
        "chat and the imported script differ:\n  chat:   exit {} {:?}\n          wrote {:?}\n  import: exit {} {:?}\n          wrote {:?}\n{text}",
        chat_outcome.code,
        chat_outcome.message,
        String::from_utf8_lossy(&chat_port.written),
        native_outcome.code,
        native_outcome.message,
        String::from_utf8_lossy(&native_port.written),
    );
}

/// How far one `sim` step may move the clock: long enough for every S-register timer.
const MAX_STEP: Duration = Duration::from_secs(300);

/// `sim`: the simulated modem's engine fed a scenario and a stream of operations: bytes from
/// the DTE (command lines, dial strings, data), time passing, modem-control lines, and events
/// of the line. The engine must never panic and its output must stay proportionate.
pub fn sim(data: &[u8]) {
    let mut input = Input::new(data);
    let profile = if input.flag() { Profile::Gsm } else { Profile::Hayes };
    let scenario = Scenario::parse(&String::from_utf8_lossy(input.sized())).unwrap_or_default();
    let mut modem = Modem::new(profile, scenario);
    let mut now = Duration::ZERO;
    let mut out = Vec::new();
    while !input.is_empty() {
        match input.below(10) {
            0..=3 => {
                let bytes = input.sized();
                modem.receive(now, bytes);
            }
            4 => now += Duration::from_millis(u64::from(input.byte()) * 50),
            5 => {
                if let Some(w) = modem.next_wakeup() {
                    now = now.max(w.min(now + MAX_STEP));
                }
            }
            6 => modem.set_dtr(now, input.flag()),
            7 => modem.set_rts(now, input.flag()),
            8 => modem.send_break(now, Duration::from_millis(250)),
            _ => {
                let event = match input.below(5) {
                    0 => LinkEvent::Incoming(String::from_utf8_lossy(input.sized()).into_owned()),
                    1 => LinkEvent::Answered,
                    2 => LinkEvent::Data(input.sized().to_vec()),
                    3 => LinkEvent::Busy,
                    _ => LinkEvent::Hangup,
                };
                modem.link_event(now, event);
                let _ = modem.take_link_requests();
            }
        }
        modem.poll_output(now, &mut out);
        // What the modem says is bounded by what it was asked and for how long: a byte of
        // input never makes it send megabytes.
        assert!(out.len() < 1 << 20, "the modem produced {} bytes", out.len());
        out.clear();
        let _ = modem.carrier();
    }
}
