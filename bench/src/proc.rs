//! Role processes: children running this same executable in one role, talking over lines.
//!
//! A child prints `READY ...` on stdout once it is set up and later `RESULT <json>` when it
//! has one; the harness writes lines (secrets, `GO`) to its stdin. A child whose stdin closes
//! stops, and [`RoleProcess`] kills its child on drop, so no child outlives the harness
//! whichever way it ends. Stderr is inherited so a child's errors show.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// Why talking to a role process failed.
#[derive(Debug, thiserror::Error)]
pub enum ProcError {
    /// The child could not be started.
    #[error("cannot start role `{role}`: {source}")]
    Spawn {
        /// The role.
        role: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The child's pipes could not be used.
    #[error("role `{role}`: {source}")]
    Io {
        /// The role.
        role: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The child closed stdout (exited) before printing the expected line.
    #[error("role `{role}` exited before printing `{expected}`")]
    Exited {
        /// The role.
        role: String,
        /// The line prefix awaited.
        expected: &'static str,
    },
    /// The expected line did not come in time.
    #[error("role `{role}` did not print `{expected}` within {waited:?}")]
    Timeout {
        /// The role.
        role: String,
        /// The line prefix awaited.
        expected: &'static str,
        /// How long we waited.
        waited: Duration,
    },
}

/// One running role child. Killed when dropped.
pub struct RoleProcess {
    role: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
    pid: u32,
}

impl RoleProcess {
    /// Starts `<this exe> <role> <args...>` with piped stdin and stdout.
    pub fn spawn(role: &str, args: &[String]) -> Result<Self, ProcError> {
        let exe = std::env::current_exe().map_err(|source| ProcError::Spawn {
            role: role.to_owned(),
            source,
        })?;
        let mut command = Command::new(exe);
        command.arg(role).args(args);
        Self::spawn_command(role, command)
    }

    /// Starts another program (a Python peer) as the role named `role`, under the same
    /// rules: piped stdin and stdout, killed on drop.
    pub fn spawn_command(role: &str, mut command: Command) -> Result<Self, ProcError> {
        let spawn_err = |source| ProcError::Spawn {
            role: role.to_owned(),
            source,
        };
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(spawn_err)?;
        let missing = || ProcError::Spawn {
            role: role.to_owned(),
            source: std::io::Error::other("child pipes missing"),
        };
        let pid = child.id().ok_or_else(missing)?;
        let stdin = child.stdin.take().ok_or_else(missing)?;
        let stdout = child.stdout.take().ok_or_else(missing)?;
        Ok(Self {
            role: role.to_owned(),
            child,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout).lines(),
            pid,
        })
    }

    /// The child's process id (for its CPU time).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Writes one line to the child's stdin. Secrets go this way: never on the command line,
    /// which every user of the machine can read.
    pub async fn send_line(&mut self, line: &str) -> Result<(), ProcError> {
        let io = |source| ProcError::Io {
            role: self.role.clone(),
            source,
        };
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io(std::io::Error::other("stdin already closed")))?;
        stdin.write_all(line.as_bytes()).await.map_err(io)?;
        stdin.write_all(b"\n").await.map_err(io)?;
        stdin.flush().await.map_err(io)
    }

    /// Waits up to `within` for a stdout line starting with `prefix` followed by a space (or
    /// ending there) and returns what follows it; other lines are skipped.
    pub async fn expect(
        &mut self,
        prefix: &'static str,
        within: Duration,
    ) -> Result<String, ProcError> {
        let role = self.role.clone();
        let read = async {
            loop {
                let line = self
                    .stdout
                    .next_line()
                    .await
                    .map_err(|source| ProcError::Io {
                        role: role.clone(),
                        source,
                    })?;
                let Some(line) = line else {
                    return Err(ProcError::Exited {
                        role: role.clone(),
                        expected: prefix,
                    });
                };
                if let Some(rest) = line.strip_prefix(prefix)
                    && (rest.is_empty() || rest.starts_with(' '))
                {
                    return Ok(rest.trim().to_owned());
                }
            }
        };
        tokio::time::timeout(within, read)
            .await
            .map_err(|_| ProcError::Timeout {
                role: self.role.clone(),
                expected: prefix,
                waited: within,
            })?
    }

    /// Waits up to `within` for the next stdout line (a Python peer's JSON line).
    pub async fn next_line(&mut self, within: Duration) -> Result<String, ProcError> {
        let role = self.role.clone();
        match tokio::time::timeout(within, self.stdout.next_line()).await {
            Ok(Ok(Some(line))) => Ok(line),
            Ok(Ok(None)) => Err(ProcError::Exited {
                role,
                expected: "a line",
            }),
            Ok(Err(source)) => Err(ProcError::Io { role, source }),
            Err(_) => Err(ProcError::Timeout {
                role,
                expected: "a line",
                waited: within,
            }),
        }
    }

    /// Closes the child's stdin: its signal to stop.
    pub fn close_stdin(&mut self) {
        drop(self.stdin.take());
    }

    /// Closes the child's stdin (its signal to stop) and waits up to `grace` for it to exit,
    /// then kills it.
    pub async fn stop(mut self, grace: Duration) {
        drop(self.stdin.take());
        if tokio::time::timeout(grace, self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}
