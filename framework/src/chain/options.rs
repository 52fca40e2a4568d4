//! How a [`ChainClient`](super::ChainClient) connects and how long writes wait.

use std::time::Duration;

/// How long a write waits before it reports back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Finality {
    /// Return once the extrinsic is in a best block. Faster (one block on a live network),
    /// but the block may still be reorganised away.
    InBlock,
    /// Return once the block holding the extrinsic is finalized (GRANDPA; on Chopsticks every
    /// block is final at once). The default.
    #[default]
    Finalized,
}

/// Settings of a [`ChainClient`](super::ChainClient). `Default` suits a local node and
/// public endpoints alike; the setters explain each trade-off.
///
/// ```
/// use std::time::Duration;
/// use axonite::chain::{ChainOptions, Finality};
///
/// let options = ChainOptions::default()
///     .connect_timeout(Duration::from_secs(5))
///     .wait_for(Finality::InBlock);
/// assert_eq!(options.finality, Finality::InBlock);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainOptions {
    /// Deadline for opening the connection and reading the genesis hash.
    pub connect_timeout: Duration,
    /// Deadline for one read (a metagraph, a storage item, a block).
    pub read_timeout: Duration,
    /// Deadline for one write, from signing to inclusion or finalization.
    pub tx_timeout: Duration,
    /// What a write waits for.
    pub finality: Finality,
    /// Whether plain `ws://` is allowed to hosts that are not loopback.
    pub allow_insecure: bool,
    /// Maximum number of storage reads in flight while building a metagraph.
    pub read_concurrency: usize,
}

impl Default for ChainOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            tx_timeout: Duration::from_secs(60),
            finality: Finality::Finalized,
            allow_insecure: false,
            read_concurrency: 32,
        }
    }
}

impl ChainOptions {
    /// Deadline for connecting (default 10 s). Too short fails on slow public endpoints; too
    /// long delays a monitor's reconnect loop when the node is down.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Deadline for one read (default 30 s): a whole metagraph counts as one read. A node
    /// that stops answering without closing the connection is noticed after this long.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Deadline for one write (default 60 s, about 5 blocks on finney). Finalization usually
    /// follows inclusion by 2 to 3 blocks. A write that times out after it was submitted may
    /// still land: read the chain before sending it again.
    pub fn tx_timeout(mut self, timeout: Duration) -> Self {
        self.tx_timeout = timeout;
        self
    }

    /// What a write waits for (default [`Finality::Finalized`]).
    pub fn wait_for(mut self, finality: Finality) -> Self {
        self.finality = finality;
        self
    }

    /// Allows plain `ws://` to any host (default: only to loopback). Traffic to a node is
    /// public chain data and signed extrinsics, so encryption protects privacy rather than
    /// keys; but an attacker on the path could feed a validator a false metagraph. Enable
    /// only for nodes on a network you control.
    pub fn allow_insecure(mut self, allow: bool) -> Self {
        self.allow_insecure = allow;
        self
    }

    /// Storage reads in flight while building a metagraph (default 32, at least 1). More is
    /// faster on high-latency links and heavier on the node.
    pub fn read_concurrency(mut self, reads: usize) -> Self {
        self.read_concurrency = reads.max(1);
        self
    }
}
