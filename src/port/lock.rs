//! UUCP lock files, so atchat, pppd, minicom, cu and ModemManager-aware tools do not talk to
//! the same modem at once.
//!
//! The convention (HDB UUCP, FHS 3.0): `/var/lock/LCK..NAME` holds the owner's PID as ten
//! ASCII characters, right-aligned, and a newline. NAME is the device path without `/dev/`,
//! with any further `/` replaced by `_` (`/dev/ttyUSB0` → `LCK..ttyUSB0`, `/dev/pts/3` →
//! `LCK..pts_3`), as lockdev and ser2net/gensio do. pppd uses the bare basename, which is
//! the same name for every device directly under `/dev`.
//!
//! A lock whose PID is gone (or a zombie: exited, not yet reaped by its parent), or whose
//! content is not a PID, is stale and replaced.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::PortError;

/// The environment variable that overrides the lock directory.
pub const LOCK_DIR_ENV: &str = "ATCHAT_LOCK_DIR";

/// Where lock files go unless [`LOCK_DIR_ENV`] says otherwise.
pub const DEFAULT_LOCK_DIR: &str = "/var/lock";

/// The lock directory to use: `$ATCHAT_LOCK_DIR` if set and not empty, else `/var/lock`.
pub fn lock_dir_from_env() -> PathBuf {
    match std::env::var_os(LOCK_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(DEFAULT_LOCK_DIR),
    }
}

/// The lock file name for `device`, e.g. `LCK..ttyUSB0`.
pub fn lock_name(device: &Path) -> String {
    let text = device.to_string_lossy();
    let tail = match text.strip_prefix("/dev/") {
        Some(rest) => rest.to_string(),
        None => device.file_name().map_or_else(|| text.to_string(), |n| n.to_string_lossy().into_owned()),
    };
    format!("LCK..{}", tail.replace('/', "_"))
}

/// A held UUCP lock; the file is removed on drop if it still names this process.
#[derive(Debug)]
pub struct LockFile {
    path: PathBuf,
    /// False when the lock already named this process: someone else in this process made it
    /// and removes it.
    created: bool,
}

impl LockFile {
    /// Locks `device` in `dir` on behalf of the port called `port`.
    ///
    /// Returns `Ok(None)` when `dir` does not exist: a system without a lock directory has
    /// no other program honouring locks, and the exclusive open still protects the device.
    pub fn acquire(dir: &Path, device: &Path, port: &str) -> Result<Option<LockFile>, PortError> {
        if !dir.is_dir() {
            return Ok(None);
        }
        // Symlinks such as /dev/modem or /dev/serial/by-id/... must share the device's lock.
        let device = fs::canonicalize(device).unwrap_or_else(|_| device.to_path_buf());
        let path = dir.join(lock_name(&device));
        let me = std::process::id();
        let open_err = |what: &str, e: io::Error| PortError::Open {
            port: port.to_string(),
            source: io::Error::new(
                e.kind(),
                format!(
                    "cannot {what} lock file {}: {e} (set {LOCK_DIR_ENV} to a writable \
                         directory)",
                    path.display()
                ),
            ),
        };

        let temp = write_temp(dir, me).map_err(|e| open_err("create", e))?;
        let result = (|| {
            // Three rounds: a stale lock removed, then one more try in case another process
            // raced us to the same stale lock.
            for _ in 0..3 {
                // link() is atomic and fails if the lock exists, and the temp file is complete,
                // so no reader ever sees an empty or half-written lock.
                match fs::hard_link(&temp, &path) {
                    Ok(()) => return Ok(Some(LockFile { path: path.clone(), created: true })),
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(open_err("create", e)),
                }
                match holder(&path) {
                    Holder::Gone => continue,
                    Holder::Stale => match fs::remove_file(&path) {
                        Ok(()) => continue,
                        Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(open_err("remove stale", e)),
                    },
                    Holder::Pid(pid) if pid == me => return Ok(Some(LockFile { path: path.clone(), created: false })),
                    Holder::Pid(pid) => {
                        return Err(PortError::Locked { port: port.to_string(), holder: describe(pid, &path) })
                    }
                }
            }
            Err(open_err("create", io::Error::other("it keeps changing under us")))
        })();
        let _ = fs::remove_file(&temp);
        result
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        // Only remove a lock that is still ours: if it was judged stale and taken over by
        // another process while we ran, deleting it would unlock their device.
        if self.created && matches!(holder(&self.path), Holder::Pid(pid) if pid == std::process::id()) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Writes this process's lock content to a fresh, uniquely named file in `dir`.
fn write_temp(dir: &Path, pid: u32) -> io::Result<PathBuf> {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    loop {
        let temp = dir.join(format!("LTMP.{pid}.{}", SEQ.fetch_add(1, Ordering::Relaxed)));
        let mut file = match fs::OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        };
        let written = file.write_all(format!("{pid:>10}\n").as_bytes());
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        return Ok(temp);
    }
}

/// Who holds a lock file.
#[derive(Debug, PartialEq, Eq)]
enum Holder {
    /// The file vanished between our attempt and the read.
    Gone,
    /// Unreadable content, or a process that no longer runs.
    Stale,
    /// A live process.
    Pid(u32),
}

fn holder(path: &Path) -> Holder {
    let content = match fs::read(path) {
        Ok(c) => c,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Holder::Gone,
        // Unreadable (permissions): assume a live owner rather than break someone's lock.
        Err(_) => return Holder::Pid(0),
    };
    match parse_pid(&content) {
        Some(pid) if pid == std::process::id() || alive(pid) => Holder::Pid(pid),
        _ => Holder::Stale,
    }
}

/// Reads the PID of an HDB (ASCII) lock, or of an old-style binary lock of exactly four bytes.
fn parse_pid(content: &[u8]) -> Option<u32> {
    if let Ok(text) = std::str::from_utf8(content) {
        if let Ok(pid) = text.trim().parse::<u32>() {
            return (pid > 0).then_some(pid);
        }
    }
    // Text that is not a number is garbage, not a binary PID.
    if content.iter().all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace()) {
        return None;
    }
    let bytes: [u8; 4] = content.try_into().ok()?;
    let pid = u32::from_ne_bytes(bytes);
    (pid > 0).then_some(pid)
}

/// Whether process `pid` runs. `kill(pid, 0)` sends nothing; EPERM means it exists but
/// belongs to someone else. A zombie exists for `kill` but has exited: it holds no device.
fn alive(pid: u32) -> bool {
    exists(pid) && !exited(pid)
}

fn exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        // 0 and negative PIDs address process groups; never "signal" those.
        return false;
    }
    // SAFETY: signal 0 performs only the existence and permission check.
    if unsafe { libc::kill(pid, 0) } == 0 {
        return true;
    }
    io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Whether `/proc/PID/stat` shows a process that has exited but was not reaped (`Z`) or is
/// being torn down (`X`). Without /proc, nothing is known: not exited.
fn exited(pid: u32) -> bool {
    let Ok(stat) = fs::read(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // "PID (comm) S ...": comm may hold spaces and parentheses, so the state is the first
    // field after the last `)`.
    let Some(close) = stat.iter().rposition(|&b| b == b')') else {
        return false;
    };
    let state = stat[close + 1..].iter().find(|b| !b.is_ascii_whitespace());
    matches!(state, Some(b'Z' | b'X'))
}

/// "process 1234 `minicom` (lock file /var/lock/LCK..ttyUSB0)".
fn describe(pid: u32, path: &Path) -> String {
    if pid == 0 {
        return format!("another process (lock file {} is unreadable)", path.display());
    }
    let name = fs::read_to_string(format!("/proc/{pid}/comm")).ok();
    match name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => format!("process {pid} `{name}` (lock file {})", path.display()),
        None => format!("process {pid} (lock file {})", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV: &str = "/dev/ttyATCHATTEST0";

    /// A PID that is certainly not running: a child that has been waited for.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().expect("spawn true");
        let pid = child.id();
        child.wait().expect("wait");
        pid
    }

    fn acquire(dir: &Path) -> Result<Option<LockFile>, PortError> {
        LockFile::acquire(dir, Path::new(DEV), DEV)
    }

    #[test]
    fn names_follow_the_uucp_convention() {
        assert_eq!(lock_name(Path::new("/dev/ttyUSB0")), "LCK..ttyUSB0");
        assert_eq!(lock_name(Path::new("/dev/pts/3")), "LCK..pts_3");
        assert_eq!(lock_name(Path::new("/tmp/x/modem")), "LCK..modem");
        assert_eq!(lock_name(Path::new("ttyS1")), "LCK..ttyS1");
    }

    #[test]
    fn lock_is_hdb_format_and_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let lock = acquire(dir.path()).unwrap().expect("a lock");
        let path = dir.path().join("LCK..ttyATCHATTEST0");
        assert_eq!(lock.path(), path);
        let content = fs::read_to_string(&path).unwrap();
        assert_eq!(content, format!("{:>10}\n", std::process::id()));
        assert_eq!(content.len(), 11);
        drop(lock);
        assert!(!path.exists());
        // No temp files left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn live_lock_is_reported_with_its_pid_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("sleep").arg("30").spawn().expect("spawn");
        let path = dir.path().join("LCK..ttyATCHATTEST0");
        fs::write(&path, format!("{:>10}\n", child.id())).unwrap();
        let result = acquire(dir.path());
        let _ = child.kill();
        let _ = child.wait();
        match result {
            Err(PortError::Locked { port, holder }) => {
                assert_eq!(port, DEV);
                assert!(holder.starts_with(&format!("process {} ", child.id())), "{holder}");
                assert!(holder.contains(&format!("lock file {}", path.display())), "{holder}");
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        // The other process's lock is left alone.
        assert!(path.exists());
    }

    #[test]
    fn stale_locks_are_replaced() {
        for content in [
            format!("{:>10}\n", dead_pid()),
            "garbage\n".to_string(),
            String::new(),
            "         0\n".to_string(),
            "        -1\n".to_string(),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("LCK..ttyATCHATTEST0");
            fs::write(&path, &content).unwrap();
            let lock = acquire(dir.path()).unwrap_or_else(|e| panic!("{content:?}: {e}"));
            assert!(lock.is_some(), "{content:?}");
            assert_eq!(fs::read_to_string(&path).unwrap(), format!("{:>10}\n", std::process::id()));
        }
    }

    /// The state letter of `pid` in /proc/PID/stat.
    fn state(pid: u32) -> Option<char> {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat[stat.rfind(')')? + 1..].trim_start().chars().next()
    }

    #[test]
    fn a_zombie_holds_no_lock() {
        // A child that exited and that nobody reaped yet: `kill(pid, 0)` still succeeds.
        let mut child = std::process::Command::new("true").spawn().expect("spawn true");
        let pid = child.id();
        let start = std::time::Instant::now();
        while state(pid) != Some('Z') && start.elapsed() < std::time::Duration::from_secs(10) {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(state(pid), Some('Z'), "the child never became a zombie");
        assert!(exists(pid) && !alive(pid));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("LCK..ttyATCHATTEST0");
        fs::write(&path, format!("{pid:>10}\n")).unwrap();
        let lock = acquire(dir.path());
        child.wait().expect("reap");
        let lock = lock.expect("a zombie's lock is stale");
        assert!(lock.is_some());
        assert_eq!(fs::read_to_string(&path).unwrap(), format!("{:>10}\n", std::process::id()));
    }

    #[test]
    fn the_state_is_read_after_the_name_whatever_the_name_holds() {
        // A running `sleep` renamed so that its name looks like a zombie's state.
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("x) Z (y");
        fs::copy("/bin/sleep", &exe).unwrap();
        let mut child = std::process::Command::new(&exe).arg("30").spawn().expect("spawn");
        let comm = format!("/proc/{}/comm", child.id());
        let start = std::time::Instant::now();
        while fs::read_to_string(&comm).unwrap_or_default().trim() != "x) Z (y"
            && start.elapsed() < std::time::Duration::from_secs(10)
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let running = alive(child.id());
        let _ = child.kill();
        let _ = child.wait();
        assert!(running, "a running process was taken for a zombie");
        assert!(!exited(u32::MAX), "no /proc entry: not known to have exited");
    }

    #[test]
    fn binary_lock_of_a_live_process_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("LCK..ttyATCHATTEST0");
        fs::write(&path, 1u32.to_ne_bytes()).unwrap(); // PID 1 is always alive.
        assert!(matches!(acquire(dir.path()), Err(PortError::Locked { .. })));
    }

    #[test]
    fn own_lock_is_accepted_and_left_for_its_maker() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("LCK..ttyATCHATTEST0");
        let first = acquire(dir.path()).unwrap().expect("first lock");
        let second = acquire(dir.path()).unwrap().expect("own lock accepted");
        drop(second);
        assert!(path.exists(), "the second handle must not remove the first one's lock");
        drop(first);
        assert!(!path.exists());
    }

    #[test]
    fn lock_taken_over_by_another_process_is_not_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("LCK..ttyATCHATTEST0");
        let lock = acquire(dir.path()).unwrap().expect("lock");
        fs::write(&path, "         1\n").unwrap();
        drop(lock);
        assert_eq!(fs::read_to_string(&path).unwrap(), "         1\n");
    }

    #[test]
    fn missing_lock_dir_means_no_lock() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        assert!(acquire(&missing).unwrap().is_none());
    }

    #[test]
    fn parse_pid_accepts_hdb_and_binary() {
        assert_eq!(parse_pid(b"      1234\n"), Some(1234));
        assert_eq!(parse_pid(b"1234"), Some(1234)); // four ASCII digits read as text first
        assert_eq!(parse_pid(&77u32.to_ne_bytes()), Some(77));
        assert_eq!(parse_pid(b""), None);
        assert_eq!(parse_pid(b"abc\n"), None);
        assert_eq!(parse_pid(&0u32.to_ne_bytes()), None);
    }
}
