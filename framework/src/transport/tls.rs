//! rustls configurations for QUIC: ring only, TLS 1.3 only, ALPN `axonite/1`.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::TransportSettings;
use crate::handshake::{EXPORTER_LABEL, SessionBinding};
use crate::protocol::PROTOCOL_NAME;

/// Why a TLS or QUIC configuration could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    /// The self-signed certificate could not be generated.
    #[error("cannot generate certificate: {0}")]
    Certificate(String),
    /// rustls refused the configuration.
    #[error("invalid TLS configuration: {0}")]
    Config(String),
    /// The session's keying material could not be exported.
    #[error("cannot export TLS keying material: {0}")]
    Export(String),
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A quinn server config with a fresh self-signed certificate. Before authentication only the
/// handshake stream and [`TransportSettings::preauth_receive_window`] bytes are allowed; the
/// runtime lifts both with [`TransportSettings::authenticated`] once the peer is proven.
pub fn server_config(settings: &TransportSettings) -> Result<quinn::ServerConfig, TlsError> {
    // Ed25519: the cheapest signature TLS offers for the CertificateVerify of every handshake.
    let certificate_error = |e: rcgen::Error| TlsError::Certificate(e.to_string());
    let signing_key =
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).map_err(certificate_error)?;
    let cert = rcgen::CertificateParams::new(vec![super::SERVER_NAME.to_owned()])
        .and_then(|params| params.self_signed(&signing_key))
        .map_err(certificate_error)?
        .der()
        .clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signing_key.serialize_der()));
    let mut tls = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    tls.alpn_protocols = vec![PROTOCOL_NAME.as_bytes().to_vec()];
    tls.max_early_data_size = 0;
    let quic = quinn::crypto::rustls::QuicServerConfig::try_from(tls)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(quic));
    config.transport_config(Arc::new(settings.quinn_server()));
    Ok(config)
}

/// A quinn client config that accepts any server certificate and skips its signature check:
/// trust comes from the handshake, whose signatures cover this session's exporter keying
/// material. The certificate is self-signed and unknown, so its CertificateVerify proves only
/// that the server holds a key anyone could generate (a relay would sign with its own); the
/// check cost an ECDSA verification per connection and added no protection.
pub fn client_config(settings: &TransportSettings) -> Result<quinn::ClientConfig, TlsError> {
    client_config_with_alpn(settings, PROTOCOL_NAME.as_bytes())
}

/// Like [`client_config`] with another ALPN; for tests that a miner refuses it.
#[doc(hidden)]
pub fn client_config_with_alpn(
    settings: &TransportSettings,
    alpn: &[u8],
) -> Result<quinn::ClientConfig, TlsError> {
    let provider = provider();
    let verifier = Arc::new(AnyCertificate {
        algorithms: provider.signature_verification_algorithms,
    });
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| TlsError::Config(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    tls.alpn_protocols = vec![alpn.to_vec()];
    tls.enable_early_data = false;
    let quic = quinn::crypto::rustls::QuicClientConfig::try_from(tls)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let mut config = quinn::ClientConfig::new(Arc::new(quic));
    let mut transport = settings.quinn(0);
    transport.keep_alive_interval(Some(settings.keep_alive));
    config.transport_config(Arc::new(transport));
    Ok(config)
}

/// Exports the [`SessionBinding`] of an established connection. Both ends of one connection
/// get the same bytes; any other TLS session gets different ones.
pub fn session_binding(connection: &quinn::Connection) -> Result<SessionBinding, TlsError> {
    let mut out = [0u8; 32];
    connection
        .export_keying_material(&mut out, EXPORTER_LABEL, b"")
        .map_err(|e| TlsError::Export(format!("{e:?}")))?;
    Ok(out)
}

/// Accepts every certificate and its signature (see [`client_config`]): the `axonite/1`
/// handshake authenticates the miner over this session's keying material.
#[derive(Debug)]
struct AnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        // TLS 1.2 is never negotiated (TLS 1.3 only).
        Err(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::Tls12NotOffered,
        ))
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
