//! Record and replay: a session recorded on the simulator plays back the same; a script
//! that does something else is told where and what; and the corpus in
//! `tests/data/transcripts/` (modems' behaviour from public logs and manuals) runs today's
//! examples and stdlib procs against real modems' quirks.
//!
//! A corpus transcript says which scripts to run on it with header keys, each a comment
//! line (docs/record-replay.md):
//!
//! ```text
//! # source: where the modem's side comes from (at least one)
//! # script: examples/gsm-status.atc      starts a check; from the repository root
//! # param: pin=1234                      as -D gives it
//! # exit: 3                              the exit code the run ends with today
//! # message: waiting for OK              a part of the outcome's message
//! # say: ...                             every `say` line, in order (if any is given)
//! # want: 0 (issue 9: ...)               the right exit, where today's is a known bug
//! ```
//!
//! Adding a pairing of a script and a transcript is adding such lines. A check with `want`
//! asserts today's outcome and is listed as known wrong; once the script does what is
//! wanted the check fails until `exit` says so and `want` goes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use atchat::driver::{self, Transcript};
use atchat::port::replay::ReplayPort;
use atchat::port::sim::{SimClock, SimPort};
use atchat::port::{Port, PortError};
use atchat::record::{Event, Recorder, Recording};
use atchat::syntax::Sources;
use atchat::vm::{ExitStatus, Machine};
use indexmap::IndexMap;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn corpus() -> PathBuf {
    root().join("tests/data/transcripts")
}

/// The corpus's `.transcript` files, sorted.
fn transcripts() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .expect("tests/data/transcripts")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "transcript"))
        .collect();
    files.sort();
    files
}

/// Checks, compiles and runs the script at `path` on `port`, recording to `record` if
/// given; returns the outcome and the `say` lines.
fn run_on(
    path: &Path,
    params: &[(String, String)],
    port: &mut dyn Port,
    record: Option<Recorder>,
) -> (ExitStatus, Vec<String>) {
    let sources = Sources::load(path).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    let given: IndexMap<String, String> = params.iter().cloned().collect();
    let errors =
        atchat::check::check(&sources, &atchat::check::CheckOptions { params: Some(given.keys().cloned().collect()) });
    assert!(errors.is_empty(), "{}", atchat::diagnostics::render_plain(&sources, &errors));
    let program = atchat::bytecode::compiler::compile(&sources).unwrap();
    let mut vm = Machine::new(program, &given).unwrap();
    let mut transcript = Transcript::capturing();
    transcript.record = record;
    let outcome = driver::run(&mut vm, port, &mut transcript);
    if let Some(recorder) = transcript.record.take() {
        recorder.finish().unwrap();
    }
    (outcome, transcript.capture.unwrap())
}

fn params(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// What a replay must reproduce: the host's actions in order with their times, and the
/// modem's bytes between them (however they were split into reads).
fn session(path: &Path) -> Vec<(String, Duration)> {
    let recording = Recording::parse(&std::fs::read(path).unwrap()).unwrap();
    let mut out: Vec<(String, Duration)> = Vec::new();
    let mut modem = Vec::new();
    for entry in recording.entries {
        match entry.event {
            Event::Read(Ok(bytes)) => modem.extend(bytes),
            event => {
                if !modem.is_empty() {
                    out.push((
                        format!("modem {:?}", String::from_utf8_lossy(&std::mem::take(&mut modem))),
                        Duration::ZERO,
                    ));
                }
                out.push((format!("{event:?}"), entry.at));
            }
        }
    }
    out
}

// ------------------------------------------------------------------ record, then replay

/// A script, the simulator it is recorded on, its params.
type Case = (&'static str, String, Vec<(String, String)>);

#[test]
fn sessions_recorded_on_the_simulator_replay_the_same() {
    let scenario = |f: &str| root().join("tests/data/examples").join(f).display().to_string();
    let cases: Vec<Case> = vec![
        ("examples/hayes-dial.atc", "hayes".into(), params(&[("number", "5551234")])),
        // BUSY then CONNECT: a retry and its 30 s wait.
        (
            "examples/hayes-dial.atc",
            format!("hayes?scenario={}", scenario("busy-once.scenario")),
            params(&[("number", "5551234")]),
        ),
        // Escape with guard times, DTR drop, carrier.
        ("examples/escape-hangup.atc", "hayes".into(), params(&[("number", "5551234")])),
        // RING before the script writes anything.
        ("examples/answer.atc", format!("hayes?scenario={}", scenario("incoming-call.scenario")), vec![]),
        // A secret PIN, masked in the recording.
        (
            "examples/gsm-sms.atc",
            "gsm?pin=9876".into(),
            params(&[("to", "+15551234"), ("text", "hi"), ("pin", "9876")]),
        ),
        // A failure: the script's timeout, then the recording's end.
        ("examples/quickstart.atc", format!("hayes?scenario={}", scenario("silent.scenario")), vec![]),
    ];
    for (script, spec, params) in cases {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("first.transcript");
        let again = dir.path().join("again.transcript");
        let path = root().join(script);

        let mut sim = SimPort::open(&spec, SimClock::Virtual).unwrap();
        let recorder = Recorder::create(&first, Vec::new()).unwrap();
        let recorded = run_on(&path, &params, &mut sim, Some(recorder));

        let mut replay = ReplayPort::open(&first).unwrap();
        let recorder = Recorder::create(&again, Vec::new()).unwrap();
        let replayed = run_on(&path, &params, &mut replay, Some(recorder));

        assert_eq!(recorded, replayed, "{script} on {spec}");
        assert_eq!(replay.unplayed(), None, "{script} on {spec}");
        assert!(replay.played() > 0);
        let (a, b) = (session(&first), session(&again));
        assert_eq!(a.len(), b.len(), "{script} on {spec}:\n{a:#?}\n{b:#?}");
        for ((what_a, at_a), (what_b, at_b)) in a.iter().zip(&b) {
            assert_eq!(what_a, what_b, "{script} on {spec}");
            let apart = if at_a > at_b { *at_a - *at_b } else { *at_b - *at_a };
            assert!(apart <= Duration::from_millis(2), "{script} on {spec}: {what_a} at {at_a:?} and {at_b:?}");
        }
        if script.contains("gsm-sms") {
            let text = std::fs::read_to_string(&first).unwrap();
            assert!(!text.contains("9876"), "the PIN leaked into the recording:\n{text}");
            assert!(text.contains("AT+CPIN=\\\"***\\\"\\r"), "{text}");
        }
    }
}

#[test]
fn a_masked_secret_matches_any_value_on_replay() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.transcript");
    let script = root().join("examples/gsm-sms.atc");
    let mut sim = SimPort::open("gsm?pin=9876", SimClock::Virtual).unwrap();
    let recorder = Recorder::create(&file, Vec::new()).unwrap();
    let given = params(&[("to", "+15551234"), ("text", "hi"), ("pin", "9876")]);
    let (recorded, _) = run_on(&script, &given, &mut sim, Some(recorder));
    assert_eq!(recorded.code, 0, "{recorded:?}");
    let mut replay = ReplayPort::open(&file).unwrap();
    let other = params(&[("to", "+15551234"), ("text", "hi"), ("pin", "0000")]);
    let (outcome, says) = run_on(&script, &other, &mut replay, None);
    assert_eq!(outcome.code, 0, "{outcome:?}");
    assert_eq!(says, ["sent, reference 0"]);
}

#[test]
fn a_changed_script_is_told_the_line_and_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dial.transcript");
    let script = root().join("examples/hayes-dial.atc");
    let mut sim = SimPort::open("hayes", SimClock::Virtual).unwrap();
    let recorder = Recorder::create(&file, Vec::new()).unwrap();
    run_on(&script, &params(&[("number", "5551234")]), &mut sim, Some(recorder));
    let text = std::fs::read_to_string(&file).unwrap();
    let line = 1 + text.lines().position(|l| l.ends_with("> \"ATDT5551234\\r\"")).unwrap();

    // Another number: a different write.
    let mut replay = ReplayPort::open(&file).unwrap();
    let (outcome, _) = run_on(&script, &params(&[("number", "5559999")]), &mut replay, None);
    assert_eq!(outcome.code, 2, "{outcome:?}");
    let message = outcome.message.unwrap();
    for part in
        [format!("diverged from the recording at line {line}"), "ATDT5559999\\r".into(), "ATDT5551234\\r".into()]
    {
        assert!(message.contains(&part), "{part:?} not in {message}");
    }
    assert!(message.contains("hayes-dial.atc:20: "), "the script's line first: {message}");

    // A script that asks for more than the modem said.
    let more = dir.path().join("more.atc");
    std::fs::write(&more, "use hayes\nhayes.reset()\nsend \"AT&F E1 V1 X4 &C1 &D2\"\nexpect OK\nsend \"ATDT5551234\"\nexpect CONNECT within 60s\nexpect \"RING\"\n").unwrap();
    let mut replay = ReplayPort::open(&file).unwrap();
    let (outcome, _) = run_on(&more, &[], &mut replay, None);
    assert_eq!(outcome.code, 2, "{outcome:?}");
    let message = outcome.message.unwrap();
    assert!(message.contains("more.atc:7:") && message.contains("nothing more from it"), "{message}");

    // A script that does less: it succeeds, and the port says what it left.
    let less = dir.path().join("less.atc");
    std::fs::write(&less, "use hayes\nhayes.reset()\n").unwrap();
    let mut replay = ReplayPort::open(&file).unwrap();
    let (outcome, _) = run_on(&less, &[], &mut replay, None);
    assert_eq!(outcome.code, 0, "{outcome:?}");
    let note = replay.closing_note().unwrap();
    assert!(note.contains("2 recorded host actions not played") && note.contains("AT&F"), "{note}");
}

// ------------------------------------------------------------------ the corpus

/// One script to run on a transcript, from the transcript's header keys.
#[derive(Debug, Default)]
struct Check {
    line: usize,
    script: String,
    params: Vec<(String, String)>,
    exit: Option<u8>,
    message: Option<String>,
    says: Vec<String>,
    want: Option<(u8, String)>,
}

/// The header keys of a transcript: its sources and its checks.
fn checks(path: &Path) -> (Vec<String>, Vec<Check>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut sources = Vec::new();
    let mut checks: Vec<Check> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let Some((key, value)) = line.strip_prefix("# ").and_then(|l| l.split_once(": ")) else { continue };
        let value = value.trim().to_string();
        let at = format!("{}:{}", path.display(), index + 1);
        if key == "source" {
            sources.push(value);
            continue;
        }
        if key == "script" {
            checks.push(Check { line: index + 1, script: value, ..Check::default() });
            continue;
        }
        if !["param", "exit", "message", "say", "want"].contains(&key) {
            continue;
        }
        let check = checks.last_mut().unwrap_or_else(|| panic!("{at}: `{key}:` before any `script:`"));
        match key {
            "param" => {
                let (k, v) = value.split_once('=').unwrap_or_else(|| panic!("{at}: `param: NAME=VALUE`"));
                check.params.push((k.to_string(), v.to_string()));
            }
            "exit" => check.exit = Some(value.parse().unwrap_or_else(|_| panic!("{at}: `exit: CODE`"))),
            "message" => check.message = Some(value),
            "say" => check.says.push(value),
            "want" => {
                let (code, why) = value.split_once(' ').unwrap_or((&value, ""));
                check.want =
                    Some((code.parse().unwrap_or_else(|_| panic!("{at}: `want: CODE (why)`")), why.to_string()));
            }
            _ => unreachable!(),
        }
    }
    (sources, checks)
}

#[test]
fn the_corpus_runs_todays_scripts_against_real_modems() {
    let files = transcripts();
    assert!(files.len() >= 8, "the corpus has {} transcripts", files.len());
    let mut problems = Vec::new();
    let mut matrix = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let (sources, checks) = checks(file);
        if sources.is_empty() {
            problems.push(format!("{name}: no `# source:` line: say where the modem's side comes from"));
        }
        if checks.is_empty() {
            problems.push(format!("{name}: no `# script:` to run on it"));
        }
        for check in checks {
            let at = format!("{name}:{}", check.line);
            let Some(exit) = check.exit else {
                problems.push(format!("{at}: `{}` has no `# exit:`", check.script));
                continue;
            };
            let mut port = match ReplayPort::open(file) {
                Ok(p) => p,
                Err(e) => {
                    problems.push(format!("{at}: {e}"));
                    continue;
                }
            };
            let (outcome, says) = run_on(&root().join(&check.script), &check.params, &mut port, None);
            let message = outcome.message.clone().unwrap_or_default();
            let mut wrong = Vec::new();
            if outcome.code != exit {
                wrong.push(format!("exit {} where the transcript says {exit}", outcome.code));
            }
            if let Some(part) = &check.message {
                if !message.contains(part.as_str()) {
                    wrong.push(format!("the message lacks {part:?}"));
                }
            }
            if !check.says.is_empty() && says != check.says {
                wrong.push(format!("said {says:?} where the transcript says {:?}", check.says));
            }
            if outcome.code == 0 {
                if let Some((count, line, what)) = port.unplayed() {
                    wrong.push(format!(
                        "exit 0 with {count} recorded host actions not played, from line {line} ({what})"
                    ));
                }
            }
            if let Some((want, _)) = &check.want {
                if *want == outcome.code {
                    wrong.push(format!("exits {want} now, as wanted: make `exit: {want}` and drop `want:`"));
                }
            }
            let verdict = match (&check.want, wrong.is_empty()) {
                (_, false) => format!("FAILS: {}", wrong.join("; ")),
                (Some((want, why)), true) => format!("known wrong, wants {want} {why}"),
                (None, true) => "ok".to_string(),
            };
            matrix.push(format!("{name} x {}: exit {} {message:?}: {verdict}", check.script, outcome.code));
            if !wrong.is_empty() {
                problems.push(format!("{at}: {}: {}; message: {message}", check.script, wrong.join("; ")));
            }
        }
    }
    eprintln!("transcript x script matrix:\n  {}", matrix.join("\n  "));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_corpus_script_is_a_file_and_every_check_names_a_known_key() {
    for file in transcripts() {
        for check in checks(&file).1 {
            assert!(root().join(&check.script).is_file(), "{}: no script {}", file.display(), check.script);
        }
    }
}

// ------------------------------------------------------------------ the command line

fn atchat() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_atchat"));
    cmd.current_dir(root()).stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn record_writes_a_transcript_with_the_secret_masked_and_replay_plays_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sms.transcript");
    let (code, stderr) = run(atchat()
        .args(["run", "examples/gsm-sms.atc", "--port", "sim:gsm?pin=9876"])
        .args(["-D", "to=+15551234", "-D", "text=hello", "-D", "pin=9876", "--record"])
        .arg(&file));
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("9876"), "the secret leaked into the recording:\n{text}");
    for part in [
        "atchat transcript 1\n",
        "\nport sim:gsm?pin=***\n",
        "# script: examples/gsm-sms.atc\n",
        "# param: pin=***\n",
        "# param: to=+15551234\n",
        "> \"AT+CPIN=\\\"***\\\"\\r\"",
        "\\r\\n> \"\n",
        "> \"hello\\x1a\"",
        "end exit 0\n# exit: 0\n",
    ] {
        assert!(text.contains(part), "{part:?} not in\n{text}");
    }
    let replay = format!("replay:{}", file.display());
    let (code, stderr) = run(atchat().args(["run", "examples/gsm-sms.atc", "--port", &replay]).args([
        "-D",
        "to=+15551234",
        "-D",
        "text=hello",
        "-D",
        "pin=1111",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("sent, reference 0"), "{stderr}");
    assert!(!stderr.contains("not played"), "{stderr}");

    let (code, stderr) = run(atchat().args(["run", "examples/gsm-sms.atc", "--port", &replay]).args([
        "-D",
        "to=+15550000",
        "-D",
        "text=hello",
        "-D",
        "pin=1111",
    ]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("diverged from the recording at line") && stderr.contains("+15550000"), "{stderr}");
}

#[test]
fn replay_from_the_command_line_names_divergences_and_what_was_left() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dial.transcript");
    let (code, stderr) = run(atchat()
        .args(["run", "examples/hayes-dial.atc", "--port", "sim:hayes", "-D", "number=5551234", "--record"])
        .arg(&file));
    assert_eq!(code, 0, "{stderr}");
    let replay = format!("replay:{}", file.display());

    let (code, stderr) = run(atchat().args(["run", "examples/quickstart.atc", "--port", &replay]));
    assert_eq!(code, 2, "quickstart sends AT where the recording has ATZ: {stderr}");
    assert!(stderr.contains("wrote \"AT\\r\" where the recording has \"ATZ\\r\""), "{stderr}");

    let less = dir.path().join("less.atc");
    std::fs::write(&less, "use hayes\nhayes.reset()\n").unwrap();
    let (code, stderr) = run(atchat().arg("run").arg(&less).args(["--port", &replay]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("ended before the recording did: 2 recorded host actions not played"), "{stderr}");
}

/// Memory a replay run may map at all: a run that read a huge transcript into memory would
/// fail there instead of refusing it.
const ADDRESS_SPACE: u64 = 64 * 1024 * 1024;

#[test]
fn bad_transcripts_are_refused_with_the_line_and_bounded_memory() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let good = std::fs::read_to_string(corpus().join("hayes-dial-connect.transcript")).unwrap();
    let cut = good.find("> \"AT&F").unwrap() + 8;
    let cut_line = 1 + good[..cut].matches('\n').count();
    std::fs::write(path("garbage"), "hello modem\n").unwrap();
    std::fs::write(path("truncated"), &good[..cut]).unwrap();
    std::fs::write(path("binary"), [0xffu8, 0xfe, 0x00, 0x1b, b'\n']).unwrap();
    std::fs::File::create(path("huge")).unwrap().set_len(1 << 30).unwrap();
    for (name, parts) in [
        ("garbage", vec!["garbage:1:".to_string(), "atchat transcript 1".into()]),
        ("truncated", vec![format!("truncated:{cut_line}:"), "no closing".into()]),
        ("binary", vec!["binary:1:".into()]),
        ("huge", vec!["larger than 16 MiB".into()]),
        ("/dev/zero", vec!["larger than 16 MiB".into()]),
        ("missing", vec!["cannot open".into()]),
    ] {
        let file = if name.starts_with('/') { PathBuf::from(name) } else { path(name) };
        let mut cmd = atchat();
        cmd.args(["run", "examples/hayes-dial.atc", "-D", "number=5551234", "--port"])
            .arg(format!("replay:{}", file.display()));
        // SAFETY: setrlimit is async-signal-safe; the child only sets its own limit.
        unsafe {
            cmd.pre_exec(|| {
                let limit = libc::rlimit { rlim_cur: ADDRESS_SPACE, rlim_max: ADDRESS_SPACE };
                if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let (code, stderr) = run(&mut cmd);
        assert_eq!(code, 2, "{name}: {stderr}");
        for part in parts {
            assert!(stderr.contains(&part), "{name}: {part:?} not in {stderr}");
        }
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
}

#[test]
fn a_recording_that_cannot_be_created_is_a_bad_invocation() {
    let (code, stderr) = run(atchat().args([
        "run",
        "examples/quickstart.atc",
        "--port",
        "sim:hayes",
        "--record",
        "/nonexistent-dir/x.transcript",
    ]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("cannot write the recording"), "{stderr}");
}

// ------------------------------------------------------------------ robustness

mod props {
    use super::*;
    use proptest::prelude::*;

    fn line() -> impl Strategy<Value = String> {
        let time = prop_oneof![Just(String::new()), "[0-9]{1,3}(\\.[0-9]{1,3})? "];
        let event = prop_oneof![
            "> \"[A-Z\\\\r\\*\"]{0,8}\"",
            "< \"[A-Z\\\\rn\\*]{0,8}\"",
            Just("dtr off".to_string()),
            Just("dtr on".to_string()),
            Just("carrier on".to_string()),
            Just("flush".to_string()),
            Just("end exit 3".to_string()),
            "[ -~]{0,12}",
        ];
        (time, event).prop_map(|(t, e)| format!("{t}{e}"))
    }

    #[derive(Debug, Clone)]
    enum Op {
        Write(Vec<u8>),
        Read(u64),
        Dtr(bool),
        Carrier,
        Flush,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            prop::collection::vec(prop_oneof![Just(b'A'), Just(b'T'), Just(b'\r'), Just(b'Z')], 0..6)
                .prop_map(Op::Write),
            (0u64..100_000).prop_map(Op::Read),
            any::<bool>().prop_map(Op::Dtr),
            Just(Op::Carrier),
            Just(Op::Flush),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Any text parses or is refused, never panics; a port on what parses answers every
        /// call, and stays failed once it diverged.
        #[test]
        fn no_transcript_and_no_script_make_the_replay_panic(lines in prop::collection::vec(line(), 0..12), ops in prop::collection::vec(op(), 0..30)) {
            let text = format!("atchat transcript 1\n{}\n", lines.join("\n"));
            let Ok(recording) = Recording::parse(text.as_bytes()) else { return Ok(()) };
            let mut port = ReplayPort::new("replay:p".into(), recording);
            let mut buf = [0u8; 64];
            let mut diverged = false;
            for op in ops {
                let result = match op {
                    Op::Write(b) => port.write_all(&b),
                    Op::Read(ms) => port.read(&mut buf, Duration::from_millis(ms)).map(|_| ()),
                    Op::Dtr(on) => port.set_dtr(on),
                    Op::Carrier => port.carrier().map(|_| ()),
                    Op::Flush => port.discard_input(),
                };
                if diverged {
                    prop_assert!(result.is_err(), "a diverged replay went on");
                }
                diverged |= matches!(result, Err(PortError::Diverged { .. }));
            }
        }
    }
}

#[test]
fn the_transcripts_in_the_docs_parse() {
    let doc = std::fs::read_to_string(root().join("docs/record-replay.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for line in doc.lines() {
        match &mut current {
            None if line.trim() == "```transcript" => {
                current = Some((line.len() - line.trim_start().len(), String::new()))
            }
            Some((_, text)) if line.trim() == "```" => {
                blocks.push(std::mem::take(text));
                current = None;
            }
            Some((indent, text)) => {
                text.push_str(line.get(*indent..).unwrap_or(""));
                text.push('\n');
            }
            None => {}
        }
    }
    assert!(blocks.len() >= 2, "{blocks:?}");
    for block in blocks {
        let recording = Recording::parse(block.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{block}"));
        assert!(!recording.entries.is_empty(), "{block}");
    }
}
