//! Role `echo-server`: a btlightning or bare quinn echo server on loopback (Axonite's server
//! is the `miner` role). Prints `READY <addr> <key>` and serves until stdin closes.

use std::net::SocketAddr;

use super::{Control, RoleError, say};
use crate::peers::System;
use crate::peers::btl::BtlServer;
use crate::peers::quinn_echo::QuinnServer;

/// Arguments of the `echo-server` role.
#[derive(Debug, Clone, clap::Args)]
pub struct EchoServerArgs {
    /// `btlightning` or `quinn`.
    #[arg(long, value_enum)]
    pub system: System,
    /// UDP address to listen on (loopback only).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
}

/// Runs the role until stdin closes.
pub async fn run(args: EchoServerArgs) -> Result<(), RoleError> {
    if !args.listen.ip().is_loopback() {
        return Err(RoleError::Usage(format!(
            "the bench binds loopback only, not {}",
            args.listen
        )));
    }
    match args.system {
        System::Axonite => Err(RoleError::Usage(
            "Axonite's echo server is the `miner` role".into(),
        )),
        System::Btlightning => {
            let (server, target) = BtlServer::start(args.listen)
                .await
                .map_err(RoleError::Start)?;
            say(&format!("READY {} {}", target.addr, target.key))?;
            Control::stdin().closed().await;
            server.stop().await;
            Ok(())
        }
        System::Quinn => {
            let (server, target) = QuinnServer::start(args.listen).map_err(RoleError::Start)?;
            say(&format!("READY {} {}", target.addr, target.key))?;
            Control::stdin().closed().await;
            server.stop().await;
            Ok(())
        }
    }
}
