//! Python peers for the interop tests: the pinned bittensor SDKs that
//! `scripts/python-sdk install` puts in `.venv-bt10` and `.venv-bt11`, running the scripts in
//! `tests/python/`.
//!
//! A script talks to the test on stdout, one JSON object per line, and exits when its stdin
//! closes: the test holds stdin open, so a Python peer never outlives the test process, even
//! when the test is killed. Dropping a [`PythonPeer`] also kills it.

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};

use tokio::io::{AsyncBufReadExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// Which pinned SDK runs a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sdk {
    /// bittensor 10.5.0: axon and dendrite (legacy HTTP).
    V10,
    /// bittensor 11.3.0: `bittensor.http_auth` (btauth/1).
    V11,
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The interpreter of `sdk`'s virtualenv. Panics with the command to run when it is missing.
pub fn interpreter(sdk: Sdk) -> PathBuf {
    let dir = match sdk {
        Sdk::V10 => ".venv-bt10",
        Sdk::V11 => ".venv-bt11",
    };
    let python = repo_root().join(dir).join("bin").join("python");
    assert!(
        python.exists(),
        "{} is missing: run `scripts/python-sdk install` first (scripts/test does)",
        python.display()
    );
    python
}

/// A script in `tests/python/`.
pub fn script(name: &str) -> PathBuf {
    repo_root().join("tests").join("python").join(name)
}

/// A running Python script.
#[derive(Debug)]
pub struct PythonPeer {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl PythonPeer {
    /// Starts `tests/python/<name>` under `sdk` with `args` and extra environment `envs`.
    /// Its stderr goes to the test's output.
    pub fn spawn(sdk: Sdk, name: &str, args: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut command = Command::new(interpreter(sdk));
        command
            .arg(script(name))
            .args(args)
            .envs(envs.iter().copied())
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .current_dir(repo_root().join("tests").join("python"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("python starts");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout is piped");
        Self {
            child,
            stdin,
            stdout: BufReader::new(stdout).lines(),
        }
    }

    /// The next line the script printed, `None` once it closed stdout.
    pub async fn next_line(&mut self) -> Option<String> {
        self.stdout
            .next_line()
            .await
            .expect("reading python's stdout")
    }

    /// The next line, parsed as JSON. Panics (with the line) on anything else.
    pub async fn next_json(&mut self) -> serde_json::Value {
        let line = self
            .next_line()
            .await
            .expect("python exited before printing its answer");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// Closes the script's stdin (its signal to exit) and waits for it.
    pub async fn finish(mut self) -> ExitStatus {
        drop(self.stdin.take());
        self.child.wait().await.expect("waiting for python")
    }
}
