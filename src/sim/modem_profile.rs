//! Modem profiles: what makes one simulated modem answer like a given vendor's, as data.
//!
//! A profile is a small TOML file (the format is documented in `docs/sim.md`): what it
//! starts from (`inherit = "gsm"`, a bundled profile, or `engine = "hayes"`/`"gsm"`, the
//! bare engine of [`Profile`]), the identification
//! strings, defaults, canned replies, how a locked SIM refuses commands, and how voice
//! calls are reported. TOML because a profile is nested (sections for identity, SIM,
//! voice), wants a comment with its source next to each value, and a user writing one for
//! their own modem already knows the syntax; the `toml` crate reports the line and column
//! of every mistake.
//!
//! The bundled profiles (`src/sim/profiles/*.toml`) are compiled into the binary. A user's
//! file is read by the front end (`port::sim`, `serve`), never here: this module only
//! parses text.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use serde::Deserialize;
use toml::Spanned;

use super::command_line::{is_extended_prefix, Arg, Command, CommandLine, ExtendedOp};
use super::result::ResultCode;

/// The largest profile file accepted, in bytes.
pub const MAX_PROFILE_BYTES: usize = 64 * 1024;
/// The most lines one response or report may have.
const MAX_LINES: usize = 64;
/// The longest line a profile may make the modem send.
const MAX_LINE_LEN: usize = 256;
/// The most canned replies (and listed commands) one profile may hold.
const MAX_ENTRIES: usize = 256;
/// How deep `inherit` may chain.
const MAX_INHERIT_DEPTH: usize = 8;

/// The bundled profiles: name and TOML text.
const BUNDLED: &[(&str, &str)] = &[
    ("hayes", include_str!("profiles/hayes.toml")),
    ("gsm", include_str!("profiles/gsm.toml")),
    ("bare-hayes", include_str!("profiles/bare-hayes.toml")),
    ("wavecom", include_str!("profiles/wavecom.toml")),
    ("huawei-e1752", include_str!("profiles/huawei-e1752.toml")),
    ("huawei-e3372", include_str!("profiles/huawei-e3372.toml")),
    ("zte", include_str!("profiles/zte.toml")),
    ("qualcomm", include_str!("profiles/qualcomm.toml")),
    ("quectel-ec25", include_str!("profiles/quectel-ec25.toml")),
    ("simcom-sim800", include_str!("profiles/simcom-sim800.toml")),
    ("simcom-sim7600", include_str!("profiles/simcom-sim7600.toml")),
    ("ublox", include_str!("profiles/ublox.toml")),
    ("telit", include_str!("profiles/telit.toml")),
    ("sierra", include_str!("profiles/sierra.toml")),
    ("nokia", include_str!("profiles/nokia.toml")),
];

/// A final result code as a profile names it: a V.250 code (`OK`, `ERROR`, `NO CARRIER`,
/// ...), any other text sent as it is (`+CME ERROR: 11`, `COMMAND NOT SUPPORT`), or
/// `none` for no final result code at all.
pub(crate) type Final = Option<ResultCode>;

/// How the far end's answer to `ATD<n>;` reaches the DTE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DialOk {
    /// `OK` as soon as dialing starts; the call's progress comes later, if at all.
    AtDial,
    /// `OK` is the final result code of the dial: it comes when the far end answers, and
    /// a failed call ends the command with BUSY, NO ANSWER ... instead.
    OnAnswer,
    /// No final result code for `ATD<n>;` at all; the profile's `answered` lines say the
    /// call is up.
    Never,
}

/// When the far end of a voice call answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// After the scenario's `ring-delay` (default 1 s).
    RingDelay,
    /// At once (the built-in `gsm` profile's world).
    AtOnce,
}

/// How voice calls (`ATD<n>;`) are reported. Each list is lines the modem sends; a line
/// that is a V.250 result code (`OK`, `BUSY`, `NO CARRIER`...) is sent as one (numeric
/// under V0), any other as an unsolicited report. `{id}` is the call's index (1),
/// `{duration}` the seconds since it was answered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Voice {
    pub ok: DialOk,
    pub answer: Answer,
    /// Sent when dialing starts (after the OK of [`DialOk::AtDial`]).
    pub dialing: Vec<String>,
    /// Sent when the far end starts ringing, halfway through the ring delay.
    pub alerting: Vec<String>,
    /// Sent when the far end answers.
    pub answered: Vec<String>,
    /// The far end is busy (scenario `busy`).
    pub busy: Vec<String>,
    /// Nobody answers (scenario `no-answer`), after S7.
    pub no_answer: Vec<String>,
    /// The callee declines the call (scenario `reject`).
    pub rejected: Vec<String>,
    /// The far end hangs up an answered call (scenario `carrier-lost after`).
    pub remote_hangup: Vec<String>,
    /// Sent after the OK of `ATH`/`+CHUP` that ended a call.
    pub local_hangup: Vec<String>,
}

/// A canned reply: a command (as the DTE would type it after `AT`, in canonical form) and
/// what the modem answers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub command: String,
    pub lines: Vec<String>,
    pub final_code: Final,
}

/// How a PIN-locked SIM refuses commands: every command not in `allow` ends the line with
/// `error`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Locked {
    pub allow: Vec<String>,
    pub error: Final,
}

/// Which engine a simulated modem runs on; a [`ModemProfile`] adds a vendor's ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// A Hayes-compatible V.250 data modem on a telephone line.
    Hayes,
    /// A GSM/LTE module: V.250 plus a 3GPP 27.007/27.005 subset.
    Gsm,
}

/// A simulated modem's personality: the base engine plus everything a vendor does its own
/// way. Built from TOML by [`ModemProfile::parse`] or taken from the bundled set by
/// [`ModemProfile::bundled`].
#[derive(Debug, Clone, PartialEq)]
pub struct ModemProfile {
    /// The profile's name (`huawei-e1752`; a file's stem for a user's file).
    pub name: String,
    /// One line on the modem it simulates.
    pub description: String,
    /// The engine it runs on.
    pub base: Profile,
    /// Where its behaviour comes from (URLs, repository paths).
    pub sources: Vec<String>,
    pub(crate) echo: bool,
    pub(crate) cmee: u8,
    /// `+CMEE=0` also turns `+CMS ERROR` into plain `ERROR` (Wavecom); otherwise `+CMS
    /// ERROR` is sent at every `+CMEE` (27.005 §3.2.5).
    pub(crate) cms_needs_cmee: bool,
    pub(crate) manufacturer: Vec<String>,
    pub(crate) model: Vec<String>,
    pub(crate) revision: Vec<String>,
    pub(crate) serial: Vec<String>,
    pub(crate) imsi: Vec<String>,
    pub(crate) gcap: Vec<String>,
    /// `ATIn` → its lines (an empty list: only OK). A number not listed is ERROR; with
    /// nothing listed at all, `ATI`/`ATI0` give the manufacturer, model and revision.
    pub(crate) ati: BTreeMap<u32, Vec<String>>,
    /// Unsolicited lines sent at power-on.
    pub(crate) boot: Vec<String>,
    pub(crate) replies: Vec<Reply>,
    /// Commands whose response carries no final result code (Wavecom's `+CPIN?`).
    pub(crate) no_final: Vec<String>,
    /// The final result code for a command the modem does not know.
    pub(crate) unknown: Final,
    pub(crate) locked: Option<Locked>,
    pub(crate) voice: Voice,
    /// The `+CLIP` line after each RING; `{number}` and `{type}` (145 or 129).
    pub(crate) clip: String,
    /// What follows `<stat>` in `+CREG`/`+CGREG`/`+CEREG` reports at `n=2` when registered.
    pub(crate) cell: String,
    /// The `+COPS?` answer when registered; `{operator}`.
    pub(crate) cops: String,
}

/// A profile that cannot be used: where and why.
#[derive(Debug)]
pub enum ProfileError {
    /// The file could not be read (the engine reads no files: `port::sim` does).
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The text is not a valid profile.
    Invalid {
        /// The profile's name or file.
        origin: String,
        /// 1-based line of the mistake, when known.
        line: Option<usize>,
        /// What is wrong (names the field).
        message: String,
    },
    /// No bundled profile has this name.
    Unknown(String),
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileError::Read { path, source } => {
                write!(f, "cannot read profile `{path}`: {source}")
            }
            ProfileError::Invalid { origin, line: Some(line), message } => {
                write!(f, "profile `{origin}`, line {line}: {message}")
            }
            ProfileError::Invalid { origin, message, .. } => write!(f, "profile `{origin}`: {message}"),
            ProfileError::Unknown(name) => write!(
                f,
                "unknown profile `{name}`; the bundled profiles are {}, or give a .toml file",
                ModemProfile::names().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

impl std::error::Error for ProfileError {}

// ----- the file as written -----

/// A string or a list of strings (information text of one or more lines).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Text {
    One(String),
    Many(Vec<String>),
}

impl Text {
    fn lines(self) -> Vec<String> {
        match self {
            Text::One(s) => vec![s],
            Text::Many(v) => v,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: Option<String>,
    description: Option<String>,
    engine: Option<Spanned<String>>,
    inherit: Option<Spanned<String>>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    defaults: Defaults,
    #[serde(default)]
    identity: Identity,
    boot: Option<Vec<String>>,
    #[serde(default)]
    commands: Commands,
    #[serde(default)]
    sim: Sim,
    #[serde(default)]
    voice: VoiceFile,
    #[serde(default)]
    network: Network,
    #[serde(default, rename = "reply")]
    replies: Vec<ReplyFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Defaults {
    echo: Option<bool>,
    cmee: Option<Spanned<u8>>,
    cms_needs_cmee: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Identity {
    manufacturer: Option<Text>,
    model: Option<Text>,
    revision: Option<Text>,
    serial: Option<Text>,
    imsi: Option<Text>,
    gcap: Option<Text>,
    ati: Option<BTreeMap<Spanned<String>, Text>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Commands {
    unknown: Option<Spanned<String>>,
    no_final: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sim {
    locked_allow: Option<Vec<Spanned<String>>>,
    locked_error: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct VoiceFile {
    ok: Option<Spanned<String>>,
    answer: Option<Spanned<String>>,
    dialing: Option<Vec<String>>,
    alerting: Option<Vec<String>>,
    answered: Option<Vec<String>>,
    busy: Option<Vec<String>>,
    no_answer: Option<Vec<String>>,
    rejected: Option<Vec<String>>,
    remote_hangup: Option<Vec<String>>,
    local_hangup: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Network {
    clip: Option<String>,
    cell: Option<String>,
    cops: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyFile {
    command: Spanned<String>,
    #[serde(default)]
    lines: Vec<String>,
    #[serde(rename = "final")]
    final_code: Option<Spanned<String>>,
}

// ----- building a profile -----

/// Where a file came from, to turn byte offsets into line numbers in messages.
struct Origin<'a> {
    name: &'a str,
    text: &'a str,
}

impl Origin<'_> {
    fn error(&self, span: Option<std::ops::Range<usize>>, message: String) -> ProfileError {
        let line = span.map(|s| {
            let end = s.start.min(self.text.len());
            self.text[..end].matches('\n').count() + 1
        });
        ProfileError::Invalid { origin: self.name.to_string(), line, message }
    }
}

impl ModemProfile {
    /// The names of the bundled profiles, in the order they are listed.
    pub fn names() -> impl Iterator<Item = &'static str> {
        BUNDLED.iter().map(|(name, _)| *name)
    }

    /// The bundled profile `name`.
    pub fn bundled(name: &str) -> Result<ModemProfile, ProfileError> {
        let Some((_, text)) = BUNDLED.iter().find(|(n, _)| *n == name) else {
            return Err(ProfileError::Unknown(name.to_string()));
        };
        ModemProfile::parse(name, text)
    }

    /// The bundled profile `name`, parsed once per process and shared from then on: a bank
    /// of a thousand `sim:hayes` ports holds one copy, and only the first parses TOML.
    pub fn bundled_shared(name: &str) -> Result<Arc<ModemProfile>, ProfileError> {
        static PARSED: Mutex<Vec<Arc<ModemProfile>>> = Mutex::new(Vec::new());
        let mut parsed = PARSED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(profile) = parsed.iter().find(|p| p.name == name) {
            return Ok(Arc::clone(profile));
        }
        // At most one entry per bundled name (a bundled profile's name is its key).
        let profile = Arc::new(ModemProfile::bundled(name)?);
        parsed.push(Arc::clone(&profile));
        Ok(profile)
    }

    /// The profile of a base engine, `hayes` or `gsm`: the bundled files, parsed once.
    pub fn of_base(base: Profile) -> ModemProfile {
        static HAYES: OnceLock<ModemProfile> = OnceLock::new();
        static GSM: OnceLock<ModemProfile> = OnceLock::new();
        let (cell, name) = match base {
            Profile::Hayes => (&HAYES, "hayes"),
            Profile::Gsm => (&GSM, "gsm"),
        };
        cell.get_or_init(|| match ModemProfile::bundled(name) {
            Ok(p) => p,
            // The bundled files are checked by a test; this keeps a broken one from
            // taking the simulator down with it.
            Err(_) => ModemProfile::fallback(base),
        })
        .clone()
    }

    /// Parses a profile from `text`; `origin` names it in messages (a bundled name or a
    /// file path; a file's stem becomes the profile's name unless it sets `name`).
    pub fn parse(origin: &str, text: &str) -> Result<ModemProfile, ProfileError> {
        ModemProfile::parse_depth(origin, text, 0)
    }

    fn parse_depth(origin: &str, text: &str, depth: usize) -> Result<ModemProfile, ProfileError> {
        let at = Origin { name: origin, text };
        if text.len() > MAX_PROFILE_BYTES {
            return Err(at.error(None, format!("the file is larger than {MAX_PROFILE_BYTES} bytes")));
        }
        let file: File = toml::from_str(text).map_err(|e| {
            // The crate's message says what is wrong but not always where: name the field
            // the span points into.
            let message = match e.span().and_then(|span| field_at(text, span.start)) {
                Some(field) if !e.message().contains('`') => {
                    format!("`{field}`: {}", e.message())
                }
                _ => e.message().to_string(),
            };
            at.error(e.span(), message)
        })?;
        let parent = match (&file.inherit, &file.engine) {
            (Some(_), Some(engine)) => {
                return Err(at.error(
                    Some(engine.span()),
                    "`engine` and `inherit` exclude each other: an inherited profile has its engine".to_string(),
                ))
            }
            (Some(inherit), None) => {
                if depth >= MAX_INHERIT_DEPTH {
                    return Err(at.error(
                        Some(inherit.span()),
                        format!("`inherit` chains deeper than {MAX_INHERIT_DEPTH} profiles (a loop?)"),
                    ));
                }
                let name = inherit.get_ref();
                let Some((_, parent_text)) = BUNDLED.iter().find(|(n, _)| n == name) else {
                    return Err(at.error(
                        Some(inherit.span()),
                        format!(
                            "`inherit`: no bundled profile is called `{name}` (known: {})",
                            ModemProfile::names().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                };
                ModemProfile::parse_depth(name, parent_text, depth + 1)?
            }
            (None, Some(engine)) => match engine.get_ref().as_str() {
                "hayes" => ModemProfile::fallback(Profile::Hayes),
                "gsm" => ModemProfile::fallback(Profile::Gsm),
                other => {
                    return Err(at
                        .error(Some(engine.span()), format!("`engine` must be \"hayes\" or \"gsm\", not \"{other}\"")))
                }
            },
            (None, None) => {
                return Err(at.error(
                    None,
                    "a profile needs `inherit = \"NAME\"` (a bundled profile to start from, \
                     e.g. \"gsm\") or `engine = \"hayes\"` / `engine = \"gsm\"`"
                        .to_string(),
                ))
            }
        };
        let stem = std::path::Path::new(origin).file_stem().and_then(|s| s.to_str()).unwrap_or(origin);
        let name = file.name.clone().unwrap_or_else(|| stem.to_string());
        file.apply(parent, name, &at)
    }

    /// The engine's own behaviour with nothing from a file: what `base = ...` starts from.
    fn fallback(base: Profile) -> ModemProfile {
        let version = env!("CARGO_PKG_VERSION");
        let one = |s: &str| vec![s.to_string()];
        ModemProfile {
            name: match base {
                Profile::Hayes => "hayes".to_string(),
                Profile::Gsm => "gsm".to_string(),
            },
            description: String::new(),
            base,
            sources: Vec::new(),
            echo: true,
            cmee: 0,
            cms_needs_cmee: false,
            manufacturer: one("ATCHAT"),
            model: one(match base {
                Profile::Hayes => "SIM-56K",
                Profile::Gsm => "SIM-GSM",
            }),
            revision: vec![format!("atchat-sim {version}")],
            serial: one("356938035643809"),
            imsi: one("001010123456789"),
            gcap: one("+GCAP: +CGSM"),
            ati: BTreeMap::new(),
            boot: Vec::new(),
            replies: Vec::new(),
            no_final: Vec::new(),
            unknown: Some(ResultCode::Error),
            locked: None,
            voice: Voice {
                ok: DialOk::AtDial,
                answer: Answer::RingDelay,
                dialing: Vec::new(),
                alerting: Vec::new(),
                answered: Vec::new(),
                busy: one("BUSY"),
                no_answer: one("NO ANSWER"),
                rejected: one("BUSY"),
                remote_hangup: one("NO CARRIER"),
                local_hangup: Vec::new(),
            },
            clip: "+CLIP: \"{number}\",{type}".to_string(),
            cell: ",\"00A1\",\"0000B2C3\"".to_string(),
            cops: "+COPS: 0,0,\"{operator}\",7".to_string(),
        }
    }

    /// The canned reply for `command`, if the profile has one.
    pub(crate) fn reply(&self, command: &str) -> Option<&Reply> {
        self.replies.iter().find(|r| r.command == command)
    }

    /// Whether `command`'s response has no final result code.
    pub(crate) fn lacks_final(&self, command: &str) -> bool {
        self.no_final.iter().any(|c| c == command)
    }
}

impl File {
    /// This file's settings over `p`, the profile it builds on.
    fn apply(self, mut p: ModemProfile, name: String, at: &Origin<'_>) -> Result<ModemProfile, ProfileError> {
        p.name = name;
        if let Some(d) = self.description {
            p.description = d;
        }
        if !self.sources.is_empty() {
            p.sources = self.sources;
        }
        if let Some(echo) = self.defaults.echo {
            p.echo = echo;
        }
        if let Some(cmee) = self.defaults.cmee {
            if *cmee.get_ref() > 2 {
                return Err(at.error(Some(cmee.span()), "`defaults.cmee` must be 0, 1 or 2".to_string()));
            }
            p.cmee = cmee.into_inner();
        }
        if let Some(tied) = self.defaults.cms_needs_cmee {
            p.cms_needs_cmee = tied;
        }
        let field = |name: &str, text: Option<Text>, slot: &mut Vec<String>| {
            if let Some(t) = text {
                *slot = with_version(checked_lines(at, name, t.lines())?);
            }
            Ok::<(), ProfileError>(())
        };
        let id = self.identity;
        field("identity.manufacturer", id.manufacturer, &mut p.manufacturer)?;
        field("identity.model", id.model, &mut p.model)?;
        field("identity.revision", id.revision, &mut p.revision)?;
        field("identity.serial", id.serial, &mut p.serial)?;
        field("identity.imsi", id.imsi, &mut p.imsi)?;
        field("identity.gcap", id.gcap, &mut p.gcap)?;
        if let Some(ati) = id.ati {
            for (key, text) in ati {
                let span = key.span();
                let key = key.into_inner();
                let n: u32 = key.parse().ok().filter(|n| *n <= 255).ok_or_else(|| {
                    at.error(Some(span), format!("`identity.ati`: key \"{key}\" is not a number 0-255 (ATI0 is \"0\")"))
                })?;
                let lines = checked_lines(at, &format!("identity.ati.{key}"), text.lines())?;
                let lines = with_version(lines);
                p.ati.insert(n, lines);
            }
        }
        if let Some(boot) = self.boot {
            p.boot = checked_lines(at, "boot", boot)?;
        }
        if let Some(unknown) = self.commands.unknown {
            p.unknown = final_code(at, "commands.unknown", &unknown)?;
        }
        if let Some(list) = self.commands.no_final {
            p.no_final = command_keys(at, "commands.no_final", &list)?;
        }
        match (self.sim.locked_allow, self.sim.locked_error) {
            (None, None) => {}
            (Some(allow), error) => {
                let error = match error {
                    Some(e) => final_code(at, "sim.locked_error", &e)?,
                    None => Some(ResultCode::Cme(11)),
                };
                let allow =
                    allow.iter().map(|c| command_name(at, "sim.locked_allow", c)).collect::<Result<Vec<_>, _>>()?;
                p.locked = Some(Locked { allow, error });
            }
            (None, Some(e)) => {
                return Err(at.error(
                    Some(e.span()),
                    "`sim.locked_error` needs `sim.locked_allow` (the commands a locked SIM \
                     still takes, e.g. [\"+CPIN\"])"
                        .to_string(),
                ))
            }
        }
        let v = self.voice;
        if let Some(ok) = v.ok {
            p.voice.ok = match ok.get_ref().as_str() {
                "at-dial" => DialOk::AtDial,
                "on-answer" => DialOk::OnAnswer,
                "never" => DialOk::Never,
                other => {
                    return Err(at.error(
                        Some(ok.span()),
                        format!("`voice.ok` must be \"at-dial\", \"on-answer\" or \"never\", not \"{other}\""),
                    ))
                }
            };
        }
        if let Some(answer) = v.answer {
            p.voice.answer = match answer.get_ref().as_str() {
                "ring-delay" => Answer::RingDelay,
                "at-once" => Answer::AtOnce,
                other => {
                    return Err(at.error(
                        Some(answer.span()),
                        format!("`voice.answer` must be \"ring-delay\" or \"at-once\", not \"{other}\""),
                    ))
                }
            };
        }
        let voice = &mut p.voice;
        for (name, given, slot) in [
            ("voice.dialing", v.dialing, &mut voice.dialing),
            ("voice.alerting", v.alerting, &mut voice.alerting),
            ("voice.answered", v.answered, &mut voice.answered),
            ("voice.busy", v.busy, &mut voice.busy),
            ("voice.no_answer", v.no_answer, &mut voice.no_answer),
            ("voice.rejected", v.rejected, &mut voice.rejected),
            ("voice.remote_hangup", v.remote_hangup, &mut voice.remote_hangup),
            ("voice.local_hangup", v.local_hangup, &mut voice.local_hangup),
        ] {
            if let Some(lines) = given {
                *slot = checked_lines(at, name, lines)?;
            }
        }
        let net = self.network;
        for (name, given, slot) in [
            ("network.clip", net.clip, &mut p.clip),
            ("network.cell", net.cell, &mut p.cell),
            ("network.cops", net.cops, &mut p.cops),
        ] {
            if let Some(text) = given {
                *slot = checked_lines(at, name, vec![text])?.remove(0);
            }
        }
        if self.replies.len() > MAX_ENTRIES {
            return Err(at.error(None, format!("more than {MAX_ENTRIES} `[[reply]]` entries")));
        }
        // The file's own replies come first, so they win over the inherited ones.
        let mut replies = Vec::new();
        for r in self.replies {
            let command = command_key(at, "reply.command", &r.command)?;
            let lines = checked_lines(at, "reply.lines", r.lines)?;
            let final_code = match r.final_code {
                Some(f) => final_code(at, "reply.final", &f)?,
                None => Some(ResultCode::Ok),
            };
            replies.push(Reply { command, lines, final_code });
        }
        replies.append(&mut p.replies);
        replies.truncate(MAX_ENTRIES);
        p.replies = replies;
        Ok(p)
    }
}

/// The dotted name of the key on the line holding byte `offset` (`defaults.echo`), from
/// the nearest `[section]` header above it.
fn field_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next()?;
    let key = line.split_once('=')?.0.trim();
    if key.is_empty() || key.starts_with('#') {
        return None;
    }
    let section = text[..start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    Some(match section {
        Some(section) => format!("{section}.{key}"),
        None => key.to_string(),
    })
}

/// `{version}` in identification text is atchat's version (the built-in profiles use it).
fn with_version(lines: Vec<String>) -> Vec<String> {
    lines.into_iter().map(|l| l.replace("{version}", env!("CARGO_PKG_VERSION"))).collect()
}

/// Checks a list of lines the modem will send: bounded, printable, no line breaks.
fn checked_lines(at: &Origin<'_>, field: &str, lines: Vec<String>) -> Result<Vec<String>, ProfileError> {
    if lines.len() > MAX_LINES {
        return Err(at.error(None, format!("`{field}` has more than {MAX_LINES} lines")));
    }
    for line in &lines {
        if line.len() > MAX_LINE_LEN {
            return Err(at.error(None, format!("`{field}`: a line is longer than {MAX_LINE_LEN} bytes")));
        }
        if line.chars().any(|c| c == '\r' || c == '\n') {
            return Err(at.error(None, format!("`{field}`: give each line as its own string, without \\r or \\n")));
        }
    }
    Ok(lines)
}

/// A final result code as written in a profile.
fn final_code(at: &Origin<'_>, field: &str, text: &Spanned<String>) -> Result<Final, ProfileError> {
    let t = text.get_ref().trim();
    if t.is_empty() || t.len() > MAX_LINE_LEN || t.contains(['\r', '\n']) {
        return Err(
            at.error(Some(text.span()), format!("`{field}` must be a result code such as \"ERROR\", or \"none\""))
        );
    }
    Ok(parse_final(t))
}

/// `none` → no final; a V.250 code by its name → that code; anything else → sent as it is.
pub(crate) fn parse_final(text: &str) -> Final {
    Some(match text {
        "none" => return None,
        "OK" => ResultCode::Ok,
        "CONNECT" => ResultCode::Connect(None),
        "RING" => ResultCode::Ring,
        "NO CARRIER" => ResultCode::NoCarrier,
        "ERROR" => ResultCode::Error,
        "NO DIALTONE" => ResultCode::NoDialtone,
        "BUSY" => ResultCode::Busy,
        "NO ANSWER" => ResultCode::NoAnswer,
        other => ResultCode::Vendor(other.to_string()),
    })
}

/// A command written as it is typed after `AT` (`+CPIN?`, `+CNMI=2,1,0,2`), in the one
/// canonical form the modem compares against.
fn command_key(at: &Origin<'_>, field: &str, text: &Spanned<String>) -> Result<String, ProfileError> {
    let body = text.get_ref().trim();
    let body = body.strip_prefix("AT").or_else(|| body.strip_prefix("at")).unwrap_or(body);
    let mut line = CommandLine::new(body.as_bytes());
    match (line.next_command(), line.next_command()) {
        (Some(Ok(command)), None) => match canonical(&command) {
            Some(key) => Ok(key),
            None => Err(at.error(
                Some(text.span()),
                format!(
                    "`{field}`: \"{body}\" is not an extended command (write it as typed after AT, \
                     e.g. \"+CGMR\" or \"+CPIN?\")"
                ),
            )),
        },
        _ => Err(at.error(
            Some(text.span()),
            format!("`{field}`: \"{body}\" is not one command (write it as typed after AT, e.g. \"+CPIN?\")"),
        )),
    }
}

fn command_keys(at: &Origin<'_>, field: &str, list: &[Spanned<String>]) -> Result<Vec<String>, ProfileError> {
    if list.len() > MAX_ENTRIES {
        return Err(at.error(None, format!("`{field}` lists more than {MAX_ENTRIES} commands")));
    }
    list.iter().map(|c| command_key(at, field, c)).collect()
}

/// A command's name as a locked SIM's allow list names it: `+CPIN`, `E`, `&F`, `D`.
fn command_name(at: &Origin<'_>, field: &str, text: &Spanned<String>) -> Result<String, ProfileError> {
    let name = text.get_ref().trim().to_ascii_uppercase();
    let ok = match name.as_bytes() {
        [b'&', l] | [l] => l.is_ascii_uppercase(),
        [p, rest @ ..] if is_extended_prefix(*p) && !rest.is_empty() => rest.iter().all(u8::is_ascii_alphanumeric),
        _ => false,
    };
    if ok {
        Ok(name)
    } else {
        Err(at.error(
            Some(text.span()),
            format!("`{field}`: \"{}\" is not a command name such as \"+CPIN\", \"E\" or \"&F\"", text.get_ref()),
        ))
    }
}

/// The name a locked SIM's allow list uses for `command`.
pub(crate) fn name_of(command: &Command) -> String {
    match command {
        Command::Basic(l, _) => char::from(*l).to_string(),
        Command::Ampersand(l, _) => format!("&{}", char::from(*l)),
        Command::SetRegister(..) | Command::QueryRegister(_) => "S".to_string(),
        Command::Dial { .. } => "D".to_string(),
        Command::Extended { name, .. } => name.clone(),
    }
}

/// The canonical text of an extended command (`+CNMI=2,1,0,2`, `+CPIN?`), or `None` for
/// other commands.
pub(crate) fn canonical(command: &Command) -> Option<String> {
    let Command::Extended { name, op } = command else {
        return None;
    };
    Some(match op {
        ExtendedOp::Execute => name.clone(),
        ExtendedOp::Read => format!("{name}?"),
        ExtendedOp::Test => format!("{name}=?"),
        ExtendedOp::Set(args) => {
            let args: Vec<String> = args
                .iter()
                .map(|a| match a {
                    Arg::Empty => String::new(),
                    Arg::Bare(s) => s.clone(),
                    Arg::Quoted(s) => format!("\"{s}\""),
                })
                .collect();
            format!("{name}={}", args.join(","))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_profile_parses() {
        for name in ModemProfile::names() {
            let p = ModemProfile::bundled(name).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(p.name, name);
        }
    }

    #[test]
    fn a_shared_bundled_profile_is_parsed_once_and_equals_a_fresh_parse() {
        let first = ModemProfile::bundled_shared("zte").unwrap();
        let again = ModemProfile::bundled_shared("zte").unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(*first, ModemProfile::bundled("zte").unwrap());
        assert!(matches!(ModemProfile::bundled_shared("zte-9999"), Err(ProfileError::Unknown(_))));
    }

    #[test]
    fn mistakes_name_the_line_and_the_field() {
        let e =
            ModemProfile::parse("x.toml", "engine = \"gsm\"\n[voice]\nok = \"sometimes\"\n").unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("voice.ok"), "{e}");
        let e =
            ModemProfile::parse("x.toml", "engine = \"gsm\"\n\n[identity]\nmodle = \"X\"\n").unwrap_err().to_string();
        assert!(e.contains("line 4") && e.contains("modle"), "{e}");
        let e = ModemProfile::parse("x.toml", "inherit = \"nope\"\n").unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("nope"), "{e}");
    }

    #[test]
    fn command_keys_are_canonical() {
        let text = "engine = \"gsm\"\n[[reply]]\ncommand = \"at+cnmi=2, 1,0,2\"\nfinal = \"ERROR\"\n";
        let p = ModemProfile::parse("x", text).unwrap();
        assert_eq!(p.replies[0].command, "+CNMI=2,1,0,2");
        assert_eq!(p.replies[0].final_code, Some(ResultCode::Error));
    }
}
