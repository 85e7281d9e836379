//! `atchat repl` in a real terminal emulator: tmux runs it in a detached 120x40 window, the
//! test types with `send-keys` and reads the window with `capture-pane`, polling until what
//! it waits for shows up or a deadline passes. Each test has its own tmux server (`-L`), so
//! tests run in parallel without seeing each other.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const ATCHAT: &str = env!("CARGO_BIN_EXE_atchat");
/// Generous: the machine may be busy with other builds; a pass takes well under a second.
const LONG: Duration = Duration::from_secs(20);

static SERVERS: AtomicUsize = AtomicUsize::new(0);

/// One tmux server running `atchat` in its only window.
struct Tmux {
    socket: String,
    dir: tempfile::TempDir,
}

impl Tmux {
    /// Starts `atchat ARGS` in a new detached tmux server, in a fresh folder (also its
    /// history's), and waits for the first prompt.
    #[track_caller]
    fn repl(args: &[&str]) -> Tmux {
        let dir = tempfile::tempdir().expect("tempdir");
        Tmux::start_in(dir, args)
    }

    #[track_caller]
    fn start_in(dir: tempfile::TempDir, args: &[&str]) -> Tmux {
        let socket = format!("atchat-it-{}-{}", std::process::id(), SERVERS.fetch_add(1, Ordering::SeqCst));
        let mut command = format!("env XDG_STATE_HOME={} NO_COLOR=1 {ATCHAT}", shell_word(dir.path()));
        for a in args {
            command.push(' ');
            command.push_str(&shell_word(Path::new(a)));
        }
        let t = Tmux { socket, dir };
        let out = t.tmux(&[
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
            "-c",
            &t.dir.path().display().to_string(),
            &command,
        ]);
        assert!(out.status.success(), "tmux did not start: {out:?}");
        // A window that closes when atchat exits would take its screen with it.
        t.tmux(&["set-option", "-g", "remain-on-exit", "on"]);
        t.tmux(&["set-option", "-g", "history-limit", "5000"]);
        t.wait_for("atchat> ");
        t
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().expect("run tmux")
    }

    /// Types `text` as it is (no key names).
    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-l", text]);
    }

    /// Presses keys by tmux's names: `Enter`, `Tab`, `C-t`, `C-c`.
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Types a line and Enter.
    fn line(&self, text: &str) {
        self.type_text(text);
        self.keys(&["Enter"]);
    }

    /// The whole window and its scrollback, lines joined where they wrapped.
    fn screen(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-J", "-S", "-"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until `want` is on the screen `n` times; returns the screen.
    #[track_caller]
    fn wait_n(&self, want: &str, n: usize) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.matches(want).count() >= n {
                return screen;
            }
            assert!(start.elapsed() < LONG, "{want:?} did not show up {n} time(s); the screen shows:\n{screen}");
            // Polling, not timing: the deadline above is what bounds the wait.
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    #[track_caller]
    fn wait_for(&self, want: &str) -> String {
        self.wait_n(want, 1)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

fn shell_word(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

/// The lines of `screen` after the last line containing `marker`.
fn after<'a>(screen: &'a str, marker: &str) -> &'a str {
    screen.rfind(marker).map_or(screen, |i| &screen[i..])
}

#[test]
fn keys_typed_while_a_command_runs_are_kept() {
    let t = Tmux::repl(&["repl", "--port", "sim:hayes"]);
    // The reproducer: both lines at once, the second typed while the first runs.
    t.line("send \"AT\"");
    t.line("say \"next\"");
    t.wait_for("! next");
    // And while a longer wait runs: the keys arrive during the sleep, and run after it.
    t.line("sleep 1s");
    t.line("say \"after the sleep\"");
    t.line("ATI3");
    let screen = t.wait_n("final OK", 2);
    let said = screen.find("! after the sleep").expect("the typed-ahead line ran");
    let ati = screen.rfind("> ATI3").expect("the second typed-ahead line ran");
    assert!(said < ati, "out of order:\n{screen}");
}

#[test]
fn a_block_continues_at_its_own_prompt_and_errors_point_at_what_was_typed() {
    let t = Tmux::repl(&["repl", "--port", "sim:hayes"]);
    // Some entries first, so that the session's script is longer than the entry.
    t.line("let a = \"1\"");
    t.line("send \"AT\"");
    t.line("expect OK");
    t.line("on RING {");
    t.wait_for("   ...> ");
    t.line("say \"{nope}\"");
    t.wait_n("   ...> ", 2);
    t.line("}");
    let screen = t.wait_for("unknown name `nope`");
    let shown = after(&screen, "unknown name");
    assert!(shown.contains("[<input>:2:7]"), "{shown}");
    assert!(shown.contains(" 1 │ on RING {") && shown.contains(" 2 │ say"), "{shown}");
    // A failure at run time names the line of the entry too.
    t.line("retry 1 times {");
    t.line("  expect BUSY within 50ms");
    t.line("}");
    let screen = t.wait_for("waiting for BUSY");
    assert!(after(&screen, "retry 1 times").contains("<input>:2: timed out after 50ms"), "{screen}");
    // Ctrl-C inside a block drops the block and comes back to the first prompt.
    t.line("if a == \"1\" {");
    let prompts = t.wait_n("   ...> ", 5).matches("atchat> ").count();
    t.keys(&["C-c"]);
    // The first prompt again before typing on: keys that arrive in the same read as the
    // Ctrl-C are dropped with the line (rustyline discards its read-ahead when a line is
    // interrupted; seen under load), as docs/repl.md says.
    t.wait_n("atchat> ", prompts + 1);
    t.line("say \"a is {a}\"");
    t.wait_for("! a is 1");
}

#[test]
fn after_connect_the_terminal_mode_talks_to_the_far_end() {
    let t = Tmux::repl(&["repl", "--port", "sim:hayes"]);
    t.line("ATDT5551234");
    t.wait_for("inter CONNECT");
    t.line(":term");
    t.wait_for("Ctrl-T q returns to the prompt");
    // The simulated far end is a loopback: what is typed comes back, nothing echoes it
    // locally. Ctrl-C is a byte for the far end, not a stop.
    t.type_text("hello far end");
    t.wait_for("hello far end");
    t.keys(&["C-c"]);
    t.keys(&["C-t", "?"]);
    t.wait_for("Ctrl-T q  back to the prompt");
    t.keys(&["C-t", "q"]);
    t.wait_for("back at the prompt");
    t.wait_n("atchat> ", 3);
    // Still online: the escape brings the modem back to command state, its OK final.
    t.line("+++");
    let screen = t.wait_for("final OK");
    assert!(!screen.contains("urc   OK"), "{screen}");
    t.line("ATH");
    t.wait_n("final OK", 2);
    t.line(":save call.atc");
    t.wait_for("saved");
    let script = std::fs::read_to_string(t.path("call.atc")).expect("saved file");
    assert!(script.contains("\nescape\n"), "{script}");
    let check = Command::new(ATCHAT).args(["check"]).arg(t.path("call.atc")).output().expect("check");
    assert!(check.status.success(), "{script}\n{check:?}");
}

#[test]
fn unsolicited_codes_show_as_sent_and_handlers_fire_when_they_arrive() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("sms.scenario"), "incoming-sms at 3s from \"+15551234\" \"hello\"\n")
        .expect("scenario");
    let spec = format!("sim:gsm?scenario={}", dir.path().join("sms.scenario").display());
    let t = Tmux::start_in(dir, &["repl", "--port", &spec]);
    t.line("AT+CNMI=2,1,0,0,0");
    t.wait_for("final OK");
    // Declared before the message arrives; nothing is typed after it.
    t.line("on +CMTI {");
    t.line("  say \"new message\"");
    t.line("}");
    let screen = t.wait_for("! new message");
    assert!(screen.contains("urc   +CMTI: \"SM\","), "{screen}");
    assert!(!screen.contains("\\\""), "{screen}");
}

#[test]
fn a_ring_handler_fires_with_the_ring_not_at_the_next_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("call.scenario"), "incoming-call at 2s from \"+15551234\"\n").expect("scenario");
    let spec = format!("sim:hayes?scenario={}", dir.path().join("call.scenario").display());
    let t = Tmux::start_in(dir, &["repl", "--port", &spec]);
    t.line("on RING {");
    t.line("  say \"someone is calling\"");
    t.line("}");
    let screen = t.wait_for("! someone is calling");
    let ring = screen.find("urc   RING").expect("the RING is shown");
    assert!(ring < screen.find("! someone is calling").unwrap_or(0), "{screen}");
    // Still at the prompt, and the session goes on.
    t.line(":pending");
    t.wait_for("handlers in force: RING");
}

#[test]
fn tab_completes_statements_and_commands() {
    let t = Tmux::repl(&["repl", "--port", "sim:hayes"]);
    t.type_text("sa");
    t.keys(&["Tab"]);
    t.type_text("\"completed\"");
    t.keys(&["Enter"]);
    t.wait_for("! completed");
    t.type_text(":pen");
    t.keys(&["Tab", "Enter"]);
    t.wait_for("nothing awaited");
    t.type_text("expect NO");
    t.keys(&["Tab", "Tab"]);
    let screen = t.wait_for("NO DIALTONE");
    assert!(screen.contains("NO CARRIER   final result code"), "{screen}");
    // A code with a space in it completes as one word.
    t.type_text("C");
    t.keys(&["Tab", "Enter"]);
    t.wait_for("atchat> expect NO CARRIER");
    t.keys(&["C-c"]);
    t.wait_for("interrupted");
    // AT commands still complete as before.
    t.type_text("AT+CMG");
    t.keys(&["Tab", "Tab"]);
    t.wait_for("AT+CMGS");
}

#[test]
fn a_recorded_session_replays_and_the_replay_catches_a_departure() {
    let t = Tmux::repl(&["repl", "--port", "sim:gsm"]);
    t.line(":record bench.transcript");
    t.wait_for("recording to bench.transcript");
    t.line("AT+CPIN?");
    t.wait_for("info  +CPIN: READY");
    t.line("command \"AT+CSQ\" expect \"+CSQ: {rssi},{ber}\"");
    t.line("say \"rssi {rssi}\"");
    t.wait_for("! rssi 20");
    t.line(":record");
    t.wait_for("recorded to bench.transcript");
    t.line(":record");
    t.wait_for("not recording");
    t.line(":save bench.atc");
    t.wait_for("saved");
    let transcript = std::fs::read_to_string(t.path("bench.transcript")).expect("the transcript");
    assert!(transcript.starts_with("atchat transcript 1\n"), "{transcript}");
    assert!(transcript.contains("port sim:gsm\n"), "{transcript}");
    assert!(transcript.contains("> \"AT+CSQ\\r\""), "{transcript}");
    assert!(transcript.contains("< \"AT+CSQ\\r\\r\\n+CSQ: 20,99\\r\\n"), "{transcript}");
    assert!(transcript.contains("say: rssi 20"), "{transcript}");
    assert!(transcript.contains("end exit 0\n# exit: 0\n"), "{transcript}");
    // The saved session, played against the recording: the modem's side comes from the file.
    let replay = format!("replay:{}", t.path("bench.transcript").display());
    let run = Command::new(ATCHAT).arg("run").arg(t.path("bench.atc")).args(["--port", &replay]).output().expect("run");
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success() && said.contains("rssi 20"), "{transcript}\n{run:?}");
    // A script that asks something else is told where it left the recording (exit 2).
    std::fs::write(t.path("other.atc"), "command \"ATI\"\n").expect("script");
    let run = Command::new(ATCHAT).arg("run").arg(t.path("other.atc")).args(["--port", &replay]).output().expect("run");
    let message = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.code() == Some(2) && message.contains("diverged from the recording"), "{run:?}");
}
