//! The command line as a user meets it: `axonite-args` (a miner's flags) run as a child
//! process with a clean environment, so that environment variables are set per run and tests
//! never race on the test process's own environment.

use std::path::Path;
use std::process::Command;

use axonite::Keypair;
use axonite::identity::{WalletLocation, write_hotkey_file};

const ALICE_SS58: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The value and source printed for `key` (`netuid = 7  # file`).
    fn setting(&self, key: &str) -> (String, String) {
        let prefix = format!("{key} = ");
        let line = self
            .stdout
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {key} in:\n{}", self.stdout));
        let (value, source) = line.split_once("  # ").unwrap_or((line, ""));
        (value.to_owned(), source.to_owned())
    }

    /// Standard error, which must be exactly one line.
    fn error_line(&self) -> &str {
        let line = self.stderr.strip_suffix('\n').expect("stderr ends a line");
        assert!(!line.contains('\n'), "more than one line:\n{}", self.stderr);
        line
    }
}

/// `axonite-args` with `HOME` set to `home` and no other environment.
fn axonite_args(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_axonite-args"));
    cmd.env_clear().env("HOME", home);
    cmd
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("axonite-args runs");
    Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

fn write(dir: &Path, name: &str, contents: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write");
    path
}

#[test]
fn netuid_comes_from_flag_then_env_then_file_then_default() {
    let home = tempfile::tempdir().expect("tempdir");
    let file = write(home.path(), "miner.toml", "netuid = 7\n");

    let default = run(&mut axonite_args(home.path()));
    assert_eq!(default.setting("netuid"), ("1".into(), "default".into()));

    let from_file = run(axonite_args(home.path()).arg("--config").arg(&file));
    assert_eq!(from_file.setting("netuid"), ("7".into(), "file".into()));

    let from_env = run(axonite_args(home.path())
        .arg("--config")
        .arg(&file)
        .env("AXONITE_NETUID", "8"));
    assert_eq!(from_env.setting("netuid"), ("8".into(), "env".into()));

    let from_flag = run(axonite_args(home.path())
        .args(["--netuid", "9", "--config"])
        .arg(&file)
        .env("AXONITE_NETUID", "8"));
    assert_eq!(from_flag.setting("netuid"), ("9".into(), "flag".into()));

    for run in [default, from_file, from_env, from_flag] {
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
}

#[test]
fn wallet_name_comes_from_flag_then_env_then_file_then_default() {
    let home = tempfile::tempdir().expect("tempdir");
    let file = write(
        home.path(),
        "miner.toml",
        "[wallet]\nname = \"file-wallet\"\n",
    );
    let wallets = home.path().join(".bittensor/wallets");

    let default = run(&mut axonite_args(home.path()));
    assert_eq!(
        default.setting("wallet.name"),
        ("default".into(), "default".into())
    );
    assert_eq!(
        default.setting("hotkey_file").0,
        wallets
            .join("default/hotkeys/default")
            .display()
            .to_string()
    );

    // The config file may also be named by its environment variable.
    let from_file = run(axonite_args(home.path()).env("AXONITE_CONFIG", &file));
    assert_eq!(
        from_file.setting("wallet.name"),
        ("file-wallet".into(), "file".into())
    );
    assert_eq!(
        from_file.setting("hotkey_file").0,
        wallets
            .join("file-wallet/hotkeys/default")
            .display()
            .to_string()
    );

    let from_env = run(axonite_args(home.path())
        .env("AXONITE_CONFIG", &file)
        .env("AXONITE_WALLET_NAME", "env-wallet"));
    assert_eq!(
        from_env.setting("wallet.name"),
        ("env-wallet".into(), "env".into())
    );

    let from_flag = run(axonite_args(home.path())
        .args(["--wallet.name", "flag-wallet"])
        .env("AXONITE_CONFIG", &file)
        .env("AXONITE_WALLET_NAME", "env-wallet"));
    assert_eq!(
        from_flag.setting("wallet.name"),
        ("flag-wallet".into(), "flag".into())
    );
}

#[test]
fn every_flag_reads_its_environment_variable() {
    let home = tempfile::tempdir().expect("tempdir");
    let run = run(axonite_args(home.path()).envs([
        ("AXONITE_WALLET_HOTKEY", "hk"),
        ("AXONITE_WALLET_PATH", "/srv/wallets"),
        ("AXONITE_SUBTENSOR_NETWORK", "test"),
        ("AXONITE_SUBTENSOR_CHAIN_ENDPOINT", "ws://127.0.0.1:19944"),
        ("AXONITE_AXON_PORT", "9001"),
        ("AXONITE_AXON_IP", "127.0.0.2"),
        ("AXONITE_AXON_EXTERNAL_IP", "203.0.113.7"),
        ("AXONITE_AXON_EXTERNAL_PORT", "443"),
        ("AXONITE_LOGGING_JSON", "1"),
        ("AXONITE_LOGGING_TRACE", "false"),
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    for (key, value) in [
        ("wallet.hotkey", "hk"),
        ("wallet.path", "/srv/wallets"),
        ("subtensor.network", "test"),
        ("subtensor.chain_endpoint", "ws://127.0.0.1:19944"),
        ("axon.port", "9001"),
        ("axon.ip", "127.0.0.2"),
        ("axon.external_ip", "203.0.113.7"),
        ("axon.external_port", "443"),
        ("logging.json", "true"),
        ("logging.trace", "false"),
    ] {
        assert_eq!(run.setting(key), (value.into(), "env".into()), "{key}");
    }
    assert_eq!(run.setting("endpoint").0, "ws://127.0.0.1:19944");
    assert_eq!(run.setting("listen").0, "127.0.0.2:9001");
    assert_eq!(run.setting("external").0, "203.0.113.7:443");
}

#[test]
fn bad_flag_value_names_the_flag_and_exits_2() {
    let home = tempfile::tempdir().expect("tempdir");
    let run = run(axonite_args(home.path()).args(["--axon.port", "x"]));
    assert_eq!(run.code, 2);
    assert_eq!(
        run.error_line(),
        "error: invalid value 'x' for '--axon.port <PORT>': invalid digit found in string"
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn bad_environment_value_names_the_flag_and_exits_2() {
    let home = tempfile::tempdir().expect("tempdir");
    let run = run(axonite_args(home.path()).env("AXONITE_SUBTENSOR_NETWORK", "mainnet"));
    assert_eq!(run.code, 2);
    assert_eq!(
        run.error_line(),
        "error: invalid value 'mainnet' for '--subtensor.network <NETWORK>'; \
         [possible values: finney, test, local, archive]; tip: a similar value exists: 'finney'"
    );
}

#[test]
fn unknown_flag_is_one_line_with_a_suggestion() {
    let home = tempfile::tempdir().expect("tempdir");
    let run = run(axonite_args(home.path()).args(["--wallet.nmae", "x"]));
    assert_eq!(run.code, 2);
    assert_eq!(
        run.error_line(),
        "error: unexpected argument '--wallet.nmae' found; \
         tip: a similar argument exists: '--wallet.name'"
    );
}

#[test]
fn bad_file_value_names_the_file_and_key_and_exits_2() {
    let home = tempfile::tempdir().expect("tempdir");
    let file = write(home.path(), "foo.toml", "[axon]\nport = \"x\"\n");
    let run = run(axonite_args(home.path()).arg("--config").arg(&file));
    assert_eq!(run.code, 2);
    assert_eq!(
        run.error_line(),
        format!(
            "error: config file {}: axon.port: invalid value 'x' for '--axon.port <PORT>': \
             invalid digit found in string",
            file.display()
        )
    );
}

#[test]
fn malformed_config_file_names_the_file_and_line() {
    let home = tempfile::tempdir().expect("tempdir");
    let file = write(home.path(), "foo.toml", "netuid = 7\n[wallet\n");
    let run = run(axonite_args(home.path()).arg("--config").arg(&file));
    assert_eq!(run.code, 2);
    let prefix = format!("error: config file {}: line 2 column ", file.display());
    assert!(run.error_line().starts_with(&prefix), "{}", run.stderr);
}

#[test]
fn missing_config_file_names_the_path_and_exits_2() {
    let home = tempfile::tempdir().expect("tempdir");
    let path = home.path().join("nowhere.toml");
    let run = run(axonite_args(home.path()).arg("--config").arg(&path));
    assert_eq!(run.code, 2);
    assert_eq!(
        run.error_line(),
        format!("error: config file {} not found", path.display())
    );
}

#[test]
fn missing_wallet_file_names_the_path() {
    let home = tempfile::tempdir().expect("tempdir");
    let run = run(axonite_args(home.path()).args(["--load-hotkey", "--wallet.name", "miner"]));
    assert_eq!(run.code, 1);
    let path = home.path().join(".bittensor/wallets/miner/hotkeys/default");
    assert_eq!(
        run.error_line(),
        format!("error: hotkey file {} not found", path.display())
    );
}

#[test]
fn hotkey_loads_from_the_default_wallet_path() {
    let home = tempfile::tempdir().expect("tempdir");
    let location = WalletLocation::new(home.path().join(".bittensor/wallets"), "miner", "hk");
    let alice = Keypair::from_dev_uri("//Alice").expect("dev key");
    write_hotkey_file(&location, &alice).expect("write hotkey");

    let run = run(axonite_args(home.path()).args([
        "--load-hotkey",
        "--wallet.name",
        "miner",
        "--wallet.hotkey",
        "hk",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.setting("hotkey").0, ALICE_SS58);
}

#[test]
fn help_names_every_bittensor_flag_and_environment_variable() {
    let home = tempfile::tempdir().expect("tempdir");
    let run = run(axonite_args(home.path()).arg("--help"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let help = &run.stdout;
    for flag in [
        "--wallet.name",
        "--wallet.hotkey",
        "--wallet.path",
        "--netuid",
        "--subtensor.network",
        "--subtensor.chain_endpoint",
        "--axon.port",
        "--axon.ip",
        "--axon.external_ip",
        "--axon.external_port",
        "--logging.debug",
        "--logging.trace",
        "--logging.json",
        "--config",
    ] {
        assert!(help.contains(flag), "{flag} missing:\n{help}");
        let env = format!("AXONITE_{}", flag[2..].replace('.', "_").to_uppercase());
        assert!(help.contains(&env), "{env} missing:\n{help}");
    }
    for heading in ["\nWallet:\n", "\nSubtensor:\n", "\nAxon:\n", "\nLogging:\n"] {
        assert!(help.contains(heading), "{heading:?} missing:\n{help}");
    }
    for default in ["[default: 8091]", "[default: finney]", "[default: 1]"] {
        assert!(help.contains(default), "{default} missing:\n{help}");
    }
}

#[test]
fn json_logging_writes_one_json_object_per_event() {
    let home = tempfile::tempdir().expect("tempdir");
    let run = run(axonite_args(home.path()).args(["--logging.debug", "--logging.json"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = run.stderr.lines().next().expect("a log line");
    let event: serde_json::Value = serde_json::from_str(line).expect("JSON");
    assert_eq!(event["level"], "DEBUG");
    assert_eq!(event["message"], "settings resolved");
    assert_eq!(event["netuid"], 1);
}

#[test]
fn human_logging_is_the_default_and_rust_log_wins() {
    let home = tempfile::tempdir().expect("tempdir");
    let quiet = run(&mut axonite_args(home.path()));
    assert_eq!(quiet.stderr, "", "info level hides the debug event");

    let debug = run(axonite_args(home.path()).arg("--logging.debug"));
    assert!(debug.stderr.contains("DEBUG"), "{}", debug.stderr);
    assert!(debug.stderr.contains("settings resolved"));
    assert!(serde_json::from_str::<serde_json::Value>(debug.stderr.trim()).is_err());

    let filtered = run(axonite_args(home.path())
        .arg("--logging.debug")
        .env("RUST_LOG", "warn"));
    assert_eq!(filtered.code, 0);
    assert_eq!(
        filtered.stderr, "",
        "RUST_LOG=warn overrides --logging.debug"
    );

    let raised = run(axonite_args(home.path()).env("RUST_LOG", "axonite_args=debug"));
    assert!(
        raised.stderr.contains("settings resolved"),
        "{}",
        raised.stderr
    );
}

#[test]
fn invalid_rust_log_is_one_line_naming_the_variable() {
    let home = tempfile::tempdir().expect("tempdir");
    let run = run(axonite_args(home.path()).env("RUST_LOG", "axonite=loud"));
    assert_eq!(run.code, 1);
    assert!(
        run.error_line()
            .starts_with("error: RUST_LOG is not a valid log filter:"),
        "{}",
        run.stderr
    );
}
