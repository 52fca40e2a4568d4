//! What a validator counts: its queries by synapse and outcome, and their latency.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axonite::StatusCode;
use dashmap::DashMap;

use crate::metrics::{LatencyHistogram, RequestCounts, StatusTally};

/// One synapse's query counters.
#[derive(Default)]
pub(crate) struct SynapseQueries {
    pub(crate) tally: StatusTally,
    pub(crate) latency: LatencyHistogram,
}

impl SynapseQueries {
    fn record(&self, status: StatusCode, latency: Duration) {
        self.tally.record(status);
        self.latency.record(latency);
    }
}

/// Query counters by synapse, created on a synapse's first query.
#[derive(Default)]
pub(crate) struct QueryStats(DashMap<&'static str, Arc<SynapseQueries>>);

impl QueryStats {
    /// Counts one query's outcome and latency. Failures without a status from the miner
    /// count as their nearest status (unreachable as 503, timed out as 408).
    pub(crate) fn record(&self, synapse: &'static str, status: StatusCode, latency: Duration) {
        // A read lock on the hot path; the write lock only on a synapse's first query.
        match self.0.get(synapse) {
            Some(queries) => queries.record(status, latency),
            None => self.0.entry(synapse).or_default().record(status, latency),
        }
    }

    /// A snapshot by synapse.
    pub(crate) fn counts(&self) -> BTreeMap<&'static str, RequestCounts> {
        self.0
            .iter()
            .map(|e| (*e.key(), e.value().tally.snapshot()))
            .collect()
    }

    /// The live counters by synapse, sorted by name.
    pub(crate) fn synapses(&self) -> Vec<(&'static str, Arc<SynapseQueries>)> {
        let mut all: Vec<_> = self
            .0
            .iter()
            .map(|e| (*e.key(), e.value().clone()))
            .collect();
        all.sort_by_key(|(name, _)| *name);
        all
    }
}

/// A snapshot of a validator's counters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidatorStats {
    /// Unary queries by synapse and outcome.
    pub queries: BTreeMap<&'static str, RequestCounts>,
    /// Authenticated connections to miners open right now.
    pub connections: usize,
}
