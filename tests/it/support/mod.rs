//! Helpers shared by the integration tests.

pub mod case;
pub mod cli;
pub mod diff;
pub mod fake_modem;
pub mod golden;
pub mod layer;
pub mod pty;

/// Waits for our child `pid`; returns its exit code and peak resident memory in KiB.
pub fn wait4(pid: libc::pid_t) -> (i32, i64) {
    let mut status = 0;
    // SAFETY: zeroed rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid, "wait4: {}", std::io::Error::last_os_error());
    (libc::WEXITSTATUS(status), usage.ru_maxrss)
}
