//! The `--config` TOML file, read into flag names and text values.
//!
//! The file is not deserialised into typed structs: each value is handed, as text, to the
//! same clap value parser the flag uses, so a file value is checked exactly like a flag
//! value and flags added by a subnet need no extra code.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// A settings file has a few dozen lines; a larger one is a mistake, not a config.
const MAX_CONFIG_LEN: u64 = 1024 * 1024;

/// Why a config file could not be used. Every message starts with `config file <path>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigFileError {
    /// There is no file at this path.
    #[error("config file {} not found", .path.display())]
    NotFound {
        /// The path given to `--config`.
        path: PathBuf,
    },
    /// The file exists but could not be read.
    #[error("config file {} could not be read: {reason}", .path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The operating system's error message.
        reason: String,
    },
    /// The file is larger than 1 MiB.
    #[error("config file {} is larger than 1 MiB", .path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The file is not valid TOML (or not UTF-8).
    #[error("config file {}: line {line} column {column}: {reason}", .path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Where the problem is, from 1.
        line: usize,
        /// Where the problem is, from 1, in characters.
        column: usize,
        /// What the TOML parser said.
        reason: String,
    },
    /// A value is an array (or a date or time, which no flag takes).
    #[error("config file {}: {key}: expected a string, number or boolean, found {found}", .path.display())]
    NotAScalar {
        /// The file.
        path: PathBuf,
        /// The dotted key (`wallet.name`).
        key: String,
        /// What the value is (`an array`).
        found: &'static str,
    },
    /// A key names no flag of the program.
    #[error("config file {}: unknown key '{key}' (keys are flag names: netuid, [wallet] name, ...)", .path.display())]
    UnknownKey {
        /// The file.
        path: PathBuf,
        /// The dotted key.
        key: String,
    },
    /// A value is not valid for its flag.
    #[error("config file {}: {key}: {reason}", .path.display())]
    InvalidValue {
        /// The file.
        path: PathBuf,
        /// The dotted key.
        key: String,
        /// The flag's value parser's message, e.g.
        /// `invalid value 'x' for '--axon.port <PORT>': invalid digit found in string`.
        reason: String,
    },
}

/// The settings in a `--config` file: flag names (`wallet.name`, `netuid`) and their values
/// as text (`true` and `7` for TOML booleans and numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    path: PathBuf,
    values: BTreeMap<String, String>,
}

// === impl ConfigFile ===

impl ConfigFile {
    /// Reads and parses the file at `path` (at most 1 MiB).
    pub fn load(path: &Path) -> Result<Self, ConfigFileError> {
        let unreadable = |e: std::io::Error| match e.kind() {
            std::io::ErrorKind::NotFound => ConfigFileError::NotFound {
                path: path.to_path_buf(),
            },
            _ => ConfigFileError::Unreadable {
                path: path.to_path_buf(),
                reason: e.to_string(),
            },
        };
        let file = File::open(path).map_err(unreadable)?;
        let mut bytes = Vec::new();
        file.take(MAX_CONFIG_LEN + 1)
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
        if bytes.len() as u64 > MAX_CONFIG_LEN {
            return Err(ConfigFileError::TooLarge {
                path: path.to_path_buf(),
            });
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let (line, column) = line_column(&e.as_bytes()[..e.utf8_error().valid_up_to()]);
            ConfigFileError::Syntax {
                path: path.to_path_buf(),
                line,
                column,
                reason: "not UTF-8".into(),
            }
        })?;
        Self::parse(path, &text)
    }

    /// Parses `text` as the contents of the file at `path` (used in messages only).
    ///
    /// ```
    /// use std::path::Path;
    /// use axonite_cli::ConfigFile;
    ///
    /// let file = ConfigFile::parse(Path::new("miner.toml"), "netuid = 7\n[wallet]\nname = \"miner\"\n")?;
    /// assert_eq!(file.get("netuid"), Some("7"));
    /// assert_eq!(file.get("wallet.name"), Some("miner"));
    /// # Ok::<(), axonite_cli::ConfigFileError>(())
    /// ```
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigFileError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let (line, column) = e
                .span()
                .map_or((1, 1), |span| line_column(&text.as_bytes()[..span.start]));
            ConfigFileError::Syntax {
                path: path.to_path_buf(),
                line,
                column,
                reason: e.message().trim().replace('\n', "; "),
            }
        })?;
        let mut values = BTreeMap::new();
        flatten(path, "", table, &mut values)?;
        Ok(Self {
            path: path.to_path_buf(),
            values,
        })
    }

    /// The file's path, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The value of a dotted key (`axon.port`), as text.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Every key and its value, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Turns nested tables into dotted keys with text values.
fn flatten(
    path: &Path,
    prefix: &str,
    table: toml::Table,
    out: &mut BTreeMap<String, String>,
) -> Result<(), ConfigFileError> {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}.{name}")
        };
        let text = match value {
            toml::Value::Table(inner) => {
                flatten(path, &key, inner, out)?;
                continue;
            }
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Array(_) => return Err(not_a_scalar(path, key, "an array")),
            toml::Value::Datetime(_) => return Err(not_a_scalar(path, key, "a date or time")),
        };
        out.insert(key, text);
    }
    Ok(())
}

fn not_a_scalar(path: &Path, key: String, found: &'static str) -> ConfigFileError {
    ConfigFileError::NotAScalar {
        path: path.to_path_buf(),
        key,
        found,
    }
}

/// Line and column (from 1, column in characters) just after `before`.
fn line_column(before: &[u8]) -> (usize, usize) {
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let column = 1 + String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count();
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile, ConfigFileError> {
        ConfigFile::parse(Path::new("miner.toml"), text)
    }

    #[test]
    fn tables_and_dotted_keys_become_flag_names() {
        let file = parse(
            "netuid = 7\nsubtensor.network = \"test\"\n\n[wallet]\nname = \"miner\"\nhotkey = \"hk\"\n\n[axon]\nport = 9000\n\n[logging]\ndebug = true\n",
        )
        .unwrap();
        let pairs: Vec<_> = file.iter().collect();
        assert_eq!(
            pairs,
            [
                ("axon.port", "9000"),
                ("logging.debug", "true"),
                ("netuid", "7"),
                ("subtensor.network", "test"),
                ("wallet.hotkey", "hk"),
                ("wallet.name", "miner"),
            ]
        );
        assert_eq!(file.path(), Path::new("miner.toml"));
    }

    #[test]
    fn inline_tables_and_floats_are_read() {
        let file = parse("axon = { port = 1 }\nratio = 0.5\n").unwrap();
        assert_eq!(file.get("axon.port"), Some("1"));
        assert_eq!(file.get("ratio"), Some("0.5"));
    }

    #[test]
    fn arrays_and_dates_are_refused_with_their_key() {
        let err = parse("[axon]\nport = [1, 2]\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "config file miner.toml: axon.port: expected a string, number or boolean, found an array"
        );
        let err = parse("when = 1979-05-27\n").unwrap_err();
        assert!(matches!(
            err,
            ConfigFileError::NotAScalar {
                found: "a date or time",
                ..
            }
        ));
    }

    #[test]
    fn syntax_errors_name_the_file_line_and_column_on_one_line() {
        let err = parse("netuid = 7\n[wallet]\nname = miner\n").unwrap_err();
        let ConfigFileError::Syntax { line, column, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!((*line, *column), (3, 8));
        let message = err.to_string();
        assert!(
            message.starts_with("config file miner.toml: line 3 column 8: "),
            "{message}"
        );
        assert!(!message.contains('\n'), "{message}");
    }

    #[test]
    fn duplicate_keys_are_a_syntax_error() {
        let err = parse("netuid = 1\nnetuid = 2\n").unwrap_err();
        assert!(
            matches!(err, ConfigFileError::Syntax { line: 2, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn missing_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.toml");
        let err = ConfigFile::load(&path).unwrap_err();
        assert_eq!(err, ConfigFileError::NotFound { path: path.clone() });
        assert_eq!(
            err.to_string(),
            format!("config file {} not found", path.display())
        );
    }

    #[test]
    fn a_directory_is_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let err = ConfigFile::load(dir.path()).unwrap_err();
        assert!(matches!(err, ConfigFileError::Unreadable { .. }), "{err:?}");
    }

    #[test]
    fn oversized_and_non_utf8_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; MAX_CONFIG_LEN as usize + 1]).unwrap();
        assert_eq!(
            ConfigFile::load(&big),
            Err(ConfigFileError::TooLarge { path: big })
        );
        let latin1 = dir.path().join("latin1.toml");
        std::fs::write(&latin1, b"netuid = 1\nname = \"caf\xe9\"\n").unwrap();
        let err = ConfigFile::load(&latin1).unwrap_err();
        assert!(
            matches!(
                err,
                ConfigFileError::Syntax {
                    line: 2,
                    column: 12,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn file_on_disk_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("miner.toml");
        std::fs::write(&path, "netuid = 3\n").unwrap();
        assert_eq!(ConfigFile::load(&path).unwrap().get("netuid"), Some("3"));
    }
}
