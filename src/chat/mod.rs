//! The chat(8) front end: runs chat scripts unchanged, with chat's exit codes.
//!
//! chat scripts compile to the same bytecode as `.atc` scripts and run on the same VM and
//! driver. The behaviour copied from chat(8) is stated where it is implemented (and checked
//! side by side with the real chat in `tests/it/chat.rs`); `docs/chat-compat.md` lists the
//! few deliberate differences.
//!
//! - [`options`]: chat's command line (`-e -E -v -V -s -S -t -r -T -U -f`, `--no-pace`,
//!   `--help`)
//! - [`help`]: the same command line declared for clap: help, man page, completions
//! - [`token`]: the `-f` file tokenizer (quotes, column-1 comments, 1023-byte lines)
//! - [`escape`]: `clean()`, the escapes with their send/expect differences, subexpects
//! - [`compile`]: tokens → [`crate::bytecode::Program`], chat's bookkeeping done statically
//! - [`import`]: `atchat import`: a chat script as a readable native script
//! - [`run`]: chat's `main()`: report file, syslog, the terminal, the driver
//! - [`tty`]: the terminal settings chat makes and restores

pub mod compile;
pub mod escape;
pub mod help;
pub mod import;
pub mod options;
pub mod run;
pub mod token;
pub mod tty;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

/// If the process was started as `chat` (a symlink to atchat), or as `atchat chat ...`,
/// runs chat and returns its exit code. chat's option syntax is not clap's, so this is
/// decided before any other parsing.
pub fn dispatch(argv: &[OsString]) -> Option<u8> {
    let argv0 = argv.first()?;
    let base = std::path::Path::new(argv0).file_name().map(|b| b.to_os_string()).unwrap_or_default();
    let bytes = |args: &[OsString]| args.iter().map(|a| a.clone().into_vec()).collect::<Vec<_>>();
    if base == "chat" {
        return Some(run::main(&argv0.to_string_lossy(), &bytes(&argv[1..])));
    }
    if argv.get(1).is_some_and(|a| a == "chat") {
        // As clap names the other subcommands: `atchat chat`, not the binary's full path.
        let name = std::path::Path::new(argv0).file_name().unwrap_or(argv0.as_os_str());
        let program = format!("{} chat", name.to_string_lossy());
        return Some(run::main(&program, &bytes(&argv[2..])));
    }
    None
}
