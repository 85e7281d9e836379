//! chat's terminal handling: stdin must be a terminal; chat makes it raw
//! enough for byte-at-a-time reading (`IGNBRK|ISTRIP|IGNPAR`, no output processing, no
//! echo, no canonical mode, `VMIN=1`) and puts the saved settings back when it exits. The
//! control flags (speed, `CLOCAL`, `CRTSCTS`) and the modem lines are left alone.
//!
//! This is the one place outside `port/` that changes a descriptor's settings: the stdio
//! port deliberately changes nothing (pppd owns the tty), but chat does these changes, and
//! scripts that rely on them (a pty in cooked mode) behave differently without them.

use std::io;

/// The settings stdin had before chat changed them.
pub struct SavedTty(libc::termios);

/// chat's `set_tty_parameters()`. The error says which step failed, in chat's words.
pub fn set_chat_mode() -> Result<SavedTty, (&'static str, io::Error)> {
    // SAFETY: tcgetattr fills the zeroed termios for fd 0 or fails.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    if unsafe { libc::tcgetattr(0, &mut t) } < 0 {
        return Err(("Can't get terminal parameters", io::Error::last_os_error()));
    }
    let saved = SavedTty(t);
    t.c_iflag |= libc::IGNBRK | libc::ISTRIP | libc::IGNPAR;
    t.c_oflag = 0;
    t.c_lflag = 0;
    t.c_cc[libc::VERASE] = 0;
    t.c_cc[libc::VKILL] = 0;
    t.c_cc[libc::VMIN] = 1;
    t.c_cc[libc::VTIME] = 0;
    // SAFETY: a termios obtained from tcgetattr, modified field by field.
    if unsafe { libc::tcsetattr(0, libc::TCSANOW, &t) } < 0 {
        return Err(("Can't set terminal parameters", io::Error::last_os_error()));
    }
    Ok(saved)
}

impl SavedTty {
    /// Puts the saved settings back.
    pub fn restore(&self) -> io::Result<()> {
        // SAFETY: the termios saved from this descriptor.
        if unsafe { libc::tcsetattr(0, libc::TCSANOW, &self.0) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}
