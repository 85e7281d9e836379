//! Waking sessions that are waiting, so a wait costs no CPU and still ends at once on a stop.
//!
//! A session waiting for its modem blocks in `ppoll` (or, on the simulator's real clock, in a
//! `ppoll` on no descriptor) for the whole wait: no time slices, no polling loop. To stop it
//! early (SIGTERM, `--fail-fast`) its thread is sent [`WAKE_SIGNAL`], which interrupts the
//! wait; the read returns `Ok(0)` early and the driver looks at why.
//!
//! The signal is blocked on a registered thread except inside the wait itself (`ppoll`
//! unblocks it atomically), so a wake sent while the thread is busy stays pending and ends
//! its very next wait: no wake-up is lost between checking the stop flag and blocking.
//! SIGURG is the wake signal, as in Go's runtime: ignored by default, never sent by a tty,
//! and nothing here asks for out-of-band socket data.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

/// The signal that interrupts a registered thread's wait.
pub const WAKE_SIGNAL: libc::c_int = libc::SIGURG;

/// Threads that may be waiting, as `pthread_t` (0: a free slot). A fixed table, so that
/// [`wake_all`] can run in a signal handler: no lock, no allocation.
const SLOTS: usize = 16 * 1024;
static THREADS: [AtomicU64; SLOTS] = [const { AtomicU64::new(0) }; SLOTS];

extern "C" fn on_wake(_: libc::c_int) {}

/// Installs the (empty) handler of [`WAKE_SIGNAL`]: its only effect is to interrupt `ppoll`.
fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: an empty handler; sigaction with a zeroed, then filled struct.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_wake as *const () as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(WAKE_SIGNAL, &action, std::ptr::null_mut());
        }
    });
}

/// This thread is registered while the value lives: [`wake_all`] interrupts its waits.
pub struct Registration {
    slot: Option<usize>,
}

/// Registers the calling thread and blocks [`WAKE_SIGNAL`] on it outside its waits. When the
/// table is full the thread is not registered: its waits then end only at their deadline.
pub fn register() -> Registration {
    install();
    // SAFETY: pthread_self has no preconditions.
    let me = unsafe { libc::pthread_self() } as u64;
    let slot = THREADS.iter().position(|t| t.compare_exchange(0, me, Ordering::SeqCst, Ordering::SeqCst).is_ok());
    if slot.is_some() {
        set_blocked(true);
    }
    Registration { slot }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            THREADS[slot].store(0, Ordering::SeqCst);
            set_blocked(false);
        }
    }
}

fn set_blocked(blocked: bool) {
    // SAFETY: a signal set built with sigemptyset/sigaddset, for this thread only.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, WAKE_SIGNAL);
        let how = if blocked { libc::SIG_BLOCK } else { libc::SIG_UNBLOCK };
        libc::pthread_sigmask(how, &set, std::ptr::null_mut());
    }
}

/// Interrupts the wait of every registered thread (now, or its next one). Async-signal-safe:
/// the driver calls it from its SIGTERM handler.
pub fn wake_all() {
    for t in &THREADS {
        let thread = t.load(Ordering::SeqCst);
        if thread != 0 {
            // SAFETY: a registered thread unregisters before it ends, so the id is live; a
            // race with its end gives ESRCH at worst.
            unsafe { libc::pthread_kill(thread as libc::pthread_t, WAKE_SIGNAL) };
        }
    }
}

/// The signal mask for a wait: the thread's own, with [`WAKE_SIGNAL`] let through.
pub(crate) fn wait_mask() -> libc::sigset_t {
    // SAFETY: reads this thread's mask into a zeroed set, then edits the copy.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut set);
        libc::sigdelset(&mut set, WAKE_SIGNAL);
        set
    }
}

/// Sleeps for `duration` unless woken (or another signal arrives) first: the simulator's
/// waits on the real clock.
pub(crate) fn sleep(duration: std::time::Duration) {
    let ts = libc::timespec {
        tv_sec: duration.as_secs().min(i32::MAX as u64) as libc::time_t,
        tv_nsec: duration.subsec_nanos() as libc::c_long,
    };
    let mask = wait_mask();
    // SAFETY: no descriptors, a valid timespec and signal set.
    unsafe { libc::ppoll(std::ptr::null_mut(), 0, &ts, &mask) };
}
