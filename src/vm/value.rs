//! Runtime values.

use std::cmp::Ordering;
use std::time::Duration;

use super::redact::{SecretText, Spans};
use crate::bytecode::{Comparison, Const};
use crate::lang::literal::{format_duration, parse_duration, MAX_DURATION};

/// A value on the stack or in a variable.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// A variable that was never assigned (a capture whose pattern did not match).
    #[default]
    Unset,
    Str(Vec<u8>),
    /// A string some of whose bytes came from a secret param (its value, or text that
    /// interpolated it): sent as it is, shown with those bytes as `***`.
    Secret(SecretText),
    Int(i64),
    Duration(Duration),
}

impl From<&Const> for Value {
    fn from(c: &Const) -> Value {
        match c {
            Const::Str(s) => Value::Str(s.clone()),
            Const::Int(i) => Value::Int(*i),
            Const::Duration(d) => Value::Duration(*d),
        }
    }
}

impl Value {
    /// The bytes this value stands for when sent or interpolated.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Value::Unset => Vec::new(),
            Value::Str(s) => s.clone(),
            Value::Secret(s) => s.bytes().to_vec(),
            Value::Int(i) => i.to_string().into_bytes(),
            Value::Duration(d) => format_duration(*d).into_bytes(),
        }
    }

    /// How many bytes [`Value::to_bytes`] gives, without copying a string to count them.
    pub fn byte_len(&self) -> usize {
        match self {
            Value::Str(s) => s.len(),
            Value::Secret(s) => s.bytes().len(),
            other => other.to_bytes().len(),
        }
    }

    /// The bytes this value may be shown as (`say`, `fail`, `:vars`): secret bytes as `***`.
    pub fn shown(&self) -> Vec<u8> {
        match self {
            Value::Secret(s) => s.shown(),
            other => other.to_bytes(),
        }
    }

    /// Which of [`Value::to_bytes`]'s bytes came from a secret.
    pub fn secret_spans(&self) -> Spans {
        match self {
            Value::Secret(s) => s.spans().clone(),
            _ => Spans::default(),
        }
    }

    /// The bytes of `values` one after the other, secret wherever a part was.
    pub fn concat(values: impl IntoIterator<Item = Value>) -> Value {
        let mut bytes = Vec::new();
        let mut spans = Spans::default();
        for v in values {
            if let Value::Secret(s) = &v {
                spans.append(s.spans(), bytes.len());
            }
            bytes.extend(v.to_bytes());
        }
        if spans.is_empty() {
            Value::Str(bytes)
        } else {
            Value::Secret(SecretText::new(bytes, spans))
        }
    }

    /// Empty strings, `0` and unset values are false; everything else is true.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Unset => false,
            Value::Str(s) => !s.is_empty() && s.as_slice() != b"0",
            Value::Secret(s) => !s.bytes().is_empty() && s.bytes() != b"0",
            Value::Int(i) => *i != 0,
            Value::Duration(d) => !d.is_zero(),
        }
    }

    /// The value as an integer, if it is one or is a string holding one (`"+12"`, `" 7 "`).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Str(s) => std::str::from_utf8(s).ok()?.trim().parse().ok(),
            Value::Secret(s) => std::str::from_utf8(s.bytes()).ok()?.trim().parse().ok(),
            _ => None,
        }
    }

    /// The value as a duration: a duration, an integer taken as seconds, or a string
    /// holding either (`-D limit=1.5s`, `-D limit=90`). Nothing past the language's limit
    /// ([`MAX_DURATION`]): deadlines computed from it must not overflow.
    pub fn as_duration(&self) -> Option<Duration> {
        let d = match self {
            Value::Duration(d) => Some(*d),
            Value::Str(_) | Value::Secret(_) => {
                let bytes = self.to_bytes();
                let text = std::str::from_utf8(&bytes).ok()?.trim().to_string();
                parse_duration(&text).or_else(|| text.parse::<u64>().ok().map(Duration::from_secs))
            }
            other => other.as_int().and_then(|i| u64::try_from(i).ok()).map(Duration::from_secs),
        };
        d.filter(|d| *d <= MAX_DURATION)
    }

    /// Compares two values: as numbers when both are integers, else as bytes.
    pub fn compare(&self, other: &Value, op: Comparison) -> bool {
        let ordering = match (self, other) {
            (Value::Duration(a), Value::Duration(b)) => a.cmp(b),
            _ => match (self.as_int(), other.as_int()) {
                (Some(a), Some(b)) => a.cmp(&b),
                _ => self.to_bytes().cmp(&other.to_bytes()),
            },
        };
        match op {
            Comparison::Eq => ordering == Ordering::Equal,
            Comparison::Ne => ordering != Ordering::Equal,
            Comparison::Lt => ordering == Ordering::Less,
            Comparison::Le => ordering != Ordering::Greater,
            Comparison::Gt => ordering == Ordering::Greater,
            Comparison::Ge => ordering != Ordering::Less,
        }
    }
}
