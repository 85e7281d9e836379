//! `atchat sim`: the simulated modem served to other programs, on a pty, TCP or RFC 2217,
//! and calls between simulated modems over TCP.
//!
//! The modem itself is [`crate::sim::Modem`], an engine with no I/O; this front end owns
//! the pty, the sockets and the clock, and moves bytes and time in and out of it
//! (`server.rs`).

mod pty;
mod rfc2217;
mod server;

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::port::sim::{load_profile, read_scenario};
use crate::sim::{Modem, Scenario};
use server::{Exposure, Network, Server};

/// Options of `atchat sim`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("exposure").required(true).args(["pty", "tcp", "rfc2217"])))]
pub struct SimArgs {
    /// Which modem to simulate: a bundled profile (hayes, gsm, wavecom, huawei-e1752, zte,
    /// ... see docs/sim.md) or a profile file (.toml).
    #[arg(long, value_name = "NAME|FILE", default_value = "hayes")]
    pub profile: String,
    /// Fault scenario file (see docs/sim.md).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Lock the SIM with this PIN (GSM).
    #[arg(long, value_name = "DIGITS")]
    pub pin: Option<String>,
    /// Serve on a new pseudo-terminal and print its path on stdout.
    #[arg(long)]
    pub pty: bool,
    /// Serve raw TCP on this address (port 0: any free port; the address is printed).
    #[arg(long, value_name = "ADDR")]
    pub tcp: Option<SocketAddr>,
    /// Serve RFC 2217 (Telnet COM-PORT-CONTROL) on this address.
    #[arg(long, value_name = "ADDR")]
    pub rfc2217: Option<SocketAddr>,
    /// Accept calls from other simulated modems on this address (printed after the first line).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// A number that reaches another sim: `NUMBER=HOST:PORT` (repeatable).
    #[arg(long, value_name = "NUMBER=ADDR")]
    pub phonebook: Vec<String>,
    /// Allow addresses beyond loopback (off by default: nothing listens on the network).
    #[arg(long)]
    pub allow_remote: bool,
}

/// Runs `atchat sim` until killed. Exit codes: 1 bad invocation, 2 I/O error.
pub fn run(args: &SimArgs) -> ExitCode {
    let fail = |code: u8, message: String| {
        eprintln!("atchat sim: {message}");
        ExitCode::from(code)
    };
    let mut scenario = match &args.scenario {
        Some(path) => match read_scenario(path) {
            Ok(s) => s,
            Err(e) => return fail(1, e.to_string()),
        },
        None => Scenario::default(),
    };
    if let Some(pin) = &args.pin {
        match Scenario::parse(&format!("pin {pin}")) {
            Ok(s) => scenario.pin = s.pin,
            Err(_) => return fail(1, format!("`{pin}` is not a PIN (1 to 8 digits)")),
        }
    }
    let mut phonebook = HashMap::new();
    for entry in &args.phonebook {
        let parsed = entry
            .split_once('=')
            .and_then(|(n, a)| Some((n.to_string(), a.parse::<SocketAddr>().ok()?)));
        match parsed {
            Some((number, addr)) => phonebook.insert(number, addr),
            None => {
                return fail(
                    1,
                    format!("bad phonebook entry `{entry}`; expected NUMBER=IP:PORT"),
                )
            }
        };
    }
    let exposure = match (args.pty, args.tcp, args.rfc2217) {
        (true, _, _) => Exposure::Pty,
        (_, Some(addr), _) => Exposure::Tcp(addr),
        (_, _, Some(addr)) => Exposure::Rfc2217(addr),
        _ => return fail(1, "one of --pty, --tcp or --rfc2217 is needed".to_string()),
    };
    let addresses = [args.tcp, args.rfc2217, args.listen]
        .into_iter()
        .flatten()
        .chain(phonebook.values().copied());
    for addr in addresses {
        if !args.allow_remote && !addr.ip().is_loopback() {
            return fail(
                1,
                format!("`{addr}` is not a loopback address; add --allow-remote to use it"),
            );
        }
    }
    let profile = match load_profile(&args.profile) {
        Ok(p) => p,
        Err(e) => return fail(1, e.to_string()),
    };
    let network = Network {
        phonebook,
        allow_remote: args.allow_remote,
        caller_id: String::new(),
    };
    let mut announce = |line: &str| {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{line}");
        let _ = stdout.flush();
    };
    let modem = Modem::with_profile(profile, scenario);
    let mut server = match Server::open(modem, exposure, args.listen, network, &mut announce) {
        Ok(server) => server,
        Err(e) => return fail(2, format!("cannot start: {e}")),
    };
    match server.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(2, format!("stopped: {e}")),
    }
}
