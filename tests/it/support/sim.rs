//! `atchat sim` as a server for tests: the simulated modem behind a pty, TCP or RFC 2217,
//! the way a user would run it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `atchat sim`, killed when dropped.
pub struct Sim {
    pub child: Child,
    /// The lines it printed: the pty path or DTE address, then the `--listen` address.
    pub lines: Vec<String>,
}

impl Sim {
    #[track_caller]
    pub fn start(args: &[&str], lines: usize) -> Sim {
        let mut child = Command::new(env!("CARGO_BIN_EXE_atchat"))
            .arg("sim")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start atchat sim");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut printed = Vec::new();
        for _ in 0..lines {
            let mut line = String::new();
            stdout.read_line(&mut line).expect("read what atchat sim prints");
            assert!(!line.is_empty(), "atchat sim {args:?} exited early");
            printed.push(line.trim().to_string());
        }
        Sim { child, lines: printed }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The names of the simulator's bundled profiles that run on `base`'s engine, in their
/// listed order: tests that must cover every profile take the list from here, so a profile
/// added to the simulator is a profile the matrices must answer for.
pub fn profiles(base: atchat::sim::Profile) -> Vec<&'static str> {
    atchat::sim::ModemProfile::names()
        .filter(|name| atchat::sim::ModemProfile::bundled(name).is_ok_and(|p| p.base == base))
        .collect()
}
