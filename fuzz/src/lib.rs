//! What the fuzz targets share: fixed keys, TLS binding and clock ([`fixtures`]), a pure
//! frame reader mirroring `axonite::transport` ([`frames`]), representative typed bodies
//! ([`body`]), the nesting depth of MessagePack bytes ([`msgpack`]) and round-trip checks
//! ([`roundtrip`]). Linking this crate also installs the [`alloc_guard`].
//!
//! Every target feeds untrusted bytes to the framework and asserts it answers with a value
//! or a typed error: a panic, an abort, a huge allocation or a hang is a finding.

pub mod alloc_guard;
pub mod body;
pub mod fixtures;
pub mod frames;
pub mod msgpack;
pub mod roundtrip;
