//! The nesting limit, enforced on the text before pest sees it.
//!
//! pest parses recursively, and so do the checker and the compiler walking the AST: each
//! level of `{ }`, `( )` or `else if` costs stack in every stage, and a few thousand levels
//! overflow the main thread's 8 MB stack (a crash, not an error). A lexical scan finds the
//! deepest point in linear time with no recursion, so a script nested deeper than
//! [`MAX_NESTING`] gets a syntax error at the construct that crosses the limit instead.
//!
//! The scan counts what the grammar nests: every `{` and `(` outside strings and comments,
//! and every `else if` of a chain (pest parses `if .. else if .. else if ..` as an `if`
//! inside the `else` of the one before). Where the text is not valid, pest stops at the first
//! mistake, before any nesting the scan might have missed.

use super::ast::Span;

/// The deepest nesting of blocks, parentheses and `else if` a script may have. Real scripts
/// stay under ten; at this depth every stage uses well under 1 MB of stack.
pub const MAX_NESTING: usize = 100;

/// Where the text first nests deeper than `limit`: the `{`, `(` or `if` of `else if` that
/// crosses it.
pub fn too_deep(text: &str, limit: usize) -> Option<Span> {
    let bytes = text.as_bytes();
    // One entry per open bracket: how many `else if` the chain running inside it has so far.
    // The bottom entry is the file's top level.
    let mut chains: Vec<usize> = vec![0];
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = skip_string(bytes, i + 1),
            b'#' => i = skip_comment(bytes, i),
            b'{' | b'(' => {
                depth += 1;
                if depth > limit {
                    return Some(Span::new(i, i + 1));
                }
                chains.push(0);
                i += 1;
            }
            b'}' | b')' => {
                let closed = bytes[i];
                i += 1;
                if chains.len() > 1 {
                    depth -= 1 + chains.pop().unwrap_or(0);
                }
                if closed != b'}' {
                    continue;
                }
                // After a block: `else if` continues a chain, anything else ends it.
                let Some(chain) = chains.last_mut() else {
                    continue;
                };
                match else_if_after(bytes, i) {
                    Some(at) => {
                        *chain += 1;
                        depth += 1;
                        if depth > limit {
                            return Some(Span::new(at, at + 2));
                        }
                    }
                    None if !else_after(bytes, i) => {
                        depth -= *chain;
                        *chain = 0;
                    }
                    None => {}
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Past the string whose body starts at `i`: after the closing quote, or at the end of the
/// line (where the grammar stops it too).
fn skip_string(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return i + 1,
            // An escape takes the next byte whatever it is, as the grammar's `escape` does.
            b'\\' => i += 2,
            b'\n' | b'\r' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn skip_comment(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
        i += 1;
    }
    i
}

/// Past the blanks the grammar skips between tokens: spaces, tabs and backslash-newlines.
fn skip_blanks(bytes: &[u8], mut i: usize) -> usize {
    loop {
        match bytes.get(i..) {
            Some([b' ' | b'\t', ..]) => i += 1,
            Some([b'\\', b'\r', b'\n', ..]) => i += 3,
            Some([b'\\', b'\n' | b'\r', ..]) => i += 2,
            _ => return i,
        }
    }
}

/// `word` at `i`, not followed by a name character: the position after it.
fn keyword(bytes: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    let end = i + word.len();
    let is_name = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    (bytes.get(i..end) == Some(word) && !bytes.get(end).is_some_and(is_name)).then_some(end)
}

fn else_after(bytes: &[u8], i: usize) -> bool {
    keyword(bytes, skip_blanks(bytes, i), b"else").is_some()
}

/// Where the `if` of an `else if` right after position `i` is.
fn else_if_after(bytes: &[u8], i: usize) -> Option<usize> {
    let after_else = keyword(bytes, skip_blanks(bytes, i), b"else")?;
    let at = skip_blanks(bytes, after_else);
    keyword(bytes, at, b"if").map(|_| at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested_ifs(n: usize) -> String {
        "if a {\n".repeat(n) + &"}\n".repeat(n)
    }

    fn else_ifs(n: usize) -> String {
        "if a {\n}".to_string() + &" else if a {\n}".repeat(n) + "\n"
    }

    #[test]
    fn blocks_count_to_the_limit() {
        assert_eq!(too_deep(&nested_ifs(3), 3), None);
        let text = nested_ifs(4);
        assert_eq!(too_deep(&text, 3), Some(Span::new(26, 27)));
    }

    #[test]
    fn parentheses_count() {
        // The parentheses close before the block opens.
        assert_eq!(too_deep("if (((a))) {\n}\n", 3), None);
        assert_eq!(too_deep("if ((((a)))) {\n}\n", 3), Some(Span::new(6, 7)));
        assert_eq!(too_deep("say f(g(h(i(1))))\n", 3), Some(Span::new(11, 12)));
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let text = "say \"{{{(((\\\"{{{\" # {{{{{{\nsay \"{x}\"\n";
        assert_eq!(too_deep(text, 0), None);
    }

    #[test]
    fn an_else_if_chain_counts_each_link_until_it_ends() {
        // The chain's blocks are one level each: 1 + 2 links.
        assert_eq!(too_deep(&else_ifs(2), 3), None);
        let text = else_ifs(3);
        let at = too_deep(&text, 3).expect("too deep");
        assert_eq!(&text[at.start..at.end], "{");
        assert_eq!(at.start, text.rfind('{').unwrap());
        // A final `else { }` adds no level, and the chain ends after it.
        let chain_then_more = else_ifs(2).trim_end().to_string() + " else {\n}\n" + &else_ifs(2);
        assert_eq!(too_deep(&chain_then_more, 3), None);
    }

    #[test]
    fn a_chain_inside_a_block_ends_with_the_block() {
        let inner = format!("if a {{\n{}}}\n", else_ifs(2));
        let text = inner.repeat(50);
        assert_eq!(too_deep(&text, 4), None);
    }

    #[test]
    fn deep_input_is_scanned_without_recursion() {
        let text = "(".repeat(1_000_000);
        assert_eq!(too_deep(&text, MAX_NESTING), Some(Span::new(100, 101)));
    }
}
