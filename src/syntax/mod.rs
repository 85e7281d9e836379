//! Source text → AST. Knows nothing of bytecode or ports.

pub mod ast;
mod parser;

pub use parser::{parse, parses_as};

use ast::Span;

/// A script that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where parsing stopped.
    pub span: Span,
    /// What would have been accepted there, in plain words.
    pub expected: Vec<String>,
    /// Set when the text nests deeper than this limit ([`nesting::MAX_NESTING`]); the span
    /// is the construct that crosses it.
    pub too_deep: Option<usize>,
}

impl SyntaxError {
    fn from_pest(error: pest::error::Error<parser::Rule>) -> SyntaxError {
        use pest::error::{ErrorVariant, InputLocation};
        let span = match error.location {
            InputLocation::Pos(p) => Span::new(p, p),
            InputLocation::Span((a, b)) => Span::new(a, b),
        };
        let mut expected: Vec<String> = match &error.variant {
            ErrorVariant::ParsingError { positives, .. } => {
                positives.iter().filter_map(|r| friendly(*r)).map(str::to_string).collect()
            }
            ErrorVariant::CustomError { message } => vec![message.clone()],
        };
        expected.sort();
        expected.dedup();
        SyntaxError { span, expected, too_deep: None }
    }

    /// "expected a statement, or a newline"
    pub fn message(&self) -> String {
        if let Some(limit) = self.too_deep {
            return format!("blocks, parentheses and `else if` are nested more than {limit} levels deep");
        }
        match self.expected.as_slice() {
            [] => "unexpected text".to_string(),
            [one] => format!("expected {one}"),
            [init @ .., last] => format!("expected {}, or {last}", init.join(", ")),
        }
    }
}

/// Rule names in plain words, for syntax errors. `None` hides a rule that would only confuse.
fn friendly(rule: parser::Rule) -> Option<&'static str> {
    use parser::Rule as R;
    Some(match rule {
        R::EOI => "the end of the file",
        R::stmt
        | R::use_stmt
        | R::param_stmt
        | R::let_stmt
        | R::send_stmt
        | R::expect_stmt
        | R::command_stmt
        | R::final_stmt
        | R::on_stmt
        | R::retry_stmt
        | R::if_stmt
        | R::proc_stmt
        | R::call_stmt
        | R::call => "a statement",
        R::block => "a block `{ ... }`",
        R::expr => "a value (a string, number, duration or name)",
        R::string => "a string in double quotes",
        R::pattern => "a pattern (a quoted string or a result code such as `OK`)",
        R::result_code | R::code_word => "a result code such as `OK`",
        R::duration | R::dur_value => "a duration such as `500ms`, `5s` or `1m`",
        R::integer => "a whole number",
        R::ident | R::qualified | R::word => "a name",
        R::action | R::fail_action => "an action (`fail`, `retry`, `ignore`, `exit`, `say`, `print` or a block)",
        R::arm => "an arm `pattern => action`",
        R::arms => "`{` and expect arms",
        R::limit | R::within | R::idle | R::kw_within | R::kw_idle => "`within` or `idle`",
        R::settle | R::kw_settle => "`settle`",
        R::retry_clause | R::times | R::every | R::kw_every | R::kw_times => "`N times`, `every DUR` or `within DUR`",
        R::condition | R::comparison | R::negation | R::conjunct => "a condition",
        R::compare_op => "a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`)",
        R::on_off => "`on` or `off`",
        R::results_mode => "`numeric` or `verbose`",
        R::send_modifier | R::raw | R::pace => "`raw` or `pace DUR`",
        R::hole => "`{name}`",
        R::escape => "an escape such as `\\r`",
        R::proc_param => "a parameter name",
        R::argument => "an argument",
        R::kw_else => "`else`",
        R::kw_timeout => "`timeout`",
        _ => return None,
    })
}

pub mod loader;
pub mod nesting;
pub mod scope;
pub use loader::{LoadError, SourceFile, Sources};
