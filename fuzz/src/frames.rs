//! A frame reader over a byte slice with the same rules as `axonite::transport::read_frame`
//! (which reads from a QUIC stream): the header is checked against the limit before the
//! payload is touched, and exactly `len` payload bytes are taken.

use axonite::protocol::{FrameHeader, FrameType};
use axonite::transport::ReadFrameError;

/// Reads frames one after another from a byte stream.
pub struct FrameCursor<'a> {
    rest: &'a [u8],
}

impl<'a> FrameCursor<'a> {
    /// A reader over `stream`.
    pub fn new(stream: &'a [u8]) -> Self {
        Self { rest: stream }
    }

    /// The next frame of a type in `expected` with a payload of at most `max_len` bytes.
    pub fn next(
        &mut self,
        expected: &[FrameType],
        max_len: usize,
    ) -> Result<(FrameHeader, &'a [u8]), ReadFrameError> {
        if self.rest.is_empty() {
            return Err(ReadFrameError::Finished);
        }
        if self.rest.len() < FrameHeader::LEN {
            return Err(ReadFrameError::Truncated);
        }
        let header = FrameHeader::parse_any(self.rest, expected, max_len)?;
        assert!(expected.contains(&header.ty), "unexpected type accepted");
        assert!(header.len as usize <= max_len, "limit not honoured");
        let rest = &self.rest[FrameHeader::LEN..];
        let payload = rest
            .get(..header.len as usize)
            .ok_or(ReadFrameError::Truncated)?;
        self.rest = &rest[header.len as usize..];
        Ok((header, payload))
    }
}
