//! Every error the command line prints, as a miette report: the one place where error kinds
//! meet miette (codes, labels, help and source snippets come from the kinds themselves).
//!
//! A report carries only an [`Excerpt`] of its file, never the whole text, and at most
//! [`MAX_SHOWN`] reports are made for one list of errors: memory and output stay small
//! whatever the number of errors and the size of the file.

mod excerpt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, Report};

use excerpt::Excerpt;

use crate::bytecode::compiler::CompileError;
use crate::check::CheckError;
use crate::syntax::ast::Span;
use crate::syntax::{LoadError, Sources};

/// Width of [`render_plain`] output.
const PLAIN_WIDTH: usize = 100;
/// The most errors shown for one file; past them, one line says how many more there are.
pub const MAX_SHOWN: usize = 50;

/// Renders check errors as miette reports (source snippet with file name, line:col,
/// caret/label, code, help): the first [`MAX_SHOWN`], then a report of how many were left
/// out.
pub fn reports(sources: &Sources, errors: &[CheckError]) -> Vec<Report> {
    let mut reports: Vec<Report> = errors.iter().take(MAX_SHOWN).map(|e| check_report(sources, e)).collect();
    if errors.len() > MAX_SHOWN {
        let left = errors.len() - MAX_SHOWN;
        let message = format!(
            "{left} more error{} not shown: only the first {MAX_SHOWN} are",
            if left == 1 { " is" } else { "s are" }
        );
        reports.push(Report::new(
            MietteDiagnostic::new(message)
                .with_code("atchat::more-errors")
                .with_help("fix the errors above and check again"),
        ));
    }
    reports
}

/// The same, rendered to text without colours (for tests and non-terminal stderr), width 100.
pub fn render_plain(sources: &Sources, errors: &[CheckError]) -> String {
    reports(sources, errors).iter().map(render_report_plain).collect()
}

/// Like [`render_plain`], but shows the main script from byte `from` on as if that part were
/// the whole file, named `name`: the REPL reports a mistake in the lines of the entry just
/// typed (`<input>:2:5`), not in the session script before it. A label pointing before `from`
/// (an earlier declaration) is left out; an error located there is shown in the whole script.
pub fn render_plain_from(sources: &Sources, errors: &[CheckError], from: usize, name: &str) -> String {
    let mut tail = sources.clone();
    if let Some(main) = tail.files.first_mut() {
        main.name = name.to_string();
        main.text = main.text.get(from..).unwrap_or("").to_string();
    }
    errors
        .iter()
        .take(MAX_SHOWN)
        .map(|e| {
            let report = if e.file == 0 && e.span.start >= from {
                located_report(&tail, e, from)
            } else {
                check_report(sources, e)
            };
            render_report_plain(&report)
        })
        .collect()
}

/// Renders any report as plain text, width 100, no colours, one blank line after it.
pub fn render_report_plain(report: &Report) -> String {
    let handler =
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(PLAIN_WIDTH).with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        // Rendering into a String cannot fail; fall back to the bare message all the same.
        out = format!("error: {report}\n");
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push('\n');
    out
}

fn check_report(sources: &Sources, error: &CheckError) -> Report {
    located_report(sources, error, 0)
}

/// A check error's report, its spans taken `shift` bytes earlier in the text (see
/// [`render_plain_from`]); a span before `shift` gets no label.
fn located_report(sources: &Sources, error: &CheckError, shift: usize) -> Report {
    let moved = |span: Span| {
        (span.start >= shift).then(|| Span { start: span.start - shift, end: span.end.saturating_sub(shift) })
    };
    let kind = &error.kind;
    let mut diagnostic = MietteDiagnostic::new(kind.to_string()).with_code(kind.code());
    if let Some(help) = kind.help() {
        diagnostic = diagnostic.with_help(help);
    }
    let file = sources.files.get(error.file).filter(|_| kind.located());
    let Some(file) = file else {
        return Report::new(diagnostic);
    };
    let mut spans = vec![source_span(&file.text, moved(error.span).unwrap_or_default())];
    let related = kind.related().and_then(|(s, t)| Some((moved(s)?, t)));
    if let Some((span, _)) = related {
        spans.push(source_span(&file.text, span));
    }
    let (excerpt, spans) = Excerpt::new(&file.name, &file.text, &spans);
    let mut labels = vec![LabeledSpan::new_primary_with_span(Some(kind.label()), spans[0])];
    if let Some((_, text)) = related {
        labels.push(LabeledSpan::new_with_span(Some(text.to_string()), spans[1]));
    }
    Report::new(diagnostic.with_labels(labels)).with_source_code(excerpt)
}

/// A span miette can show: clamped to the text, and at least one character wide where there
/// is a character to point at (a syntax error at a newline points at the newline).
fn source_span(text: &str, span: Span) -> Span {
    let start = floor_char(text, span.start.min(text.len()));
    let end = floor_char(text, span.end.clamp(start, text.len()));
    let end = if end == start { text[start..].chars().next().map_or(start, |c| start + c.len_utf8()) } else { end };
    Span::new(start, end)
}

fn floor_char(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A compile error (a checker bug on checked input) as a report with its source snippet.
pub fn compile_report(sources: &Sources, error: &CompileError) -> Report {
    let diagnostic = MietteDiagnostic::new(error.message.clone())
        .with_code("atchat::compile")
        .with_help("this script passed the checker but does not compile: please report it as a bug");
    match sources.files.iter().find(|f| f.name == error.file) {
        Some(file) => {
            let span = source_span(&file.text, error.span);
            let (excerpt, spans) = Excerpt::new(&file.name, &file.text, &[span]);
            let label = LabeledSpan::new_primary_with_span(None, spans[0]);
            Report::new(diagnostic.with_label(label)).with_source_code(excerpt)
        }
        None => Report::new(diagnostic),
    }
}

/// A main script that cannot be read.
pub fn load_report(error: &LoadError) -> Report {
    let help = if error.is_not_utf8() {
        "scripts are UTF-8; convert this one, e.g. `iconv -f latin1 -t utf-8 OLD.atc > NEW.atc`"
    } else if error.is_too_large() {
        "the limit keeps memory bounded whatever the input; a real modem script is a few KiB"
    } else {
        "check the path of the script and that it is readable"
    };
    Report::new(MietteDiagnostic::new(error.to_string()).with_code("atchat::load").with_help(help))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_spans_point_at_a_character() {
        assert_eq!(source_span("ab\ncd", Span::new(2, 2)), Span::new(2, 3));
        assert_eq!(source_span("ab", Span::new(2, 2)), Span::new(2, 2));
        assert_eq!(source_span("ab", Span::new(5, 9)), Span::new(2, 2));
        assert_eq!(source_span("é", Span::new(1, 1)), Span::new(0, 2));
    }

    #[test]
    fn compile_errors_show_their_source() {
        let sources = Sources::from_text("t.atc", "send \"AT\"\nsay x\n", None);
        let error = CompileError { file: "t.atc".into(), span: Span::new(14, 15), message: "unknown name `x`".into() };
        let text = render_report_plain(&compile_report(&sources, &error));
        assert!(text.contains("[t.atc:2:5]"), "{text}");
        assert!(text.contains("atchat::compile"), "{text}");
    }

    #[test]
    fn load_errors_name_the_path() {
        let error = LoadError {
            path: "nowhere.atc".into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not found"),
        };
        let text = render_report_plain(&load_report(&error));
        assert!(text.contains("cannot read `nowhere.atc`"), "{text}");
        assert!(text.contains("atchat::load"), "{text}");
    }
}
