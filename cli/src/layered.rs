//! Flags, then environment variables, then the `--config` file, then defaults.
//!
//! clap already puts a flag before its environment variable before its default. The file
//! slots in between by becoming the default: the command line is parsed once to learn which
//! values came from flags or the environment and where the file is, then each file value
//! for a flag that neither gave replaces that flag's default, and the command line is parsed
//! again. A file value is therefore checked by the flag's own value parser: every one of
//! them, even those a flag overrides, by a parse with no arguments and no environment where
//! the file gives all defaults. An invalid one is reported with the file and the key.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command, Parser};

use crate::{ConfigFile, ConfigFileError, one_line};

/// The text [`Layered`] puts after the flags in `--help`, when the program has a `--config`
/// flag and no `after_help` of its own.
pub const PRECEDENCE_HELP: &str = "\
Each flag can also be set with its environment variable [env: ...], or in the TOML file given to
--config, keyed by flag name: netuid = 7, [wallet] name = \"miner\", [axon] port = 8091.
Precedence: flag, then environment variable, then config file, then default.";

/// Where a flag's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// The command line.
    Flag,
    /// The flag's environment variable.
    Env,
    /// The `--config` file.
    File,
    /// The default: the flag's own, or one set with [`Layered::default_value`].
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Source::Flag => "flag",
            Source::Env => "env",
            Source::File => "file",
            Source::Default => "default",
        })
    }
}

/// Where each flag that has a value got it, by long flag name (`wallet.name`), and which
/// config file was read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    by_flag: BTreeMap<String, Source>,
    config_file: Option<PathBuf>,
}

impl Sources {
    /// Where `--<long>` got its value; `None` when it has none (an unset optional flag).
    pub fn get(&self, long: &str) -> Option<Source> {
        self.by_flag.get(long).copied()
    }

    /// Every flag with a value, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Source)> {
        self.by_flag.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// The config file that was read, if any.
    pub fn config_file(&self) -> Option<&Path> {
        self.config_file.as_deref()
    }
}

/// A parser that reads flags, environment variables and the `--config` file, in that order
/// of precedence, into any [`clap::Parser`].
///
/// The config file is the value of the program's `--config` flag ([`MinerArgs`] and
/// [`ValidatorArgs`] have one); its keys are the long names of the program's other flags.
/// A key that names no flag is an error, so that a typo is not silently ignored.
///
/// ```
/// use axonite_cli::{Layered, MinerArgs, Source};
/// use clap::Parser;
///
/// #[derive(Parser)]
/// struct Cli {
///     #[command(flatten)]
///     miner: MinerArgs,
/// }
///
/// // This subnet lives on netuid 7: that is its default, which `--netuid` and the other
/// // layers still override.
/// let layered = Layered::new().default_value("netuid", "7").read_env(false);
/// let (cli, sources) = layered.try_parse_with_sources_from::<Cli, _, _>(["miner", "--axon.port", "9000"])?;
/// assert_eq!(cli.miner.netuid, 7);
/// assert_eq!(cli.miner.axon.port, 9000);
/// assert_eq!(sources.get("axon.port"), Some(Source::Flag));
/// assert_eq!(sources.get("netuid"), Some(Source::Default));
/// # Ok::<(), clap::Error>(())
/// ```
///
/// [`MinerArgs`]: crate::MinerArgs
/// [`ValidatorArgs`]: crate::ValidatorArgs
#[derive(Debug, Clone)]
pub struct Layered {
    defaults: Vec<(String, String)>,
    read_env: bool,
}

impl Default for Layered {
    fn default() -> Self {
        Self::new()
    }
}

// === impl Layered ===

impl Layered {
    /// Flags, environment, file, then the flags' own defaults.
    pub fn new() -> Self {
        Self {
            defaults: Vec::new(),
            read_env: true,
        }
    }

    /// Replaces the default of `--<long>` (shown in `--help`), e.g. a subnet's own netuid.
    /// Checked at parse time: a flag that does not exist, or a value its parser refuses,
    /// is an error that names it.
    pub fn default_value(mut self, long: impl Into<String>, value: impl Into<String>) -> Self {
        self.defaults.push((long.into(), value.into()));
        self
    }

    /// Whether environment variables are read (default: yes). Tests turn this off to stay
    /// independent of the environment they run in.
    pub fn read_env(mut self, read: bool) -> Self {
        self.read_env = read;
        self
    }

    /// Parses the process's arguments; on an error, prints it on one line to standard error
    /// (see [`one_line`]) and exits with status 2. `--help` and `--version` print and exit 0.
    pub fn parse<T: Parser>(&self) -> T {
        self.parse_with_sources().0
    }

    /// [`Layered::parse`], also telling where each value came from.
    pub fn parse_with_sources<T: Parser>(&self) -> (T, Sources) {
        match self.try_parse_with_sources_from(std::env::args_os()) {
            Ok(parsed) => parsed,
            Err(err) if !err.use_stderr() => err.exit(),
            Err(err) => {
                eprintln!("{}", one_line(&err));
                std::process::exit(err.exit_code())
            }
        }
    }

    /// Parses `args` (the first is the program name).
    pub fn try_parse_from<T, I, S>(&self, args: I) -> Result<T, clap::Error>
    where
        T: Parser,
        I: IntoIterator<Item = S>,
        S: Into<OsString> + Clone,
    {
        self.try_parse_with_sources_from(args)
            .map(|(parsed, _)| parsed)
    }

    /// Parses `args` (the first is the program name), telling where each value came from.
    ///
    /// Errors are clap's for flags and environment variables (`invalid value 'x' for
    /// '--axon.port <PORT>': ...`), and [`ConfigFileError`]s as clap errors of kind
    /// [`ErrorKind::Io`] (missing or unreadable file) or [`ErrorKind::InvalidValue`]
    /// (`config file miner.toml: axon.port: invalid value 'x' ...`).
    pub fn try_parse_with_sources_from<T, I, S>(&self, args: I) -> Result<(T, Sources), clap::Error>
    where
        T: Parser,
        I: IntoIterator<Item = S>,
        S: Into<OsString> + Clone,
    {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let base = self.command::<T>()?;

        // Pass 1: which flags the command line and the environment set, and the file's path.
        // Required flags may come from the file, so nothing is required yet.
        let probe = base.clone().mut_args(|arg| arg.required(false));
        let first = match probe.try_get_matches_from(&args) {
            Ok(matches) => matches,
            Err(err) => {
                // Report as the real command would (its usage, its help).
                let err = base
                    .clone()
                    .try_get_matches_from(&args)
                    .err()
                    .unwrap_or(err);
                return Err(err);
            }
        };
        let config_path = config_path(&base, &first);

        // The file's values become the defaults of the flags nothing else set.
        let mut cmd = base;
        let mut from_file = BTreeSet::new();
        if let Some(path) = &config_path {
            let file = ConfigFile::load(path).map_err(file_error)?;
            // Every file value is checked, also those a flag overrides: a file is valid or
            // not whatever the command line says.
            let mut check = cmd.clone().mut_args(|arg| arg.required(false).env(None));
            let mut all_keys = BTreeSet::new();
            for (key, value) in file.iter() {
                let Some(id) = settable_arg(&cmd, key) else {
                    return Err(file_error(ConfigFileError::UnknownKey {
                        path: path.clone(),
                        key: key.to_owned(),
                    }));
                };
                check = check.mut_arg(&id, |arg| arg.default_value(value.to_owned()));
                all_keys.insert(key.to_owned());
                if !set_explicitly(&first, &id) {
                    let value = value.to_owned();
                    cmd = cmd.mut_arg(&id, |arg| arg.default_value(value).required(false));
                    from_file.insert(key.to_owned());
                }
            }
            // Without arguments and environment, a value error can only be about a default.
            if let Err(err) = check.try_get_matches_from([cmd.get_name().to_owned()])
                && let Some(err) = file_value_error(&err, path, &all_keys)
            {
                return Err(err);
            }
        }

        // Pass 2: clap applies flag > environment > default (now the file's value).
        let matches = cmd.try_get_matches_from_mut(&args).map_err(|err| {
            config_path
                .as_deref()
                .and_then(|path| file_value_error(&err, path, &from_file))
                .unwrap_or(err)
        })?;
        let parsed = T::from_arg_matches(&matches).map_err(|err| err.format(&mut cmd))?;
        let sources = Sources {
            by_flag: sources(&cmd, &matches, &from_file),
            config_file: config_path,
        };
        Ok((parsed, sources))
    }

    /// `T`'s command with the environment switched off if asked, the precedence note, and
    /// the defaults set with [`Layered::default_value`].
    fn command<T: Parser>(&self) -> Result<Command, clap::Error> {
        let mut cmd = T::command();
        if !self.read_env {
            cmd = cmd.mut_args(|arg| arg.env(None));
        }
        if cmd.get_after_help().is_none() && config_arg(&cmd).is_some() {
            // Only when there is a file to talk about.
            cmd = cmd.after_help(PRECEDENCE_HELP);
        }
        for (long, value) in &self.defaults {
            let Some(id) = settable_arg(&cmd, long) else {
                return Err(clap::Error::raw(
                    ErrorKind::UnknownArgument,
                    format!(
                        "the program sets a default for --{long}, which is not one of its flags\n"
                    ),
                ));
            };
            let value = value.clone();
            cmd = cmd.mut_arg(&id, |arg| arg.default_value(value));
        }
        if !self.defaults.is_empty() {
            // Without arguments and environment, a value error can only be about a default.
            let bare = cmd.clone().mut_args(|arg| arg.required(false).env(None));
            if let Err(err) = bare.try_get_matches_from([cmd.get_name().to_owned()])
                && let Some(long) =
                    failed_flag(&err).filter(|long| self.defaults.iter().any(|(l, _)| l == long))
            {
                return Err(clap::Error::raw(
                    err.kind(),
                    format!(
                        "the program's default for --{long} is invalid: {}\n",
                        reason(&err)
                    ),
                ));
            }
        }
        Ok(cmd)
    }
}

/// Parses the process's arguments with [`Layered::new`]: flags > environment > `--config`
/// file > defaults. On an error, prints one line to standard error and exits with status 2.
pub fn parse<T: Parser>() -> T {
    Layered::new().parse()
}

/// Parses `args` (the first is the program name) with [`Layered::new`].
pub fn try_parse_from<T, I, S>(args: I) -> Result<T, clap::Error>
where
    T: Parser,
    I: IntoIterator<Item = S>,
    S: Into<OsString> + Clone,
{
    Layered::new().try_parse_from(args)
}

/// Help, version and `--config` itself cannot be set from the file.
fn is_settable(arg: &Arg) -> bool {
    !matches!(
        arg.get_action(),
        ArgAction::Help | ArgAction::HelpShort | ArgAction::HelpLong | ArgAction::Version
    ) && arg.get_long() != Some("config")
}

/// The id of the settable flag `--<long>`.
fn settable_arg(cmd: &Command, long: &str) -> Option<String> {
    cmd.get_arguments()
        .find(|arg| arg.get_long() == Some(long) && is_settable(arg))
        .map(|arg| arg.get_id().as_str().to_owned())
}

/// The id of the `--config` flag.
fn config_arg(cmd: &Command) -> Option<String> {
    cmd.get_arguments()
        .find(|arg| arg.get_long() == Some("config"))
        .map(|arg| arg.get_id().as_str().to_owned())
}

fn config_path(cmd: &Command, matches: &ArgMatches) -> Option<PathBuf> {
    let id = config_arg(cmd)?;
    let mut raw = matches.get_raw(&id)?;
    raw.next().map(PathBuf::from)
}

/// Whether the command line or the environment gave flag `id` a value.
fn set_explicitly(matches: &ArgMatches, id: &str) -> bool {
    matches!(
        matches.value_source(id),
        Some(ValueSource::CommandLine) | Some(ValueSource::EnvVariable)
    )
}

/// The long name of the flag a value error is about (clap names it `--axon.port <PORT>`).
fn failed_flag(err: &clap::Error) -> Option<String> {
    if !matches!(
        err.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation | ErrorKind::InvalidUtf8
    ) {
        return None;
    }
    let ContextValue::String(arg) = err.get(ContextKind::InvalidArg)? else {
        return None;
    };
    let long = arg.strip_prefix("--")?;
    Some(long.split([' ', '=']).next().unwrap_or(long).to_owned())
}

/// `err` reworded to name the file and the key, when it is about a value the file gave for
/// one of `keys`. The attribution is exact because `keys` are flags whose value can only have
/// come from the file (no argument and no environment variable set them).
fn file_value_error(
    err: &clap::Error,
    path: &Path,
    keys: &BTreeSet<String>,
) -> Option<clap::Error> {
    let key = failed_flag(err).filter(|long| keys.contains(long))?;
    Some(file_error(ConfigFileError::InvalidValue {
        path: path.to_path_buf(),
        key,
        reason: reason(err),
    }))
}

/// A value error's message without the `error: ` prefix.
fn reason(err: &clap::Error) -> String {
    let line = one_line(err);
    line.strip_prefix("error: ").unwrap_or(&line).to_owned()
}

fn file_error(err: ConfigFileError) -> clap::Error {
    let kind = match err {
        ConfigFileError::NotFound { .. } | ConfigFileError::Unreadable { .. } => ErrorKind::Io,
        _ => ErrorKind::InvalidValue,
    };
    clap::Error::raw(kind, format!("{err}\n"))
}

fn sources(
    cmd: &Command,
    matches: &ArgMatches,
    from_file: &BTreeSet<String>,
) -> BTreeMap<String, Source> {
    let mut by_flag = BTreeMap::new();
    for arg in cmd.get_arguments().filter(|arg| is_settable(arg)) {
        let Some(long) = arg.get_long() else { continue };
        let source = match matches.value_source(arg.get_id().as_str()) {
            None => continue,
            Some(ValueSource::CommandLine) => Source::Flag,
            Some(ValueSource::EnvVariable) => Source::Env,
            Some(_) if from_file.contains(long) => Source::File,
            Some(_) => Source::Default,
        };
        by_flag.insert(long.to_owned(), source);
    }
    by_flag
}

#[cfg(test)]
mod tests;
