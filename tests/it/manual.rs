//! What documents the command line: `--help` of every subcommand, `atchat chat --help`, the
//! man pages (rendered by groff, as man(1) does, with every warning on) and the completion
//! scripts (parsed by the shells they are for).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::support::cli::Test;

fn atchat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_atchat")).args(args).stdin(Stdio::null()).output().expect("run atchat")
}

/// Every argument of every subcommand says what it is.
#[test]
fn every_argument_of_every_subcommand_has_help() {
    let mut command = atchat::cli::command();
    command.build();
    let mut missing = Vec::new();
    for sub in command.get_subcommands() {
        assert!(sub.get_about().is_some(), "`{}` has no about", sub.get_name());
        for arg in sub.get_arguments() {
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{} {}", sub.get_name(), arg.get_id()));
            }
        }
    }
    assert!(missing.is_empty(), "arguments without help: {missing:?}");
}

#[test]
fn compile_help_describes_file() {
    Test::new()
        .args(["compile", "--help"])
        // `[FILE]`: optional, since `-e` may give the script instead.
        .stdout_has("[FILE]  The script to compile")
        .run();
}

#[test]
fn chat_help_exits_0_with_every_option() {
    let out = atchat(&["chat", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("Usage: atchat chat [OPTIONS] [EXPECT SEND]..."), "{text}");
    assert!(!text.contains(env!("CARGO_BIN_EXE_atchat")), "the binary's path in {text}");
    for option in [
        "-e",
        "-E",
        "-v",
        "-V",
        "-s",
        "-S",
        "-t <SECONDS>",
        "-r <REPORT_FILE>",
        "-T <PHONE>",
        "-U <PHONE2>",
        "-f <CHAT_FILE>",
        "--no-pace",
        "--help",
    ] {
        assert!(text.contains(&format!("  {option}\n")), "{option} missing from:\n{text}");
    }
    // The same text from `atchat help chat`.
    let help = atchat(&["help", "chat"]);
    assert_eq!(help.status.code(), Some(0));
    assert_eq!(String::from_utf8(help.stdout).unwrap(), text);
}

#[test]
fn the_binary_named_chat_answers_help_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("chat");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_atchat"), &link).unwrap();
    let out = Command::new(&link).arg("--help").stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("Usage: {} [OPTIONS] [EXPECT SEND]...", link.display())), "{text}");
}

#[test]
fn chat_with_a_bad_option_still_prints_chats_usage_and_exits_1() {
    for bad in ["-h", "-x", "--helpme"] {
        let out = atchat(&["chat", bad]);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        assert!(out.stdout.is_empty());
        assert_eq!(
            String::from_utf8(out.stderr).unwrap(),
            "Usage: atchat chat [-e] [-E] [-v] [-V] [-t timeout] [-r report-file]\n     [-T phone-number] [-U phone-number2] {-f chat-file | chat-script}\n",
            "{bad}"
        );
    }
}

#[test]
fn top_level_help_lists_the_exit_codes() {
    Test::new()
        .arg("--help")
        .stdout_has("Exit codes:\n  0        success\n")
        .stdout_has("  completions")
        .stdout_has("  ports")
        .run();
}

/// groff's warnings for `page`, rendered as man(1) renders it, every warning on.
fn groff_warnings(page: &Path) -> String {
    let out = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(page)
        .output()
        .expect("groff is needed (groff-base, with man-db)");
    assert!(out.status.success(), "groff failed on {}", page.display());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn man_page_renders_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let out = atchat(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = dir.path().join("atchat.1");
    std::fs::write(&page, &out.stdout).unwrap();
    assert_eq!(groff_warnings(&page), "");
    // man(1) reads it as a page, and it has what a reader looks for.
    let shown = Command::new("man").arg("-l").arg(&page).env("MANWIDTH", "80").output().expect("man");
    assert!(shown.status.success());
    let text = String::from_utf8_lossy(&shown.stdout);
    for part in ["NAME", "SYNOPSIS", "EXIT STATUS", "PORTS", "completions", "ports", "chat(8)", "sim:hayes"] {
        assert!(text.contains(part), "`{part}` missing from:\n{text}");
    }
}

#[test]
fn man_dir_writes_a_page_per_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("man1");
    Test::new().args(["man", "--dir"]).arg(&target).run();
    let mut pages: Vec<String> =
        std::fs::read_dir(&target).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    pages.sort();
    let mut expected: Vec<String> = atchat::cli::command()
        .get_subcommands()
        .map(|s| format!("atchat-{}.1", s.get_name()))
        .chain(["atchat.1".to_string()])
        .collect();
    expected.sort();
    assert_eq!(pages, expected);
    for page in &pages {
        assert_eq!(groff_warnings(&target.join(page)), "", "{page}");
    }
    let chat = std::fs::read_to_string(target.join("atchat-chat.1")).unwrap();
    assert!(chat.contains("\\-\\-no\\-pace") && chat.contains("CHAT_FILE"), "{chat}");
}

/// The completion script for `shell`, checked by `shell` itself without running it.
#[track_caller]
fn check_completions(shell: &str, check: &[&str]) {
    let out = atchat(&["completions", shell]);
    assert_eq!(out.status.code(), Some(0));
    let script = String::from_utf8(out.stdout).unwrap();
    for word in ["ports", "completions", "baud", "no-pace"] {
        assert!(script.contains(word), "{shell}: `{word}` missing");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("atchat.{shell}"));
    std::fs::write(&file, &script).unwrap();
    let program = format!("/usr/bin/{shell}");
    assert!(Path::new(&program).exists(), "{program} is needed for this test (.ci/test installs it)");
    let parsed = Command::new(&program).args(check).arg(&file).env("HOME", dir.path()).output().unwrap();
    assert!(
        parsed.status.success() && parsed.stderr.is_empty(),
        "{shell} rejects the script: {}",
        String::from_utf8_lossy(&parsed.stderr)
    );
}

#[test]
fn bash_parses_its_completions() {
    check_completions("bash", &["-n"]);
}

#[test]
fn zsh_parses_its_completions() {
    check_completions("zsh", &["-n"]);
}

#[test]
fn fish_parses_its_completions() {
    check_completions("fish", &["--no-execute"]);
}

/// Beyond parsing: bash, given the script, completes a subcommand and a `--port` option.
#[test]
fn bash_completes_subcommands_and_options() {
    let out = atchat(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("atchat.bash");
    std::fs::write(&file, &out.stdout).unwrap();
    let probe = format!(
        "source {}\n\
         COMP_WORDS=(atchat po); COMP_CWORD=1; COMP_LINE='atchat po'; COMP_POINT=9\n\
         _atchat atchat po atchat; echo \"${{COMPREPLY[@]}}\"\n\
         COMP_WORDS=(atchat run --ba); COMP_CWORD=2; COMP_LINE='atchat run --ba'; COMP_POINT=15\n\
         _atchat atchat --ba run; echo \"${{COMPREPLY[@]}}\"\n",
        file.display()
    );
    let run = Command::new("bash").args(["--norc", "--noprofile", "-c", &probe]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "ports\n--baud\n", "{}", String::from_utf8_lossy(&run.stderr));
}
