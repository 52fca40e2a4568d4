//! The exact bytes each side signs. Fixed-size fields in a fixed order: no two different
//! handshakes produce the same transcript, and a signature of one role is never valid for
//! the other.

use super::SessionBinding;
use crate::identity::Hotkey;
use crate::protocol::PROTOCOL_NAME;

/// Which side signs; part of the transcript so a signature cannot be reflected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Role {
    Validator = 1,
    Miner = 2,
}

/// The fields both transcripts share.
pub(crate) struct Fields<'a> {
    pub(crate) version: u16,
    pub(crate) netuid: u16,
    pub(crate) binding: &'a SessionBinding,
    pub(crate) validator: &'a Hotkey,
    pub(crate) miner: &'a Hotkey,
    pub(crate) timestamp_ms: u64,
    pub(crate) nonce: &'a [u8; 16],
}

/// Bytes signed by `role`. `peer_nonce` is the validator's nonce in the miner's transcript.
pub(crate) fn transcript(role: Role, f: &Fields<'_>, peer_nonce: Option<&[u8; 16]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(192);
    out.extend_from_slice(PROTOCOL_NAME.as_bytes());
    out.extend_from_slice(b" handshake\0");
    out.push(role as u8);
    out.extend_from_slice(&f.version.to_be_bytes());
    out.extend_from_slice(&f.netuid.to_be_bytes());
    out.extend_from_slice(f.binding);
    out.extend_from_slice(f.validator.as_bytes());
    out.extend_from_slice(f.miner.as_bytes());
    out.extend_from_slice(&f.timestamp_ms.to_be_bytes());
    out.extend_from_slice(f.nonce);
    if let Some(n) = peer_nonce {
        out.extend_from_slice(n);
    }
    out
}
