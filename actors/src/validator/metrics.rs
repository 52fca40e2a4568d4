//! A validator's Prometheus page, rendered from its counters on each scrape.

use std::sync::Arc;

use super::shared::ValidatorShared;
use crate::metrics::{
    Exposition, Render, SupervisorCell, metagraph_samples, restart_samples, supervisor_restarts,
};
use crate::weights::WeightsHandle;

/// How a scrape renders this validator's page.
pub(crate) fn render(
    shared: Arc<ValidatorShared>,
    supervisor: SupervisorCell,
    weights: Option<WeightsHandle>,
) -> Render {
    Arc::new(move || {
        let (shared, supervisor, weights) = (shared.clone(), supervisor.clone(), weights.clone());
        Box::pin(async move {
            let restarts = supervisor_restarts(supervisor.get()).await;
            page(&shared, &restarts, weights.as_ref())
        })
    })
}

fn page(
    shared: &ValidatorShared,
    restarts: &[(String, u64)],
    weights: Option<&WeightsHandle>,
) -> String {
    let mut p = Exposition::new();
    let synapses = shared.queries.synapses();

    let name = "axonite_queries_total";
    p.counter(
        name,
        "Queries sent to miners, by synapse and outcome status.",
    );
    for (synapse, queries) in &synapses {
        for (status, n) in queries.tally.snapshot().by_status() {
            p.sample(
                name,
                &[("synapse", synapse), ("status", &status.0.to_string())],
                n as f64,
            );
        }
    }
    let name = "axonite_query_duration_seconds";
    p.histogram(
        name,
        "Time from sending a query to its outcome, by synapse.",
    );
    for (synapse, queries) in &synapses {
        p.histogram_samples(name, &[("synapse", synapse)], &queries.latency);
    }

    p.gauge(
        "axonite_miner_connections",
        "Authenticated connections to miners.",
    )
    .sample(
        "axonite_miner_connections",
        &[],
        shared.connections.len() as f64,
    );

    if let Some(metagraph) = &shared.metagraph {
        metagraph_samples(&mut p, metagraph);
    }
    if let Some(weights) = weights {
        let report = weights.report();
        let landed = [report.last_set, report.last_commit, report.last_reveal];
        if let Some(block) = landed.iter().flatten().map(|s| s.block).max() {
            p.gauge(
                "axonite_weights_last_block",
                "Block of the last weight submission that landed (set, commit or reveal).",
            )
            .sample("axonite_weights_last_block", &[], block as f64);
        }
        p.gauge(
            "axonite_weights_failures",
            "Consecutive failed weight submissions.",
        )
        .sample("axonite_weights_failures", &[], f64::from(report.failures));
    }
    restart_samples(&mut p, restarts, &[]);
    p.finish()
}
