//! `editors/`: the TextMate grammar (VS Code) and the Vim syntax follow `grammar/atchat.pest`.
//! Their keyword lists are compared with the grammar's keyword rules, every TextMate regex
//! is compiled, and a headless Vim loads the syntax file on a script and says how it
//! coloured it.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::cli::repo;

/// The words `kw_*` rules match, and every lowercase word the grammar spells out in a rule
/// (`results numeric`, `dtr on`, `wait carrier`), which editors show as keywords too.
fn grammar_words() -> (BTreeSet<String>, BTreeSet<String>) {
    let pest = std::fs::read_to_string(repo("grammar/atchat.pest")).expect("grammar/atchat.pest");
    let rule = regex::Regex::new(r#"^kw_[a-z_]+\s*=\s*@\{\s*"([a-z_]+)""#).unwrap();
    let literal = regex::Regex::new(r#""([a-z_]{2,})""#).unwrap();
    let mut keywords = BTreeSet::new();
    let mut all = BTreeSet::new();
    for line in pest.lines().filter(|l| !l.trim_start().starts_with("//")) {
        if let Some(c) = rule.captures(line) {
            keywords.insert(c[1].to_string());
        }
        all.extend(literal.captures_iter(line).map(|c| c[1].to_string()));
    }
    assert!(keywords.len() > 30, "kw_ rules not found in the grammar: {keywords:?}");
    assert!(keywords.is_subset(&all));
    (keywords, all)
}

fn textmate() -> Value {
    let path = repo("editors/vscode/syntaxes/atchat.tmLanguage.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()))
}

/// Every pattern object of the grammar, nested ones included, with the path to it.
fn patterns<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(map) => {
            if map.contains_key("match") || map.contains_key("begin") || map.contains_key("include") {
                out.push((at.clone(), value));
            }
            for (key, child) in map {
                patterns(child, format!("{at}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                patterns(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The words of a keyword pattern written `\b(?:a|b|c)\b`, or `None` for another shape.
fn alternation(regex: &str) -> Option<Vec<String>> {
    let inner = regex.strip_prefix(r"\b(?:")?.strip_suffix(r")\b")?;
    let words: Vec<String> = inner.split('|').map(str::to_string).collect();
    words.iter().all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '_')).then_some(words)
}

/// The scope a keyword may be shown in.
fn is_keyword_scope(scope: &str) -> bool {
    ["keyword.", "storage.", "constant.language."].iter().any(|p| scope.starts_with(p))
}

#[test]
fn textmate_grammar_is_valid_and_its_regexes_compile() {
    let grammar = textmate();
    assert_eq!(grammar["scopeName"], "source.atchat");
    let mut found = Vec::new();
    patterns(&grammar, String::new(), &mut found);
    assert!(found.len() > 10, "{found:?}");
    let repository = grammar["repository"].as_object().expect("a repository");
    for (at, pattern) in &found {
        for key in ["match", "begin", "end"] {
            if let Some(text) = pattern.get(key) {
                let text = text.as_str().unwrap_or_else(|| panic!("{at}/{key} is not a string"));
                if let Err(e) = regex::Regex::new(text) {
                    panic!("{at}/{key}: `{text}` does not compile: {e}");
                }
            }
        }
        if let Some(include) = pattern.get("include").and_then(Value::as_str) {
            let name = include.strip_prefix('#').unwrap_or_else(|| panic!("{at}: include {include} is not local"));
            assert!(repository.contains_key(name), "{at}: include {include} names nothing");
        }
    }
    let package: Value = serde_json::from_str(&std::fs::read_to_string(repo("editors/vscode/package.json")).unwrap())
        .expect("package.json is JSON");
    let contributes = &package["contributes"];
    assert_eq!(contributes["languages"][0]["extensions"][0], ".atc");
    assert_eq!(contributes["grammars"][0]["scopeName"], "source.atchat");
    for file in [&contributes["grammars"][0]["path"], &contributes["languages"][0]["configuration"]] {
        let file = file.as_str().expect("a path");
        assert!(repo("editors/vscode").join(file).is_file(), "package.json names {file}, which is missing");
    }
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(repo("editors/vscode/language-configuration.json")).unwrap())
            .expect("language-configuration.json is JSON");
    assert_eq!(config["comments"]["lineComment"], "#");
}

#[test]
fn textmate_keywords_are_the_grammars() {
    let (keywords, words) = grammar_words();
    let grammar = textmate();
    let mut found = Vec::new();
    patterns(&grammar, String::new(), &mut found);
    let mut listed = BTreeSet::new();
    let mut keyword_regexes = Vec::new();
    for (at, pattern) in &found {
        let (Some(regex), Some(scope)) = (pattern["match"].as_str(), pattern["name"].as_str()) else { continue };
        if let Some(alternatives) = alternation(regex) {
            assert!(is_keyword_scope(scope), "{at}: keywords in scope {scope}");
            listed.extend(alternatives);
            keyword_regexes.push(regex::Regex::new(&format!("^(?:{regex})$")).unwrap());
        }
    }
    assert_eq!(listed, words, "the TextMate keyword lists differ from the grammar's words");
    for keyword in &keywords {
        assert!(keyword_regexes.iter().any(|r| r.is_match(keyword)), "`{keyword}` is not highlighted");
    }
    // Whole words only: an identifier that starts with a keyword is no keyword.
    for regex in &keyword_regexes {
        let unanchored = regex::Regex::new(&regex.as_str()[4..regex.as_str().len() - 2]).unwrap();
        for name in ["sender", "expected", "ignored_x", "my_send"] {
            assert!(!unanchored.is_match(name), "{regex} matches inside `{name}`");
        }
    }
}

/// The first pattern of the repository entry `name` that matches `text`, and what it matched.
fn matched(grammar: &Value, name: &str, key: &str, text: &str) -> Option<String> {
    let regex = grammar["repository"][name][key].as_str().unwrap_or_else(|| panic!("no {name}/{key}"));
    regex::Regex::new(regex).unwrap().find(text).map(|m| m.as_str().to_string())
}

#[test]
fn textmate_tokens_match_the_grammars_tokens() {
    let grammar = textmate();
    let code = |text| matched(&grammar, "result-code", "match", text);
    assert_eq!(code("expect NO CARRIER within 5s").as_deref(), Some("NO CARRIER"));
    assert_eq!(code("on +CME ERROR fail").as_deref(), Some("+CME ERROR"));
    assert_eq!(code("send \"at\"").as_deref(), None);
    let duration = |text| matched(&grammar, "duration", "match", text);
    assert_eq!(duration("pace 1.5s").as_deref(), Some("1.5s"));
    assert_eq!(duration("within 500ms").as_deref(), Some("500ms"));
    assert_eq!(duration("retry 3 times").as_deref(), None);
    assert_eq!(matched(&grammar, "comment", "match", "send \"AT\" # reset").as_deref(), Some("# reset"));
    let inside = &grammar["repository"]["string"]["patterns"];
    let escape = regex::Regex::new(inside[0]["match"].as_str().unwrap()).unwrap();
    let hole = regex::Regex::new(inside[1]["match"].as_str().unwrap()).unwrap();
    let escapes: Vec<&str> = escape.find_iter(r#"AT\r\x1a\"\{"#).map(|m| m.as_str()).collect();
    assert_eq!(escapes, [r"\r", r"\x1a", r#"\""#, r"\{"]);
    assert_eq!(hole.find("CONNECT {rate}").map(|m| m.as_str()), Some("{rate}"));
    assert_eq!(hole.find("{Rate}").map(|m| m.as_str()), None, "a hole names a lowercase identifier");
}

/// The words of `syn keyword GROUP word...` lines, `contained` ones (TODO) left out.
fn vim_keywords(syntax: &str) -> BTreeSet<String> {
    syntax
        .lines()
        .filter_map(|l| l.trim().strip_prefix("syn keyword "))
        .filter(|rest| !rest.split_whitespace().any(|w| w == "contained"))
        .flat_map(|rest| rest.split_whitespace().skip(1).map(str::to_string))
        .collect()
}

#[test]
fn vim_keywords_are_the_grammars() {
    let (keywords, words) = grammar_words();
    let syntax = std::fs::read_to_string(repo("editors/vim/syntax/atchat.vim")).expect("the Vim syntax");
    let listed = vim_keywords(&syntax);
    assert!(keywords.is_subset(&listed), "missing from the Vim syntax: {:?}", keywords.difference(&listed));
    assert_eq!(listed, words, "the Vim keyword lists differ from the grammar's words");
}

/// A script with one of each token, and (line, column, text) → the Vim group expected there.
const SAMPLE: &str = "\
use hayes
param number  # TODO the number
on NO CARRIER fail \"lost {rate}\\r\"
retry 3 times every 1.5s {
    hayes.dial(number)
}
";

#[test]
fn vim_loads_the_syntax_and_colours_a_script() {
    let vim = Path::new("/usr/bin/vim");
    assert!(vim.exists(), "vim is needed for this test (.ci/test installs it)");
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("sample.atc");
    std::fs::write(&script, SAMPLE).unwrap();
    let out = dir.path().join("groups.txt");
    // For each probe, the innermost syntax group at that place, then the errors Vim met.
    let probes = [
        (1, 1, "atchatInclude"),
        (2, 1, "atchatStorage"),
        (2, 15, "atchatComment"),
        (2, 19, "atchatTodo"),
        (3, 1, "atchatException"),
        (3, 4, "atchatResultCode"),
        (3, 15, "atchatException"),
        (3, 20, "atchatString"),
        (3, 26, "atchatHole"),
        (3, 32, "atchatEscape"),
        (4, 1, "atchatRepeat"),
        (4, 7, "atchatNumber"),
        (4, 21, "atchatDuration"),
        (5, 5, "atchatFunction"),
    ];
    let query: Vec<String> = probes.iter().map(|(l, c, _)| format!("synIDattr(synID({l}, {c}, 1), 'name')")).collect();
    let vimscript = format!(
        "call writefile([{}, 'filetype=' . &filetype, 'errors=' . v:errmsg], '{}')\n",
        query.join(", "),
        out.display()
    );
    let commands = dir.path().join("probe.vim");
    std::fs::write(&commands, vimscript).unwrap();
    let status = Command::new(vim)
        .args(["-N", "-u", "NONE", "-i", "NONE", "-n", "-es"])
        .arg("--cmd")
        .arg(format!("set runtimepath^={}", repo("editors/vim").display()))
        .args(["-c", "filetype plugin on", "-c", "syntax on"])
        .arg("-c")
        .arg(format!("edit {}", script.display()))
        .arg("-c")
        .arg(format!("source {}", commands.display()))
        .args(["-c", "qall!"])
        .env("HOME", dir.path())
        .status()
        .expect("run vim");
    assert!(status.success(), "vim exited with {status}");
    let lines = std::fs::read_to_string(&out).expect("vim wrote the groups");
    let lines: Vec<&str> = lines.lines().collect();
    let expected: Vec<String> = probes
        .iter()
        .map(|(_, _, group)| group.to_string())
        .chain(["filetype=atchat".to_string(), "errors=".to_string()])
        .collect();
    assert_eq!(lines, expected, "Vim's groups at {:?}", probes.map(|(l, c, _)| (l, c)));
}
