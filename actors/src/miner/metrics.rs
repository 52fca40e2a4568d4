//! A miner's Prometheus page, rendered from its counters on each scrape.

use std::sync::Arc;

use super::shared::MinerShared;
use crate::metagraph::MetagraphHandle;
use crate::metrics::{
    Exposition, Render, SupervisorCell, metagraph_samples, restart_samples, supervisor_restarts,
};

/// How a scrape renders this miner's page.
pub(crate) fn render(
    shared: Arc<MinerShared>,
    supervisor: SupervisorCell,
    metagraph: Option<MetagraphHandle>,
) -> Render {
    Arc::new(move || {
        let (shared, supervisor, metagraph) =
            (shared.clone(), supervisor.clone(), metagraph.clone());
        Box::pin(async move {
            let restarts = supervisor_restarts(supervisor.get()).await;
            page(&shared, &restarts, metagraph.as_ref())
        })
    })
}

fn page(
    shared: &MinerShared,
    restarts: &[(String, u64)],
    metagraph: Option<&MetagraphHandle>,
) -> String {
    let stats = shared.stats();
    let mut p = Exposition::new();

    let name = "axonite_requests_total";
    p.counter(name, "Requests answered, by synapse and response status.");
    for (synapse, counts) in &stats.requests {
        for (status, n) in counts.by_status() {
            p.sample(
                name,
                &[("synapse", synapse), ("status", &status.0.to_string())],
                n as f64,
            );
        }
    }
    for (status, n) in stats.unrouted.by_status() {
        if n > 0 {
            p.sample(
                name,
                &[("synapse", ""), ("status", &status.0.to_string())],
                n as f64,
            );
        }
    }

    let name = "axonite_request_duration_seconds";
    p.histogram(
        name,
        "Time from a request's arrival to its answer, by synapse.",
    );
    let mut routes: Vec<_> = shared.routes.iter().collect();
    routes.sort_by_key(|(synapse, _)| **synapse);
    for (synapse, route) in &routes {
        p.histogram_samples(name, &[("synapse", synapse)], &route.latency);
    }

    let name = "axonite_queue_depth";
    p.gauge(name, "Requests waiting for a handler worker, by synapse.");
    for (synapse, route) in &routes {
        p.sample(name, &[("synapse", synapse)], route.queue.depth() as f64);
    }

    p.gauge(
        "axonite_connections_active",
        "Authenticated connections open.",
    )
    .sample(
        "axonite_connections_active",
        &[],
        stats.active_connections as f64,
    )
    .gauge("axonite_handshakes_pending", "Connections handshaking now.")
    .sample(
        "axonite_handshakes_pending",
        &[],
        stats.pending_handshakes as f64,
    );

    let name = "axonite_handshakes_total";
    p.counter(name, "Handshakes by outcome.");
    for (outcome, n) in [
        ("ok", stats.handshakes_ok),
        ("refused", stats.handshakes_refused),
        ("malformed", stats.handshakes_malformed),
        ("tls_failed", stats.handshakes_tls_failed),
        ("dropped", stats.handshakes_dropped),
        ("timed_out", stats.handshakes_timed_out),
    ] {
        p.sample(name, &[("outcome", outcome)], n as f64);
    }

    let name = "axonite_connections_refused_total";
    p.counter(
        name,
        "Connections refused or closed by the miner, by reason.",
    );
    for (reason, n) in [
        ("busy", stats.refused_busy),
        ("per_ip_rate", stats.refused_rate),
        ("revoked", stats.revoked),
        ("rate_limited", stats.disconnected_rate_limited),
    ] {
        p.sample(name, &[("reason", reason)], n as f64);
    }
    let name = "axonite_lanes_total";
    p.counter(
        name,
        "Lanes (streams of pipelined requests) validators opened, and those reset for breaking the lane's rules.",
    );
    for (outcome, n) in [
        ("opened", stats.lanes_opened),
        ("broken", stats.lanes_broken),
    ] {
        p.sample(name, &[("outcome", outcome)], n as f64);
    }
    p.counter(
        "axonite_address_validations_total",
        "Connection attempts answered with a QUIC Retry.",
    )
    .sample(
        "axonite_address_validations_total",
        &[],
        stats.address_validations as f64,
    );

    let name = "axonite_rate_limited_total";
    p.counter(name, "Requests refused 429, by limit.");
    p.sample(name, &[("limit", "caller")], stats.rate_limited as f64);
    p.sample(
        name,
        &[("limit", "global")],
        stats.rate_limited_global as f64,
    );
    p.gauge(
        "axonite_rate_limit_keys",
        "Hotkeys the rate limiter tracks.",
    )
    .sample("axonite_rate_limit_keys", &[], stats.rate_limit_keys as f64);

    if let Some(metagraph) = metagraph {
        metagraph_samples(&mut p, metagraph);
    }

    let workers: Vec<(String, u64)> = routes
        .iter()
        .map(|(synapse, route)| {
            (
                format!("handlers/{synapse}/workers"),
                route.queue.restarts(),
            )
        })
        .collect();
    restart_samples(&mut p, restarts, &workers);
    p.finish()
}
