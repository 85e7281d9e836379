//! The AT command table shipped in `stdlib/at-commands.tsv`: completion and one-line hints.

/// The table's text, compiled into the binary like the stdlib modules.
pub const TABLE: &str = include_str!("../../stdlib/at-commands.tsv");

/// One command or S-register: `ATS7`, "wait for carrier, seconds".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    pub name: &'static str,
    pub hint: &'static str,
}

/// Every entry of the table, in file order.
pub fn commands() -> impl Iterator<Item = Command> {
    TABLE.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).filter_map(|l| {
        let (name, hint) = l.split_once('\t')?;
        Some(Command { name: name.trim(), hint: hint.trim() })
    })
}

/// The commands whose names start with `typed` (any case): completions of `AT+CMG`.
pub fn complete(typed: &str) -> Vec<Command> {
    let upper = typed.to_ascii_uppercase();
    commands().filter(|c| c.name.starts_with(&upper) && c.name.len() > upper.len()).collect()
}

/// The command an AT line names: the longest table name the line starts with, where the
/// name is not merely the start of a longer word (`ATS7=60` names `ATS7`, `ATS70` does not).
/// A line that is exactly a prefix of names gets nothing.
pub fn describe(line: &str) -> Option<Command> {
    let upper = line.trim_start().to_ascii_uppercase();
    commands()
        .filter(|c| upper.starts_with(c.name))
        .filter(|c| {
            let next = upper[c.name.len()..].chars().next();
            let name_ends_in_digit = c.name.ends_with(|ch: char| ch.is_ascii_digit());
            match next {
                None => true,
                // `ATS7` followed by another digit is a different register.
                Some(ch) if name_ends_in_digit => !ch.is_ascii_digit(),
                // `AT+CMG` followed by a letter is a different command; `ATE1` is `ATE`.
                Some(ch) if c.name.contains('+') => !ch.is_ascii_alphabetic(),
                Some(_) => true,
            }
        })
        .max_by_key(|c| c.name.len())
        .filter(|c| c.name != "AT" || upper.len() == 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_has_a_name_and_a_hint() {
        for line in TABLE.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            let (name, hint) = line.split_once('\t').unwrap_or_else(|| panic!("no tab in {line:?}"));
            assert!(!name.is_empty() && !hint.is_empty(), "{line:?}");
            assert_eq!(name, name.to_ascii_uppercase(), "{line:?}");
        }
        assert!(commands().count() > 100);
    }

    #[test]
    fn completes_sms_commands() {
        let names: Vec<_> = complete("at+cmg").iter().map(|c| c.name).collect();
        for want in ["AT+CMGF", "AT+CMGS", "AT+CMGL", "AT+CMGR", "AT+CMGD"] {
            assert!(names.contains(&want), "{names:?}");
        }
    }

    #[test]
    fn describes_registers_and_commands() {
        assert_eq!(describe("ATS7").map(|c| c.hint), Some("wait for carrier, seconds"));
        assert_eq!(describe("ats7=60").map(|c| c.name), Some("ATS7"));
        assert_eq!(describe("ATS70").map(|c| c.name), Some("ATS"));
        assert_eq!(describe("AT+CMGF=1").map(|c| c.name), Some("AT+CMGF"));
        assert_eq!(describe("ATE1").map(|c| c.name), Some("ATE"));
        assert_eq!(describe("AT+CMGX").map(|c| c.name), None);
        assert_eq!(describe("AT").map(|c| c.name), Some("AT"));
    }
}
