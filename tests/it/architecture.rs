//! ARCHITECTURE.md's invariants, checked over `src/` the way rust-analyzer's tidy tests
//! check its tree: read every `src/**/*.rs`, blank out comments and literals, collect the
//! paths each file names (`use` trees expanded, `crate::`, `super::` and `self::` resolved
//! against the file's module), and compare them with the tables below.
//!
//! Each violation is printed as `file:line: what`, and a test lists all of its violations
//! before failing. An exception is written into a table, with the reason beside it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------- the tables

/// What each stage of `src/` may import besides itself: a folder, or a file at the top of
/// `src/` (named without `.rs`). Lower stages come first; none may import one that comes
/// later, and no two folders may import each other, directly or through others.
const MAY_IMPORT: &[(&str, &[&str])] = &[
    // The ground floor: result codes, literal quoting, durations.
    ("lang", &[]),
    // Every input file read with its size limit.
    ("input", &[]),
    ("syntax", &["lang", "input"]),
    ("check", &["syntax", "lang", "input"]),
    ("bytecode", &["syntax", "lang", "input"]),
    ("vm", &["bytecode", "lang"]),
    // The simulated modem is a pure engine.
    ("sim", &["lang"]),
    // A session's transcript (`--record`): written by the driver, played back by `replay:`.
    ("record", &["lang"]),
    ("port", &["sim", "record", "lang", "input"]),
    ("driver", &["vm", "bytecode", "port", "record", "lang"]),
    ("diagnostics", &["check", "bytecode", "syntax", "lang"]),
    // The library's front door: compile once (checker, compiler), run on the driver.
    ("session", &["input", "syntax", "check", "bytecode", "vm", "port", "driver", "diagnostics", "lang"]),
    // Many sessions at once: one thread per port, each a session on the driver (and its own
    // recording, `--record 'rec/{port}.rec'`).
    ("bank", &["session", "input", "port", "driver", "record", "vm", "lang"]),
    // The front ends stand on the whole pipeline, never on each other.
    ("chat", BELOW_FRONT_ENDS),
    ("serve", BELOW_FRONT_ENDS),
    ("repl", BELOW_FRONT_ENDS),
    (
        "cli",
        &[
            "chat",
            "serve",
            "repl",
            "session",
            "bank",
            "lang",
            "input",
            "syntax",
            "check",
            "bytecode",
            "vm",
            "sim",
            "record",
            "port",
            "driver",
            "diagnostics",
        ],
    ),
    ("main", &["cli"]),
    // The crate root re-exports the library's public face.
    ("lib", &["session", "driver", "vm"]),
];

const BELOW_FRONT_ENDS: &[&str] =
    &["lang", "input", "syntax", "check", "bytecode", "vm", "sim", "record", "port", "driver", "diagnostics"];

/// Imports the layering refuses, allowed on purpose: (stage, path under `crate::`, why).
/// None today: `vm/` never sees a port (a failed port operation reaches it as a `Failure`).
const ALLOWED_IMPORTS: &[(&str, &str, &str)] = &[];

/// Folders whose files import each other in one direction only, and why.
const ACYCLIC_FILES: &[(&str, &str)] = &[(
    "src/sim/",
    "modem.rs puts together engine.rs (the V.250 engine), execute.rs (its commands) and gsm.rs \
     (the GSM profile); the engine and the GSM profile do not import each other",
)];

/// A capability that only some places of `src/` may use.
struct Rule {
    /// What the test is about, as the violation says it.
    what: &'static str,
    /// Paths or path tails (`thread::sleep`) that use the capability; a match is a run of
    /// whole `::`-separated segments of a path the file names.
    uses: &'static [&'static str],
    /// Where it is allowed (a folder `src/x/` or a file), and why there.
    allowed: &'static [(&'static str, &'static str)],
}

const NETWORK: Rule = Rule {
    what: "uses the network",
    uses: &["std::net", "TcpStream", "TcpListener", "UdpSocket"],
    allowed: &[("src/port/", "TCP and RFC 2217 ports"), ("src/serve/", "the simulator served over TCP and RFC 2217")],
};

const PTY: Rule = Rule {
    what: "opens a pseudo-terminal",
    uses: &["openpty", "posix_openpt", "grantpt", "unlockpt", "ptsname"],
    allowed: &[("src/port/", "devices are opened in port/"), ("src/serve/", "the simulator served on a pty")],
};

const TERMIOS: Rule = Rule {
    what: "sets terminal modes",
    uses: &["termios", "tcsetattr", "tcgetattr", "cfmakeraw", "cfsetspeed", "cfsetispeed", "cfsetospeed"],
    allowed: &[
        ("src/port/", "serial settings"),
        ("src/serve/", "the simulator's pty is raw"),
        ("src/chat/tty.rs", "chat's own termios on fd 0, restored at exit"),
        ("src/repl/passthrough.rs", "the REPL's terminal mode: raw keys to the modem, restored on the way back"),
    ],
};

const FILE_WRITES: Rule = Rule {
    what: "writes files",
    uses: &[
        "File::create",
        "fs::write",
        "OpenOptions",
        "fs::create_dir",
        "fs::create_dir_all",
        "fs::remove_file",
        "fs::rename",
    ],
    allowed: &[
        ("src/port/", "UUCP lock files"),
        ("src/cli.rs", "-o, --log, man --dir"),
        ("src/repl/", ":save, :log, the history"),
        ("src/chat/", "chat's -r report file, appended as chat(8) does"),
        ("src/serve/", "the simulator's front end"),
        ("src/record/recorder.rs", "the --record transcript file"),
    ],
};

const SLEEP: Rule = Rule {
    what: "sleeps",
    uses: &["thread::sleep"],
    allowed: &[
        ("src/port/", "a port waits for its device, or for the simulator on the real clock"),
        ("src/serve/", "the simulator's poll loop"),
        ("src/repl/", "the REPL's loop idles while no port is open"),
    ],
};

const MIETTE: Rule = Rule {
    what: "uses miette",
    uses: &["miette"],
    allowed: &[
        ("src/diagnostics.rs", "every error kind becomes a report here"),
        ("src/diagnostics/", "the part of the file a report shows is miette's SourceCode"),
        ("src/cli.rs", "the CLI prints the reports"),
    ],
};

const SERIALPORT: Rule = Rule {
    what: "opens a serial device",
    uses: &["serialport"],
    allowed: &[("src/port/", "only port/ opens a device")],
};

/// The stages that perform no I/O at all, and why.
const PURE: &[(&str, &str)] = &[
    ("src/lang/", "the ground floor is values and functions"),
    ("src/check/", "the checker reads an AST and returns errors"),
    ("src/bytecode/", "programs are data; the encoding reads and writes bytes in memory"),
    ("src/vm/", "vm/ performs no I/O and never sleeps: it returns an Effect"),
    ("src/sim/", "the simulated modem opens nothing, reads no file, starts no thread, never sleeps"),
];

/// What I/O looks like in a path or a macro (each a run of whole segments).
const IO: &[&str] = &[
    "std::fs",
    "std::net",
    "std::process",
    "std::io::stdin",
    "std::io::stdout",
    "std::io::stderr",
    "libc",
    "thread::sleep",
    "thread::spawn",
    "thread::scope",
    "Instant::now",
    "SystemTime",
    "println!",
    "eprintln!",
    "print!",
    "eprint!",
    "dbg!",
];

/// I/O in a pure stage, allowed on purpose: (file, the use, why). None today: scenario
/// files are read by `port/`, the engine only parses text.
const IO_ALLOWED: &[(&str, &str, &str)] = &[];

/// Names of documents that live outside this repository; a comment pointing at them points
/// nowhere for a reader of the repository.
const OUTSIDE: &[&str] = &["DESIGN.md", "STYLE.md", "chat8.md", "reference/", "../shared"];

// ---------------------------------------------------------------- the scanner

/// One source file of `src/`, scanned.
struct Source {
    /// Relative to the repository: `src/vm/machine.rs`.
    path: String,
    /// The first component under `src/`: a folder, or a top-level file without `.rs`.
    stage: String,
    /// The module the file is: `vm::machine`.
    module: Vec<String>,
    /// Every path the file names, resolved to a crate path where it starts with `crate`,
    /// `super` or `self`, with its line.
    paths: Vec<Mention>,
    /// Every comment, with the line it starts on.
    comments: Vec<(usize, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Mention {
    line: usize,
    /// The segments as written (`use` trees expanded; `self` items dropped).
    written: Vec<String>,
    /// For paths inside this crate, the segments under `crate::`.
    resolved: Option<Vec<String>>,
}

/// The text of `code` with comments, string and character literals blanked to spaces
/// (newlines kept, so offsets keep their lines), and the comments.
fn blank(code: &str) -> (String, Vec<(usize, String)>) {
    let chars: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let mut comments = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    // Pushes chars[from..to] as blanks, counting lines.
    let blanked = |out: &mut String, line: &mut usize, from: usize, to: usize| {
        for &c in &chars[from..to] {
            if c == '\n' {
                out.push('\n');
                *line += 1;
            } else {
                out.push(' ');
            }
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            let end = chars[i..].iter().position(|&c| c == '\n').map_or(chars.len(), |n| i + n);
            comments.push((line, chars[i..end].iter().collect()));
            blanked(&mut out, &mut line, i, end);
            i = end;
        } else if c == '/' && next == Some('*') {
            let (start, mut depth, mut j) = (line, 0, i);
            while j < chars.len() {
                if chars[j] == '/' && chars.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if chars[j] == '*' && chars.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            comments.push((start, chars[i..j.min(chars.len())].iter().collect()));
            blanked(&mut out, &mut line, i, j.min(chars.len()));
            i = j;
        } else if c == 'r'
            && (i == 0 || !ident(chars[i - 1]) || (chars[i - 1] == 'b' && (i < 2 || !ident(chars[i - 2]))))
            && matches!(next, Some('"' | '#'))
        {
            // A raw string r"..." or r#"..."#, or the identifier r#type.
            let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
            if chars.get(i + 1 + hashes) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let close: String = std::iter::once('"').chain(std::iter::repeat('#').take(hashes)).collect();
            let body = i + 2 + hashes;
            let rest: String = chars[body..].iter().collect();
            let end = rest.find(&close).map_or(chars.len(), |at| body + rest[..at].chars().count() + close.len());
            out.push('r');
            blanked(&mut out, &mut line, i + 1, end);
            i = end;
        } else if c == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            out.push('"');
            blanked(&mut out, &mut line, i + 1, j.min(chars.len()));
            out.push('"');
            i = j + 1;
        } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            // A character literal; otherwise a lifetime, kept.
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '\'' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            out.push('\'');
            blanked(&mut out, &mut line, i + 1, j.min(chars.len()));
            out.push('\'');
            i = j + 1;
        } else {
            if c == '\n' {
                line += 1;
            }
            out.push(c);
            i += 1;
        }
    }
    (out, comments)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    /// `::`
    Path,
    Punct(char),
}

/// Identifiers, `::` and punctuation of blanked code, with their lines.
fn tokens(code: &str) -> Vec<(usize, Token)> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((line, Token::Ident(chars[start..i].iter().collect())));
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push((line, Token::Path));
            i += 2;
        } else {
            out.push((line, Token::Punct(c)));
            i += 1;
        }
    }
    out
}

/// Expands the `use` tree starting at `tokens[*at]` under `prefix`; leaves `*at` after it.
fn use_tree(tokens: &[(usize, Token)], at: &mut usize, prefix: Vec<String>, out: &mut Vec<(usize, Vec<String>)>) {
    let mut path = prefix;
    let mut line = tokens.get(*at).map_or(0, |t| t.0);
    while let Some((l, token)) = tokens.get(*at) {
        match token {
            Token::Path => *at += 1,
            Token::Punct('{') => {
                *at += 1;
                loop {
                    match tokens.get(*at) {
                        Some((_, Token::Punct('}'))) => {
                            *at += 1;
                            return;
                        }
                        Some((_, Token::Punct(','))) => *at += 1,
                        Some(_) => use_tree(tokens, at, path.clone(), out),
                        None => return,
                    }
                }
            }
            Token::Punct('*') => {
                *at += 1;
                out.push((*l, path));
                return;
            }
            Token::Ident(word) if word == "as" => {
                *at += 2;
                break;
            }
            Token::Ident(word) => {
                line = *l;
                if word != "self" || path.is_empty() {
                    path.push(word.clone());
                }
                *at += 1;
            }
            Token::Punct(_) => break,
        }
    }
    out.push((line, path));
}

/// The module a file is: `src/vm/machine.rs` is `vm::machine`, `src/vm/mod.rs` is `vm`.
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> =
        relative.iter().skip(1).map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

/// `path` as a path under `crate::`, written in module `module`; `None` outside the crate.
fn resolve(path: &[String], module: &[String]) -> Option<Vec<String>> {
    let (first, rest) = path.split_first()?;
    match first.as_str() {
        "crate" | "atchat" => Some(rest.to_vec()),
        "self" => Some(module.iter().chain(rest).cloned().collect()),
        "super" => {
            let ups = path.iter().take_while(|s| *s == "super").count();
            let base = &module[..module.len().checked_sub(ups)?];
            Some(base.iter().chain(&path[ups..]).cloned().collect())
        }
        _ => None,
    }
}

/// Every path `code` names: each leaf of each `use` tree, and each `a::b` elsewhere; with
/// the inline modules (`mod tests { ... }`) in force where it is written.
fn mentions(code: &str, file_module: &[String]) -> Vec<Mention> {
    let tokens = tokens(code);
    let mut out = Vec::new();
    // (brace depth inside the module, its name)
    let mut inline: Vec<(usize, String)> = Vec::new();
    let mut depth = 0;
    let mut at = 0;
    let module = |inline: &[(usize, String)]| -> Vec<String> {
        file_module.iter().cloned().chain(inline.iter().map(|(_, n)| n.clone())).collect()
    };
    let ident = |i: usize| match tokens.get(i) {
        Some((_, Token::Ident(w))) => Some(w.as_str()),
        _ => None,
    };
    while at < tokens.len() {
        let (line, token) = &tokens[at];
        match token {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth -= 1;
                if inline.last().is_some_and(|(d, _)| *d == depth) {
                    inline.pop();
                }
            }
            Token::Ident(w) if w == "mod" && matches!(tokens.get(at + 2), Some((_, Token::Punct('{')))) => {
                if let Some(name) = ident(at + 1) {
                    inline.push((depth, name.to_string()));
                }
            }
            Token::Ident(w) if w == "use" => {
                at += 1;
                let mut leaves = Vec::new();
                use_tree(&tokens, &mut at, Vec::new(), &mut leaves);
                let here = module(&inline);
                for (line, written) in leaves {
                    let resolved = resolve(&written, &here);
                    out.push(Mention { line, written, resolved });
                }
                continue;
            }
            Token::Ident(w)
                if matches!(tokens.get(at + 1), Some((_, Token::Punct('!'))))
                    && matches!(tokens.get(at + 2), Some((_, Token::Punct('(' | '[' | '{')))) =>
            {
                // A macro call, `name!(...)`.
                out.push(Mention { line: *line, written: vec![format!("{w}!")], resolved: None });
            }
            Token::Ident(_) if matches!(tokens.get(at + 1), Some((_, Token::Path))) => {
                // A path: ident (:: ident)*, unless this is the middle of one.
                if at > 0 && matches!(tokens[at - 1].1, Token::Path) {
                    at += 1;
                    continue;
                }
                let mut written = Vec::new();
                let mut j = at;
                while let Some(w) = ident(j) {
                    written.push(w.to_string());
                    if matches!(tokens.get(j + 1), Some((_, Token::Path))) {
                        j += 2;
                    } else {
                        break;
                    }
                }
                let resolved = resolve(&written, &module(&inline));
                out.push(Mention { line: *line, written, resolved });
                at = j + 1;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    out
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// Every file of `src/`, scanned, in path order.
fn sources() -> Vec<Source> {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let relative = file.strip_prefix(root()).expect("under the repository").to_path_buf();
            let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let (code, comments) = blank(&text);
            let module = module_of(&relative);
            let stage = relative
                .iter()
                .nth(1)
                .map(|s| s.to_string_lossy().trim_end_matches(".rs").to_string())
                .unwrap_or_default();
            Source { path: relative.display().to_string(), stage, paths: mentions(&code, &module), module, comments }
        })
        .collect()
}

/// Whether `needle` (`a::b`) is a run of whole segments of `path`.
fn names(path: &[String], needle: &str) -> bool {
    let needle: Vec<&str> = needle.split("::").collect();
    path.windows(needle.len()).any(|w| w.iter().zip(&needle).all(|(a, b)| a == b))
}

/// Violations by file and line (numerically sorted); what is wrong there, one item per path.
type Violations = BTreeMap<(String, usize), Vec<String>>;

/// Fails listing every violation as `file:line: what` under `title`.
#[track_caller]
fn report(title: &str, violations: Violations) {
    if violations.is_empty() {
        return;
    }
    let list: Vec<String> = violations
        .into_iter()
        .map(|((file, line), what)| {
            let what: Vec<String> = what.into_iter().collect::<BTreeSet<_>>().into_iter().collect();
            if line == 0 {
                format!("{file}: {}", what.join("; "))
            } else {
                format!("{file}:{line}: {}", what.join("; "))
            }
        })
        .collect();
    panic!("{} {title}:\n{}\n", list.len(), list.join("\n"));
}

/// A crate-internal import from one stage into another: (line, target stage, the path).
fn imports(source: &Source, stages: &BTreeSet<String>) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for m in &source.paths {
        let Some(resolved) = &m.resolved else { continue };
        let Some(target) = resolved.first() else { continue };
        if *target != source.stage && stages.contains(target) {
            out.push((m.line, target.clone(), resolved.join("::")));
        }
    }
    out
}

fn stages(sources: &[Source]) -> BTreeSet<String> {
    sources.iter().map(|s| s.stage.clone()).collect()
}

#[track_caller]
fn check_rule(rule: &Rule) {
    let mut violations = Violations::new();
    for source in sources() {
        if rule.allowed.iter().any(|(place, _)| source.path.starts_with(place)) {
            continue;
        }
        for m in &source.paths {
            if rule.uses.iter().any(|u| names(&m.written, u)) {
                violations
                    .entry((source.path.clone(), m.line))
                    .or_default()
                    .push(format!("`{}`", m.written.join("::")));
            }
        }
    }
    let places: Vec<&str> = rule.allowed.iter().map(|(p, _)| *p).collect();
    for what in violations.values_mut() {
        let uses = std::mem::take(what).into_iter().collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>();
        what.push(format!("{} ({}); only {} may", rule.what, uses.join(", "), places.join(", ")));
    }
    report(&format!("place(s) where src/ {} where it may not", rule.what), violations);
}

// ---------------------------------------------------------------- the invariants

#[test]
fn every_stage_of_src_is_in_the_table() {
    let declared: Vec<&str> = MAY_IMPORT.iter().map(|(s, _)| *s).collect();
    let missing: Violations = stages(&sources())
        .into_iter()
        .filter(|s| !declared.contains(&s.as_str()))
        .map(|s| ((format!("src/{s}"), 0), vec!["not in MAY_IMPORT; add it with the stages it may import".to_string()]))
        .collect();
    report("stage(s) without a place in the layering", missing);
}

#[test]
fn the_table_points_only_down() {
    let order: Vec<&str> = MAY_IMPORT.iter().map(|(s, _)| *s).collect();
    for (at, (stage, allowed)) in MAY_IMPORT.iter().enumerate() {
        for target in *allowed {
            let below = order.iter().position(|s| s == target).is_some_and(|t| t < at);
            assert!(below, "MAY_IMPORT: {stage} may import {target}, which is not above it in the table");
        }
    }
}

#[test]
fn each_stage_imports_only_the_stages_below_it() {
    let sources = sources();
    let stages = stages(&sources);
    // (file, line) → target stage → paths
    let mut found: BTreeMap<(String, usize), BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let mut may: BTreeMap<String, &[&str]> = BTreeMap::new();
    for source in &sources {
        let Some((_, allowed)) = MAY_IMPORT.iter().find(|(s, _)| *s == source.stage) else { continue };
        may.insert(source.path.clone(), allowed);
        for (line, target, path) in imports(source, &stages) {
            let excused =
                ALLOWED_IMPORTS.iter().any(|(from, prefix, _)| *from == source.stage && path.starts_with(prefix));
            if !allowed.contains(&target.as_str()) && !excused {
                let paths = found.entry((source.path.clone(), line)).or_default().entry(target).or_default();
                paths.push(format!("`crate::{path}`"));
            }
        }
    }
    let mut violations = Violations::new();
    for ((file, line), targets) in found {
        let stage = sources.iter().find(|s| s.path == file).map(|s| s.stage.clone()).unwrap_or_default();
        let allowed = may[&file];
        for (target, paths) in targets {
            violations.entry((file.clone(), line)).or_default().push(format!(
                "{stage} imports {target} ({}); {stage} may import {}",
                paths.join(", "),
                if allowed.is_empty() { "nothing".to_string() } else { allowed.join(", ") }
            ));
        }
    }
    report("import(s) against the layering", violations);
}

/// Every circle of `graph` (node → node it imports → where), once each, from its smallest
/// node: the nodes in order, and where each import is.
fn circles(graph: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<(Vec<String>, String)> {
    let mut found = Vec::new();
    for start in graph.keys() {
        let mut paths: Vec<Vec<&String>> = vec![vec![start]];
        let mut seen = BTreeSet::new();
        while let Some(path) = paths.pop() {
            let last = *path.last().unwrap();
            for next in graph.get(last).into_iter().flat_map(|m| m.keys()) {
                if next == start {
                    if path.iter().all(|s| *s >= start) {
                        let mut circle: Vec<String> = path.iter().map(|s| s.to_string()).collect();
                        circle.push(next.clone());
                        let sites: Vec<String> = circle
                            .windows(2)
                            .map(|w| format!("{} → {} at {}", w[0], w[1], graph[&w[0]][&w[1]]))
                            .collect();
                        found.push((circle, sites.join("; ")));
                    }
                } else if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next);
                    paths.push(longer);
                }
            }
        }
    }
    found
}

#[test]
fn no_circle_between_folders() {
    let sources = sources();
    let stages = stages(&sources);
    // stage → stage it imports → the first place it does
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for source in &sources {
        for (line, target, _) in imports(source, &stages) {
            graph
                .entry(source.stage.clone())
                .or_default()
                .entry(target)
                .or_insert_with(|| format!("{}:{line}", source.path));
        }
    }
    let mut violations = Violations::new();
    for (circle, sites) in circles(&graph) {
        let circle = circle.iter().map(|s| format!("src/{s}")).collect::<Vec<_>>().join(" → ");
        violations.entry((circle, 0)).or_default().push(sites);
    }
    report("circle(s) between folders", violations);
}

#[test]
fn pure_stages_perform_no_io() {
    let mut violations = Violations::new();
    for source in sources() {
        let Some((stage, why)) = PURE.iter().find(|(place, _)| source.path.starts_with(place)) else { continue };
        let mut found: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for m in &source.paths {
            let Some(io) = IO.iter().find(|io| names(&m.written, io)) else { continue };
            if !IO_ALLOWED.iter().any(|(file, allowed, _)| *file == source.path && allowed == io) {
                found.entry(m.line).or_default().push(format!("`{}`", m.written.join("::")));
            }
        }
        for (line, uses) in found {
            violations
                .entry((source.path.clone(), line))
                .or_default()
                .push(format!("I/O in {stage} ({}): {why}", uses.join(", ")));
        }
    }
    report("place(s) where a stage without I/O performs some", violations);
}

#[test]
fn no_circle_between_the_files_of_folders_that_say_so() {
    let sources = sources();
    let mut violations = Violations::new();
    for (folder, why) in ACYCLIC_FILES {
        let files: Vec<&Source> = sources.iter().filter(|s| s.path.starts_with(folder)).collect();
        // The file a crate path leads to: the one whose module is its longest prefix.
        let file_of = |path: &[String]| {
            files.iter().copied().filter(|s| path.starts_with(&s.module)).max_by_key(|s| s.module.len())
        };
        // A path as written in `source`, under `crate::`; a relative path counts when it
        // starts with a child module (`use engine::Profile` in mod.rs).
        let resolve_in = |source: &Source, m: &Mention| -> Option<Vec<String>> {
            m.resolved.clone().or_else(|| {
                let path: Vec<String> = source.module.iter().chain(&m.written).cloned().collect();
                let child = &path[..source.module.len() + 1];
                files.iter().any(|s| s.module == child).then_some(path)
            })
        };
        let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for source in files.iter().filter(|s| !s.path.ends_with("/mod.rs")) {
            for m in &source.paths {
                let Some(path) = resolve_in(source, m) else { continue };
                let Some(mut target) = file_of(&path) else { continue };
                // mod.rs only declares and re-exports: follow a re-export to its file.
                if target.path.ends_with("/mod.rs") {
                    let name = path.get(target.module.len());
                    let index = target;
                    let origin = index.paths.iter().filter_map(|r| resolve_in(index, r)).find(|r| r.last() == name);
                    match origin.as_deref().and_then(file_of) {
                        Some(file) if !file.path.ends_with("/mod.rs") => target = file,
                        _ => continue,
                    }
                }
                if target.path != source.path {
                    let short = |s: &Source| s.path.trim_start_matches(folder).to_string();
                    graph
                        .entry(short(source))
                        .or_default()
                        .entry(short(target))
                        .or_insert_with(|| format!("{}:{}", source.path, m.line));
                }
            }
        }
        for (circle, sites) in circles(&graph) {
            let circle = circle.iter().map(|f| format!("{folder}{f}")).collect::<Vec<_>>().join(" → ");
            violations.entry((circle, 0)).or_default().push(format!("{sites}; {why}"));
        }
    }
    report("circle(s) between the files of a folder", violations);
}

#[test]
fn only_port_and_serve_use_the_network() {
    check_rule(&NETWORK);
}

#[test]
fn only_port_and_serve_open_pseudo_terminals() {
    check_rule(&PTY);
}

#[test]
fn only_port_serve_and_chats_tty_set_terminal_modes() {
    check_rule(&TERMIOS);
}

#[test]
fn only_front_ends_and_port_write_files() {
    check_rule(&FILE_WRITES);
}

#[test]
fn only_ports_servers_the_repl_and_the_driver_sleep() {
    check_rule(&SLEEP);
}

#[test]
fn miette_only_in_diagnostics_and_the_cli() {
    check_rule(&MIETTE);
}

#[test]
fn only_port_opens_a_serial_device() {
    check_rule(&SERIALPORT);
}

/// Text files under `dir`, recursively.
fn text_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            text_files(&path, found);
        } else {
            found.push(path);
        }
    }
}

#[test]
fn no_comment_points_outside_the_repository() {
    let mut violations = Violations::new();
    let mut flag = |file: &str, line: usize, text: &str| {
        for name in OUTSIDE.iter().filter(|n| text.contains(*n)) {
            violations
                .entry((file.to_string(), line))
                .or_default()
                .push(format!("points at {name}, which is not in this repository: say the fact instead"));
        }
    };
    for source in sources() {
        for (line, comment) in &source.comments {
            for (i, text) in comment.lines().enumerate() {
                flag(&source.path, line + i, text);
            }
        }
    }
    // Tests, their data, the benchmarks, docs, stdlib and examples, whole (data files are
    // mostly comments); this
    // file names the documents in OUTSIDE, so it is left out.
    let mut files = Vec::new();
    text_files(&root().join("tests"), &mut files);
    text_files(&root().join("benches"), &mut files);
    text_files(&root().join("docs"), &mut files);
    text_files(&root().join("stdlib"), &mut files);
    text_files(&root().join("examples"), &mut files);
    files.extend(["README.md", "ARCHITECTURE.md"].map(|f| root().join(f)));
    files.sort();
    for file in files.iter().filter(|f| !f.ends_with("tests/it/architecture.rs")) {
        let Ok(text) = std::fs::read_to_string(file) else { continue };
        let shown = file.strip_prefix(root()).unwrap_or(file).display().to_string();
        for (i, line) in text.lines().enumerate() {
            flag(&shown, i + 1, line);
        }
    }
    report("comment(s) pointing outside the repository", violations);
}

// ---------------------------------------------------------------- the scanner's own tests

#[test]
fn the_scanner_finds_imports_and_ignores_comments_and_literals() {
    let code = r##"
//! Mentions crate::sim in a comment.
use crate::{bytecode::{self, Op}, vm::matcher::Pattern as P};
use super::{x, y::*};
fn f<'a>(s: &'a str) -> char {
    let _ = "crate::port::Fake"; let _ = r#"crate::port::"Raw"#; let _ = b"\"";
    std::thread::sleep(d); crate::driver::run(); '"'; eprintln!("{}", a != b);
}
/* crate::repl /* nested */ still a comment */
#[cfg(test)]
mod tests {
    use super::*;
    fn g() { super::super::chat::x(); }
}
use self::inner::Thing;
"##;
    let (blanked, comments) = blank(code);
    assert_eq!(blanked.lines().count(), code.lines().count());
    assert_eq!(comments.len(), 2, "{comments:?}");
    assert_eq!(comments[1].0, 9);
    let module = vec!["vm".to_string(), "machine".to_string()];
    let found: Vec<(usize, String)> =
        mentions(&blanked, &module).into_iter().filter_map(|m| Some((m.line, m.resolved?.join("::")))).collect();
    let want: Vec<(usize, String)> = [
        (3, "bytecode"),
        (3, "bytecode::Op"),
        (3, "vm::matcher::Pattern"),
        (4, "vm::x"),
        (4, "vm::y"),
        (7, "driver::run"),
        (12, "vm::machine"),
        (13, "vm::chat::x"),
        (15, "vm::machine::inner::Thing"),
    ]
    .into_iter()
    .map(|(l, p)| (l, p.to_string()))
    .collect();
    assert_eq!(found, want);
    let written: Vec<String> = mentions(&blanked, &module).iter().map(|m| m.written.join("::")).collect();
    assert!(written.contains(&"std::thread::sleep".to_string()), "{written:?}");
    assert!(written.contains(&"eprintln!".to_string()), "{written:?}");
    assert!(!written.iter().any(|w| w == "a!" || w == "b!"), "{written:?}");
    assert!(!written.iter().any(|w| w.contains("port") || w.contains("repl")), "{written:?}");
    assert!(names(&["std".into(), "thread".into(), "sleep".into()], "thread::sleep"));
    assert!(!names(&["std".into(), "threads".into(), "sleep".into()], "thread::sleep"));
}

#[test]
fn every_allowance_names_a_place_that_exists_or_is_planned() {
    // An allowance outlives what it excused unless someone notices; planned places are the
    // stages of MAY_IMPORT that the tree does not have yet.
    let planned: Vec<&str> = MAY_IMPORT.iter().map(|(s, _)| *s).collect();
    for rule in [&NETWORK, &PTY, &TERMIOS, &FILE_WRITES, &SLEEP, &MIETTE, &SERIALPORT] {
        for (place, why) in rule.allowed {
            assert!(!why.is_empty(), "{place}: say why");
            let stage = place.trim_start_matches("src/").split('/').next().unwrap().trim_end_matches(".rs");
            assert!(
                root().join(place).exists() || planned.contains(&stage),
                "{place} is allowed to {} but is not in src/",
                rule.what
            );
        }
    }
    for (stage, path, why) in ALLOWED_IMPORTS {
        assert!(!why.is_empty() && planned.contains(stage), "{stage}: {path}");
    }
    for (folder, why) in ACYCLIC_FILES {
        assert!(!why.is_empty() && root().join(folder).is_dir(), "{folder}");
    }
    for (file, io, why) in IO_ALLOWED {
        assert!(!why.is_empty() && root().join(file).exists(), "{file}: {io}");
        assert!(IO.contains(io), "{file}: `{io}` is not in IO");
    }
}
