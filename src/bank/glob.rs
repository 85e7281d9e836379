//! Port globs (`--port '/dev/ttyUSB*'`), expanded by atchat itself so they work quoted, from
//! a ports file and from a systemd unit, where no shell expands them.
//!
//! Only the last part of the path may hold wildcards (`*`, `?`, `[abc]`, `[a-z]`,
//! `[!abc]`): serial devices live in one folder (`/dev`, `/dev/serial/by-id`). Matches are
//! sorted so the order of the summary and of the exit status rule does not depend on the
//! directory's order.

use std::path::Path;

/// Whether `spec` is a glob: a path (not a URL, `sim:` or `-`) with a wildcard.
pub fn is_glob(spec: &str) -> bool {
    // A device path may hold colons (`/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0`);
    // a spec that is not a path (`sim:`, `tcp://`, `replay:`) has one and starts otherwise.
    let path = spec.starts_with('/') || spec.starts_with('.') || !spec.contains(':');
    path && spec != "-" && spec.contains(['*', '?', '['])
}

/// The paths matching `pattern`, sorted; an error if the folder cannot be read or the
/// wildcards are not in the last part.
pub fn expand(pattern: &str) -> Result<Vec<String>, String> {
    let (dir, name) = match pattern.rfind('/') {
        Some(i) => (&pattern[..=i], &pattern[i + 1..]),
        None => ("", pattern),
    };
    if dir.contains(['*', '?', '[']) {
        return Err(format!("`{pattern}`: wildcards may only be in the last part of the path"));
    }
    let read_dir = if dir.is_empty() { Path::new(".") } else { Path::new(dir) };
    let entries = std::fs::read_dir(read_dir).map_err(|e| format!("cannot list `{}`: {e}", read_dir.display()))?;
    let mut out: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.') && matches(name.as_bytes(), n.as_bytes()))
        .map(|n| format!("{dir}{n}"))
        .collect();
    out.sort();
    Ok(out)
}

/// Shell-style wildcard matching of one path component.
fn matches(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.first() {
        None => name.is_empty(),
        Some(b'*') => (0..=name.len()).any(|i| matches(&pattern[1..], &name[i..])),
        Some(b'?') => !name.is_empty() && matches(&pattern[1..], &name[1..]),
        Some(b'[') => match (class(&pattern[1..]), name.first()) {
            (Some((set_matches, rest)), Some(&c)) => set_matches(c) && matches(rest, &name[1..]),
            // An unclosed `[` is a plain character.
            (None, Some(b'[')) => matches(&pattern[1..], &name[1..]),
            _ => false,
        },
        Some(&c) => name.first() == Some(&c) && matches(&pattern[1..], &name[1..]),
    }
}

/// A `[...]` class after its `[`: a predicate and the pattern after the `]`.
#[allow(clippy::type_complexity)]
fn class(pattern: &[u8]) -> Option<(Box<dyn Fn(u8) -> bool + '_>, &[u8])> {
    let (negate, body) = match pattern.first() {
        Some(b'!' | b'^') => (true, &pattern[1..]),
        _ => (false, pattern),
    };
    // A `]` first in the class is a member.
    let end = body.iter().skip(1).position(|&b| b == b']')? + 1;
    let set = &body[..end];
    let test = move |c: u8| {
        let mut i = 0;
        let mut found = false;
        while i < set.len() {
            if i + 2 < set.len() && set[i + 1] == b'-' {
                found |= set[i] <= c && c <= set[i + 2];
                i += 3;
            } else {
                found |= set[i] == c;
                i += 1;
            }
        }
        found != negate
    };
    Some((Box::new(test), &body[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(matches(b"ttyUSB*", b"ttyUSB0"));
        assert!(matches(b"ttyUSB*", b"ttyUSB"));
        assert!(!matches(b"ttyUSB*", b"ttyACM0"));
        assert!(matches(b"tty?SB1", b"ttyUSB1"));
        assert!(matches(b"ttyUSB[0-2]", b"ttyUSB2"));
        assert!(!matches(b"ttyUSB[0-2]", b"ttyUSB3"));
        assert!(matches(b"ttyUSB[!0-2]", b"ttyUSB3"));
        assert!(matches(b"a[]]b", b"a]b"));
    }

    #[test]
    fn what_is_a_glob() {
        assert!(is_glob("/dev/ttyUSB*"));
        assert!(is_glob("./pts/[0-9]"));
        assert!(!is_glob("/dev/ttyUSB0"));
        assert!(!is_glob("sim:hayes?scenario=/tmp/x*"));
        assert!(!is_glob("tcp://host:1"));
    }

    #[test]
    fn expands_sorted_in_one_folder() {
        let dir = tempfile::tempdir().unwrap();
        for n in ["ttyUSB1", "ttyUSB0", "ttyACM0", ".ttyUSB9"] {
            std::os::unix::fs::symlink("/dev/null", dir.path().join(n)).unwrap();
        }
        let base = dir.path().display().to_string();
        let found = expand(&format!("{base}/ttyUSB*")).unwrap();
        assert_eq!(found, [format!("{base}/ttyUSB0"), format!("{base}/ttyUSB1")]);
        assert!(expand(&format!("{base}/*/x")).unwrap_err().contains("last part"));
    }
}
