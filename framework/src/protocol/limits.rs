//! Size and depth limits, enforced before allocation.

/// Limits applied to everything a peer sends. All sizes are in bytes.
///
/// Each limit is checked against the length a frame header declares, before the payload is
/// read, so a peer cannot make the receiver allocate more than the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest handshake frame. Handshakes are ~200 bytes; a small cap keeps unauthenticated
    /// peers from costing memory. Default 4 KiB.
    pub max_handshake_frame: usize,
    /// Largest request or response head (synapse name, ids, status message). Default 4 KiB.
    pub max_head_frame: usize,
    /// Largest request body a miner reads. A synapse may set a lower limit of its own.
    /// Default 8 MiB.
    pub max_request_body: usize,
    /// Largest response body or stream chunk a validator reads. Default 32 MiB.
    pub max_response_body: usize,
    /// Deepest nesting of MessagePack arrays and maps accepted when decoding a body; guards
    /// the decoder's recursion. Default 64.
    pub max_decode_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_handshake_frame: 4 * 1024,
            max_head_frame: 4 * 1024,
            max_request_body: 8 * 1024 * 1024,
            max_response_body: 32 * 1024 * 1024,
            max_decode_depth: 64,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_request_body`].
    pub fn with_max_request_body(mut self, bytes: usize) -> Self {
        self.max_request_body = bytes;
        self
    }

    /// Sets [`Limits::max_response_body`].
    pub fn with_max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }

    /// Sets [`Limits::max_decode_depth`].
    pub fn with_max_decode_depth(mut self, depth: usize) -> Self {
        self.max_decode_depth = depth;
        self
    }
}
