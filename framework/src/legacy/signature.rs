//! The legacy request signature: sr25519 over `"{nonce}.{dendrite}.{axon}.{uuid}.{body_hash}"`.
//!
//! The dendrite signs its nonce, its own hotkey and the axon's hotkey (both SS58 text), its
//! uuid and the body hash, and sends `0x` + hex. The axon checks it against its **own**
//! hotkey, not the `bt_header_axon_hotkey` the dendrite sent, so a request addressed to
//! another axon does not verify here.

use super::LegacyError;
use super::headers::LegacyRequest;
use crate::identity::{Hotkey, Keypair};

/// The signed message, byte for byte as the SDK builds it.
pub fn signing_message(
    nonce: u64,
    dendrite_ss58: &str,
    axon_ss58: &str,
    uuid: &str,
    body_hash: &str,
) -> String {
    format!("{nonce}.{dendrite_ss58}.{axon_ss58}.{uuid}.{body_hash}")
}

/// Signs a request as a dendrite does: returns the `bt_header_dendrite_signature` value
/// (`0x` + 128 hex digits). `keypair` is the dendrite's hotkey.
pub fn sign_request(
    keypair: &Keypair,
    nonce: u64,
    axon: &Hotkey,
    uuid: &str,
    body_hash: &str,
) -> String {
    let message = signing_message(
        nonce,
        &keypair.hotkey().to_ss58(),
        &axon.to_ss58(),
        uuid,
        body_hash,
    );
    format!("0x{}", hex::encode(keypair.sign(message.as_bytes())))
}

/// Checks the signature of a parsed request for the axon whose hotkey is `own`.
///
/// The dendrite's hotkey enters the message exactly as it was sent; the axon's is `own` in
/// SS58 with prefix 42, as the SDK writes it.
pub fn verify_request_signature(request: &LegacyRequest, own: &Hotkey) -> Result<(), LegacyError> {
    let d = &request.dendrite;
    let message = signing_message(
        d.nonce,
        &d.hotkey_ss58,
        &own.to_ss58(),
        &d.uuid,
        &request.computed_body_hash,
    );
    if d.hotkey.verify(message.as_bytes(), &d.signature) {
        Ok(())
    } else {
        Err(LegacyError::BadSignature)
    }
}
