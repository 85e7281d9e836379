//! Promises of docs/security.md that no other layer's tests hold: code that loops without a
//! wait still stops on a signal, and atchat starts no other program.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use atchat::bytecode::{encoding, Op, Program};

/// Starts `atchat run FILE --port sim:hayes`, sends SIGTERM after half a second, and returns
/// the exit code and how long the process took to go after the signal.
fn run_then_terminate(file: &Path) -> (Option<i32>, Duration) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_atchat"))
        .args(["run", &file.to_string_lossy(), "--port", "sim:hayes"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start atchat");
    // Once the handler is in place (under load, starting may take longer than any fixed
    // sleep), and then a moment for the loop to be under way.
    crate::support::cli::wait_until_catching(child.id(), libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(100));
    assert!(child.try_wait().unwrap().is_none(), "{} ended before the signal", file.display());
    // SAFETY: a signal to our own child, whose pid is still ours to signal (not yet reaped).
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let sent = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code(), sent.elapsed());
        }
        if sent.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{} ignored SIGTERM for 10 s", file.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Found by reading the VM while writing the bytecode fuzzer: a verified `.atcb` whose code
/// jumps to itself kept the driver from ever seeing a signal (only SIGKILL stopped it).
#[test]
fn a_program_that_jumps_to_itself_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("loop.atcb");
    let program = Program { code: vec![Op::Jump(0)], ..Program::default() };
    let bytes = encoding::encode(&program);
    assert!(encoding::decode(&bytes).is_ok(), "the verifier accepts an endless loop; this test needs one");
    std::fs::write(&file, bytes).unwrap();
    let (code, after) = run_then_terminate(&file);
    assert_eq!(code, Some(2));
    assert!(after < Duration::from_secs(2), "took {after:?} to stop");
}

/// The same from a script that checks clean: 255⁴ attempts that fail at once, none waiting.
#[test]
fn nested_retries_that_never_wait_stop_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nested.atc");
    let mut script = String::new();
    for depth in 0..4 {
        script += &format!("{}retry 255 times {{\n", "    ".repeat(depth));
    }
    script += &format!("{}fail\n", "    ".repeat(4));
    for depth in (0..4).rev() {
        script += &format!("{}}}\n", "    ".repeat(depth));
    }
    std::fs::write(&file, script).unwrap();
    let (code, after) = run_then_terminate(&file);
    assert_eq!(code, Some(2));
    assert!(after < Duration::from_secs(2), "took {after:?} to stop");
}

/// No shell-out: nothing under src/ starts a process, but the lock tests (which need a
/// process that is alive, then one that is gone).
#[test]
fn no_code_starts_a_process() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut dirs = vec![root.clone()];
    let mut found = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Tests sit at the end of a file, after `#[cfg(test)]`.
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for needle in ["Command::new", "libc::exec", "libc::system", "libc::popen", "libc::fork", "posix_spawn"] {
                if code.contains(needle) {
                    found.push(format!("{}: {needle}", path.strip_prefix(&root).unwrap().display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "code that starts a process: {found:?}");
}
