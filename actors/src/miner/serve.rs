//! Advertising the miner on chain at start.

use axonite::identity::Keypair;
use axonite::metagraph::AxonInfo;

use crate::chain::ChainSource;

/// `serve_axon` unless the chain already shows exactly this axon for `keypair`.
pub(crate) async fn serve(
    chain: &ChainSource,
    keypair: &Keypair,
    netuid: u16,
    axon: AxonInfo,
) -> Result<(), String> {
    let client = chain.client().await.map_err(|e| e.to_string())?;
    let graph = client.metagraph(netuid).await.map_err(|e| e.to_string())?;
    let hotkey = keypair.hotkey();
    // The pallet would refuse the extrinsic too, but with a module error name; say what to do.
    let Some(neuron) = graph.by_hotkey(&hotkey) else {
        return Err(format!(
            "hotkey {hotkey} is not registered on netuid {netuid}; register it first \
             (btcli subnets register --netuid {netuid})"
        ));
    };
    let current = neuron.axon;
    if current.is_some_and(|c| c.socket_addr() == axon.socket_addr() && c.is_axonite()) {
        tracing::info!(addr = %axon.socket_addr(), "axon already served on chain");
        return Ok(());
    }
    let outcome = client
        .serve_axon(keypair, netuid, &axon)
        .await
        .and_then(|o| o.into_result())
        .map_err(|e| e.to_string())?;
    tracing::info!(addr = %axon.socket_addr(), block = outcome.block_number, "axon served on chain");
    Ok(())
}
