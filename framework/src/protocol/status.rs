//! Response status codes (bittensor's meanings) and connection close codes.

use std::fmt;

/// The status of a response. The numbers and meanings follow the bittensor SDK so subnet
/// teams keep their habits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusCode(pub u16);

impl StatusCode {
    /// The handler answered.
    pub const OK: Self = Self(200);
    /// The request body did not decode as the synapse's request type.
    pub const BAD_REQUEST: Self = Self(400);
    /// The handler's `verify` hook refused the request.
    pub const UNAUTHORIZED: Self = Self(401);
    /// The handler's `blacklist` hook refused the caller.
    pub const FORBIDDEN: Self = Self(403);
    /// No handler is attached for the synapse name.
    pub const NOT_FOUND: Self = Self(404);
    /// The request's deadline passed before the handler finished.
    pub const TIMEOUT: Self = Self(408);
    /// The request was larger than the synapse allows.
    pub const PAYLOAD_TOO_LARGE: Self = Self(413);
    /// The caller is over its rate limit.
    pub const RATE_LIMITED: Self = Self(429);
    /// The handler failed or panicked.
    pub const INTERNAL_ERROR: Self = Self(500);
    /// The miner is overloaded and shed the request.
    pub const UNAVAILABLE: Self = Self(503);

    /// True for 2xx.
    pub fn is_success(self) -> bool {
        (200..300).contains(&self.0)
    }

    /// A short human-readable name for the code.
    pub fn reason(self) -> &'static str {
        match self.0 {
            200 => "ok",
            400 => "bad request",
            401 => "verification failed",
            403 => "blacklisted",
            404 => "unknown synapse",
            408 => "timeout",
            413 => "payload too large",
            429 => "rate limited",
            500 => "handler error",
            503 => "overloaded",
            _ => "unknown status",
        }
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.reason())
    }
}

/// QUIC application close codes an Axonite endpoint uses, with a reason phrase beside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum CloseCode {
    /// Orderly close.
    Normal = 0,
    /// The peer's handshake was refused (bad signature, stale, replayed, wrong receiver, ...).
    HandshakeRejected = 1,
    /// The peer did not complete the handshake before the deadline.
    HandshakeTimeout = 2,
    /// The peer broke the protocol (garbage, wrong frame type, oversized handshake frame).
    ProtocolViolation = 3,
    /// The endpoint is shutting down.
    Shutdown = 4,
    /// Too many pending connections; try again later.
    Busy = 5,
    /// The peer no longer meets the rules it was admitted under (deregistered, lost its
    /// validator permit, stake under the minimum).
    Revoked = 6,
    /// The peer kept sending requests over its rate limit.
    RateLimited = 7,
}

impl CloseCode {
    /// The code as carried by QUIC.
    pub fn code(self) -> u32 {
        self as u32
    }

    /// Parses a code received from a peer.
    pub fn from_code(code: u64) -> Option<Self> {
        Some(match code {
            0 => Self::Normal,
            1 => Self::HandshakeRejected,
            2 => Self::HandshakeTimeout,
            3 => Self::ProtocolViolation,
            4 => Self::Shutdown,
            5 => Self::Busy,
            6 => Self::Revoked,
            7 => Self::RateLimited,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_keep_bittensor_meanings() {
        assert_eq!(StatusCode::FORBIDDEN.0, 403);
        assert_eq!(StatusCode::TIMEOUT.to_string(), "408 timeout");
        assert!(StatusCode::OK.is_success());
        assert!(!StatusCode::UNAVAILABLE.is_success());
    }

    #[test]
    fn close_codes_round_trip() {
        for c in [
            CloseCode::Normal,
            CloseCode::HandshakeRejected,
            CloseCode::HandshakeTimeout,
            CloseCode::ProtocolViolation,
            CloseCode::Shutdown,
            CloseCode::Busy,
            CloseCode::Revoked,
            CloseCode::RateLimited,
        ] {
            assert_eq!(CloseCode::from_code(c.code().into()), Some(c));
        }
        assert_eq!(CloseCode::from_code(99), None);
    }
}
