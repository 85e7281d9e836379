//! Hostile and oversized input, end to end: no panic, no abort, bounded memory, a clear error.
//!
//! Memory is the child's peak resident set (VmHWM in /proc, read as it exits), asserted against
//! a bound: a limit the program must stay under, not a timing.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use atchat::input;

/// No input may make atchat use more than this.
const MEMORY_BOUND_KB: u64 = 100 * 1024;

fn atchat() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_atchat"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

struct Ran {
    /// The exit code, or minus the signal that killed it.
    code: i32,
    stdout: String,
    stderr: String,
    peak_kb: u64,
}

impl Ran {
    /// stderr with miette's line wrapping undone: words separated by single spaces.
    fn stderr_flat(&self) -> String {
        self.stderr.split_whitespace().filter(|w| *w != "│").collect::<Vec<_>>().join(" ")
    }

    #[track_caller]
    fn assert_clean_failure(&self, code: i32, what: &str) {
        assert_eq!(self.code, code, "{what}: {}", self.stderr);
        for crash in ["panicked", "stack overflow", "RUST_BACKTRACE"] {
            assert!(!self.stderr.contains(crash), "{what}: {}", self.stderr);
        }
        assert!(self.peak_kb < MEMORY_BOUND_KB, "{what}: {} kB", self.peak_kb);
    }
}

/// Runs `cmd` to the end with stdin empty and stdout/stderr in files.
#[track_caller]
fn run(cmd: &mut Command) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let err = dir.path().join("err");
    cmd.stdin(Stdio::null()).stdout(File::create(&out).unwrap()).stderr(File::create(&err).unwrap());
    let mut ran = run_with_peak(cmd);
    ran.stdout = std::fs::read_to_string(&out).unwrap_or_default();
    ran.stderr = String::from_utf8_lossy(&std::fs::read(&err).unwrap()).into_owned();
    ran
}

/// Spawns `cmd` (its stdio already set) and runs it to the end, reading its VmHWM from
/// /proc as it exits: the child is traced (`PTRACE_O_TRACEEXIT`) so that it stops with its
/// memory still mapped. (`wait4`'s peak is no use here: it counts the test process's own
/// memory, which the child shared until its `exec`.)
#[track_caller]
fn run_with_peak(cmd: &mut Command) -> Ran {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit and ptrace(PTRACE_TRACEME) are async-signal-safe; nothing else runs
    // before exec.
    unsafe {
        cmd.pre_exec(|| {
            // A regression must fail here, not take the shared machine's memory with it.
            let cap = libc::rlimit { rlim_cur: 2 << 30, rlim_max: 2 << 30 };
            if libc::setrlimit(libc::RLIMIT_AS, &cap) < 0 || libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn().expect("spawn atchat");
    let pid = child.id() as libc::pid_t;
    let mut peak_kb = None;
    let mut status = 0;
    let wait = |status: &mut i32| {
        // SAFETY: waits for our own (traced) child.
        let reaped = unsafe { libc::waitpid(pid, status, 0) };
        assert_eq!(reaped, pid, "waitpid: {}", std::io::Error::last_os_error());
    };
    // Stopped at its exec: ask to stop again at its exit.
    wait(&mut status);
    assert!(libc::WIFSTOPPED(status), "not stopped at exec: {status:#x}");
    let options = libc::PTRACE_O_TRACEEXIT | libc::PTRACE_O_EXITKILL;
    // SAFETY: ptrace requests on our stopped tracee.
    unsafe {
        assert_eq!(libc::ptrace(libc::PTRACE_SETOPTIONS, pid, 0, options), 0);
        libc::ptrace(libc::PTRACE_CONT, pid, 0, 0);
    }
    let code = loop {
        wait(&mut status);
        if libc::WIFEXITED(status) {
            break libc::WEXITSTATUS(status);
        }
        if libc::WIFSIGNALED(status) {
            break -libc::WTERMSIG(status);
        }
        let mut deliver = 0;
        if status >> 8 == libc::SIGTRAP | (libc::PTRACE_EVENT_EXIT << 8) {
            peak_kb = vm_hwm_kb(pid);
        } else {
            // A signal for the child: deliver it.
            deliver = libc::WSTOPSIG(status);
        }
        // SAFETY: continue our stopped tracee.
        unsafe { libc::ptrace(libc::PTRACE_CONT, pid, 0, deliver) };
    };
    drop(child);
    let peak_kb = peak_kb.expect("no VmHWM read at exit");
    Ran { code, stdout: String::new(), stderr: String::new(), peak_kb }
}

/// The peak resident set of `pid`, from /proc.
fn vm_hwm_kb(pid: libc::pid_t) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A file in a fresh folder.
fn file(name: &str, content: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    (dir, path)
}

/// `unit` repeated to fill `bytes` less the head and tail.
fn filled(head: &str, unit: &str, tail: &str, bytes: usize) -> String {
    let n = (bytes - head.len() - tail.len()) / unit.len();
    format!("{head}{}{tail}", unit.repeat(n))
}

// ------------------------------------------------------------------ diagnostics (issue 11.2)

#[test]
fn thirty_three_thousand_captures_on_one_line_check_in_little_memory() {
    let text = format!("on \"OK{}\" ignore\n", "{v}".repeat(33_000));
    let (_d, path) = file("caps.atc", text.as_bytes());
    let r = run(atchat().arg("check").arg(&path));
    r.assert_clean_failure(1, "check");
    assert!(r.stderr.contains("atchat::adjacent-captures"), "{}", &r.stderr[..500]);
    assert!(r.stderr.contains("32949 more errors are not shown"), "{}", r.stderr);
    assert!(r.stderr.len() < 100_000, "{} bytes of diagnostics", r.stderr.len());
}

/// The 20,000 lines are past the size limit for scripts now; as many as fit.
#[test]
fn thousands_of_errors_check_in_little_memory() {
    let (_d, path) = file("many.atc", "on timeout fail 3\n".repeat(7_000).as_bytes());
    let r = run(atchat().arg("check").arg(&path));
    r.assert_clean_failure(1, "check");
    assert!(r.stderr.contains("6950 more errors are not shown"), "{}", r.stderr);
    assert_eq!(r.stderr.matches("atchat::fail-code").count(), 50);
    // `run` reports the same way.
    let r = run(atchat().arg("run").arg(&path).args(["--port", "sim:hayes"]));
    r.assert_clean_failure(1, "run");
    assert!(r.stderr.contains("6950 more errors are not shown"), "{}", r.stderr);
}

// ------------------------------------------------------------------ nesting (issue 11.3)

/// Scripts nested past the depth that overflowed the stack (1,726 `if`s, 1,809 parentheses,
/// 9,335 `else if`), each within the size limit for scripts.
fn too_deep_scripts() -> Vec<(&'static str, String)> {
    let n = 10_000;
    vec![
        ("nested if", "if 1 == 1 {\n".repeat(5_000) + "say \"x\"\n" + &"}\n".repeat(5_000)),
        ("parentheses", format!("if {}1{} {{\n}}\n", "(".repeat(n), ")".repeat(n))),
        ("else if", "let a = 0\nif a {}".to_string() + &" else if a {}".repeat(9_400) + "\n"),
        ("calls", format!("proc f(x) {{\n    return x\n}}\nsay {}1{}\n", "f(".repeat(n), ")".repeat(n))),
        ("handler blocks", "on OK {\n".repeat(n) + &"}\n".repeat(n)),
    ]
}

#[test]
fn nesting_past_the_limit_is_an_error_in_check_compile_disasm_and_run() {
    for (shape, text) in too_deep_scripts() {
        let (dir, path) = file("deep.atc", text.as_bytes());
        let out = dir.path().join("deep.atcb");
        for args in [
            vec!["check"],
            vec!["disasm"],
            vec!["run", "--port", "sim:hayes"],
            vec!["compile", "-o", out.to_str().unwrap()],
        ] {
            let r = run(atchat().arg(args[0]).arg(&path).args(&args[1..]));
            let what = format!("{shape}, {}", args[0]);
            r.assert_clean_failure(1, &what);
            assert!(r.stderr.contains("atchat::too-deep"), "{what}: {}", r.stderr);
            assert!(r.stderr.contains("deep.atc:"), "{what}: {}", r.stderr);
        }
    }
}

#[test]
fn nesting_at_the_limit_runs_on_a_test_threads_small_stack() {
    // Test threads have 2 MB of stack, a quarter of the main thread's: the stages' stack use
    // at the limit must fit.
    let depth = atchat::syntax::nesting::MAX_NESTING;
    let text = "if 1 == 1 {\n".repeat(depth) + "say \"deep\"\n" + &"}\n".repeat(depth);
    let sources = atchat::syntax::Sources::from_text("deep.atc", &text, None);
    let errors = atchat::check::check(&sources, &Default::default());
    assert!(errors.is_empty(), "{errors:?}");
    let program = atchat::bytecode::compiler::compile(&sources).expect("compiles");
    let mut vm = atchat::vm::Machine::new(program, &Default::default()).unwrap();
    let mut port = atchat::port::sim::SimPort::open("hayes", atchat::port::sim::SimClock::Virtual).expect("sim");
    let mut transcript = atchat::driver::Transcript::capturing();
    let outcome = atchat::driver::run(&mut vm, &mut port, &mut transcript);
    assert_eq!(outcome.code, 0, "{outcome:?}");
    assert_eq!(transcript.capture.unwrap(), ["deep"]);
    // And one level more is the error, at the construct that crosses the limit.
    let text = "if 1 == 1 {\n".repeat(depth + 1) + &"}\n".repeat(depth + 1);
    let sources = atchat::syntax::Sources::from_text("deep.atc", &text, None);
    let errors = atchat::check::check(&sources, &Default::default());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind.code(), "atchat::too-deep");
    assert_eq!(errors[0].span.start, text.rfind('{').unwrap());
}

// ------------------------------------------------------------------ long lines (issue 11.5)

#[test]
fn an_error_past_column_65535_is_reported_without_a_panic() {
    let (_d, path) = file("p.atc", format!("{}junk\n", " ".repeat(65_536)).as_bytes());
    let r = run(atchat().arg("check").arg(&path));
    r.assert_clean_failure(1, "check");
    assert!(r.stderr.contains("p.atc:1:65537]"), "{}", r.stderr);
    assert!(r.stderr.contains("junk"), "{}", r.stderr);
    assert!(r.stderr.len() < 2_000, "{} bytes: the whole line was shown", r.stderr.len());
}

#[test]
fn a_long_line_with_control_bytes_is_shown_as_a_window_of_escapes() {
    let line = format!("say \"{}\u{1b}[2J\u{7}\" junk", "x".repeat(100_000));
    let (_d, path) = file("ctl.atc", format!("say 1\n{line}\nsay 2\n").as_bytes());
    let r = run(atchat().arg("check").arg(&path));
    r.assert_clean_failure(1, "check");
    assert!(r.stderr.contains("ctl.atc:2:100013]"), "{}", r.stderr);
    assert!(r.stderr.contains("\\e[2J\\x07\" junk"), "{}", r.stderr);
    assert!(!r.stderr.contains(['\u{1b}', '\u{7}']), "raw control bytes: {:?}", r.stderr);
    assert!(r.stderr.len() < 2_000, "{} bytes: the whole line was shown", r.stderr.len());
}

// ------------------------------------------------------------------ run time

/// Strings a script builds are bounded: doubling one in a recursion or a retry loop stops
/// with an error at 64 KiB instead of taking gigabytes.
#[test]
fn a_string_that_doubles_stops_at_the_limit() {
    let scripts = [
        ("recursion", "proc f(s) {\n    return f(\"{s}{s}\")\n}\nsay f(\"x\")\n"),
        ("retry", "let a = \"x\"\nretry 60 times {\n    let a = \"{a}{a}\"\n    fail\n}\n"),
    ];
    for (name, text) in scripts {
        let (_d, path) = file("grow.atc", text.as_bytes());
        let r = run(atchat().arg("run").arg(&path).args(["--port", "sim:hayes"]));
        r.assert_clean_failure(1, name);
        assert!(r.stderr.contains("a string longer than 64 KiB"), "{name}: {}", r.stderr);
    }
}

// ------------------------------------------------------------------ output (issue 11.6)

#[test]
fn a_full_stderr_or_stdout_is_an_io_error_not_a_panic() {
    let (_d, path) = file("say.atc", b"say \"hello\"\nsend \"AT\"\nexpect OK\n");
    let full = || File::options().write(true).open("/dev/full").unwrap();
    let r = run_with_peak(atchat().arg("run").arg(&path).args(["--port", "sim:hayes"]).stderr(full()));
    assert_eq!(r.code, 2, "run with `say` and stderr full");
    let r = run_with_peak(atchat().arg("run").arg(&path).args(["--port", "sim:hayes", "-v"]).stderr(full()));
    assert_eq!(r.code, 2, "run -v with stderr full");
    let (_e, err) = file("err", b"");
    let r = run_with_peak(atchat().arg("disasm").arg(&path).stdout(full()).stderr(File::create(&err).unwrap()));
    assert_eq!(r.code, 2, "disasm to a full stdout");
    let stderr = std::fs::read_to_string(&err).unwrap();
    assert!(stderr.contains("cannot write to standard output"), "{stderr}");
    let (_c, chat) = file("s.chat", b"'' AT OK ATDT5551234 CONNECT\n");
    let r = run_with_peak(atchat().arg("import").arg(&chat).stdout(full()).stderr(Stdio::null()));
    assert_eq!(r.code, 2, "import to a full stdout");
    // Errors to a full stderr: the exit code still says what happened.
    let (_b, bad) = file("bad.atc", b"sya 1\n");
    let r = run_with_peak(atchat().arg("check").arg(&bad).stderr(full()));
    assert_eq!(r.code, 1, "check with stderr full");
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let (_d, path) = file("says.atc", "say \"hello\"\n".repeat(5_000).as_bytes());
    let dir = tempfile::tempdir().unwrap();
    let err = dir.path().join("err");
    let mut child =
        atchat().arg("disasm").arg(&path).stdout(Stdio::piped()).stderr(File::create(&err).unwrap()).spawn().unwrap();
    let mut first = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe's read end is closed here, as `| head -c 100` does.
    let status = child.wait().unwrap();
    let stderr = std::fs::read_to_string(&err).unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

// ------------------------------------------------------------------ input size (issue 11.7)

#[test]
fn endless_inputs_stop_at_their_limit_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let atcb = dir.path().join("zero.atcb");
    std::os::unix::fs::symlink("/dev/zero", &atcb).unwrap();
    let zero = Path::new("/dev/zero");
    let cases: Vec<(Vec<&std::ffi::OsStr>, i32, String)> = vec![
        (vec!["check".as_ref(), zero.as_ref()], 1, limit_text(input::SCRIPT)),
        (vec!["run".as_ref(), zero.as_ref(), "--port".as_ref(), "sim:hayes".as_ref()], 1, limit_text(input::SCRIPT)),
        (vec!["disasm".as_ref(), atcb.as_ref()], 1, limit_text(input::PROGRAM)),
        (vec!["run".as_ref(), atcb.as_ref(), "--port".as_ref(), "sim:hayes".as_ref()], 1, limit_text(input::PROGRAM)),
        (vec!["import".as_ref(), zero.as_ref()], 1, limit_text(input::CHAT_SCRIPT)),
    ];
    for (args, code, limit) in cases {
        let r = run(atchat().args(&args));
        let what = format!("{args:?}");
        r.assert_clean_failure(code, &what);
        assert!(r.stderr_flat().contains(&limit), "{what}: {}", r.stderr);
        let named = args.iter().skip(1).any(|a| r.stderr.contains(&*a.to_string_lossy()));
        assert!(named, "{what}: the file is not named in {}", r.stderr);
    }
    let (_d, script) = file("s.atc", b"send \"AT\"\nexpect OK\n");
    let r = run(atchat().arg("run").arg(&script).args(["--port", "sim:hayes?scenario=/dev/zero"]));
    r.assert_clean_failure(2, "scenario");
    assert!(r.stderr.contains("`/dev/zero`"), "{}", r.stderr);
    assert!(r.stderr_flat().contains(&limit_text(input::SCENARIO)), "{}", r.stderr);
}

fn limit_text(limit: input::Limit) -> String {
    format!("larger than {}, the limit for {}", limit.size_text(), limit.what)
}

#[test]
fn modules_share_the_scripts_limit() {
    let dir = tempfile::tempdir().unwrap();
    let half = filled("proc f() {\n", "    say 1\n", "}\n", input::SCRIPT.bytes / 2);
    std::fs::write(dir.path().join("a.atc"), &half).unwrap();
    std::fs::write(dir.path().join("b.atc"), half.replace("proc f", "proc g")).unwrap();
    let main = dir.path().join("main.atc");
    std::fs::write(&main, "use a\nuse b\na.f()\nb.g()\n").unwrap();
    let r = run(atchat().arg("check").arg(&main));
    r.assert_clean_failure(1, "check");
    assert!(r.stderr.contains("atchat::unreadable-module"), "{}", r.stderr);
    let flat = r.stderr_flat();
    assert!(flat.contains("b.atc` would make the script and its modules larger than"), "{flat}");
    // One of them alone fits.
    std::fs::write(&main, "use a\na.f()\n").unwrap();
    let r = run(atchat().arg("check").arg(&main));
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// The largest scripts of the statements that cost the most memory per byte: checked,
/// compiled, disassembled and decoded again within the memory bound.
#[test]
fn the_largest_scripts_stay_within_the_memory_bound() {
    let limit = input::SCRIPT.bytes;
    let scripts = [
        ("hangups", filled("", "hangup;", "\n", limit)),
        ("calls", filled("proc f(a,b,c,d,e,g,h,i,j,k) {\n}\n", "f(1,2,3,4,5,6,7,8,9,0)\n", "", limit)),
        ("ifs", filled("", "if 1 {\n}\n", "", limit)),
        ("says", filled("", "say 1\n", "", limit)),
        ("captures", filled("on \"OK", "x{a}", "\" ignore\n", limit)),
    ];
    for (name, text) in scripts {
        assert!(text.len() <= limit);
        let (dir, path) = file("big.atc", text.as_bytes());
        let atcb = dir.path().join("big.atcb");
        for args in [vec!["check"], vec!["disasm"], vec!["compile", "-o", atcb.to_str().unwrap()]] {
            let r = run(atchat().arg(args[0]).arg(&path).args(&args[1..]));
            let what = format!("{name}: {}", args[0]);
            assert_eq!(r.code, 0, "{what}: {}", r.stderr);
            assert!(r.peak_kb < MEMORY_BOUND_KB, "{what}: {} kB", r.peak_kb);
        }
        let r = run(atchat().arg("disasm").arg(&atcb));
        assert_eq!(r.code, 0, "{name}: the compiled form does not decode: {}", r.stderr);
        assert!(r.peak_kb < MEMORY_BOUND_KB, "{name}: disasm of .atcb: {} kB", r.peak_kb);
    }
    // Running: 21,000 `say`s on the simulator.
    let (_d, path) = file("says.atc", filled("", "say 1\n", "", limit).as_bytes());
    let r = run(atchat().arg("run").arg(&path).args(["--port", "sim:hayes"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.peak_kb < MEMORY_BOUND_KB, "run: {} kB", r.peak_kb);
}

/// A compiled program with as many instructions as a file may declare.
#[test]
fn the_largest_program_file_decodes_within_the_memory_bound() {
    use atchat::bytecode::{encoding, Op, Program};
    // The sections' own item counts are items too.
    let program = Program { code: vec![Op::Halt; encoding::MAX_ITEMS - 12], ..Program::default() };
    let bytes = encoding::encode(&program);
    assert!(bytes.len() <= encoding::MAX_FILE_SIZE, "{} bytes", bytes.len());
    let (_d, path) = file("big.atcb", &bytes);
    let r = run(atchat().arg("disasm").arg(&path));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.peak_kb < MEMORY_BOUND_KB, "disasm: {} kB", r.peak_kb);
}

// ------------------------------------------------------------------ the invariant

/// Every file read as input goes through `src/input.rs` and its limits (ARCHITECTURE.md).
/// Reads elsewhere are listed here with the reason they are bounded.
#[test]
fn files_are_read_only_through_input_rs() {
    const ALLOWED: &[(&str, &str)] = &[
        ("src/input.rs", "the one reader, with a limit"),
        ("src/chat/compile.rs", "chat's @file, read through `take(1023)` as chat reads it"),
        ("src/port/lock.rs", "UUCP lock files and /proc/PID/comm: system files of a few bytes"),
        ("src/port/info.rs", "sysfs attributes, read through `take(MAX_ATTRIBUTE)`"),
        ("src/port/sim.rs", "a modem profile file, read through `take(MAX_PROFILE_BYTES + 1)` and refused past it"),
        ("src/port/replay.rs", "a recorded transcript, read through `take(MAX_FILE + 1)` and refused past it"),
    ];
    let mut found = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap().display().to_string();
            if ALLOWED.iter().any(|(f, _)| *f == rel) || !path.extension().is_some_and(|e| e == "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                let reads = ["fs::read(", "fs::read_to_string(", "read_to_end(", ".read_to_string("];
                if reads.iter().any(|r| line.contains(r)) && !line.contains("input::read") {
                    found.push(format!("{rel}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "files read without a limit:\n{}", found.join("\n"));
}

/// `input::read` at a small limit: up to it the file is read whole, one byte past it is the
/// limit's error; an endless file stops at the limit; text must be UTF-8.
#[test]
fn input_reads_up_to_the_limit_and_no_further() {
    const TINY: input::Limit = input::Limit { what: "tests", bytes: 4 };
    let (dir, path) = file("f", b"abcd");
    assert_eq!(input::read(&path, TINY).unwrap(), b"abcd");
    std::fs::write(&path, "abcde").unwrap();
    let e = input::read(&path, TINY).unwrap_err();
    assert_eq!(e.to_string(), "larger than 4 bytes, the limit for tests");
    assert!(input::is_too_large(&e));

    let e = input::read(Path::new("/dev/zero"), input::SCRIPT).unwrap_err();
    assert_eq!(e.to_string(), "larger than 128 KiB, the limit for a script and its modules");
    assert!(input::is_too_large(&e));

    std::fs::write(&path, b"\xff").unwrap();
    let e = input::read_to_string(&path, TINY).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    assert!(!input::is_too_large(&e));
    drop(dir);
}

/// The `command` statement obeys the same limits: arms whose actions nest further `command`s
/// stop at the nesting limit, in `check` and `run`; a command line built by doubling a string
/// stops at the string limit, at the command's line.
#[test]
fn a_command_obeys_the_nesting_and_string_limits() {
    let n = 3_000;
    let text = "command \"AT\" expect {\n    OK => {\n".repeat(n) + "say \"deep\"\n" + &"}\n}\n".repeat(n);
    let (_d, path) = file("deep.atc", text.as_bytes());
    for args in [vec!["check"], vec!["run", "--port", "sim:hayes"]] {
        let r = run(atchat().arg(args[0]).arg(&path).args(&args[1..]));
        r.assert_clean_failure(1, &format!("nested commands, {}", args[0]));
        assert!(r.stderr.contains("atchat::too-deep"), "{}", r.stderr);
        // Level 101 is the arms' `{` of the 51st command, on line 101.
        assert!(r.stderr.contains("deep.atc:101:"), "{}", r.stderr);
    }

    let text = "let a = \"x\"\nretry 60 times {\n    command \"AT{a}{a}\" expect {\n        OK => ignore\n        ERROR => ignore\n    }\n    let a = \"{a}{a}\"\n    fail\n}\n";
    let (_d, path) = file("grow.atc", text.as_bytes());
    let r = run(atchat().arg("run").arg(&path).args(["--port", "sim:hayes"]));
    r.assert_clean_failure(1, "a doubling command line");
    assert!(r.stderr.contains("grow.atc:3: a string longer than 64 KiB"), "{}", r.stderr);
}
