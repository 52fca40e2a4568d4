//! Who is calling on a connection, kept in step with the directory: looked up at the
//! handshake and again after every directory change, so stake tiers, priorities and the gate
//! follow the metagraph instead of the moment the validator connected.

use std::net::SocketAddr;
use std::sync::Arc;

use axonite::Hotkey;
use axonite::directory::ValidatorInfo;
use axonite::handler::Caller;

use super::config::MinerConfig;

/// Decides whether `hotkey` may be served now: the allowlist, then the gate over the
/// directory. `Ok` carries what the directory knows of it.
pub(crate) fn admit(
    config: &MinerConfig,
    hotkey: &Hotkey,
) -> Result<Option<ValidatorInfo>, String> {
    if let Some(allowed) = &config.allowed_validators
        && !allowed.contains(hotkey)
    {
        return Err("not in the allowed validators".to_owned());
    }
    config.gate.admit(config.directory.as_deref(), hotkey)
}

/// The caller of one connection as of the directory's latest generation. A lane keeps its
/// own copy and looks the caller up again per request, as the connection does per stream.
#[derive(Clone)]
pub(crate) struct CallerView {
    caller: Arc<Caller>,
    generation: u64,
}

impl CallerView {
    /// The caller the handshake admitted with `info`, as of `generation`.
    pub(crate) fn new(
        hotkey: Hotkey,
        addr: SocketAddr,
        info: Option<ValidatorInfo>,
        generation: u64,
    ) -> Self {
        Self {
            caller: Arc::new(caller_from(hotkey, addr, info)),
            generation,
        }
    }

    /// The caller for the next request. When the directory changed since the last look, the
    /// caller is looked up and admitted again; `Err` says why it may no longer be served.
    pub(crate) fn current(&mut self, config: &MinerConfig) -> Result<Arc<Caller>, String> {
        let Some(directory) = &config.directory else {
            return Ok(self.caller.clone());
        };
        let generation = directory.generation();
        if generation != self.generation {
            let info = admit(config, &self.caller.hotkey)?;
            self.caller = Arc::new(caller_from(self.caller.hotkey, self.caller.addr, info));
            self.generation = generation;
        }
        Ok(self.caller.clone())
    }
}

/// The caller `hotkey` at `addr`, with what the directory knows of it.
pub(crate) fn caller_from(hotkey: Hotkey, addr: SocketAddr, info: Option<ValidatorInfo>) -> Caller {
    Caller {
        hotkey,
        addr,
        uid: info.and_then(|i| i.uid),
        stake: info.map_or(0.0, |i| i.stake),
        validator_permit: info.is_some_and(|i| i.validator_permit),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use axonite::Keypair;
    use axonite::directory::ValidatorDirectory;

    use super::*;
    use crate::miner::ValidatorGate;

    /// A directory whose answer and generation the test changes.
    #[derive(Default)]
    struct Changing {
        info: Mutex<Option<ValidatorInfo>>,
        generation: AtomicU64,
        lookups: AtomicU64,
    }

    impl Changing {
        fn set(&self, info: Option<ValidatorInfo>) {
            *self.info.lock().unwrap() = info;
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl ValidatorDirectory for Changing {
        fn lookup(&self, _: &Hotkey) -> Option<ValidatorInfo> {
            self.lookups.fetch_add(1, Ordering::SeqCst);
            *self.info.lock().unwrap()
        }

        fn generation(&self) -> u64 {
            self.generation.load(Ordering::SeqCst)
        }
    }

    #[test]
    fn the_caller_follows_directory_changes_and_loses_admission_with_its_permit() {
        let directory = Arc::new(Changing::default());
        directory.set(Some(ValidatorInfo::new(3, 10.0, true)));
        let config = MinerConfig {
            directory: Some(directory.clone()),
            gate: ValidatorGate::PERMITTED,
            ..MinerConfig::default()
        };
        let hotkey = Keypair::generate().hotkey();
        let info = admit(&config, &hotkey).unwrap();
        let mut view = CallerView::new(
            hotkey,
            "127.0.0.1:1".parse().unwrap(),
            info,
            directory.generation(),
        );
        let looked_up = directory.lookups.load(Ordering::SeqCst);

        // Unchanged directory: no lookup per request.
        for _ in 0..5 {
            assert_eq!(view.current(&config).unwrap().stake, 10.0);
        }
        assert_eq!(directory.lookups.load(Ordering::SeqCst), looked_up);

        // Stake grows: the next request sees it.
        directory.set(Some(ValidatorInfo::new(3, 5_000.0, true)));
        let caller = view.current(&config).unwrap();
        assert_eq!((caller.uid, caller.stake), (Some(3), 5_000.0));

        // Permit lost: no longer admitted.
        directory.set(Some(ValidatorInfo::new(3, 5_000.0, false)));
        assert_eq!(
            view.current(&config).unwrap_err(),
            "no validator permit".to_owned()
        );
    }
}
