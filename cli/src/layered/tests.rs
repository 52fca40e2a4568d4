//! The layering without environment variables (those are tested in child processes, in
//! `tests/cli.rs`): flag > file > default, file errors, required flags, subnet flags.

use std::path::{Path, PathBuf};

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

use super::*;
use crate::{MinerArgs, ValidatorArgs};

#[derive(Debug, Parser)]
#[command(name = "miner")]
struct Miner {
    #[command(flatten)]
    miner: MinerArgs,
}

/// A subnet's binary: the miner flags plus its own, one of them required.
#[derive(Debug, Parser)]
#[command(name = "subnet")]
struct Subnet {
    #[command(flatten)]
    miner: MinerArgs,
    /// Model to serve.
    #[arg(long = "model.name", required = true)]
    model: String,
    /// Batch size.
    #[arg(long = "model.batch", default_value_t = 8)]
    batch: u32,
}

/// Writes `contents` to `name` in a new temporary directory.
fn config(contents: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("miner.toml");
    std::fs::write(&path, contents).unwrap();
    (dir, path)
}

fn parse<T: Parser>(args: &[&str]) -> Result<(T, Sources), clap::Error> {
    Layered::new()
        .read_env(false)
        .try_parse_with_sources_from(args)
}

fn with_config<'a>(path: &'a Path, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["miner", "--config", path.to_str().unwrap()];
    all.extend_from_slice(args);
    all
}

#[test]
fn defaults_apply_without_flags_or_file() {
    let (cli, sources) = parse::<Miner>(&["miner"]).unwrap();
    assert_eq!(cli.miner.netuid, 1);
    assert_eq!(cli.miner.wallet.name, "default");
    assert_eq!(cli.miner.axon.port, 8091);
    assert_eq!(sources.get("netuid"), Some(Source::Default));
    assert_eq!(sources.get("wallet.name"), Some(Source::Default));
    assert_eq!(sources.get("axon.external_ip"), None, "unset optional flag");
    assert_eq!(sources.config_file(), None);
}

#[test]
fn file_beats_default_and_flag_beats_file() {
    let (_dir, path) = config("netuid = 7\n[wallet]\nname = \"from-file\"\n[axon]\nport = 9000\n");

    let (cli, sources) = parse::<Miner>(&with_config(&path, &[])).unwrap();
    assert_eq!(cli.miner.netuid, 7);
    assert_eq!(cli.miner.wallet.name, "from-file");
    assert_eq!(cli.miner.axon.port, 9000);
    assert_eq!(sources.get("netuid"), Some(Source::File));
    assert_eq!(sources.get("wallet.name"), Some(Source::File));
    assert_eq!(sources.get("wallet.hotkey"), Some(Source::Default));
    assert_eq!(sources.config_file(), Some(path.as_path()));

    let args = with_config(&path, &["--netuid", "9", "--wallet.name=from-flag"]);
    let (cli, sources) = parse::<Miner>(&args).unwrap();
    assert_eq!(cli.miner.netuid, 9);
    assert_eq!(cli.miner.wallet.name, "from-flag");
    assert_eq!(
        cli.miner.axon.port, 9000,
        "the file still gives what no flag gave"
    );
    assert_eq!(sources.get("netuid"), Some(Source::Flag));
    assert_eq!(sources.get("axon.port"), Some(Source::File));
}

#[test]
fn flags_after_config_and_before_it_both_win() {
    let (_dir, path) = config("netuid = 7\n");
    let p = path.to_str().unwrap();
    for args in [
        vec!["miner", "--netuid", "3", "--config", p],
        vec!["miner", "--config", p, "--netuid", "3"],
    ] {
        let (cli, _) = parse::<Miner>(&args).unwrap();
        assert_eq!(cli.miner.netuid, 3, "{args:?}");
    }
}

#[test]
fn boolean_flags_are_read_from_the_file() {
    let (_dir, path) = config("[logging]\ndebug = true\njson = \"yes\"\ntrace = false\n");
    let (cli, sources) = parse::<Miner>(&with_config(&path, &[])).unwrap();
    assert!(cli.miner.logging.debug);
    assert!(cli.miner.logging.json);
    assert!(!cli.miner.logging.trace);
    assert_eq!(sources.get("logging.debug"), Some(Source::File));
}

#[test]
fn every_miner_setting_can_come_from_the_file() {
    let (_dir, path) = config(
        r#"netuid = 12
[wallet]
name = "w"
hotkey = "h"
path = "/srv/wallets"
[subtensor]
network = "test"
chain_endpoint = "ws://127.0.0.1:19944"
[axon]
port = 9001
ip = "127.0.0.2"
external_ip = "203.0.113.7"
external_port = 443
[logging]
trace = true
"#,
    );
    let (cli, sources) = parse::<Miner>(&with_config(&path, &[])).unwrap();
    let m = cli.miner;
    assert_eq!(m.netuid, 12);
    assert_eq!(
        m.wallet.location().hotkey_file(),
        Path::new("/srv/wallets/w/hotkeys/h")
    );
    assert_eq!(m.subtensor.network, crate::Network::Test);
    assert_eq!(m.subtensor.endpoint(), "ws://127.0.0.1:19944");
    assert_eq!(m.axon.listen(), "127.0.0.2:9001".parse().unwrap());
    assert_eq!(m.axon.external(), Some("203.0.113.7:443".parse().unwrap()));
    assert!(m.logging.trace);
    let from_file = sources.iter().filter(|(_, s)| *s == Source::File).count();
    assert_eq!(from_file, 11);
}

#[test]
fn validator_reads_the_same_file_layout() {
    let (_dir, path) = config("netuid = 4\n[wallet]\nname = \"validator\"\n");
    let args = ["validator", "--config", path.to_str().unwrap()];
    #[derive(Parser)]
    struct Validator {
        #[command(flatten)]
        validator: ValidatorArgs,
    }
    let cli: Validator = Layered::new().read_env(false).try_parse_from(args).unwrap();
    assert_eq!(cli.validator.netuid, 4);
    assert_eq!(cli.validator.wallet.name, "validator");
}

#[test]
fn subnet_flags_come_from_the_file_and_a_required_one_may() {
    let (_dir, path) = config("[model]\nname = \"tiny\"\nbatch = 32\n");
    let args = ["subnet", "--config", path.to_str().unwrap()];
    let (cli, sources) = parse::<Subnet>(&args).unwrap();
    assert_eq!(cli.model, "tiny");
    assert_eq!(cli.batch, 32);
    assert_eq!(sources.get("model.name"), Some(Source::File));

    let err = parse::<Subnet>(&["subnet"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingRequiredArgument);
    assert!(
        one_line(&err).contains("--model.name"),
        "{}",
        one_line(&err)
    );
}

#[test]
fn bad_file_value_names_the_file_and_the_key() {
    let (_dir, path) = config("[axon]\nport = \"eighty\"\n");
    let err = parse::<Miner>(&with_config(&path, &[])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert_eq!(
        one_line(&err),
        format!(
            "error: config file {}: axon.port: invalid value 'eighty' for '--axon.port <PORT>': invalid digit found in string",
            path.display()
        )
    );
}

#[test]
fn bad_file_value_is_reported_even_when_a_flag_overrides_it() {
    let (_dir, path) = config("netuid = -1\n");
    let err = parse::<Miner>(&with_config(&path, &["--netuid", "3"])).unwrap_err();
    let line = one_line(&err);
    assert!(
        line.starts_with(&format!(
            "error: config file {}: netuid: invalid value '-1'",
            path.display()
        )),
        "{line}"
    );
}

#[test]
fn bad_file_values_of_each_kind_name_their_key() {
    let cases = [
        ("[subtensor]\nnetwork = \"mainnet\"\n", "subtensor.network"),
        (
            "[subtensor]\nchain_endpoint = \"http://x\"\n",
            "subtensor.chain_endpoint",
        ),
        ("[axon]\nip = \"localhost\"\n", "axon.ip"),
        ("[axon]\nexternal_port = 0\n", "axon.external_port"),
        ("[wallet]\nname = \"a/b\"\n", "wallet.name"),
        ("[logging]\ndebug = \"maybe\"\n", "logging.debug"),
        ("netuid = 70000\n", "netuid"),
    ];
    for (contents, key) in cases {
        let (_dir, path) = config(contents);
        let err = parse::<Miner>(&with_config(&path, &[])).unwrap_err();
        let line = one_line(&err);
        let prefix = format!(
            "error: config file {}: {key}: invalid value",
            path.display()
        );
        assert!(line.starts_with(&prefix), "{contents:?}: {line}");
        assert!(!line.contains('\n'));
    }
}

#[test]
fn unknown_keys_and_nested_config_are_refused() {
    for (contents, key) in [
        ("[wallet]\nnmae = \"x\"\n", "wallet.nmae"),
        ("config = \"other.toml\"\n", "config"),
        ("help = true\n", "help"),
        ("[axon.port]\nvalue = 1\n", "axon.port.value"),
    ] {
        let (_dir, path) = config(contents);
        let err = parse::<Miner>(&with_config(&path, &[])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidValue);
        let line = one_line(&err);
        assert!(
            line.starts_with(&format!(
                "error: config file {}: unknown key '{key}'",
                path.display()
            )),
            "{line}"
        );
    }
}

#[test]
fn missing_config_file_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.toml");
    let err = parse::<Miner>(&with_config(&path, &[])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert_eq!(
        one_line(&err),
        format!("error: config file {} not found", path.display())
    );
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn bad_flag_value_names_the_flag() {
    let err = parse::<Miner>(&["miner", "--axon.port", "x"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ValueValidation);
    assert_eq!(
        one_line(&err),
        "error: invalid value 'x' for '--axon.port <PORT>': invalid digit found in string"
    );
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn bad_flag_value_is_not_blamed_on_the_file() {
    let (_dir, path) = config("[axon]\nport = 9000\n");
    let err = parse::<Miner>(&with_config(&path, &["--axon.port", "x"])).unwrap_err();
    assert!(one_line(&err).starts_with("error: invalid value 'x' for '--axon.port <PORT>'"));
}

#[test]
fn program_default_replaces_the_flag_default_and_yields_to_the_file() {
    let layered = Layered::new().read_env(false).default_value("netuid", "7");
    let (cli, sources) = layered
        .try_parse_with_sources_from::<Miner, _, _>(["miner"])
        .unwrap();
    assert_eq!(cli.miner.netuid, 7);
    assert_eq!(sources.get("netuid"), Some(Source::Default));

    let (_dir, path) = config("netuid = 8\n");
    let cli: Miner = layered.try_parse_from(with_config(&path, &[])).unwrap();
    assert_eq!(cli.miner.netuid, 8);

    let help = layered
        .try_parse_from::<Miner, _, _>(["miner", "--help"])
        .unwrap_err();
    assert_eq!(help.kind(), ErrorKind::DisplayHelp);
    assert!(help.to_string().contains("[default: 7]"));
}

#[test]
fn program_default_that_is_invalid_or_unknown_is_an_error() {
    let err = Layered::new()
        .read_env(false)
        .default_value("netuid", "seven")
        .try_parse_from::<Miner, _, _>(["miner"])
        .unwrap_err();
    assert!(
        one_line(&err).starts_with(
            "error: the program's default for --netuid is invalid: invalid value 'seven'"
        ),
        "{}",
        one_line(&err)
    );
    let err = Layered::new()
        .default_value("netuidd", "7")
        .try_parse_from::<Miner, _, _>(["miner"])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownArgument);
    assert!(one_line(&err).contains("--netuidd"));
}

#[test]
fn help_lists_every_flag_with_its_environment_variable_and_the_precedence() {
    let err = Layered::new()
        .try_parse_from::<Miner, _, _>(["miner", "--help"])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DisplayHelp);
    assert_eq!(err.exit_code(), 0);
    let help = err.to_string();
    for heading in ["Wallet:", "Subtensor:", "Axon:", "Logging:"] {
        assert!(help.contains(heading), "{heading}");
    }
    let cmd = Miner::command();
    for arg in cmd.get_arguments() {
        let long = arg.get_long().unwrap();
        assert!(help.contains(&format!("--{long}")), "--{long}");
        assert!(help.contains(&crate::env_var_name(long)), "{long}");
    }
    assert!(help.contains("Precedence: flag, then environment variable, then config file"));
}

#[test]
fn help_of_a_program_with_a_required_flag_shows_it_as_required() {
    let err = parse::<Subnet>(&["subnet", "--help"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DisplayHelp);
    assert!(
        err.to_string()
            .contains("Usage: subnet [OPTIONS] --model.name <MODEL>"),
        "{err}"
    );
}

#[test]
fn a_program_with_its_own_after_help_keeps_it() {
    #[derive(Debug, Parser)]
    #[command(name = "own", after_help = "See the subnet's README.")]
    struct Own {
        #[command(flatten)]
        miner: MinerArgs,
    }
    let help = parse::<Own>(&["own", "--help"]).unwrap_err().to_string();
    assert!(help.contains("See the subnet's README."));
    assert!(!help.contains(PRECEDENCE_HELP));
}

#[test]
fn source_names_are_short_words() {
    let names: Vec<String> = [Source::Flag, Source::Env, Source::File, Source::Default]
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(names, ["flag", "env", "file", "default"]);
}
