//! Runtime values.

use std::cmp::Ordering;
use std::time::Duration;

use crate::bytecode::{Comparison, Const};
use crate::lang::literal::{format_duration, parse_duration};

/// A value on the stack or in a variable.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// A variable that was never assigned (a capture whose pattern did not match).
    #[default]
    Unset,
    Str(Vec<u8>),
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
            Value::Int(i) => i.to_string().into_bytes(),
            Value::Duration(d) => format_duration(*d).into_bytes(),
        }
    }

    /// Empty strings, `0` and unset values are false; everything else is true.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Unset => false,
            Value::Str(s) => !s.is_empty() && s.as_slice() != b"0",
            Value::Int(i) => *i != 0,
            Value::Duration(d) => !d.is_zero(),
        }
    }

    /// The value as an integer, if it is one or is a string holding one (`"+12"`, `" 7 "`).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Str(s) => std::str::from_utf8(s).ok()?.trim().parse().ok(),
            _ => None,
        }
    }

    /// The value as a duration: a duration, an integer taken as seconds, or a string
    /// holding either (`-D limit=1.5s`, `-D limit=90`).
    pub fn as_duration(&self) -> Option<Duration> {
        match self {
            Value::Duration(d) => Some(*d),
            Value::Str(s) => {
                let text = std::str::from_utf8(s).ok()?.trim();
                parse_duration(text)
                    .or_else(|| text.parse::<u64>().ok().map(Duration::from_secs))
            }
            other => other.as_int().and_then(|i| u64::try_from(i).ok()).map(Duration::from_secs),
        }
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
