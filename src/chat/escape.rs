//! chat's string processing: `clean()` (escapes, `^X`, `$VAR`, `\T`), `put_string()`'s
//! reading of a cleaned send string, and `expect_strtok()` (subexpects).
//!
//! chat handles expect and send strings with one function that differs in details:
//! a send keeps its "action" escapes (`\d`, `\p`, `\K`, `\\`, `\N`) as two
//! bytes in the cleaned string and acts on them while writing. The functions here copy that
//! two-stage design so that odd inputs (a `$VAR` value holding a backslash) behave the same.

/// What `clean()` substitutes: `-T`, `-U` and, with `-E`, the environment.
#[derive(Default)]
pub struct Subst {
    /// `-T`: replaces `\T` in sends.
    pub phone: Option<Vec<u8>>,
    /// `-U`: replaces `\U` in sends.
    pub phone2: Option<Vec<u8>>,
    /// `-E`: looks up `$NAME`; `None` when `-E` is not given.
    pub env: Option<EnvLookup>,
}

/// How `-E` finds the value of `$NAME`.
pub type EnvLookup = Box<dyn Fn(&str) -> Option<Vec<u8>>>;

/// A cleaned string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned {
    pub bytes: Vec<u8>,
    /// `\q` was seen: the log shows `send (??????)`.
    pub quiet: bool,
}

fn is_octal(c: u8) -> bool {
    (b'0'..=b'7').contains(&c)
}

/// chat's `clean(s, sending)`.
pub fn clean(s: &[u8], sending: bool, subst: &Subst) -> Cleaned {
    let mut out = Vec::with_capacity(s.len() + 1);
    let mut add_return = sending;
    let mut quiet = false;
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c == b'^' {
            // The caret comes before backslashes: `^\` is 0x1C.
            let Some(&next) = s.get(i) else {
                out.push(b'^');
                break;
            };
            i += 1;
            if next & 0x1F != 0 {
                out.push(next & 0x1F);
            }
            continue;
        }
        if c == b'$' {
            if let Some(env) = &subst.env {
                let start = i;
                while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == b'_') {
                    i += 1;
                }
                let name = String::from_utf8_lossy(&s[start..i]);
                if !name.is_empty() {
                    if let Some(value) = env(&name) {
                        out.extend(value.into_iter().take_while(|&b| b != 0));
                    }
                }
                continue;
            }
        }
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let Some(&c) = s.get(i) else {
            if sending {
                out.extend_from_slice(b"\\\\");
            }
            break;
        };
        i += 1;
        match c {
            b'b' => out.push(0x08),
            b'c' => {
                if sending && i == s.len() {
                    add_return = false;
                } else {
                    out.push(b'c');
                }
            }
            b'\\' | b'K' | b'p' | b'd' => {
                if sending {
                    out.push(b'\\');
                }
                out.push(c);
            }
            b'T' | b'U' => {
                let value = if c == b'T' { &subst.phone } else { &subst.phone2 };
                match value {
                    Some(v) if sending => out.extend(v.iter().take_while(|&&b| b != 0)),
                    _ => out.extend_from_slice(&[b'\\', c]),
                }
            }
            b'q' => quiet = true,
            b'r' => out.push(b'\r'),
            b'n' => out.push(b'\n'),
            b's' => out.push(b' '),
            b't' => out.push(b'\t'),
            b'N' => {
                if sending {
                    out.extend_from_slice(&[b'\\', 0]);
                } else {
                    out.push(b'N');
                }
            }
            c if is_octal(c) => {
                let mut v = u32::from(c - b'0');
                for _ in 0..2 {
                    match s.get(i) {
                        Some(&d) if is_octal(d) => {
                            v = (v << 3) | u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                // C keeps the value in a char.
                let v = (v & 0xFF) as u8;
                if v != 0 || sending {
                    if sending && (v == b'\\' || v == 0) {
                        out.push(b'\\');
                    }
                    out.push(v);
                }
            }
            _ => {
                if sending {
                    out.push(b'\\');
                }
                out.push(c);
            }
        }
    }
    if add_return {
        out.push(b'\r');
    }
    Cleaned { bytes: out, quiet }
}

/// One step of writing a cleaned send string (`put_string()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendItem {
    /// Write this byte (after chat's 10 ms pause).
    Byte(u8),
    /// `\d`: sleep one second.
    Delay,
    /// `\p`: sleep 10 ms.
    Pause,
    /// `\K`: send a break.
    Break,
}

/// Reads a cleaned send string as `put_string()` does.
pub fn send_items(cleaned: &[u8]) -> Vec<SendItem> {
    let mut items = Vec::with_capacity(cleaned.len());
    let mut i = 0;
    while i < cleaned.len() {
        let c = cleaned[i];
        i += 1;
        if c == 0 {
            // The end of chat's C string.
            break;
        }
        if c != b'\\' {
            items.push(SendItem::Byte(c));
            continue;
        }
        let c = cleaned.get(i).copied().unwrap_or(0);
        i += 1;
        items.push(match c {
            b'd' => SendItem::Delay,
            b'K' => SendItem::Break,
            b'p' => SendItem::Pause,
            c => SendItem::Byte(c),
        });
    }
    items
}

/// The bytes of a C string: up to the first NUL.
pub fn c_str(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

/// chat's `expect_strtok(s, "-")` run to the end: the pieces of `exp1-send1-exp2-...`, each
/// backslash kept (it protects the next byte from being a separator). `None` entries are
/// where chat's strtok returned NULL: nothing left.
pub fn split_subexpects(token: &[u8]) -> Vec<Option<Vec<u8>>> {
    let mut pieces = Vec::new();
    let mut i = 0;
    // strtok returns NULL once the rest is empty, and keeps returning it.
    loop {
        if i >= token.len() {
            pieces.push(None);
            return pieces;
        }
        let start = i;
        let mut escaped = false;
        let mut end = None;
        while i < token.len() {
            let c = token[i];
            i += 1;
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'-' {
                end = Some(i - 1);
                break;
            }
        }
        pieces.push(Some(token[start..end.unwrap_or(i)].to_vec()));
        if end.is_none() {
            pieces.push(None);
            return pieces;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(s: &str) -> Vec<u8> {
        clean(s.as_bytes(), true, &Subst::default()).bytes
    }

    fn expect(s: &str) -> Vec<u8> {
        clean(s.as_bytes(), false, &Subst::default()).bytes
    }

    #[test]
    fn caret_comes_before_backslash() {
        assert_eq!(expect("^\\"), vec![0x1C]);
        assert_eq!(expect("^SYS"), b"\x13YS");
        assert_eq!(expect("a^"), b"a^");
        assert_eq!(expect("^@x"), b"x");
    }

    #[test]
    fn c_only_at_the_end() {
        assert_eq!(send("a\\cb"), b"acb\r");
        assert_eq!(send("ab\\c"), b"ab");
        assert_eq!(expect("a\\c"), b"ac");
    }

    #[test]
    fn action_escapes_stay_for_put_string() {
        assert_eq!(send("a\\db"), b"a\\db\r");
        assert_eq!(expect("a\\db"), b"adb");
        assert_eq!(send("\\N"), b"\\\x00\r");
        assert_eq!(expect("\\N\\0"), b"N");
        assert_eq!(send("x\\"), b"x\\\\\r");
        assert_eq!(expect("x\\"), b"x");
        assert_eq!(
            send_items(&send("a\\d\\p\\K\\N\\\\")),
            vec![
                SendItem::Byte(b'a'),
                SendItem::Delay,
                SendItem::Pause,
                SendItem::Break,
                SendItem::Byte(0),
                SendItem::Byte(b'\\'),
                SendItem::Byte(b'\r')
            ]
        );
    }

    #[test]
    fn t_and_u_only_in_sends() {
        let subst = Subst { phone: Some(b"123".to_vec()), ..Subst::default() };
        assert_eq!(clean(b"ATD\\T", true, &subst).bytes, b"ATD123\r");
        assert_eq!(clean(b"ATD\\T", false, &subst).bytes, b"ATD\\T");
        // Without -T the escape stays, and put_string writes a bare T.
        assert_eq!(send_items(&send("\\T")), vec![SendItem::Byte(b'T'), SendItem::Byte(b'\r')]);
    }

    #[test]
    fn environment_with_e() {
        let subst = Subst { env: Some(Box::new(|n: &str| (n == "APN").then(|| b"inet".to_vec()))), ..Subst::default() };
        assert_eq!(clean(b"a$APN,$NOPE,${APN},$", false, &subst).bytes, b"ainet,,{APN},");
        assert_eq!(clean(b"$APN", false, &Subst::default()).bytes, b"$APN");
    }

    #[test]
    fn octal() {
        assert_eq!(expect("\\101\\1010"), b"AA0");
        assert_eq!(send("\\134"), b"\\\\\r");
    }

    #[test]
    fn subexpects_split_like_strtok() {
        let s = |t: &str| -> Vec<Option<String>> {
            split_subexpects(t.as_bytes()).into_iter().map(|p| p.map(|p| String::from_utf8(p).unwrap())).collect()
        };
        assert_eq!(s("ogin:--ogin:"), [Some("ogin:"), Some(""), Some("ogin:"), None].map(|o| o.map(String::from)));
        assert_eq!(s("OK-"), [Some("OK"), None].map(|o| o.map(String::from)));
        assert_eq!(s("~--"), [Some("~"), Some(""), None].map(|o| o.map(String::from)));
        assert_eq!(s("a\\-b"), [Some("a\\-b"), None].map(|o| o.map(String::from)));
        assert_eq!(s(""), [None]);
    }
}
