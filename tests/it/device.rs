//! A serial device as `atchat run` leaves it: its line settings as they were found (after a
//! normal end and after SIGTERM), and its UUCP lock taken over from a zombie.

use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::time::{Duration, Instant};

use crate::support::cli::{run_on_device, Test};
use crate::support::pty::{answer_at, Pty};

/// The settings of a terminal, in a form that compares.
#[derive(Debug, PartialEq, Eq)]
struct Settings {
    iflag: libc::tcflag_t,
    oflag: libc::tcflag_t,
    cflag: libc::tcflag_t,
    lflag: libc::tcflag_t,
    cc: Vec<libc::cc_t>,
    ispeed: libc::speed_t,
    ospeed: libc::speed_t,
}

fn settings(fd: &OwnedFd) -> Settings {
    // SAFETY: tcgetattr fills the termios; asserted to succeed before it is read.
    let t = unsafe {
        let mut t = std::mem::zeroed::<libc::termios>();
        assert_eq!(libc::tcgetattr(fd.as_raw_fd(), &mut t), 0, "{}", std::io::Error::last_os_error());
        t
    };
    // SAFETY: reading the speeds of a filled termios.
    let (ispeed, ospeed) = unsafe { (libc::cfgetispeed(&t), libc::cfgetospeed(&t)) };
    Settings {
        iflag: t.c_iflag,
        oflag: t.c_oflag,
        cflag: t.c_cflag,
        lflag: t.c_lflag,
        cc: t.c_cc.to_vec(),
        ispeed,
        ospeed,
    }
}

/// The slave side of `pty`, opened by the test to look at its settings, set to a cooked line
/// at 9600 bps with a few settings a raw open changes.
fn cooked_slave(pty: &Pty) -> OwnedFd {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
        .open(&pty.path)
        .unwrap();
    let fd = OwnedFd::from(file);
    // SAFETY: a termios read from this descriptor, changed and written back.
    unsafe {
        let mut t = std::mem::zeroed::<libc::termios>();
        assert_eq!(libc::tcgetattr(fd.as_raw_fd(), &mut t), 0);
        t.c_lflag |= libc::ICANON | libc::ECHO | libc::ISIG;
        t.c_iflag |= libc::ICRNL | libc::IXON;
        t.c_oflag |= libc::OPOST | libc::ONLCR;
        t.c_cc[libc::VMIN] = 1;
        libc::cfsetispeed(&mut t, libc::B9600);
        libc::cfsetospeed(&mut t, libc::B9600);
        assert_eq!(libc::tcsetattr(fd.as_raw_fd(), libc::TCSANOW, &t), 0);
    }
    fd
}

#[test]
fn run_gives_the_device_back_with_the_settings_it_had() {
    let mut pty = Pty::new();
    let slave = cooked_slave(&pty);
    let before = settings(&slave);
    let locks = tempfile::tempdir().unwrap();
    let test = Test::new().file("script.atc", "send \"AT\"\nexpect OK\n");
    let running = run_on_device(test, &pty.path, locks.path());
    answer_at(&mut pty);
    running.finish();
    assert_eq!(settings(&slave), before);
}

#[test]
fn sigterm_gives_the_device_back_with_the_settings_it_had() {
    let mut pty = Pty::new();
    let slave = cooked_slave(&pty);
    let before = settings(&slave);
    let locks = tempfile::tempdir().unwrap();
    let test = Test::new().file("script.atc", "send \"AT\"\nsleep 60s\n").status(2).stderr_has("stopped by SIGTERM");
    let running = run_on_device(test, &pty.path, locks.path());
    pty.expect(b"AT\r");
    // While it runs the line is raw at 115200 bps: the test would prove nothing otherwise.
    let during = settings(&slave);
    assert_ne!(during, before);
    assert_eq!(during.lflag & libc::ICANON, 0);
    running.signal(libc::SIGTERM);
    running.finish();
    assert_eq!(settings(&slave), before);
}

/// The state letter of `pid` in /proc/PID/stat.
fn state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

#[test]
fn a_lock_held_by_a_zombie_is_taken_over() {
    let mut pty = Pty::new();
    let locks = tempfile::tempdir().unwrap();
    // A child that exited and that nobody reaped yet: for `kill(pid, 0)` it still exists.
    let mut zombie = std::process::Command::new("true").spawn().unwrap();
    let pid = zombie.id();
    let start = Instant::now();
    while state(pid) != Some('Z') && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(state(pid), Some('Z'));
    let name = atchat::port::lock::lock_name(&std::fs::canonicalize(&pty.path).unwrap());
    std::fs::write(locks.path().join(&name), format!("{pid:>10}\n")).unwrap();
    let test = Test::new().file("script.atc", "send \"AT\"\nexpect OK\n");
    let running = run_on_device(test, &pty.path, locks.path());
    answer_at(&mut pty);
    running.finish();
    zombie.wait().unwrap();
    assert!(!locks.path().join(&name).exists(), "the lock was left behind");
}
