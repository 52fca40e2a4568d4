//! Drives the `axonite/1` handshake over a fresh QUIC connection, on either side, under a
//! deadline. The checks themselves are pure functions in [`axonite::handshake`].

use axonite::handshake::{
    HandshakeError, HandshakeVerifier, client_request, unix_millis, verify_server_response,
};
use axonite::identity::{Hotkey, Keypair};
use axonite::protocol::codec::{decode_envelope, encode_frame};
use axonite::protocol::{CloseCode, FrameType, HandshakeRequest, HandshakeResponse, Limits};
use axonite::transport::{ReadFrameError, read_end, read_frame, session_binding, write_frame};
use serde::de::DeserializeOwned;

/// Why a handshake did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeFailure {
    /// The peer's handshake was checked and refused.
    #[error("handshake refused: {0}")]
    Refused(#[from] HandshakeError),
    /// The peer sent something that is not a well-formed handshake.
    #[error("protocol violation: {0}")]
    Protocol(String),
    /// The peer closed the connection, with its reason when it gave one.
    #[error("closed by peer: {0}")]
    ClosedByPeer(String),
    /// The connection failed underneath.
    #[error("connection error: {0}")]
    Connection(String),
}

impl HandshakeFailure {
    /// The close code a miner sends for this failure.
    pub(crate) fn close_code(&self) -> CloseCode {
        match self {
            Self::Refused(_) => CloseCode::HandshakeRejected,
            _ => CloseCode::ProtocolViolation,
        }
    }
}

/// Reads one handshake frame of type `ty` under the handshake size limit, then the end of the
/// stream (the frame is the only one: reading the FIN spares the peer a STOP_SENDING), and
/// decodes it.
async fn read_envelope<T: DeserializeOwned>(
    recv: &mut quinn::RecvStream,
    ty: FrameType,
    limits: &Limits,
) -> Result<T, HandshakeFailure> {
    let failure = |e| match e {
        ReadFrameError::Stream(msg) => HandshakeFailure::Connection(msg),
        other => HandshakeFailure::Protocol(other.to_string()),
    };
    let (_, payload) = read_frame(recv, &[ty], limits.max_handshake_frame)
        .await
        .map_err(failure)?;
    read_end(recv).await.map_err(failure)?;
    decode_envelope(&payload).map_err(|e| HandshakeFailure::Protocol(e.to_string()))
}

/// Miner side: accept the handshake stream, check the request, answer. Returns the proven
/// validator hotkey. Caller applies the deadline and closes the connection on error.
pub(crate) async fn serve_handshake(
    connection: &quinn::Connection,
    verifier: &HandshakeVerifier,
    limits: &Limits,
    admit: impl FnOnce(&Hotkey) -> Result<(), String>,
) -> Result<Hotkey, HandshakeFailure> {
    let binding =
        session_binding(connection).map_err(|e| HandshakeFailure::Connection(e.to_string()))?;
    let (mut send, mut recv) = connection
        .accept_bi()
        .await
        .map_err(|e| HandshakeFailure::Connection(e.to_string()))?;
    let request: HandshakeRequest =
        read_envelope(&mut recv, FrameType::HandshakeRequest, limits).await?;
    let validator = verifier.verify_request(&request, &binding, unix_millis())?;
    admit(&validator).map_err(|reason| HandshakeError::NotAdmitted {
        hotkey: validator,
        reason,
    })?;
    let response = verifier.respond(&request, &binding, unix_millis());
    let frame = encode_frame(FrameType::HandshakeResponse, &response)
        .map_err(|e| HandshakeFailure::Protocol(e.to_string()))?;
    write_frame(&mut send, &frame)
        .await
        .map_err(HandshakeFailure::Connection)?;
    send.finish()
        .map_err(|e| HandshakeFailure::Connection(e.to_string()))?;
    Ok(validator)
}

/// Validator side: open the handshake stream, prove our hotkey, check the miner's.
pub(crate) async fn client_handshake(
    connection: &quinn::Connection,
    keypair: &Keypair,
    miner: Hotkey,
    netuid: u16,
    limits: &Limits,
) -> Result<(), HandshakeFailure> {
    let binding =
        session_binding(connection).map_err(|e| HandshakeFailure::Connection(e.to_string()))?;
    let request = client_request(keypair, miner, netuid, &binding, unix_millis());
    let result = async {
        let (mut send, mut recv) = connection
            .open_bi()
            .await
            .map_err(|e| HandshakeFailure::Connection(e.to_string()))?;
        let frame = encode_frame(FrameType::HandshakeRequest, &request)
            .map_err(|e| HandshakeFailure::Protocol(e.to_string()))?;
        write_frame(&mut send, &frame)
            .await
            .map_err(HandshakeFailure::Connection)?;
        send.finish()
            .map_err(|e| HandshakeFailure::Connection(e.to_string()))?;
        let response: HandshakeResponse =
            read_envelope(&mut recv, FrameType::HandshakeResponse, limits).await?;
        verify_server_response(&response, &request, &binding)?;
        Ok(())
    }
    .await;
    // A refusing miner closes the connection with a reason: report that, not the broken pipe.
    match (result, connection.close_reason()) {
        (Err(_), Some(quinn::ConnectionError::ApplicationClosed(close))) => Err(
            HandshakeFailure::ClosedByPeer(String::from_utf8_lossy(&close.reason).into_owned()),
        ),
        (result, _) => result,
    }
}
