//! chat's command line as clap sees it: the source of `atchat chat --help`, `atchat help
//! chat`, the `atchat-chat` man page and shell completions. It parses nothing: chat's
//! options are read by [`super::options::parse`], chat's own getopt (bundled letters,
//! `-t5`), which clap cannot imitate. A unit test keeps the two in step: every option letter
//! the parser accepts is declared here, and no other.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, CommandFactory, Parser, ValueHint};

/// Run a chat(8) script, exactly as chat would (also: run this binary as `chat`).
///
/// The options, the script, the keywords (ABORT, REPORT, TIMEOUT, SAY, ECHO, HANGUP,
/// CLR_ABORT, CLR_REPORT), the escapes and the exit codes are chat(8)'s: 0 the script
/// ended, 1 bad invocation or script, 2 I/O error or signal, 3 timeout, 4 and up the index of
/// the ABORT string that matched plus 4. The modem is standard input and output, as pppd
/// runs a connect program.
/// `atchat import` rewrites a chat script as a native one.
#[derive(Parser, Debug)]
#[command(disable_help_flag = true, disable_version_flag = true)]
pub struct ChatHelp {
    /// Start with ECHO on: what the modem sends is copied to stderr.
    #[arg(short = 'e')]
    pub echo: bool,
    /// Replace `$NAME` and `${NAME}` in the script by the environment variable NAME.
    #[arg(short = 'E')]
    pub env: bool,
    /// Log the conversation and each step (to syslog; to stderr too with -s).
    #[arg(short = 'v')]
    pub verbose: bool,
    /// Log what is sent and received to stderr.
    #[arg(short = 'V')]
    pub stderr_verbose: bool,
    /// Send the -v log and error messages to stderr as well.
    #[arg(short = 's')]
    pub stderr: bool,
    /// Do not log to syslog.
    #[arg(short = 'S')]
    pub no_syslog: bool,
    /// Seconds to wait for each expected string until the script says TIMEOUT
    /// (default 45; 0 or less: wait for ever).
    #[arg(short = 't', value_name = "SECONDS", allow_negative_numbers = true)]
    pub timeout: Option<i64>,
    /// Append the lines REPORT strings catch to this file (default: stderr).
    #[arg(short = 'r', value_name = "REPORT_FILE", value_hint = ValueHint::FilePath)]
    pub report: Option<PathBuf>,
    /// The text `\T` stands for in send strings (a phone number).
    #[arg(short = 'T', value_name = "PHONE")]
    pub phone: Option<OsString>,
    /// The text `\U` stands for in send strings (a second number).
    #[arg(short = 'U', value_name = "PHONE2")]
    pub phone2: Option<OsString>,
    /// Read the script from this file instead of the arguments.
    #[arg(short = 'f', value_name = "CHAT_FILE", value_hint = ValueHint::FilePath)]
    pub file: Option<PathBuf>,
    /// Send without chat's 10 ms pause before each byte (atchat's own option).
    #[arg(long)]
    pub no_pace: bool,
    /// Print this help (atchat's own option; chat(8) has none).
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,
    /// The script, when not in a file: expect and send strings, alternating.
    #[arg(value_name = "EXPECT SEND", trailing_var_arg = true, allow_hyphen_values = true)]
    pub script: Vec<OsString>,
}

/// The help text, with the program name chat was run as (`chat`, `atchat chat`).
pub fn help_text(program: &str) -> String {
    let mut command = ChatHelp::command().name("chat").bin_name(program.to_string());
    command.render_long_help().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::options::parse;

    /// The short option letters [`ChatHelp`] declares.
    fn declared() -> Vec<char> {
        ChatHelp::command().get_arguments().filter_map(|a| a.get_short()).collect()
    }

    #[test]
    fn every_letter_chat_accepts_is_declared_and_no_other() {
        let declared = declared();
        for letter in ('a'..='z').chain('A'..='Z') {
            // A value after the letter, so value-taking options parse too.
            let accepted = parse(&[format!("-{letter}").into_bytes(), b"x".to_vec()]).is_ok();
            assert_eq!(accepted, declared.contains(&letter), "option -{letter}");
        }
    }

    #[test]
    fn help_names_the_program_and_every_option() {
        let text = help_text("atchat chat");
        assert!(text.contains("Usage: atchat chat [OPTIONS]"), "{text}");
        for letter in declared() {
            assert!(text.contains(&format!("-{letter}")), "-{letter} missing from:\n{text}");
        }
        assert!(text.contains("--no-pace") && text.contains("--help"), "{text}");
    }

    #[test]
    fn help_is_an_option_only_in_option_position() {
        assert!(parse(&[b"--help".to_vec()]).unwrap().help);
        assert!(parse(&[b"-v".to_vec(), b"--help".to_vec()]).unwrap().help);
        // After the options it is a script string, as any other.
        let late = parse(&[b"''".to_vec(), b"--help".to_vec()]).unwrap();
        assert!(!late.help);
        assert_eq!(late.script.len(), 2);
    }
}
