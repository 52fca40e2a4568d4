//! Waiting for the operator's stop: SIGINT (Ctrl-C) or SIGTERM (systemd, Docker,
//! Kubernetes), so binaries can shut down gracefully instead of dying mid-request.
//!
//! ```no_run
//! # async fn run(miner: axonite_actors::Miner) {
//! use std::time::Duration;
//!
//! let signal = axonite_actors::shutdown_signal().await;
//! tracing::info!(%signal, "stopping: finishing requests in flight");
//! miner.shutdown(Duration::from_secs(10)).await;
//! # }
//! ```

use std::fmt;

/// Which stop signal arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl fmt::Display for StopSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Interrupt => "SIGINT",
            Self::Terminate => "SIGTERM",
        })
    }
}

/// Resolves on the first SIGINT or SIGTERM (only Ctrl-C where SIGTERM does not exist). If
/// a handler cannot be installed, that signal is never reported and the other still is.
pub async fn shutdown_signal() -> StopSignal {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => StopSignal::Interrupt,
        () = terminate => StopSignal::Terminate,
    }
}
