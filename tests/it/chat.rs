//! chat(8) conformance: every case under `tests/data/chat/` and every corpus script runs
//! under the real chat (Debian's `ppp`, `/usr/sbin/chat`) and under `atchat chat`, each on
//! its own pty against the same scripted modem. Exit code, every byte written to the modem,
//! stderr and the report file must be the same.
//!
//! A case file (`*.case`):
//!
//! ```text
//! # What rule of chat8.md this checks.
//! args: -t 1 -f script.chat          (shell-like words; '...' and "..." quote)
//! env: NAME=value                     (any number)
//! stdin: null                         (stdin is not a tty)
//! report: rep.txt                     (compare this file too)
//! script-file: corpus/x.chat          (use a file from tests/data/chat as script.chat)
//! write: msg.txt "AT\d\n"             (another file in the run's directory)
//! modem: "AT\r" => "\r\nOK\r\n"       (reply when what was received ends with the trigger)
//! modem: "ATD" => "\r\nCONNECT\r\n" after 0.3
//! modem: "ATD" =>* "\r\nCONNECT\r\n"   (=>*: on a whole line containing the trigger)
//! modem: at 0.2 "RING\r\n"            (send at a time)  · modem: at 1 close · at 1 signal TERM
//! modem: xonxoff                      (the tty obeys XOFF/XON from the modem, IXON)
//! script:
//! ...lines of script.chat to the end of the file...
//! ```

mod peer;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use peer::{Modem, Rule, Run, Timed};

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
    let body = s
        .strip_prefix('"')
        .ok_or_else(|| format!("expected a quoted string at `{s}`"))?;
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
                    out.push(
                        u8::from_str_radix(&hex, 16).map_err(|e| format!("bad \\x{hex}: {e}"))?,
                    );
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
            (Some(_), c) => cur
                .get_or_insert_with(Vec::new)
                .extend_from_slice(c.to_string().as_bytes()),
            (None, '\'' | '"') => {
                quote = Some(c);
                cur.get_or_insert_with(Vec::new);
            }
            (None, ' ' | '\t') => out.extend(cur.take()),
            (None, c) => cur
                .get_or_insert_with(Vec::new)
                .extend_from_slice(c.to_string().as_bytes()),
        }
    }
    out.extend(cur);
    out
}

fn seconds(s: &str) -> Result<Duration, String> {
    s.trim()
        .parse::<f64>()
        .map(Duration::from_secs_f64)
        .map_err(|e| format!("bad time `{s}`: {e}"))
}

fn parse_modem(line: &str, modem: &mut Modem) -> Result<(), String> {
    let line = line.trim();
    if line == "xonxoff" {
        modem.xonxoff = true;
        return Ok(());
    }
    if let Some(rest) = line.strip_prefix("at ") {
        let (time, action) = rest
            .trim()
            .split_once(' ')
            .ok_or("`at` needs a time and an action")?;
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
    let rest = rest
        .trim_start()
        .strip_prefix("=>")
        .ok_or("expected `=>`")?;
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
    modem.rules.push(Rule {
        trigger,
        reply,
        delay,
        line,
    });
    Ok(())
}

fn parse_case(name: &str, text: &str) -> Result<Case, String> {
    let mut case = Case {
        name: name.to_string(),
        tty: true,
        ..Case::default()
    };
    let mut lines = text.split_inclusive('\n');
    while let Some(line) = lines.next() {
        let l = line.trim_end_matches(['\n', '\r']);
        if l.starts_with('#') || l.trim().is_empty() {
            continue;
        }
        let (key, value) = l.split_once(':').ok_or_else(|| format!("bad line `{l}`"))?;
        match key.trim() {
            "args" => case.args = words(value),
            "env" => {
                let (k, v) = value.trim().split_once('=').ok_or("env needs NAME=value")?;
                case.env.push((k.to_string(), v.to_string()));
            }
            "stdin" if value.trim() == "null" => case.tty = false,
            "report" => case.report = Some(value.trim().to_string()),
            "script-file" => {
                let path = data_dir().join(value.trim());
                case.script =
                    Some(std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?);
            }
            "modem" => parse_modem(value, &mut case.modem)?,
            "write" => {
                let (file, content) = value
                    .trim()
                    .split_once(' ')
                    .ok_or("write needs NAME \"content\"")?;
                case.files.push((file.to_string(), quoted(content)?.0));
            }
            "script" => {
                case.script = Some(lines.collect::<String>().into_bytes());
                break;
            }
            other => return Err(format!("unknown key `{other}`")),
        }
    }
    Ok(case)
}

/// What may differ between two runs: the date in report lines, the program name in the
/// usage text.
fn normalize(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        // A report line starts a line, or follows a SAY (which ends in CR, not LF).
        if let Some(at) = line
            .match_indices("chat:  ")
            .map(|(at, _)| at)
            .find(|&at| at == 0 || line[..at].ends_with('\r'))
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
    let Run {
        code,
        written,
        stderr,
    } = peer::run(
        program,
        &args,
        dir.path(),
        &case.env,
        &case.modem,
        case.tty,
        LIMIT,
    );
    let report = case
        .report
        .as_ref()
        .map(|r| normalize(&std::fs::read(dir.path().join(r)).unwrap_or_default()));
    Observed {
        code,
        written: format!("{:?}", String::from_utf8_lossy(&written)),
        stderr: normalize(&stderr),
        report,
    }
}

/// Runs the cases on threads (most of their time is spent waiting) and returns failures.
fn check_cases(cases: Vec<Case>, extra: &[&str]) -> Vec<String> {
    assert!(
        Path::new(REAL_CHAT).exists(),
        "the real chat(8) is needed: apt-get install ppp (.ci/test does)"
    );
    let atchat = PathBuf::from(env!("CARGO_BIN_EXE_atchat"));
    let failures = Mutex::new(Vec::new());
    let queue = Mutex::new(cases);
    let workers = std::thread::available_parallelism()
        .map_or(4, |n| n.get())
        .max(4)
        * 2;
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let Some(case) = queue.lock().unwrap().pop() else {
                    break;
                };
                let started = Instant::now();
                let (real, ours) = std::thread::scope(|s| {
                    let real = s.spawn(|| run_one(&case, Path::new(REAL_CHAT), &[]));
                    let mut prefix = vec!["chat"];
                    prefix.extend_from_slice(extra);
                    let ours = run_one(&case, &atchat, &prefix);
                    (real.join().expect("real chat run"), ours)
                });
                if started.elapsed() > Duration::from_secs(5) {
                    eprintln!(
                        "slow chat case: {} took {:.1}s",
                        case.name,
                        started.elapsed().as_secs_f64()
                    );
                }
                if real != ours {
                    failures.lock().unwrap().push(format!(
                        "{}:\n  chat(8): {real:?}\n  atchat:  {ours:?}",
                        case.name
                    ));
                }
            });
        }
    });
    failures.into_inner().unwrap()
}

fn load_cases(dir: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("case dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "case"))
    {
        let name = path
            .strip_prefix(data_dir())
            .unwrap_or(&path)
            .display()
            .to_string();
        let text = std::fs::read_to_string(&path).expect("read case");
        cases.push(parse_case(&name, &text).unwrap_or_else(|e| panic!("{name}: {e}")));
    }
    cases
}

#[test]
fn every_rule_agrees_with_real_chat() {
    let start = Instant::now();
    let cases = load_cases(&data_dir());
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let failures = check_cases(cases, &["--no-pace"]);
    assert!(
        failures.is_empty(),
        "{} case(s) differ from chat(8):\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("chat cases took {:.1}s", start.elapsed().as_secs_f64());
}

/// Every `*.chat` script in `dir` (under tests/data/chat) has a case there, and every case
/// there agrees with the real chat, paced as chat paces.
fn check_script_dir(dir: &str) {
    let cases = load_cases(&data_dir().join(dir));
    let scripts: Vec<String> = std::fs::read_dir(data_dir().join(dir))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "chat"))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    for script in &scripts {
        let script = data_dir().join(dir).join(script);
        let text = std::fs::read(&script).unwrap();
        assert!(
            cases.iter().any(|c| c.script.as_deref() == Some(&text[..])),
            "{} has no case",
            script.display()
        );
    }
    let failures = check_cases(cases, &[]);
    assert!(
        failures.is_empty(),
        "{} {dir} case(s) differ from chat(8):\n{}",
        failures.len(),
        failures.join("\n")
    );
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
    let case = parse_case(
        "symlink",
        "args: -t 1 '' AT OK ''\nmodem: \"AT\\r\" => \"OK\\r\\n\"\n",
    )
    .unwrap();
    let run = peer::run(&link, &case.args, dir.path(), &[], &case.modem, true, LIMIT);
    assert_eq!(
        (run.code, run.written.as_slice()),
        (Some(0), &b"AT\r\r"[..])
    );
    let bad = peer::run(
        &link,
        &[b"-x".to_vec()],
        dir.path(),
        &[],
        &Modem::default(),
        true,
        LIMIT,
    );
    assert_eq!(bad.code, Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr).starts_with("Usage: "),
        "{:?}",
        bad.stderr
    );
}

#[test]
fn pacing_is_ten_milliseconds_a_byte_unless_no_pace() {
    let dir = tempfile::tempdir().unwrap();
    let atchat = PathBuf::from(env!("CARGO_BIN_EXE_atchat"));
    let args = |extra: &[&str]| {
        let mut a: Vec<Vec<u8>> = vec![b"chat".to_vec()];
        a.extend(extra.iter().map(|s| s.as_bytes().to_vec()));
        a.extend([
            b"".to_vec(),
            b"0123456789012345678901234567890123456789\\c".to_vec(),
        ]);
        a
    };
    let t = Instant::now();
    let paced = peer::run(
        &atchat,
        &args(&[]),
        dir.path(),
        &[],
        &Modem::default(),
        true,
        LIMIT,
    );
    let paced_time = t.elapsed();
    let t = Instant::now();
    let fast = peer::run(
        &atchat,
        &args(&["--no-pace"]),
        dir.path(),
        &[],
        &Modem::default(),
        true,
        LIMIT,
    );
    let fast_time = t.elapsed();
    assert_eq!(paced.written, fast.written);
    assert!(
        paced_time >= Duration::from_millis(400),
        "40 bytes took {paced_time:?}"
    );
    assert!(
        fast_time < paced_time,
        "--no-pace took {fast_time:?}, paced {paced_time:?}"
    );
}

/// The native script `atchat import` writes for a corpus case, run with `atchat run --port -`
/// against the same modem: (exit code, bytes written).
fn run_imported(case: &Case) -> (Option<i32>, String) {
    let atchat = PathBuf::from(env!("CARGO_BIN_EXE_atchat"));
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("script.chat");
    std::fs::write(&script, case.script.as_deref().unwrap_or_default()).expect("write script");
    let uses_env = case
        .args
        .iter()
        .any(|a| a.starts_with(b"-") && !a.starts_with(b"--") && a.contains(&b'E'));
    let mut import = std::process::Command::new(&atchat);
    import
        .arg("import")
        .arg(&script)
        .arg("-o")
        .arg(dir.path().join("script.atc"));
    if uses_env {
        import.arg("-E");
    }
    if let Some(i) = case.args.iter().position(|a| a == b"-t") {
        import
            .arg("-t")
            .arg(String::from_utf8_lossy(&case.args[i + 1]).into_owned());
    }
    let status = import.status().expect("run atchat import");
    assert!(status.success(), "{}: atchat import failed", case.name);
    let mut env: Vec<(String, String)> = vec![("ATCHAT_at_file1".into(), "x".into())];
    for (name, value) in &case.env {
        env.push((
            format!("ATCHAT_{}", atchat::chat::import::env_param(name)),
            value.clone(),
        ));
    }
    if let Some(i) = case.args.iter().position(|a| a == b"-T") {
        env.push((
            "ATCHAT_phone".into(),
            String::from_utf8_lossy(&case.args[i + 1]).into_owned(),
        ));
    }
    let args: Vec<Vec<u8>> = ["run", "script.atc", "--port", "-"]
        .iter()
        .map(|a| a.as_bytes().to_vec())
        .collect();
    let run = peer::run(&atchat, &args, dir.path(), &env, &case.modem, true, LIMIT);
    (
        run.code,
        format!("{:?}", String::from_utf8_lossy(&run.written)),
    )
}

fn check_imported(dir: &str) {
    let cases = load_cases(&data_dir().join(dir));
    assert!(!cases.is_empty());
    check_imported_cases(cases);
}

fn check_imported_cases(cases: Vec<Case>) {
    let failures = Mutex::new(Vec::new());
    let queue = Mutex::new(cases);
    std::thread::scope(|s| {
        for _ in 0..16 {
            s.spawn(|| loop {
                let Some(case) = queue.lock().unwrap().pop() else {
                    break;
                };
                let (real, ours) = std::thread::scope(|s| {
                    let real = s.spawn(|| run_one(&case, Path::new(REAL_CHAT), &[]));
                    let ours = run_imported(&case);
                    (real.join().expect("real chat run"), ours)
                });
                if (real.code, &real.written) != (ours.0, &ours.1) {
                    failures.lock().unwrap().push(format!(
                        "{}:\n  chat(8): {:?} {}\n  import:  {:?} {}",
                        case.name, real.code, real.written, ours.0, ours.1
                    ));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} imported script(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
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
    let dir = tempfile::tempdir().unwrap();
    let atchat = PathBuf::from(env!("CARGO_BIN_EXE_atchat"));
    std::fs::write(dir.path().join("s.chat"), "'' AT OK ATDT\n").unwrap();
    let status = std::process::Command::new(&atchat)
        .args(["import", "s.chat", "-t", "1", "-o", "s.atc"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(dir.path().join("s.atc")).unwrap();
    assert!(text.contains("timeout 1s"), "{text}");
    let args: Vec<Vec<u8>> = ["run", "s.atc", "--port", "-"]
        .iter()
        .map(|a| a.as_bytes().to_vec())
        .collect();
    let started = Instant::now();
    let run = peer::run(
        &atchat,
        &args,
        dir.path(),
        &[],
        &Modem::default(),
        true,
        LIMIT,
    );
    assert_eq!((run.code, run.written.as_slice()), (Some(3), &b"AT\r"[..]));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// Where chat gives up on its own limits, the imported script gives up at the same point with
/// the same code; a TIMEOUT that goes through C's atoi means what it means to chat.
#[test]
fn imported_scripts_keep_chats_limits() {
    let names = ["abort-51", "abort-300", "report-51", "timeout-wraps-like-c"];
    let cases: Vec<Case> = load_cases(&data_dir())
        .into_iter()
        .filter(|c| names.iter().any(|n| c.name == format!("{n}.case")))
        .collect();
    assert_eq!(cases.len(), names.len());
    // `atchat run` checks the imported script first: one that does not check exits 1.
    check_imported_cases(cases);
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
