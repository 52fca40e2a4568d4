//! The UDP socket under a QUIC endpoint, with kernel buffers sized for bursts.

use std::io;
use std::net::{SocketAddr, UdpSocket};

use socket2::{Domain, Protocol, Socket, Type};

use super::TransportSettings;

/// Binds a UDP socket at `addr` with [`TransportSettings::socket_buffer`] as its receive and
/// send buffers. The kernel caps the sizes (`net.core.rmem_max`); a refusal to resize is not
/// an error, the socket keeps the system default.
pub fn bind_udp(addr: SocketAddr, settings: &TransportSettings) -> io::Result<UdpSocket> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    let size = usize::try_from(settings.socket_buffer).unwrap_or(usize::MAX);
    if let Err(e) = socket.set_recv_buffer_size(size) {
        tracing::debug!(error = %e, size, "UDP receive buffer left at the system default");
    }
    if let Err(e) = socket.set_send_buffer_size(size) {
        tracing::debug!(error = %e, size, "UDP send buffer left at the system default");
    }
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

/// A quinn endpoint on a socket from [`bind_udp`]: a server when `server` is given, else a
/// client only.
pub fn bind_endpoint(
    addr: SocketAddr,
    settings: &TransportSettings,
    server: Option<quinn::ServerConfig>,
) -> io::Result<quinn::Endpoint> {
    let socket = bind_udp(addr, settings)?;
    let runtime = quinn::default_runtime()
        .ok_or_else(|| io::Error::other("no async runtime: start the endpoint inside tokio"))?;
    quinn::Endpoint::new(quinn::EndpointConfig::default(), server, socket, runtime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_gets_a_larger_receive_buffer_than_the_default() {
        let small = bind_udp(
            "127.0.0.1:0".parse().unwrap(),
            &TransportSettings {
                socket_buffer: 16 * 1024,
                ..TransportSettings::default()
            },
        )
        .unwrap();
        let large = bind_udp(
            "127.0.0.1:0".parse().unwrap(),
            &TransportSettings::default(),
        )
        .unwrap();
        let size = |s: UdpSocket| Socket::from(s).recv_buffer_size().unwrap();
        // Linux doubles the requested size for bookkeeping and caps it at rmem_max.
        assert!(size(large) > size(small));
    }
}
