//! chat(8) conformance: every case under `tests/data/chat/` and every corpus script runs
//! under the real chat (Debian's `ppp`, `/usr/sbin/chat`) and under `atchat chat`, each on
//! its own pty against the same scripted modem. Exit code, every byte written to the modem,
//! stderr and the report file must be the same.
//!
//! A case file (`*.case`): the header sets the run up, the body (after a blank line) is
//! `script.chat`.
//!
//! ```text
//! # Which rule of chat(8) this checks.
//! # args: -t 1 -f script.chat          (shell-like words; '...' and "..." quote)
//! # env: NAME=value                     (any number)
//! # stdin: null                         (stdin is not a tty)
//! # report: rep.txt                     (compare this file too)
//! # script-file: corpus/x.chat          (use a file from tests/data/chat as script.chat)
//! # write: msg.txt "AT\d\n"             (another file in the run's directory)
//! # modem: "AT\r" => "\r\nOK\r\n"       (reply when what was received ends with the trigger)
//! # modem: "ATD" => "\r\nCONNECT\r\n" after 0.3
//! # modem: "ATD" =>* "\r\nCONNECT\r\n"   (=>*: on a whole line containing the trigger)
//! # modem: at 0.2 "RING\r\n"            (send at a time)  · modem: at 1 close · at 1 signal TERM
//! # modem: xonxoff                      (the tty obeys XOFF/XON from the modem, IXON)
//!
//! ...the lines of script.chat to the end of the file...
//! ```

mod peer;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use peer::{Modem, Rule, Run, Timed};

use crate::support::cli::Test;
use crate::support::{self, diff, layer::Layer};

const REAL_CHAT: &str = "/usr/sbin/chat";
/// No case runs longer than this.
const LIMIT: Duration = Duration::from_secs(20);

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/chat")
}

#[derive(Debug, Default, Clone)]
struct Case {
    name: String,
    args: Vec<Vec<u8>>,
    env: Vec<(String, String)>,
    tty: bool,
    report: Option<String>,
    script: Option<Vec<u8>>,
    /// Other files to create in the run's directory.
    files: Vec<(String, Vec<u8>)>,
    modem: Modem,
}

/// `"..."` with `\r \n \t \\ \" \xHH`.
fn quoted(s: &str) -> Result<(Vec<u8>, &str), String> {
    let s = s.trim_start();
    let body = s.strip_prefix('"').ok_or_else(|| format!("expected a quoted string at `{s}`"))?;
    let mut out = Vec::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &body[i + 1..])),
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('r') => out.push(b'\r'),
                Some('n') => out.push(b'\n'),
                Some('t') => out.push(b'\t'),
                Some('x') => {
                    let hex: String = chars.by_ref().take(2).map(|(_, c)| c).collect();
                    out.push(u8::from_str_radix(&hex, 16).map_err(|e| format!("bad \\x{hex}: {e}"))?);
                }
                Some(c) => out.extend_from_slice(c.to_string().as_bytes()),
                None => return Err("backslash at the end".into()),
            },
            c => out.extend_from_slice(c.to_string().as_bytes()),
        }
    }
    Err(format!("unterminated string in `{s}`"))
}

/// Shell-like words: blanks separate, `'...'` and `"..."` quote (no escapes).
fn words(s: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut cur: Option<Vec<u8>> = None;
    let mut quote = None;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.get_or_insert_with(Vec::new).extend_from_slice(c.to_string().as_bytes()),
            (None, '\'' | '"') => {
                quote = Some(c);
                cur.get_or_insert_with(Vec::new);
            }
            (None, ' ' | '\t') => out.extend(cur.take()),
            (None, c) => cur.get_or_insert_with(Vec::new).extend_from_slice(c.to_string().as_bytes()),
        }
    }
    out.extend(cur);
    out
}

fn seconds(s: &str) -> Result<Duration, String> {
    s.trim().parse::<f64>().map(Duration::from_secs_f64).map_err(|e| format!("bad time `{s}`: {e}"))
}

fn parse_modem(line: &str, modem: &mut Modem) -> Result<(), String> {
    let line = line.trim();
    if line == "xonxoff" {
        modem.xonxoff = true;
        return Ok(());
    }
    if let Some(rest) = line.strip_prefix("at ") {
        let (time, action) = rest.trim().split_once(' ').ok_or("`at` needs a time and an action")?;
        let at = seconds(time)?;
        let action = action.trim();
        let timed = match action {
            "close" => Timed::Close,
            "signal TERM" => Timed::Signal(libc::SIGTERM),
            "signal INT" => Timed::Signal(libc::SIGINT),
            "signal HUP" => Timed::Signal(libc::SIGHUP),
            _ => Timed::Send(quoted(action)?.0),
        };
        modem.timed.push((at, timed));
        return Ok(());
    }
    let (trigger, rest) = quoted(line)?;
    let rest = rest.trim_start().strip_prefix("=>").ok_or("expected `=>`")?;
    let (line, rest) = match rest.strip_prefix('*') {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    let (reply, rest) = quoted(rest)?;
    let delay = match rest.trim().strip_prefix("after") {
        Some(t) => seconds(t)?,
        None if rest.trim().is_empty() => Duration::ZERO,
        None => return Err(format!("unexpected `{rest}`")),
    };
    modem.rules.push(Rule { trigger, reply, delay, line });
    Ok(())
}

/// The keys of a chat case's header.
const KEYS: &[&str] = &["args", "env", "stdin", "report", "script-file", "write", "modem"];

fn parse_case(file: &support::case::Case) -> Result<Case, String> {
    let header = &file.header;
    let mut case = Case { name: file.name.clone(), tty: true, ..Case::default() };
    case.args = header.one("args")?.map(words).unwrap_or_default();
    for value in header.all("env") {
        let (k, v) = value.split_once('=').ok_or("env needs NAME=value")?;
        case.env.push((k.to_string(), v.to_string()));
    }
    match header.one("stdin")? {
        None => {}
        Some("null") => case.tty = false,
        Some(other) => return Err(format!("`stdin: {other}`: only `null` is known")),
    }
    case.report = header.one("report")?.map(str::to_string);
    for (line, value) in header.all_with_lines("modem") {
        parse_modem(value, &mut case.modem).map_err(|e| format!("line {line}: {e}"))?;
    }
    for value in header.all("write") {
        let (name, content) = value.split_once(' ').ok_or("write needs NAME \"content\"")?;
        case.files.push((name.to_string(), quoted(content)?.0));
    }
    match (header.one("script-file")?, file.body()) {
        (Some(_), body) if !body.is_empty() => return Err("both a script-file and a script".into()),
        (Some(name), _) => {
            let path = data_dir().join(name);
            case.script = Some(std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?);
        }
        (None, "") => {}
        (None, body) => case.script = Some(body.as_bytes().to_vec()),
    }
    Ok(case)
}

/// A case given as text, as a case file would hold it.
fn case_from_text(name: &str, text: &str) -> Case {
    parse_case(&support::case::Case::new(name.into(), PathBuf::new(), text.into())).expect("a valid case")
}

/// What may differ between two runs: the date in report lines, the program name in the
/// usage text.
fn normalize(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        // A report line starts a line, or follows a SAY (which ends in CR, not LF).
        if let Some(at) =
            line.match_indices("chat:  ").map(|(at, _)| at).find(|&at| at == 0 || line[..at].ends_with('\r'))
        {
            // "Nov 21 22:16:15 " is 16 characters.
            let rest = &line[at + "chat:  ".len()..];
            let rest = rest.get(16..).unwrap_or(rest);
            out.push_str(&line[..at]);
            out.push_str("chat:  <date> ");
            out.push_str(rest);
        } else if let Some(rest) = line.strip_prefix("Usage: ") {
            let rest = rest.split_once(" [-e]").map_or(rest, |(_, r)| r);
            out.push_str("Usage: chat [-e]");
            out.push_str(rest);
        } else {
            out.push_str(line);
        }
    }
    out
}

#[derive(Debug, PartialEq, Eq)]
struct Observed {
    code: Option<i32>,
    written: String,
    stderr: String,
    report: Option<String>,
}

fn run_one(case: &Case, program: &Path, prefix: &[&str]) -> Observed {
    let dir = tempfile::tempdir().expect("temp dir");
    if let Some(script) = &case.script {
        std::fs::write(dir.path().join("script.chat"), script).expect("write script");
    }
    for (name, content) in &case.files {
        std::fs::write(dir.path().join(name), content).expect("write file");
    }
    let mut args: Vec<Vec<u8>> = prefix.iter().map(|a| a.as_bytes().to_vec()).collect();
    args.extend(case.args.iter().cloned());
    let Run { code, written, stderr } = peer::run(program, &args, dir.path(), &case.env, &case.modem, case.tty, LIMIT);
    let report = case.report.as_ref().map(|r| normalize(&std::fs::read(dir.path().join(r)).unwrap_or_default()));
    Observed { code, written: format!("{:?}", String::from_utf8_lossy(&written)), stderr: normalize(&stderr), report }
}

/// The cases of `tests/data/chat/SUB` (`SUB` empty for the folder itself).
fn layer(sub: &str) -> Layer {
    Layer::new(&format!("tests/data/chat/{sub}"), "case")
        .keys(KEYS)
        // Most of a case's time is spent waiting on chat and the modem.
        .threads(std::thread::available_parallelism().map_or(4, |n| n.get()).max(4) * 2)
}

/// Where two runs differ, field by field.
fn differences(real: &Observed, ours: &Observed, name: &str) -> Result<(), String> {
    let mut wrong = String::new();
    if real.code != ours.code {
        wrong.push_str(&format!("exit code: chat(8) {:?}, {name} {:?}\n", real.code, ours.code));
    }
    if real.written != ours.written {
        wrong.push_str(&format!("written to the modem:\n  chat(8) {}\n  {name:7} {}\n", real.written, ours.written));
    }
    if real.stderr != ours.stderr {
        wrong.push_str(&format!("stderr (- chat(8), + {name}):\n{}", diff::lines(&real.stderr, &ours.stderr)));
    }
    if real.report != ours.report {
        wrong.push_str(&format!(
            "report file (- chat(8), + {name}):\n{}",
            diff::lines(real.report.as_deref().unwrap_or(""), ours.report.as_deref().unwrap_or(""))
        ));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong)
    }
}

/// Runs every case of `layer` under chat(8) and `atchat chat EXTRA...`, side by side.
#[track_caller]
fn check_cases(layer: Layer, extra: &[&str]) {
    assert!(Path::new(REAL_CHAT).exists(), "the real chat(8) is needed: apt-get install ppp (.ci/test does)");
    let atchat = PathBuf::from(env!("CARGO_BIN_EXE_atchat"));
    layer.run(|file| {
        let case = parse_case(file)?;
        let started = Instant::now();
        let (real, ours) = std::thread::scope(|s| {
            let real = s.spawn(|| run_one(&case, Path::new(REAL_CHAT), &[]));
            let mut prefix = vec!["chat"];
            prefix.extend_from_slice(extra);
            let ours = run_one(&case, &atchat, &prefix);
            (real.join().expect("real chat run"), ours)
        });
        if started.elapsed() > Duration::from_secs(5) {
            eprintln!("slow chat case: {} took {:.1}s", case.name, started.elapsed().as_secs_f64());
        }
        differences(&real, &ours, "atchat")
    });
}

#[test]
fn every_rule_agrees_with_real_chat() {
    let start = Instant::now();
    check_cases(layer("").at_least(40), &["--no-pace"]);
    eprintln!("chat cases took {:.1}s", start.elapsed().as_secs_f64());
}

/// Every `*.chat` script in `dir` (under tests/data/chat) has a case there, and every case
/// there agrees with the real chat, paced as chat paces.
fn check_script_dir(dir: &str) {
    let layer = layer(dir);
    let scripts: Vec<Vec<u8>> = layer.cases().iter().filter_map(|c| parse_case(c).ok()?.script).collect();
    for (_, script) in Layer::new(&format!("tests/data/chat/{dir}"), "chat").paths() {
        let text = std::fs::read(&script).unwrap();
        assert!(scripts.contains(&text), "{} has no case", script.display());
    }
    check_cases(layer, &[]);
}

#[test]
fn every_corpus_script_agrees_with_real_chat() {
    check_script_dir("corpus");
}

/// Real-world scripts from outside the corpus (tests/data/chat/wild/SOURCES.md).
#[test]
fn every_wild_script_agrees_with_real_chat() {
    check_script_dir("wild");
}

#[test]
fn the_binary_named_chat_is_chat() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("chat");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_atchat"), &link).unwrap();
    let case = case_from_text("symlink", "# args: -t 1 '' AT OK ''\n# modem: \"AT\\r\" => \"OK\\r\\n\"\n");
    let run = peer::run(&link, &case.args, dir.path(), &[], &case.modem, true, LIMIT);
    assert_eq!((run.code, run.written.as_slice()), (Some(0), &b"AT\r\r"[..]));
    let bad = peer::run(&link, &[b"-x".to_vec()], dir.path(), &[], &Modem::default(), true, LIMIT);
    assert_eq!(bad.code, Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).starts_with("Usage: "), "{:?}", bad.stderr);
}

#[test]
fn pacing_is_ten_milliseconds_a_byte_unless_no_pace() {
    let dir = tempfile::tempdir().unwrap();
    let atchat = PathBuf::from(env!("CARGO_BIN_EXE_atchat"));
    let args = |extra: &[&str]| {
        let mut a: Vec<Vec<u8>> = vec![b"chat".to_vec()];
        a.extend(extra.iter().map(|s| s.as_bytes().to_vec()));
        a.extend([b"".to_vec(), b"0123456789012345678901234567890123456789\\c".to_vec()]);
        a
    };
    let t = Instant::now();
    let paced = peer::run(&atchat, &args(&[]), dir.path(), &[], &Modem::default(), true, LIMIT);
    let paced_time = t.elapsed();
    let t = Instant::now();
    let fast = peer::run(&atchat, &args(&["--no-pace"]), dir.path(), &[], &Modem::default(), true, LIMIT);
    let fast_time = t.elapsed();
    assert_eq!(paced.written, fast.written);
    assert!(paced_time >= Duration::from_millis(400), "40 bytes took {paced_time:?}");
    assert!(fast_time < paced_time, "--no-pace took {fast_time:?}, paced {paced_time:?}");
}

/// The native script `atchat import` writes for a corpus case, run with `atchat run --port -`
/// against the same modem: (exit code, bytes written).
fn run_imported(case: &Case) -> (Option<i32>, String) {
    let atchat = PathBuf::from(env!("CARGO_BIN_EXE_atchat"));
    let uses_env = case.args.iter().any(|a| a.starts_with(b"-") && !a.starts_with(b"--") && a.contains(&b'E'));
    let mut import = Test::new().file("script.chat", case.script.as_deref().unwrap_or_default()).args([
        "import",
        "script.chat",
        "-o",
        "script.atc",
    ]);
    if uses_env {
        import = import.arg("-E");
    }
    if let Some(i) = case.args.iter().position(|a| a == b"-t") {
        import = import.arg("-t").arg(String::from_utf8_lossy(&case.args[i + 1]).into_owned());
    }
    let dir = import.run().dir;
    let mut env: Vec<(String, String)> = vec![("ATCHAT_at_file1".into(), "x".into())];
    for (name, value) in &case.env {
        env.push((format!("ATCHAT_{}", atchat::chat::import::env_param(name)), value.clone()));
    }
    if let Some(i) = case.args.iter().position(|a| a == b"-T") {
        env.push(("ATCHAT_phone".into(), String::from_utf8_lossy(&case.args[i + 1]).into_owned()));
    }
    let args: Vec<Vec<u8>> = ["run", "script.atc", "--port", "-"].iter().map(|a| a.as_bytes().to_vec()).collect();
    let run = peer::run(&atchat, &args, dir.path(), &env, &case.modem, true, LIMIT);
    (run.code, format!("{:?}", String::from_utf8_lossy(&run.written)))
}

fn check_imported(dir: &str) {
    let layer = layer(dir).threads(16);
    let cases = layer.cases();
    check_imported_cases(&layer, &cases);
}

/// Each case run by chat(8) and, imported, by `atchat run`: the same exit code and bytes.
fn check_imported_cases(layer: &Layer, cases: &[support::case::Case]) {
    layer.run_cases(cases, |file| {
        let case = parse_case(file)?;
        let (real, ours) = std::thread::scope(|s| {
            let real = s.spawn(|| run_one(&case, Path::new(REAL_CHAT), &[]));
            let ours = run_imported(&case);
            (real.join().expect("real chat run"), ours)
        });
        if (real.code, &real.written) == (ours.0, &ours.1) {
            return Ok(());
        }
        Err(format!("chat(8): {:?} {}\nimport:  {:?} {}", real.code, real.written, ours.0, ours.1))
    });
}

#[test]
fn imported_corpus_scripts_give_the_same_outcome_and_bytes() {
    check_imported("corpus");
}

#[test]
fn imported_wild_scripts_give_the_same_outcome_and_bytes() {
    check_imported("wild");
}

/// `atchat import -t N` writes chat's `-t N` as the timeout in force at the start, so the
/// native script times out when `chat -t N` would (wild/sonicwall-* run with `-t 1`).
#[test]
fn import_takes_chats_timeout_option() {
    let atchat = PathBuf::from(env!("CARGO_BIN_EXE_atchat"));
    let imported =
        Test::new().file("s.chat", "'' AT OK ATDT\n").args(["import", "s.chat", "-t", "1", "-o", "s.atc"]).run();
    let dir = imported.dir;
    let text = std::fs::read_to_string(dir.path().join("s.atc")).unwrap();
    assert!(text.contains("timeout 1s"), "{text}");
    let args: Vec<Vec<u8>> = ["run", "s.atc", "--port", "-"].iter().map(|a| a.as_bytes().to_vec()).collect();
    let started = Instant::now();
    let run = peer::run(&atchat, &args, dir.path(), &[], &Modem::default(), true, LIMIT);
    assert_eq!((run.code, run.written.as_slice()), (Some(3), &b"AT\r"[..]));
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

/// Where chat gives up on its own limits, the imported script gives up at the same point with
/// the same code; a TIMEOUT that goes through C's atoi means what it means to chat.
#[test]
fn imported_scripts_keep_chats_limits() {
    // `atchat run` checks the imported script first: one that does not check exits 1.
    check_imported_named(&["abort-51", "abort-300", "report-51", "timeout-wraps-like-c"]);
}

/// ABORT strings are looked for only in what an expect reads, never during a send's `\d`;
/// `ABORT ''` fails an expect at the first byte it reads, unless the expect (tried first) is
/// that one byte. The imported script does the same with arms of each expect.
#[test]
fn imported_empty_abort_fails_where_chat_fails() {
    check_imported_named(&[
        "abort-empty-any-byte",
        "abort-empty-one-byte-expect",
        "abort-empty-third",
        "abort-empty-after-silence",
        "abort-empty-empty-expect",
        "abort-empty-cleared",
        "abort-empty-kept-by-clr-abort",
        "abort-empty-during-a-delay",
        "abort-during-a-delay",
        "abort-empty-40-expects",
    ]);
}

/// [`check_imported_cases`] on the cases of tests/data/chat with these names.
fn check_imported_named(names: &[&str]) {
    let layer = layer("").threads(16);
    let cases: Vec<_> = layer.cases().into_iter().filter(|c| names.contains(&c.name.as_str())).collect();
    assert_eq!(cases.len(), names.len());
    check_imported_cases(&layer, &cases);
}

/// A timeout the native language cannot write (over a year; chat's `-t 0`, none at all) is
/// refused with the reason, not imported as a script that fails `check` or times out sooner.
#[test]
fn import_refuses_a_timeout_it_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let atchat = PathBuf::from(env!("CARGO_BIN_EXE_atchat"));
    std::fs::write(dir.path().join("s.chat"), "'' AT OK ''\nTIMEOUT 2147483647\n'' ATDT OK\n").unwrap();
    for (extra, reason) in [
        (&[][..], "line 2: `TIMEOUT 2147483647` is longer than a year"),
        (&["-t", "0"][..], "`-t 0` is no timeout at all"),
        (&["-t", "40000000"][..], "`-t 40000000` is longer than a year"),
    ] {
        let out = std::process::Command::new(&atchat)
            .args(["import", "s.chat", "-o", "s.atc"])
            .args(extra)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {stderr}");
        assert!(stderr.contains(reason), "{extra:?}: {stderr}");
        assert!(stderr.contains("timeout 8784h"), "{extra:?}: {stderr}");
        assert!(!dir.path().join("s.atc").exists(), "{extra:?}: a script was written");
    }
}
