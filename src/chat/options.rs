//! chat's command line, parsed the way its home-made getopt does: options
//! before the script, letters bundled (`-vsS`), values attached or separate (`-t5`,
//! `-t 5`), `--` ending the options. `--no-pace` and `--help` are atchat's own.

/// chat's default timeout, in seconds.
pub const DEFAULT_TIMEOUT: i64 = 45;

/// The options of one chat invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatArgs {
    /// `-e`: echo on from the start.
    pub echo: bool,
    /// `-E`: `$NAME` environment substitution.
    pub env: bool,
    /// `-v`: verbose log.
    pub verbose: bool,
    /// `-V`: received text on stderr.
    pub show: bool,
    /// `-s`: log and error messages on stderr too.
    pub stderr: bool,
    /// `-S`: no syslog.
    pub no_syslog: bool,
    /// `-f`: the script file.
    pub file: Option<Vec<u8>>,
    /// `-t`: the timeout, as `atoi` read it (0 and below: no timeout at all).
    pub timeout: i64,
    /// `-r`: report files in the order given (chat keeps the last one that opened), each
    /// with whether `-v` came before it (then chat writes `Opening "file"...` into it).
    pub report_files: Vec<(Vec<u8>, bool)>,
    /// `-T` and `-U`.
    pub phone: Option<Vec<u8>>,
    pub phone2: Option<Vec<u8>>,
    /// Pause 10 ms before each byte sent, as chat does (`--no-pace` turns it off).
    pub pace: bool,
    /// `--help` (atchat's own): print the help and do nothing else.
    pub help: bool,
    /// The script arguments (argv mode).
    pub script: Vec<Vec<u8>>,
}

impl Default for ChatArgs {
    fn default() -> ChatArgs {
        ChatArgs {
            echo: false,
            env: false,
            verbose: false,
            show: false,
            stderr: false,
            no_syslog: false,
            file: None,
            timeout: DEFAULT_TIMEOUT,
            report_files: Vec::new(),
            phone: None,
            phone2: None,
            pace: true,
            help: false,
            script: Vec::new(),
        }
    }
}

/// A command line chat rejects with its usage text (exit code 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage;

/// The usage text, with the program name chat was run as.
pub fn usage_text(program: &str) -> String {
    format!(
        "Usage: {program} [-e] [-E] [-v] [-V] [-t timeout] [-r report-file]\n     [-T phone-number] [-U phone-number2] {{-f chat-file | chat-script}}\n"
    )
}

/// C's `atoi`: blanks, a sign, digits; anything else ends the number.
pub fn atoi(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C) {
        i += 1;
    }
    let negative = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    // glibc's atoi is `(int) strtol(s)`: strtol saturates at the long's range, then the
    // cast keeps the low 32 bits (TIMEOUT 2147483648 is -2147483648, so 45 s; 4294967341
    // is 45).
    let mut n: i128 = 0;
    while let Some(d) = s.get(i).filter(|d| d.is_ascii_digit()) {
        n = (n * 10 + i128::from(d - b'0')).min(1 << 64);
        i += 1;
    }
    let n = if negative { -n } else { n };
    let long = n.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    i64::from(long as i32)
}

/// Parses the arguments after the program name.
pub fn parse(args: &[Vec<u8>]) -> Result<ChatArgs, Usage> {
    let mut out = ChatArgs::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        if arg.as_slice() == b"--no-pace" {
            out.pace = false;
            i += 1;
            continue;
        }
        if arg.as_slice() == b"--help" {
            out.help = true;
            i += 1;
            continue;
        }
        if arg.len() < 2 || arg[0] != b'-' {
            break;
        }
        if arg.as_slice() == b"--" {
            i += 1;
            break;
        }
        let mut j = 1;
        while j < arg.len() {
            let opt = arg[j];
            j += 1;
            match opt {
                b'e' => out.echo = true,
                b'E' => out.env = true,
                b'v' => out.verbose = true,
                b'V' => out.show = true,
                b's' => out.stderr = true,
                b'S' => out.no_syslog = true,
                b'f' | b't' | b'r' | b'T' | b'U' => {
                    let value = if j < arg.len() {
                        let v = arg[j..].to_vec();
                        j = arg.len();
                        Some(v)
                    } else {
                        i += 1;
                        args.get(i).cloned()
                    };
                    let Some(value) = value else {
                        // chat ignores a `-r` with nothing after it; the others are usage errors.
                        if opt == b'r' {
                            return Ok(out);
                        }
                        return Err(Usage);
                    };
                    match opt {
                        b'f' => out.file = Some(value),
                        b't' => out.timeout = atoi(&value),
                        b'r' => out.report_files.push((value, out.verbose)),
                        b'T' => out.phone = Some(value),
                        _ => out.phone2 = Some(value),
                    }
                }
                _ => return Err(Usage),
            }
        }
        i += 1;
    }
    out.script = args[i.min(args.len())..].to_vec();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<ChatArgs, Usage> {
        parse(&args.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>())
    }

    #[test]
    fn bundles_values_and_double_dash() {
        let a = p(&["-vsSt5", "-T", "123", "--", "-AT-OK", "x"]).unwrap();
        assert!(a.verbose && a.stderr && a.no_syslog);
        assert_eq!(a.timeout, 5);
        assert_eq!(a.phone.as_deref(), Some(&b"123"[..]));
        assert_eq!(a.script, vec![b"-AT-OK".to_vec(), b"x".to_vec()]);
    }

    #[test]
    fn unknown_options_and_missing_values_are_usage_errors() {
        assert_eq!(p(&["-x"]), Err(Usage));
        assert_eq!(p(&["-t"]), Err(Usage));
        assert_eq!(p(&["-", "x"]).unwrap().script.len(), 2);
    }

    #[test]
    fn atoi_reads_like_c() {
        assert_eq!(atoi(b"2x"), 2);
        assert_eq!(atoi(b"abc"), 0);
        assert_eq!(atoi(b" -3"), -3);
        // What chat 2.4.9 logs as "timeout set to N seconds" (N <= 0 giving 45).
        assert_eq!(atoi(b"2147483647"), 2147483647);
        assert_eq!(atoi(b"2147483648"), -2147483648);
        assert_eq!(atoi(b"99999999999"), 1215752191);
        assert_eq!(atoi(b"4294967341"), 45);
        assert_eq!(atoi(b"9223372036854775808"), -1);
        assert_eq!(atoi(b"-99999999999999999999"), 0);
    }
}
