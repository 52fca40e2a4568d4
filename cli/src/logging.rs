//! `--logging.*`: how much the process logs, and in which format.

use std::io::IsTerminal as _;

use clap::builder::BoolishValueParser;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// The logging flags of the bittensor SDK, plus `--logging.json`. Logs go to standard error.
///
/// The level is info, debug with `--logging.debug`, trace with `--logging.trace`; a
/// non-empty `RUST_LOG` replaces it (`RUST_LOG=axonite=debug,quinn=warn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::Args)]
pub struct LoggingArgs {
    /// Log at debug level
    #[arg(
        id = "logging.debug",
        help_heading = "Logging",
        long = "logging.debug",
        env = "AXONITE_LOGGING_DEBUG",
        value_parser = BoolishValueParser::new(),
        action = clap::ArgAction::SetTrue
    )]
    pub debug: bool,

    /// Log at trace level (more than --logging.debug)
    #[arg(
        id = "logging.trace",
        help_heading = "Logging",
        long = "logging.trace",
        env = "AXONITE_LOGGING_TRACE",
        value_parser = BoolishValueParser::new(),
        action = clap::ArgAction::SetTrue
    )]
    pub trace: bool,

    /// Write logs as JSON lines (one object per event) instead of text
    #[arg(
        id = "logging.json",
        help_heading = "Logging",
        long = "logging.json",
        env = "AXONITE_LOGGING_JSON",
        value_parser = BoolishValueParser::new(),
        action = clap::ArgAction::SetTrue
    )]
    pub json: bool,
}

/// Why [`LoggingArgs::init`] could not install the subscriber.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoggingError {
    /// `RUST_LOG` is set but is not a valid filter.
    #[error("RUST_LOG is not a valid log filter: {reason}")]
    InvalidFilter {
        /// What the filter parser said.
        reason: String,
    },
    /// A global subscriber was installed before (by an earlier call, or by the program).
    #[error("logging is already set up in this process: {reason}")]
    AlreadyInstalled {
        /// What tracing-subscriber said.
        reason: String,
    },
}

// === impl LoggingArgs ===

impl LoggingArgs {
    /// The level the flags ask for: trace, debug or info.
    pub fn level(&self) -> LevelFilter {
        if self.trace {
            LevelFilter::TRACE
        } else if self.debug {
            LevelFilter::DEBUG
        } else {
            LevelFilter::INFO
        }
    }

    /// The filter [`LoggingArgs::init`] installs: `RUST_LOG` when it is set and not empty,
    /// else [`LoggingArgs::level`] for every target.
    pub fn filter(&self) -> Result<EnvFilter, LoggingError> {
        let rust_log = std::env::var(EnvFilter::DEFAULT_ENV).ok();
        self.filter_from(rust_log.as_deref())
    }

    /// [`LoggingArgs::filter`] with the value of `RUST_LOG` given.
    fn filter_from(&self, rust_log: Option<&str>) -> Result<EnvFilter, LoggingError> {
        match rust_log.map(str::trim).filter(|s| !s.is_empty()) {
            Some(directives) => {
                EnvFilter::try_new(directives).map_err(|e| LoggingError::InvalidFilter {
                    reason: e.to_string(),
                })
            }
            None => Ok(EnvFilter::default().add_directive(self.level().into())),
        }
    }

    /// Installs the global tracing subscriber: text to standard error (coloured when it is a
    /// terminal), or JSON lines with `--logging.json`, filtered by [`LoggingArgs::filter`].
    ///
    /// JSON events carry `timestamp`, `level`, `target`, `message` and the event's fields at
    /// the top level, and the current span under `span`.
    pub fn init(&self) -> Result<(), LoggingError> {
        let builder = tracing_subscriber::fmt()
            .with_env_filter(self.filter()?)
            .with_writer(std::io::stderr);
        let installed = if self.json {
            builder.json().flatten_event(true).try_init()
        } else {
            builder
                .with_ansi(std::io::stderr().is_terminal())
                .try_init()
        };
        installed.map_err(|e| LoggingError::AlreadyInstalled {
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(debug: bool, trace: bool) -> LoggingArgs {
        LoggingArgs {
            debug,
            trace,
            json: false,
        }
    }

    #[test]
    fn level_is_info_unless_debug_or_trace() {
        assert_eq!(flags(false, false).level(), LevelFilter::INFO);
        assert_eq!(flags(true, false).level(), LevelFilter::DEBUG);
        assert_eq!(flags(false, true).level(), LevelFilter::TRACE);
        assert_eq!(flags(true, true).level(), LevelFilter::TRACE);
    }

    #[test]
    fn rust_log_replaces_the_flags() {
        let filter = flags(true, false)
            .filter_from(Some("axonite=trace,quinn=warn"))
            .unwrap();
        assert_eq!(filter.max_level_hint(), Some(LevelFilter::TRACE));
        let filter = flags(false, true).filter_from(Some("warn")).unwrap();
        assert_eq!(filter.max_level_hint(), Some(LevelFilter::WARN));
    }

    #[test]
    fn empty_rust_log_is_ignored() {
        for unset in [None, Some(""), Some("  ")] {
            let filter = flags(true, false).filter_from(unset).unwrap();
            assert_eq!(
                filter.max_level_hint(),
                Some(LevelFilter::DEBUG),
                "{unset:?}"
            );
        }
    }

    #[test]
    fn invalid_rust_log_is_an_error_naming_the_variable() {
        let err = flags(false, false)
            .filter_from(Some("axonite=loud"))
            .unwrap_err();
        assert!(matches!(err, LoggingError::InvalidFilter { .. }));
        assert!(
            err.to_string()
                .starts_with("RUST_LOG is not a valid log filter")
        );
    }
}
