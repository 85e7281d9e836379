//! End to end on a pseudo-terminal (targets and figures: docs/performance.md), against a fake
//! modem of our own that answers at once:
//!
//! - **reaction**: from the modem's last reply byte to the first byte of the next command
//!   (median over many `send "AT"` / `expect OK` rounds; target under 100 µs);
//! - **dial**: a 5-step dial script (ATZ, AT&F..., ATS0=0, ATM1L1, ATDT → CONNECT) run as a
//!   whole process by `atchat run`, `atchat run` with `pace 10ms`, `atchat chat` and the real
//!   `/usr/sbin/chat` (Debian package `ppp`; skipped when missing). Target: `atchat run` at
//!   least 20x faster than chat(8) with its defaults (10 ms before each character).
//!
//! Run with `cargo bench --bench e2e` (the binary is the release build). Wall-clock figures
//! depend on the machine and its load; the load average is printed with them.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const ATCHAT: &str = env!("CARGO_BIN_EXE_atchat");
const CHAT: &str = "/usr/sbin/chat";

/// Rounds of `AT` / `OK` for the reaction time.
const REACTION_ROUNDS: usize = 1000;
/// chat paces 30 ms per `AT\r`: fewer rounds for it.
const REACTION_ROUNDS_PACED: usize = 50;
/// Whole-process runs of the dial script.
const DIAL_RUNS: usize = 40;
const DIAL_RUNS_PACED: usize = 5;

const DIAL_COMMANDS: [&str; 5] = ["ATZ", "AT&F E1 V1 X4 &C1 &D2", "ATS0=0", "ATM1L1", "ATDT5551234"];

// ---------------------------------------------------------------- the pseudo-terminal

/// A pty pair: the fake modem owns the master; programs get the slave.
struct Pty {
    master: File,
    slave: OwnedFd,
    path: PathBuf,
}

impl Pty {
    fn new() -> Pty {
        let (mut master, mut slave) = (-1, -1);
        // SAFETY: openpty writes two descriptors; no name buffer, termios or winsize given.
        let rc =
            unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just created and belong to nobody else. Raw mode on the
        // slave, so the modem sees bytes as sent whatever the program does with the terminal.
        unsafe {
            libc::fcntl(master, libc::F_SETFD, libc::FD_CLOEXEC);
            libc::fcntl(slave, libc::F_SETFD, libc::FD_CLOEXEC);
            let mut tio = std::mem::zeroed::<libc::termios>();
            assert_eq!(libc::tcgetattr(slave, &mut tio), 0);
            libc::cfmakeraw(&mut tio);
            assert_eq!(libc::tcsetattr(slave, libc::TCSANOW, &tio), 0);
        }
        // SAFETY: as above.
        let (master, slave) = unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let path = std::fs::read_link(format!("/proc/self/fd/{}", slave.as_raw_fd())).expect("slave pty path");
        Pty { master, slave, path }
    }

    /// The slave as a program's stdin or stdout (chat talks to the modem on those).
    fn stdio(&self) -> Stdio {
        Stdio::from(self.slave.try_clone().expect("dup slave"))
    }
}

// ---------------------------------------------------------------- the fake modem

/// What the modem saw during one run.
struct ModemLog {
    /// For each command after a reply: last reply byte written → first command byte read.
    reactions: Vec<Duration>,
    commands: usize,
}

/// A modem that echoes each command line and answers it at once: `CONNECT 115200` to a dial,
/// `OK` to any other `AT` command. It stops when `stop` is set.
fn fake_modem(mut master: File, stop: Arc<AtomicBool>) -> JoinHandle<ModemLog> {
    std::thread::spawn(move || {
        let mut log = ModemLog { reactions: Vec::new(), commands: 0 };
        let mut line = Vec::new();
        let mut replied: Option<Instant> = None;
        let mut buf = [0u8; 4096];
        while !stop.load(Ordering::SeqCst) {
            let mut pfd = libc::pollfd { fd: master.as_raw_fd(), events: libc::POLLIN, revents: 0 };
            // SAFETY: one valid pollfd.
            if unsafe { libc::poll(&mut pfd, 1, 20) } != 1 {
                continue;
            }
            let n = match master.read(&mut buf) {
                Ok(n) if n > 0 => n,
                // EIO while no program has the slave open: wait for one.
                _ => {
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                }
            };
            let arrived = Instant::now();
            for &b in &buf[..n] {
                if let Some(at) = replied.take() {
                    log.reactions.push(arrived - at);
                }
                match b {
                    b'\r' => {
                        let command = String::from_utf8_lossy(&line).to_ascii_uppercase();
                        line.clear();
                        let reply: &[u8] = if command.starts_with("ATD") {
                            b"\r\nCONNECT 115200\r\n"
                        } else if command.starts_with("AT") {
                            b"\r\nOK\r\n"
                        } else {
                            continue;
                        };
                        log.commands += 1;
                        let mut out = command.into_bytes();
                        out.push(b'\r');
                        out.extend_from_slice(reply);
                        master.write_all(&out).expect("modem write");
                        replied = Some(Instant::now());
                    }
                    b'\n' => {}
                    _ => line.push(b),
                }
            }
        }
        log
    })
}

// ---------------------------------------------------------------- one run

struct Program {
    name: &'static str,
    /// The command, given the slave's path.
    command: Box<dyn Fn(&Path) -> Command>,
    /// chat talks to the modem on stdin/stdout; `atchat run` opens the port itself.
    on_stdio: bool,
}

struct Run {
    wall: Duration,
    log: ModemLog,
}

fn run_once(program: &Program) -> Run {
    let pty = Pty::new();
    let stop = Arc::new(AtomicBool::new(false));
    let modem = fake_modem(pty.master.try_clone().expect("dup master"), stop.clone());
    let mut command = (program.command)(&pty.path);
    if program.on_stdio {
        command.stdin(pty.stdio()).stdout(pty.stdio());
    } else {
        command.stdin(Stdio::null()).stdout(Stdio::null());
    }
    command.stderr(Stdio::piped());
    let start = Instant::now();
    let child = command.spawn().unwrap_or_else(|e| panic!("{}: {e}", program.name));
    let output = child.wait_with_output().expect("wait");
    let wall = start.elapsed();
    stop.store(true, Ordering::SeqCst);
    let log = modem.join().expect("modem thread");
    if !output.status.success() {
        panic!("{} failed ({}): {}", program.name, output.status, String::from_utf8_lossy(&output.stderr));
    }
    Run { wall, log }
}

// ---------------------------------------------------------------- scripts

fn native_script(commands: &[&str], pace: bool) -> String {
    let mut s = String::from("timeout 5s\non BUSY fail\non NO CARRIER fail\n");
    let pace = if pace { "pace 10ms " } else { "" };
    for c in commands {
        let answer = if c.starts_with("ATD") { "CONNECT" } else { "OK" };
        s.push_str(&format!("send {pace}\"{c}\"\nexpect {answer}\n"));
    }
    s
}

fn chat_script(commands: &[&str]) -> String {
    let mut s = String::from("TIMEOUT 5\nABORT BUSY\nABORT 'NO CARRIER'\n");
    let mut expect = "''".to_string();
    for c in commands {
        s.push_str(&format!("{expect} '{c}'\n"));
        expect = if c.starts_with("ATD") { "CONNECT".into() } else { "OK".into() };
    }
    s.push_str(&format!("{expect} \\c\n"));
    s
}

// ---------------------------------------------------------------- figures

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn programs(dir: &Path, native: &str, paced: &str, chat: &str, with_paced_native: bool) -> Vec<(Program, usize)> {
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write script");
        path
    };
    let (native, paced, chat) = (write("run.atc", native), write("paced.atc", paced), write("run.chat", chat));
    let mut list = Vec::new();
    let native_run = Program {
        name: "atchat run",
        command: Box::new(move |port| {
            let mut c = Command::new(ATCHAT);
            c.arg("run").arg(&native).arg("--port").arg(port);
            c
        }),
        on_stdio: false,
    };
    list.push((native_run, DIAL_RUNS));
    if with_paced_native {
        let paced_run = Program {
            name: "atchat run, pace 10ms",
            command: Box::new(move |port| {
                let mut c = Command::new(ATCHAT);
                c.arg("run").arg(&paced).arg("--port").arg(port);
                c
            }),
            on_stdio: false,
        };
        list.push((paced_run, DIAL_RUNS_PACED));
    }
    let chat_for_atchat = chat.clone();
    let atchat_chat = Program {
        name: "atchat chat",
        command: Box::new(move |_| {
            let mut c = Command::new(ATCHAT);
            c.arg("chat").arg("-f").arg(&chat_for_atchat);
            c
        }),
        on_stdio: true,
    };
    list.push((atchat_chat, DIAL_RUNS_PACED));
    if Path::new(CHAT).exists() {
        let real_chat = Program {
            name: "chat(8)",
            command: Box::new(move |_| {
                let mut c = Command::new(CHAT);
                c.arg("-f").arg(&chat);
                c
            }),
            on_stdio: true,
        };
        list.push((real_chat, DIAL_RUNS_PACED));
    } else {
        println!("({CHAT} not found: install Debian's `ppp` package to compare with chat(8))");
    }
    list
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    println!("atchat end to end on a pty (load average {})", load_average());

    // Reaction time: many short rounds in one run.
    println!("\nreaction: last reply byte -> first byte of the next command (target < 100 µs)");
    let rounds = |n: usize| vec!["AT"; n];
    let reaction = programs(
        dir.path(),
        &native_script(&rounds(REACTION_ROUNDS), false),
        "",
        &chat_script(&rounds(REACTION_ROUNDS_PACED)),
        false,
    );
    for (program, _) in &reaction {
        let mut run = run_once(program);
        let samples = &mut run.log.reactions;
        println!(
            "  {:<22} median {:>10}  p90 {:>10}  min {:>10}  ({} rounds)",
            program.name,
            us(median(samples)),
            us(percentile(samples, 0.9)),
            us(samples[0]),
            samples.len()
        );
    }

    // The 5-step dial script, whole process: start-up, compile, open the port, five rounds.
    println!("\ndial: 5 commands to CONNECT, whole process (target: atchat run >= 20x faster than chat(8))");
    let dial = programs(
        dir.path(),
        &native_script(&DIAL_COMMANDS, false),
        &native_script(&DIAL_COMMANDS, true),
        &chat_script(&DIAL_COMMANDS),
        true,
    );
    let mut medians = Vec::new();
    for (program, runs) in &dial {
        let mut walls: Vec<Duration> = (0..*runs)
            .map(|_| {
                let run = run_once(program);
                assert_eq!(run.log.commands, DIAL_COMMANDS.len(), "{}: commands answered", program.name);
                run.wall
            })
            .collect();
        let m = median(&mut walls);
        println!("  {:<22} median {:>10}  min {:>10}  ({} runs)", program.name, ms(m), ms(walls[0]), runs);
        medians.push((program.name, m));
    }
    let find = |name: &str| medians.iter().find(|(n, _)| *n == name).map(|&(_, m)| m);
    if let (Some(native), Some(chat)) = (find("atchat run"), find("chat(8)")) {
        println!("  chat(8) / atchat run = {:.0}x", chat.as_secs_f64() / native.as_secs_f64());
    }
    println!("\n(load average {} at the end)", load_average());
}
