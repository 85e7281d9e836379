//! A line diff for failure messages: `-` what was expected, `+` what came, two lines of
//! context around each change.

/// The lines of `expected` and `actual`, marked ` `, `-` or `+`; unchanged runs longer
/// than the context are cut to `...`.
pub fn lines(expected: &str, actual: &str) -> String {
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    // Longest common subsequence, by suffix: `lcs[i][j]` for old[i..] and new[j..].
    let mut lcs = vec![vec![0u32; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            lcs[i][j] = if old[i] == new[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut marked: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            marked.push((' ', old[i]));
            i += 1;
            j += 1;
        } else if i < old.len() && (j == new.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            marked.push(('-', old[i]));
            i += 1;
        } else {
            marked.push(('+', new[j]));
            j += 1;
        }
    }
    const CONTEXT: usize = 2;
    let changed: Vec<usize> = (0..marked.len()).filter(|&k| marked[k].0 != ' ').collect();
    let near = |k: usize| changed.iter().any(|&c| c.abs_diff(k) <= CONTEXT);
    let mut out = String::new();
    let mut cut = false;
    for (k, (mark, line)) in marked.iter().enumerate() {
        if near(k) {
            out.push_str(&format!("{mark} {line}\n"));
            cut = false;
        } else if !cut {
            out.push_str("  ...\n");
            cut = true;
        }
    }
    if changed.is_empty() && expected != actual {
        // Same lines, different bytes: line endings or the final newline.
        out = format!("  (the texts differ only in line endings)\n  expected {expected:?}\n  actual   {actual:?}\n");
    }
    out
}

#[test]
fn a_diff_marks_changes_with_context() {
    let expected = "a\nb\nc\nd\ne\nf\ng\n";
    let actual = "a\nb\nc\nD\ne\nf\ng\nh\n";
    assert_eq!(lines(expected, actual), "  ...\n  b\n  c\n- d\n+ D\n  e\n  f\n  g\n+ h\n");
    assert!(lines("a\n", "a").contains("line endings"));
}
