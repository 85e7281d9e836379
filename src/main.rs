//! The `atchat` command line. Only argument handling lives here; the work is in the library.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "atchat", version, about = "Automate modems with chat scripts", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the simulated modem.
    Sim(atchat::sim::cli::SimArgs),
}

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(code) = atchat::chat::dispatch(&argv) {
        return ExitCode::from(code);
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Sim(args) => atchat::sim::cli::run(&args),
    }
}
