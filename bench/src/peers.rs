//! The echo systems compared side by side, each as a client that can connect and echo:
//! Axonite (its own miner and validator), btlightning (crates.io), and bare quinn (the ceiling).

pub mod axonite;
pub mod btl;
pub mod quinn_echo;

use std::net::SocketAddr;

use crate::echo::BenchEcho;

/// Which system a server or client role runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum System {
    /// Axonite miner and validator.
    Axonite,
    /// btlightning 0.2.15 server and client.
    Btlightning,
    /// Bare quinn: a stream per request, no handshake, no codec, no actors.
    Quinn,
}

impl System {
    /// The name printed in tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Axonite => "axonite",
            Self::Btlightning => "btlightning",
            Self::Quinn => "quinn",
        }
    }
}

/// Where a server listens and the key its clients need (a hotkey for Axonite and
/// btlightning, nothing for bare quinn), as its `READY <addr> <key>` line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The server's UDP address.
    pub addr: SocketAddr,
    /// The server's hotkey (SS58), or `-`.
    pub key: String,
}

/// Why an echo failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EchoError {
    /// Connecting (and authenticating) failed.
    #[error("connect: {0}")]
    Connect(String),
    /// The request failed; the status in bittensor's habits.
    #[error("echo failed ({status}): {message}")]
    Failed {
        /// 408, 429, 500, 503, ...
        status: u16,
        /// What went wrong.
        message: String,
    },
    /// The answer was not the payload sent.
    #[error("echo returned {got} bytes instead of {sent}")]
    Mismatch {
        /// Bytes sent.
        sent: usize,
        /// Bytes received.
        got: usize,
    },
}

impl EchoError {
    /// The status to record for this failure.
    pub fn status(&self) -> u16 {
        match self {
            Self::Connect(_) => 503,
            Self::Failed { status, .. } => *status,
            Self::Mismatch { .. } => 500,
        }
    }
}

/// A connected client of one system.
pub enum EchoClient {
    /// An Axonite validator.
    Axonite(axonite::AxoniteClient),
    /// A btlightning client.
    Btlightning(Box<btl::BtlClient>),
    /// A bare quinn connection.
    Quinn(quinn_echo::QuinnClient),
}

impl EchoClient {
    /// Creates a fresh client (its own endpoint and keys), connects and authenticates it.
    pub async fn connect(system: System, target: &Target) -> Result<Self, EchoError> {
        Ok(match system {
            System::Axonite => Self::Axonite(axonite::AxoniteClient::connect(target).await?),
            System::Btlightning => {
                Self::Btlightning(Box::new(btl::BtlClient::connect(target).await?))
            }
            System::Quinn => Self::Quinn(quinn_echo::QuinnClient::connect(target).await?),
        })
    }

    /// Sends `request.payload` and checks that the same number of bytes comes back. Each
    /// system gets the request in the form its API takes with the fewest copies.
    pub async fn echo(&self, request: &BenchEcho) -> Result<(), EchoError> {
        let payload = &request.payload;
        let got = match self {
            Self::Axonite(c) => c.echo(request).await?,
            Self::Btlightning(c) => c.echo(payload).await?,
            Self::Quinn(c) => c.echo(payload).await?,
        };
        if got == payload.len() {
            Ok(())
        } else {
            Err(EchoError::Mismatch {
                sent: payload.len(),
                got,
            })
        }
    }

    /// Closes the client's connection and endpoint.
    pub async fn close(self) {
        match self {
            Self::Axonite(c) => c.close().await,
            Self::Btlightning(c) => c.close().await,
            Self::Quinn(c) => c.close().await,
        }
    }
}
