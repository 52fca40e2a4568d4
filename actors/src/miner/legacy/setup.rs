//! Setting up the legacy HTTP axon at start: the TCP port beside the QUIC one, and what its
//! connections share.

use std::collections::HashMap;
use std::sync::Arc;

use axonite::identity::Keypair;
use axonite::legacy::{BtAuthVerifier, LegacyService, LegacyVerifier};
use axonite::transport::bind_endpoint;

use super::LegacyShared;
use crate::miner::shared::Route;
use crate::miner::{MinerConfig, MinerError};

/// Binds the QUIC endpoint and, when legacy HTTP is served, the TCP port of the same number.
/// With port 0 (any free port), a UDP port whose TCP twin is taken is given up for another.
pub(crate) fn bind_ports(
    config: &MinerConfig,
    server: quinn::ServerConfig,
    tcp: bool,
) -> Result<(quinn::Endpoint, Option<std::net::TcpListener>), MinerError> {
    const ATTEMPTS: usize = 16;
    let mut attempt = 0;
    loop {
        let endpoint = bind_endpoint(config.listen, &config.transport, Some(server.clone()))
            .map_err(|source| MinerError::Bind {
                addr: config.listen,
                source,
            })?;
        if !tcp {
            return Ok((endpoint, None));
        }
        let quic = endpoint.local_addr().map_err(|source| MinerError::Bind {
            addr: config.listen,
            source,
        })?;
        match std::net::TcpListener::bind(quic) {
            Ok(listener) => return Ok((endpoint, Some(listener))),
            Err(e)
                if config.listen.port() == 0
                    && e.kind() == std::io::ErrorKind::AddrInUse
                    && attempt < ATTEMPTS =>
            {
                attempt += 1;
            }
            Err(source) => return Err(MinerError::Bind { addr: quic, source }),
        }
    }
}

/// What the legacy HTTP connections of a miner share, listening on `tcp`.
pub(crate) fn legacy_shared(
    services: Vec<LegacyService>,
    routes: &HashMap<&'static str, Arc<Route>>,
    keypair: &Keypair,
    config: &MinerConfig,
    tcp: &std::net::TcpListener,
) -> Result<LegacyShared, MinerError> {
    let mut legacy_routes = HashMap::new();
    for service in services {
        let name = service.service.name();
        if !routes.contains_key(service.synapse) {
            return Err(MinerError::DuplicateSynapse(service.synapse));
        }
        if legacy_routes.insert(name, service).is_some() {
            return Err(MinerError::DuplicateSynapse(name));
        }
    }
    let local = tcp.local_addr().map_err(|source| MinerError::Bind {
        addr: config.listen,
        source,
    })?;
    let hotkey = keypair.hotkey();
    let legacy = &config.legacy;
    Ok(LegacyShared {
        routes: legacy_routes,
        verifier: LegacyVerifier::new(hotkey, legacy.freshness, legacy.nonce_capacity),
        btauth: BtAuthVerifier::new(hotkey, legacy.btauth),
        local,
        hotkey_ss58: hotkey.to_ss58(),
        accepting: std::sync::atomic::AtomicBool::new(true),
        connections: Default::default(),
    })
}
