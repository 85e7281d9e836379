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
use crate::sim::{Modem, Profile, Scenario};
use server::{Exposure, Network, Server, Target};

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
    /// A number with a far end of its own (repeatable): `NUMBER=tcp:HOST:PORT` a TCP
    /// service (a BBS, an ISP's pppd behind socat), `NUMBER=IP:PORT` another sim.
    #[arg(long, value_name = "NUMBER=TARGET")]
    pub phonebook: Vec<String>,
    /// GSM packet data (`ATD*99#`, `ATD*99***1#`, `+CGDATA`) connects here, e.g.
    /// `tcp:127.0.0.1:5300` (default: the built-in far end, which echoes).
    #[arg(long, value_name = "TARGET")]
    pub packet_data: Option<String>,
    /// Allow addresses beyond loopback (off by default: nothing listens on the network).
    #[arg(long)]
    pub allow_remote: bool,
}

/// Runs `atchat sim` until killed. Exit codes: 1 bad invocation, 2 I/O error.
pub fn run(args: &SimArgs) -> ExitCode {
    let fail = |code: u8, message: String| {
        let _ = writeln!(std::io::stderr(), "atchat sim: {message}");
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
        let parsed = match entry.split_once('=') {
            Some((number, target)) if !number.is_empty() => Target::parse(target).map(|t| (number.to_string(), t)),
            _ => Err(format!("`{entry}` is not NUMBER=TARGET")),
        };
        match parsed {
            Ok((number, target)) => phonebook.insert(number, target),
            Err(e) => return fail(1, format!("bad phonebook entry: {e}")),
        };
    }
    let profile = match load_profile(&args.profile) {
        Ok(p) => p,
        Err(e) => return fail(1, e.to_string()),
    };
    let packet_data = match &args.packet_data {
        // Packet data is a GSM engine's (`ATD*99#`); any vendor profile built on it has it.
        Some(_) if profile.base != Profile::Gsm => {
            return fail(
                1,
                format!(
                    "--packet-data needs a GSM profile (gsm or one built on it); `{}` is a Hayes modem",
                    profile.name
                ),
            )
        }
        Some(text) => match Target::parse(text) {
            Ok(target) => Some(target),
            Err(e) => return fail(1, format!("bad --packet-data: {e}")),
        },
        None => None,
    };
    let exposure = match (args.pty, args.tcp, args.rfc2217) {
        (true, _, _) => Exposure::Pty,
        (_, Some(addr), _) => Exposure::Tcp(addr),
        (_, _, Some(addr)) => Exposure::Rfc2217(addr),
        _ => return fail(1, "one of --pty, --tcp or --rfc2217 is needed".to_string()),
    };
    // What listens, and the other sims we call, stay on loopback unless asked; a TCP
    // service in the phonebook is reached wherever the user said.
    let sims = phonebook.values().filter_map(|t| match t {
        Target::Sim(addr) => Some(*addr),
        Target::Tcp(_) => None,
    });
    let addresses = [args.tcp, args.rfc2217, args.listen].into_iter().flatten().chain(sims);
    for addr in addresses {
        if !args.allow_remote && !addr.ip().is_loopback() {
            return fail(1, format!("`{addr}` is not a loopback address; add --allow-remote to use it"));
        }
    }
    let network = Network { phonebook, packet_data, allow_remote: args.allow_remote, caller_id: String::new() };
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
