//! The validator's side: build a signed request, check the miner's response.

use super::transcript::{Fields, Role, transcript};
use super::{HandshakeError, SessionBinding, random_nonce};
use crate::identity::{Hotkey, Keypair};
use crate::protocol::{HandshakeRequest, HandshakeResponse, PROTOCOL_VERSION};

/// Builds the validator's signed handshake request for `miner` on this session.
pub fn client_request(
    validator: &Keypair,
    miner: Hotkey,
    netuid: u16,
    binding: &SessionBinding,
    now_ms: u64,
) -> HandshakeRequest {
    let validator_key = validator.hotkey();
    let nonce = random_nonce();
    let fields = Fields {
        version: PROTOCOL_VERSION,
        netuid,
        binding,
        validator: &validator_key,
        miner: &miner,
        timestamp_ms: now_ms,
        nonce: &nonce,
    };
    let signature = validator.sign(&transcript(Role::Validator, &fields, None));
    HandshakeRequest {
        version: PROTOCOL_VERSION,
        netuid,
        validator: validator_key,
        miner,
        timestamp_ms: now_ms,
        nonce,
        signature,
    }
}

/// Checks the miner's response to `request` on this session: the answering hotkey must be the
/// one dialled, and its signature must cover this session and the validator's nonce (which is
/// what makes the response fresh; the miner's timestamp is informational).
pub fn verify_server_response(
    response: &HandshakeResponse,
    request: &HandshakeRequest,
    binding: &SessionBinding,
) -> Result<(), HandshakeError> {
    if response.version != PROTOCOL_VERSION {
        return Err(HandshakeError::UnsupportedVersion {
            got: response.version,
        });
    }
    if response.miner != request.miner {
        return Err(HandshakeError::UnexpectedMiner {
            expected: request.miner,
            got: response.miner,
        });
    }
    let fields = Fields {
        version: response.version,
        netuid: request.netuid,
        binding,
        validator: &request.validator,
        miner: &response.miner,
        timestamp_ms: response.timestamp_ms,
        nonce: &response.nonce,
    };
    let message = transcript(Role::Miner, &fields, Some(&request.nonce));
    if response.miner.verify(&message, &response.signature) {
        Ok(())
    } else {
        Err(HandshakeError::BadSignature)
    }
}
