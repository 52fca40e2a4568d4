//! Output: one markdown table on stdout, and the same figures as JSON with `--json <path>`.

use std::path::Path;

use serde::Serialize;

/// A table of figures, rendered as GitHub markdown.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Table {
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows, each as long as `headers`.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub fn new(headers: &[&str]) -> Self {
        Self {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (short rows are padded, long ones cut to the headers).
    pub fn row(&mut self, cells: Vec<String>) {
        let mut cells = cells;
        cells.resize(self.headers.len(), String::new());
        self.rows.push(cells);
    }

    /// The table as markdown, columns padded to line up in a terminal.
    pub fn to_markdown(&self) -> String {
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|i| {
                self.rows
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([self.headers[i].chars().count(), 3])
                    .max()
                    .unwrap_or(3)
            })
            .collect();
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            format!("| {} |\n", padded.join(" | "))
        };
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        let mut out = line(&self.headers);
        out.push_str(&line(&rule));
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
}

/// Why the JSON report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Encoding failed.
    #[error("cannot encode the report: {0}")]
    Encode(#[from] serde_json::Error),
    /// Writing failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Writes `value` as pretty JSON to `path`.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), ReportError> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text + "\n").map_err(|source| ReportError::Write {
        path: path.display().to_string(),
        source,
    })
}

/// Microseconds as milliseconds with three decimals.
pub fn ms(us: f64) -> String {
    format!("{:.3}", us / 1_000.0)
}

/// A share as a percentage with one decimal.
pub fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_has_a_header_a_rule_and_padded_rows() {
        let mut t = Table::new(&["mode", "ok"]);
        t.row(vec!["protection off".into(), "12".into()]);
        t.row(vec!["on".into()]);
        assert_eq!(
            t.to_markdown(),
            "| mode           | ok  |\n\
             | -------------- | --- |\n\
             | protection off | 12  |\n\
             | on             |     |\n"
        );
    }

    #[test]
    fn units_are_formatted() {
        assert_eq!(ms(1_234.0), "1.234");
        assert_eq!(percent(0.9876), "98.8%");
    }
}
