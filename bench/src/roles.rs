//! The processes the harness spawns of itself (see [`crate::proc`]): each role prints `READY`
//! when set up, takes its orders on stdin, and stops when stdin closes.

pub mod echo_client;
pub mod echo_server;
pub mod fanout;
pub mod idle_client;
pub mod legacy_miner;
pub mod load;
pub mod miner;
pub mod miner_host;

use std::io::Write;

use axonite::Keypair;
use tokio::io::{AsyncBufReadExt, BufReader, Lines, Stdin};

use crate::keys::{END, parse_seed_line};

/// Why a role failed.
#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    /// Stdin closed or broke before the expected line.
    #[error("stdin closed before `{0}`")]
    StdinClosed(&'static str),
    /// A seed line did not hold a seed.
    #[error("bad seed on stdin: {0}")]
    Seed(#[from] axonite::identity::IdentityError),
    /// Bad arguments.
    #[error("{0}")]
    Usage(String),
    /// Starting the miner or validators failed.
    #[error("{0}")]
    Start(String),
    /// Writing to stdout failed.
    #[error("cannot write to stdout: {0}")]
    Stdout(#[from] std::io::Error),
    /// A result could not be encoded.
    #[error("cannot encode result: {0}")]
    Encode(#[from] serde_json::Error),
}

/// The harness's side of the conversation, as a role reads it from stdin.
pub struct Control {
    lines: Lines<BufReader<Stdin>>,
}

impl Control {
    /// Reads orders from this process's stdin.
    pub fn stdin() -> Self {
        Self {
            lines: BufReader::new(tokio::io::stdin()).lines(),
        }
    }

    async fn line(&mut self, awaited: &'static str) -> Result<String, RoleError> {
        match self.lines.next_line().await {
            Ok(Some(line)) => Ok(line),
            _ => Err(RoleError::StdinClosed(awaited)),
        }
    }

    /// Reads seed lines up to `END` and rebuilds their keypairs.
    pub async fn keypairs(&mut self) -> Result<Vec<Keypair>, RoleError> {
        let mut keypairs = Vec::new();
        loop {
            let line = self.line(END).await?;
            if line == END {
                return Ok(keypairs);
            }
            if let Some(keypair) = parse_seed_line(&line) {
                keypairs.push(keypair?);
            }
        }
    }

    /// Reads lines up to `END` and returns what follows `<prefix> ` on each (other lines are
    /// skipped).
    pub async fn values(&mut self, prefix: &'static str) -> Result<Vec<String>, RoleError> {
        let mut values = Vec::new();
        loop {
            let line = self.line(END).await?;
            if line == END {
                return Ok(values);
            }
            if let Some(value) = line.strip_prefix(prefix).and_then(|r| r.strip_prefix(' ')) {
                values.push(value.to_owned());
            }
        }
    }

    /// Waits for the line `word`.
    pub async fn wait_for(&mut self, word: &'static str) -> Result<(), RoleError> {
        while self.line(word).await? != word {}
        Ok(())
    }

    /// Waits until stdin closes: the harness is done with us (or gone).
    pub async fn closed(mut self) {
        while let Ok(Some(_)) = self.lines.next_line().await {}
    }
}

/// Prints one protocol line on stdout and flushes it at once.
pub fn say(line: &str) -> Result<(), RoleError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}
