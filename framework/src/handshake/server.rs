//! The miner's side: check a validator's request, sign a response.

use std::sync::Mutex;
use std::time::Duration;

use super::transcript::{Fields, Role, transcript};
use super::{HandshakeError, ReplayError, ReplayWindow, SessionBinding, random_nonce};
use crate::identity::{Hotkey, Keypair};
use crate::protocol::{HandshakeRequest, HandshakeResponse, PROTOCOL_VERSION};

/// What a miner accepts in a handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerPolicy {
    /// The subnet this miner serves; requests for another netuid are refused.
    pub netuid: u16,
    /// How old a handshake timestamp may be. Longer tolerates slow or skewed clients; shorter
    /// bounds how long nonces must be remembered. Default 30 s.
    pub freshness: Duration,
    /// How far in the future a timestamp may be (clock skew). Default 2 s.
    pub max_future_skew: Duration,
    /// How many accepted nonces are remembered at most (see [`ReplayWindow`]). Default 65,536.
    pub replay_capacity: usize,
}

impl ServerPolicy {
    /// The default policy for `netuid`.
    pub fn new(netuid: u16) -> Self {
        Self {
            netuid,
            freshness: Duration::from_secs(30),
            max_future_skew: Duration::from_secs(2),
            replay_capacity: 65_536,
        }
    }

    /// Sets [`ServerPolicy::freshness`].
    pub fn with_freshness(mut self, window: Duration) -> Self {
        self.freshness = window;
        self
    }

    /// Sets [`ServerPolicy::max_future_skew`].
    pub fn with_max_future_skew(mut self, skew: Duration) -> Self {
        self.max_future_skew = skew;
        self
    }

    /// Sets [`ServerPolicy::replay_capacity`].
    pub fn with_replay_capacity(mut self, capacity: usize) -> Self {
        self.replay_capacity = capacity;
        self
    }
}

/// Verifies handshake requests for one miner identity and signs its responses. Shared by all
/// connections of a miner (the replay window is behind a mutex; handshakes are not the hot
/// path).
#[derive(Debug)]
pub struct HandshakeVerifier {
    keypair: Keypair,
    hotkey: Hotkey,
    policy: ServerPolicy,
    replay: Mutex<ReplayWindow>,
}

impl HandshakeVerifier {
    /// A verifier for the miner `keypair` under `policy`.
    pub fn new(keypair: Keypair, policy: ServerPolicy) -> Self {
        let replay = Mutex::new(ReplayWindow::new(policy.replay_capacity));
        Self {
            hotkey: keypair.hotkey(),
            keypair,
            policy,
            replay,
        }
    }

    /// The miner's own hotkey.
    pub fn hotkey(&self) -> Hotkey {
        self.hotkey
    }

    /// The policy in force.
    pub fn policy(&self) -> &ServerPolicy {
        &self.policy
    }

    /// Checks a validator's request on this session and returns the validator's hotkey.
    ///
    /// Order matters: cheap field checks first, then the signature, and only then the nonce
    /// is recorded, so forged requests cannot fill the replay window.
    pub fn verify_request(
        &self,
        request: &HandshakeRequest,
        binding: &SessionBinding,
        now_ms: u64,
    ) -> Result<Hotkey, HandshakeError> {
        if request.version != PROTOCOL_VERSION {
            return Err(HandshakeError::UnsupportedVersion {
                got: request.version,
            });
        }
        if request.netuid != self.policy.netuid {
            return Err(HandshakeError::WrongNetuid {
                expected: self.policy.netuid,
                got: request.netuid,
            });
        }
        if request.miner != self.hotkey {
            return Err(HandshakeError::WrongReceiver { got: request.miner });
        }
        let freshness = duration_ms(self.policy.freshness);
        let skew = duration_ms(self.policy.max_future_skew);
        if request.timestamp_ms > now_ms.saturating_add(skew) {
            return Err(HandshakeError::FromTheFuture {
                ahead_ms: request.timestamp_ms - now_ms,
            });
        }
        let age_ms = now_ms.saturating_sub(request.timestamp_ms);
        if age_ms > freshness {
            return Err(HandshakeError::Stale { age_ms });
        }
        let fields = Fields {
            version: request.version,
            netuid: request.netuid,
            binding,
            validator: &request.validator,
            miner: &request.miner,
            timestamp_ms: request.timestamp_ms,
            nonce: &request.nonce,
        };
        let message = transcript(Role::Validator, &fields, None);
        if !request.validator.verify(&message, &request.signature) {
            return Err(HandshakeError::BadSignature);
        }
        // A replay is refused as stale once its timestamp leaves the window: remember it
        // exactly that long.
        let expires = request
            .timestamp_ms
            .saturating_add(freshness)
            .saturating_add(1);
        let mut replay = self.replay.lock().unwrap_or_else(|p| p.into_inner());
        replay
            .insert(request.validator, request.nonce, now_ms, expires)
            .map_err(|e| match e {
                ReplayError::Replayed => HandshakeError::Replayed,
                ReplayError::Full => HandshakeError::ReplayWindowFull,
            })?;
        Ok(request.validator)
    }

    /// Signs the miner's response to an accepted `request` on this session.
    pub fn respond(
        &self,
        request: &HandshakeRequest,
        binding: &SessionBinding,
        now_ms: u64,
    ) -> HandshakeResponse {
        let nonce = random_nonce();
        let fields = Fields {
            version: PROTOCOL_VERSION,
            netuid: request.netuid,
            binding,
            validator: &request.validator,
            miner: &self.hotkey,
            timestamp_ms: now_ms,
            nonce: &nonce,
        };
        let signature = self
            .keypair
            .sign(&transcript(Role::Miner, &fields, Some(&request.nonce)));
        HandshakeResponse {
            version: PROTOCOL_VERSION,
            miner: self.hotkey,
            timestamp_ms: now_ms,
            nonce,
            signature,
        }
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::{client_request, verify_server_response};

    const NOW: u64 = 1_700_000_000_000;

    struct Setup {
        validator: Keypair,
        miner: Keypair,
        server: HandshakeVerifier,
    }

    fn setup() -> Setup {
        let validator = Keypair::generate();
        let miner = Keypair::generate();
        let server = HandshakeVerifier::new(miner.clone(), ServerPolicy::new(3));
        Setup {
            validator,
            miner,
            server,
        }
    }

    #[test]
    fn an_honest_handshake_succeeds_both_ways() {
        let s = setup();
        let binding = [1; 32];
        let req = client_request(&s.validator, s.miner.hotkey(), 3, &binding, NOW);
        assert_eq!(
            s.server.verify_request(&req, &binding, NOW),
            Ok(s.validator.hotkey())
        );
        let resp = s.server.respond(&req, &binding, NOW);
        assert_eq!(verify_server_response(&resp, &req, &binding), Ok(()));
    }

    #[test]
    fn a_request_signed_for_another_session_is_rejected() {
        // What a relay would forward: signed over the validator's TLS session with the relay.
        let s = setup();
        let req = client_request(&s.validator, s.miner.hotkey(), 3, &[1; 32], NOW);
        assert_eq!(
            s.server.verify_request(&req, &[2; 32], NOW),
            Err(HandshakeError::BadSignature)
        );
    }

    #[test]
    fn a_response_signed_for_another_session_is_rejected() {
        let s = setup();
        let req = client_request(&s.validator, s.miner.hotkey(), 3, &[1; 32], NOW);
        let resp = s.server.respond(&req, &[2; 32], NOW);
        assert_eq!(
            verify_server_response(&resp, &req, &[1; 32]),
            Err(HandshakeError::BadSignature)
        );
    }

    #[test]
    fn a_replayed_request_is_rejected() {
        let s = setup();
        let req = client_request(&s.validator, s.miner.hotkey(), 3, &[1; 32], NOW);
        s.server.verify_request(&req, &[1; 32], NOW).unwrap();
        assert_eq!(
            s.server.verify_request(&req, &[1; 32], NOW + 10),
            Err(HandshakeError::Replayed)
        );
    }

    #[test]
    fn stale_and_future_timestamps_are_rejected() {
        let s = setup();
        let old = client_request(&s.validator, s.miner.hotkey(), 3, &[1; 32], NOW - 30_001);
        assert_eq!(
            s.server.verify_request(&old, &[1; 32], NOW),
            Err(HandshakeError::Stale { age_ms: 30_001 })
        );
        let future = client_request(&s.validator, s.miner.hotkey(), 3, &[1; 32], NOW + 2_001);
        assert_eq!(
            s.server.verify_request(&future, &[1; 32], NOW),
            Err(HandshakeError::FromTheFuture { ahead_ms: 2_001 })
        );
        // Inside the skew is fine.
        let ahead = client_request(&s.validator, s.miner.hotkey(), 3, &[1; 32], NOW + 1_000);
        assert!(s.server.verify_request(&ahead, &[1; 32], NOW).is_ok());
    }

    #[test]
    fn a_signature_by_another_key_is_rejected() {
        let s = setup();
        let impostor = Keypair::generate();
        let mut req = client_request(&impostor, s.miner.hotkey(), 3, &[1; 32], NOW);
        req.validator = s.validator.hotkey();
        assert_eq!(
            s.server.verify_request(&req, &[1; 32], NOW),
            Err(HandshakeError::BadSignature)
        );
    }

    #[test]
    fn a_request_for_another_miner_is_rejected() {
        let s = setup();
        let other = Keypair::generate().hotkey();
        let req = client_request(&s.validator, other, 3, &[1; 32], NOW);
        assert_eq!(
            s.server.verify_request(&req, &[1; 32], NOW),
            Err(HandshakeError::WrongReceiver { got: other })
        );
    }

    #[test]
    fn tampered_fields_break_the_signature() {
        let s = setup();
        let req = client_request(&s.validator, s.miner.hotkey(), 3, &[1; 32], NOW);
        let mut later = req.clone();
        later.timestamp_ms += 1;
        assert_eq!(
            s.server.verify_request(&later, &[1; 32], NOW),
            Err(HandshakeError::BadSignature)
        );
        let mut renonced = req;
        renonced.nonce[0] ^= 1;
        assert_eq!(
            s.server.verify_request(&renonced, &[1; 32], NOW),
            Err(HandshakeError::BadSignature)
        );
    }

    #[test]
    fn wrong_netuid_and_version_are_rejected() {
        let s = setup();
        let req = client_request(&s.validator, s.miner.hotkey(), 4, &[1; 32], NOW);
        assert_eq!(
            s.server.verify_request(&req, &[1; 32], NOW),
            Err(HandshakeError::WrongNetuid {
                expected: 3,
                got: 4
            })
        );
        let mut v2 = client_request(&s.validator, s.miner.hotkey(), 3, &[1; 32], NOW);
        v2.version = 2;
        assert_eq!(
            s.server.verify_request(&v2, &[1; 32], NOW),
            Err(HandshakeError::UnsupportedVersion { got: 2 })
        );
    }

    #[test]
    fn a_response_from_an_unexpected_miner_is_rejected() {
        let s = setup();
        let req = client_request(&s.validator, s.miner.hotkey(), 3, &[1; 32], NOW);
        let other = HandshakeVerifier::new(Keypair::generate(), ServerPolicy::new(3));
        let resp = other.respond(&req, &[1; 32], NOW);
        assert!(matches!(
            verify_server_response(&resp, &req, &[1; 32]),
            Err(HandshakeError::UnexpectedMiner { .. })
        ));
    }

    #[test]
    fn a_validator_signature_cannot_be_reflected_as_a_miner_response() {
        // A miner that copies the validator's signature into its response must fail.
        let s = setup();
        let req = client_request(&s.validator, s.miner.hotkey(), 3, &[1; 32], NOW);
        let reflected = HandshakeResponse {
            version: PROTOCOL_VERSION,
            miner: s.miner.hotkey(),
            timestamp_ms: req.timestamp_ms,
            nonce: req.nonce,
            signature: req.signature,
        };
        assert_eq!(
            verify_server_response(&reflected, &req, &[1; 32]),
            Err(HandshakeError::BadSignature)
        );
    }
}
