//! Writing results to stdout: text as it is, pretty JSON, and aligned text tables. A reader that
//! closes stdout early (`ds01-build ps | head -1`) ends the command quietly ([`StdoutClosed`]).

use anyhow::Result;

/// Rows as an aligned text table: every column but the last padded to its widest cell (in
/// characters), columns joined by two spaces, one line per row.
pub fn aligned(rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let n = cell.chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(n),
                None => widths.push(n),
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let last = row.len().saturating_sub(1);
        for (i, cell) in row.iter().enumerate() {
            if i == last {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        out.push('\n');
    }
    out
}

/// Stdout was closed by its reader (e.g. `ds01-build ps | head -1`): not a failure.
#[derive(Debug, thiserror::Error)]
#[error("stdout was closed")]
pub struct StdoutClosed;

/// Write `text` to stdout as it is. A closed pipe becomes [`StdoutClosed`], which the binary turns
/// into a quiet exit 0 instead of a panic.
pub fn emit(text: impl AsRef<str>) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out
        .write_all(text.as_ref().as_bytes())
        .and_then(|()| out.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        other => Ok(other?),
    }
}

/// Write `value` to stdout as pretty JSON and a newline.
pub fn emit_json(value: &impl serde::Serialize) -> Result<()> {
    emit(serde_json::to_string_pretty(value)? + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_pads_all_but_the_last_column() {
        let rows: Vec<Vec<String>> = [["A", "BB", "C"], ["ccc", "é", "long last"]]
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(aligned(&rows), "A    BB  C\nccc  é   long last\n");
        assert_eq!(aligned(&[]), "");
    }
}
