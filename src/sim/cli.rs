//! `atchat sim`: serve the simulated modem on a pty, TCP or RFC 2217.

use std::process::ExitCode;

/// Options of `atchat sim`.
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Which modem to simulate.
    #[arg(long, default_value = "hayes")]
    pub profile: String,
}

/// Runs `atchat sim` until killed.
pub fn run(args: &SimArgs) -> ExitCode {
    eprintln!(
        "atchat sim: profile `{}` is not available yet",
        args.profile
    );
    ExitCode::from(1)
}
