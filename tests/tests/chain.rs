//! Miners and validators against a real local subtensor chain (the spec 218 runtime under
//! Chopsticks, one chain per test on its own port): the metagraph monitor sees registrations,
//! axons, stakes and permits; validators discover miners from the chain alone; the miner's
//! gate follows registrations and permits; weights (plain and commit-reveal) land and read
//! back; the pool follows a miner that moved or was deregistered; and everything keeps
//! serving through a chain outage. The same scenarios without a chain are in
//! `metagraph_follow.rs`.
//!
//! Needs node and Chopsticks (`scripts/localnet install`; `LocalChain::start` installs it if
//! missing). Facts about this runtime the tests rely on (measured, see each test):
//! - netuid 1 has the subnet owner at uid 0; fresh hotkeys get the next uids;
//! - every block runs netuid 1's epoch whatever its tempo (`LastMechansimStepBlock` is the
//!   current block): stakes receive emission and the per-uid vectors (`ValidatorPermit`,
//!   `PruningScores`, ...) are recomputed, every neuron getting a permit from its first
//!   block on (even with `MaxAllowedValidators` 1). Values written with `dev_setStorage`
//!   therefore last only until the next block: tests write stakes and permits after the
//!   last extrinsic they submit;
//! - the weights rate limit counts registration as an update, so tests lower it to 0;
//! - a full subnet (`MaxAllowedUids`) replaces the neuron with the lowest pruning score, the
//!   earliest registered among equals (neurons without emission all score 0).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axonite::chain::{ChainClient, ChainError, ChainOptions, TxOutcome};
use axonite::metagraph::{AxonInfo, Metagraph, RAO_PER_TAO};
use axonite::{Keypair, Peer, StatusCode};
use axonite_actors::chain::{ChainSource, ChainWeights};
use axonite_actors::metagraph::{MetagraphHandle, MonitorConfig, SyncStatus};
use axonite_actors::supervisor::Backoff;
use axonite_actors::weights::{WeightsConfig, WeightsReport};
use axonite_actors::{Miner, QueryError, Validator};
use axonite_e2e::localnet::LocalChain;
use axonite_e2e::{bounded, loopback, ping};
use axonite_examples::echo::{Echo, EchoMiner};

/// The local chain's subnet (the shared tests' `NETUID` is for chainless setups).
const NETUID: u16 = 1;

/// Bound of a whole test: chain start, a dozen extrinsics, actors, waits.
const TEST_SECS: u64 = 240;

/// Bound of one wait for the chain or the actors to catch up.
const WAIT: Duration = Duration::from_secs(60);

/// The stake written for validators (netuid 1's pool is too small to buy it with
/// `add_stake`).
const VALIDATOR_STAKE: u64 = 1_000 * RAO_PER_TAO;

/// The miners' addresses: `serve_axon` refuses exactly 127.0.0.1 (and ::1).
const MINER_IPS: [[u8; 4]; 3] = [[127, 0, 0, 2], [127, 0, 0, 3], [127, 0, 0, 4]];

/// The permits to write for a subnet of `n` uids: only `permitted` ones hold one.
fn permits(n: usize, permitted: impl Fn(u16) -> bool) -> Vec<bool> {
    (0..n)
        .map(|uid| permitted(u16::try_from(uid).expect("uid")))
        .collect()
}

fn dev(uri: &str) -> Keypair {
    Keypair::from_dev_uri(uri).expect("dev key")
}

/// An extrinsic that must land and succeed.
fn ok(outcome: Result<TxOutcome, ChainError>, what: &str) -> TxOutcome {
    outcome
        .and_then(TxOutcome::into_result)
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// How often validators' monitors read the metagraph.
const VALIDATOR_SYNC: Duration = Duration::from_millis(200);

/// How often miners' monitors read it. Every read is some forty storage queries, and
/// Chopsticks serves them on the thread that also builds blocks: with three monitors at
/// 200 ms an extrinsic takes about 2 s instead of 0.8 s, so miners (whose gate only needs
/// to learn of registrations and permits) read less often.
const MINER_SYNC: Duration = Duration::from_millis(500);

/// Follows the chain every `interval`; retries quickly after failures (a chain outage in
/// these tests lasts seconds, not minutes).
fn follow(interval: Duration) -> MonitorConfig {
    let mut config = MonitorConfig::new(NETUID);
    config.sync_interval = interval;
    config.retry = Backoff::default()
        .with_initial(Duration::from_millis(200))
        .with_max(Duration::from_secs(1));
    config.fetch_timeout = Duration::from_secs(10);
    // Stakes and permits are written with dev_setStorage, in place, without a new block.
    config.read_unchanged_head = true;
    config
}

fn chain_options() -> ChainOptions {
    ChainOptions::default()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(10))
}

/// Polls `condition` every 50 ms until it holds, failing the test after [`WAIT`].
async fn until(what: &str, mut condition: impl AsyncFnMut() -> bool) {
    let started = tokio::time::Instant::now();
    let deadline = started + WAIT;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "still waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("{what}: {:.1} s", started.elapsed().as_secs_f64());
}

/// Waits until the weight setter's report satisfies `done`.
async fn report_until(
    validator: &Validator,
    what: &str,
    done: impl FnMut(&WeightsReport) -> bool,
) -> WeightsReport {
    let mut rx = validator.weights().watch();
    match tokio::time::timeout(WAIT, rx.wait_for(done)).await {
        Ok(Ok(report)) => report.clone(),
        _ => panic!(
            "still waiting for: {what}; report: {:?}",
            validator.weights().report()
        ),
    }
}

fn sorted(mut peers: Vec<Peer>) -> Vec<Peer> {
    peers.sort_by_key(|p| (p.addr, p.hotkey.to_ss58()));
    peers
}

fn snapshot(handle: &MetagraphHandle) -> Arc<Metagraph> {
    handle.current().expect("a snapshot was published")
}

/// One local chain with netuid 1 open to registration, a client for test setup, and the
/// reconnecting source the actors follow.
struct Net {
    chain: LocalChain,
    /// For setup: sudo, registrations, reads. Reconnect with [`Net::reconnect`] after a
    /// chain restart (a `ChainClient` does not reconnect by itself).
    client: ChainClient,
    /// What miners and validators follow and write through.
    source: Arc<ChainSource>,
}

impl Net {
    async fn start() -> Self {
        let chain = LocalChain::start()
            .await
            .unwrap_or_else(|e| panic!("local chain starts: {e}"));
        let client = ChainClient::connect_with(&chain.ws_url(), chain_options())
            .await
            .unwrap_or_else(|e| panic!("connect: {e}\n{}", chain.log_tail()));
        let source = Arc::new(ChainSource::new(chain.ws_url(), chain_options()));
        let net = Self {
            chain,
            client,
            source,
        };
        net.open_registration().await;
        net
    }

    async fn reconnect(&mut self) {
        self.client = ChainClient::connect_with(&self.chain.ws_url(), chain_options())
            .await
            .unwrap_or_else(|e| panic!("reconnect: {e}"));
    }

    /// Lifts netuid 1's registration limits: genesis allows fewer registrations per
    /// interval than a test makes.
    async fn open_registration(&self) {
        for call in [
            "sudo_set_target_registrations_per_interval",
            "sudo_set_max_registrations_per_block",
        ] {
            self.sudo(call, &[NETUID.into(), 1_000]).await;
        }
    }

    /// `Sudo(AdminUtils::<call>(args))` signed by //Alice, which must succeed.
    async fn sudo(&self, call: &str, args: &[u128]) {
        ok(
            self.client
                .sudo_admin_utils_uints(&dev("//Alice"), call, args)
                .await,
            call,
        );
    }

    /// Registers `hotkey` on netuid 1 (burned_register paid by //Bob); returns its uid.
    async fn register(&self, hotkey: &Keypair) -> u16 {
        ok(
            self.client
                .burned_register(&dev("//Bob"), NETUID, &hotkey.hotkey())
                .await,
            "burned_register",
        );
        self.client
            .at_finalized()
            .await
            .expect("view")
            .uid_of(NETUID, &hotkey.hotkey())
            .await
            .expect("read Uids")
            .expect("a registered hotkey has a uid")
    }

    /// Overwrites the permits the last epoch computed (until the next block): only the uids
    /// for which `permitted` holds keep one. Returns how many neurons the subnet has.
    async fn set_permits(&self, permitted: impl Fn(u16) -> bool) -> usize {
        let n = self
            .client
            .metagraph(NETUID)
            .await
            .expect("metagraph")
            .len();
        self.client
            .dev_set_validator_permits(NETUID, &permits(n, permitted))
            .await
            .expect("dev_setStorage");
        n
    }

    async fn set_stake(&self, hotkey: &Keypair, rao: u64) {
        self.client
            .dev_set_stake(NETUID, &hotkey.hotkey(), rao)
            .await
            .expect("dev_setStorage");
    }

    /// An echo miner at `ip` (any port) following the chain (so only registered validators
    /// with a permit get in), advertising itself with `serve_axon` when `serve` is set.
    async fn miner(&self, keypair: Keypair, ip: [u8; 4], serve: bool) -> Miner {
        let addr = SocketAddr::from((ip, 0));
        let mut builder = Miner::builder(keypair)
            .netuid(NETUID)
            .listen(addr)
            .metagraph(self.source.clone(), follow(MINER_SYNC))
            .handler::<Echo, _>(EchoMiner);
        if serve {
            builder = builder.serve_axon(self.source.clone(), addr);
        }
        builder.start().await.expect("miner starts")
    }

    /// A loopback validator following the chain.
    async fn validator(&self, keypair: Keypair) -> Validator {
        Validator::builder(keypair)
            .netuid(NETUID)
            .bind(loopback())
            .metagraph(self.source.clone(), follow(VALIDATOR_SYNC))
            .start()
            .await
            .expect("validator starts")
    }
}

/// A loopback validator that follows no metagraph: it dials the peers it is given.
async fn plain_validator(keypair: Keypair) -> Validator {
    Validator::builder(keypair)
        .netuid(NETUID)
        .bind(loopback())
        .start()
        .await
        .expect("validator starts")
}

async fn shutdown(validators: Vec<Validator>, miners: Vec<Miner>) {
    for v in validators {
        v.shutdown().await;
    }
    for m in miners {
        m.shutdown(Duration::from_secs(1)).await;
    }
}

/// Tests 1 and 2 of the issue in one chain (their setup is the same and costs most of the
/// time): what the monitor shows, then discovery and queries from the chain alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_chain_metagraph_shows_served_neurons_and_the_validator_discovers_and_queries_them() {
    bounded(TEST_SECS, async {
        let net = Net::start().await;
        let v = Keypair::generate();
        let v_uid = net.register(&v).await;
        let mut miner_keys = Vec::new();
        for _ in MINER_IPS {
            let key = Keypair::generate();
            let uid = net.register(&key).await;
            miner_keys.push((key, uid));
        }

        let mut miners = Vec::new();
        for ((key, _), ip) in miner_keys.iter().zip(MINER_IPS) {
            // Each serve_axon is an extrinsic, hence a block, hence an epoch on this runtime.
            miners.push(net.miner(key.clone(), ip, true).await);
        }
        let validator = net.validator(v.clone()).await;
        let handle = validator.metagraph().expect("follows the chain").clone();
        // The epochs of the blocks above gave every neuron a permit. After the last block,
        // give the validator its stake and keep the permit to it alone.
        net.set_stake(&v, VALIDATOR_STAKE).await;
        let count = net.set_permits(|uid| uid == v_uid).await;

        until(
            "the monitor shows the stake and permits written",
            async || {
                handle.current().is_some_and(|g| {
                    g.by_hotkey(&v.hotkey())
                        .is_some_and(|n| n.stake_rao == VALIDATOR_STAKE)
                        && g.neurons()
                            .iter()
                            .map(|n| n.validator_permit)
                            .collect::<Vec<_>>()
                            == permits(count, |uid| uid == v_uid)
                })
            },
        )
        .await;
        let graph = snapshot(&handle);
        assert!(
            matches!(handle.status(), SyncStatus::Synced { block, .. } if block == graph.block()),
            "{:?}",
            handle.status()
        );
        let bob = dev("//Bob").hotkey();
        let validator_neuron = graph.by_hotkey(&v.hotkey()).expect("validator registered");
        assert_eq!(validator_neuron.uid, v_uid);
        assert_eq!(validator_neuron.coldkey, bob);
        assert_eq!(validator_neuron.stake, 1_000.0);
        assert!(validator_neuron.validator_permit, "{validator_neuron:?}");
        assert_eq!(validator_neuron.axon, None, "the validator never served");
        for ((key, uid), miner) in miner_keys.iter().zip(&miners) {
            let neuron = graph.by_hotkey(&key.hotkey()).expect("miner registered");
            assert_eq!(neuron.uid, *uid);
            assert_eq!(neuron.coldkey, bob);
            assert!(!neuron.validator_permit, "{neuron:?}");
            let axon = neuron.axon.expect("the miner served its axon");
            assert!(axon.is_axonite(), "{axon:?}");
            assert_eq!(axon.socket_addr(), miner.local_addr());
            assert_eq!(axon.ip, miner.local_addr().ip());
            assert_eq!(axon.port, miner.local_addr().port());
            assert!(axon.block > 0 && axon.block <= graph.block(), "{axon:?}");
        }
        eprintln!(
            "block {}: {} neurons, validator uid {v_uid}, miners {:?}",
            graph.block(),
            graph.len(),
            miner_keys.iter().map(|(_, uid)| uid).collect::<Vec<_>>()
        );

        // The validator found the miners on chain alone, and its pool dials them.
        let expected = sorted(miners.iter().map(Miner::peer).collect());
        assert_eq!(sorted(validator.miners()), expected);
        until("the pool connected all three miners", async || {
            validator.connection_count() == 3
        })
        .await;
        let results = validator
            .query_many(&validator.miners(), &ping(), Duration::from_secs(5))
            .await;
        for r in &results {
            let reply = r.response().unwrap_or_else(|| panic!("{r:?}"));
            assert_eq!(reply.payload, b"ping");
            assert_eq!(reply.caller, v.hotkey().to_ss58());
        }
        assert_eq!(results.len(), 3);

        shutdown(vec![validator], miners).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn miner_refuses_unregistered_and_unpermitted_validators() {
    bounded(TEST_SECS, async {
        let net = Net::start().await;
        let (permitted, unpermitted, miner_key) = (
            Keypair::generate(),
            Keypair::generate(),
            Keypair::generate(),
        );
        let permitted_uid = net.register(&permitted).await;
        let unpermitted_uid = net.register(&unpermitted).await;
        net.register(&miner_key).await;
        net.set_stake(&permitted, VALIDATOR_STAKE).await;
        // Every neuron got a permit from the epoch of its first block (an epoch runs every
        // block here, and `MaxAllowedValidators` does not take them away); take one away
        // after the last extrinsic of the test, so no epoch overwrites it.
        net.set_permits(|uid| uid != unpermitted_uid).await;

        let miner = net.miner(miner_key, MINER_IPS[0], false).await;
        let gate = miner.metagraph().expect("follows the chain").clone();
        until("the miner sees who holds a permit", async || {
            gate.current().is_some_and(|g| {
                g.by_uid(permitted_uid).is_some_and(|n| n.validator_permit)
                    && g.by_uid(unpermitted_uid)
                        .is_some_and(|n| !n.validator_permit)
            })
        })
        .await;

        let stranger = plain_validator(Keypair::generate()).await;
        let refused = stranger
            .query_with_timeout(&miner.peer(), &ping(), Duration::from_secs(5))
            .await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{refused:?}");
        assert!(
            matches!(&refused.outcome, Err(QueryError::Handshake(f))
                if f.to_string().contains("not a registered validator")),
            "{:?}",
            refused.outcome
        );

        let no_permit = plain_validator(unpermitted).await;
        let refused = no_permit
            .query_with_timeout(&miner.peer(), &ping(), Duration::from_secs(5))
            .await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{refused:?}");
        assert!(
            matches!(&refused.outcome, Err(QueryError::Handshake(f))
                if f.to_string().contains("no validator permit")),
            "{:?}",
            refused.outcome
        );

        let allowed = plain_validator(permitted.clone()).await;
        let answer = allowed
            .query_with_timeout(&miner.peer(), &ping(), Duration::from_secs(5))
            .await;
        let reply = answer.response().unwrap_or_else(|| panic!("{answer:?}"));
        assert_eq!(reply.caller, permitted.hotkey().to_ss58());
        let stats = miner.stats();
        assert_eq!(stats.handshakes_ok, 1, "{stats:?}");

        shutdown(vec![stranger, no_permit, allowed], vec![miner]).await;
    })
    .await;
}

fn fast_weights() -> WeightsConfig {
    let mut config = WeightsConfig::new(NETUID);
    config.check_interval = Duration::from_millis(200);
    config.retry = Backoff::default()
        .with_initial(Duration::from_millis(200))
        .with_max(Duration::from_secs(2));
    config
}

/// A validator following the chain that sets weights through it.
async fn weight_setting_validator(net: &Net, keypair: Keypair) -> Validator {
    Validator::builder(keypair.clone())
        .netuid(NETUID)
        .bind(loopback())
        .metagraph(net.source.clone(), follow(VALIDATOR_SYNC))
        .weights(
            ChainWeights::new(net.source.clone(), keypair),
            fast_weights(),
        )
        .start()
        .await
        .expect("validator starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weights_set_by_the_validator_land_and_read_back() {
    bounded(TEST_SECS, async {
        let net = Net::start().await;
        // Registration counts as a weight update: with the genesis limit (100 blocks) the
        // first set_weights would wait 100 blocks.
        net.sudo("sudo_set_weights_set_rate_limit", &[NETUID.into(), 0])
            .await;
        let v = Keypair::generate();
        let v_uid = net.register(&v).await;
        let (m1, m2) = (Keypair::generate(), Keypair::generate());
        let m1_uid = net.register(&m1).await;
        // By now an epoch gave the validator a permit (needed to weight other uids).
        let m2_uid = net.register(&m2).await;

        let validator = weight_setting_validator(&net, v.clone()).await;
        validator.set_scores(vec![(m1_uid, 1.0), (m2_uid, 0.5), (v_uid, 0.25)]);
        let report = report_until(&validator, "set_weights landed", |r| r.last_set.is_some()).await;
        let landed = report.last_set.expect("landed");
        assert_eq!(report.last_error, None);

        // What the setter sent: sorted uids, the best score at u16::MAX.
        let mut expected = vec![(m1_uid, u16::MAX), (m2_uid, 32_768), (v_uid, 16_384)];
        expected.sort();
        let sent: Vec<(u16, u16)> = landed
            .uids
            .iter()
            .copied()
            .zip(landed.weights.iter().copied())
            .collect();
        assert_eq!(sent, expected);
        let at = net.client.at_finalized().await.expect("view");
        assert!(at.block_number() >= landed.block);
        let stored = at.weights(NETUID, v_uid).await.expect("read Weights");
        assert_eq!(
            stored,
            expected,
            "Weights(1, {v_uid}) at #{}",
            at.block_number()
        );
        let me = net
            .client
            .metagraph(NETUID)
            .await
            .expect("metagraph")
            .by_uid(v_uid)
            .cloned()
            .expect("validator");
        assert_eq!(me.last_update, landed.block);

        shutdown(vec![validator], vec![]).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_reveal_weights_land() {
    bounded(TEST_SECS, async {
        let net = Net::start().await;
        net.sudo("sudo_set_weights_set_rate_limit", &[NETUID.into(), 0])
            .await;
        ok(
            net.client
                .sudo_set_commit_reveal_weights_enabled(&dev("//Alice"), NETUID, true)
                .await,
            "enable commit-reveal",
        );
        // Epochs of 10 blocks: the reveal window (the epoch after the commit's) comes soon.
        ok(
            net.client.sudo_set_tempo(&dev("//Alice"), NETUID, 9).await,
            "tempo 9",
        );
        let v = Keypair::generate();
        let v_uid = net.register(&v).await;
        let m = Keypair::generate();
        let m_uid = net.register(&m).await;
        let hp = net
            .client
            .hyperparameters(NETUID)
            .await
            .expect("hyperparameters");
        assert!(hp.commit_reveal_weights_enabled);
        assert_eq!(hp.tempo, 9);

        let validator = weight_setting_validator(&net, v.clone()).await;
        validator.set_scores(vec![(m_uid, 3.0)]);
        let report =
            report_until(&validator, "the commit landed", |r| r.last_commit.is_some()).await;
        let commit = report.last_commit.expect("committed");
        assert_eq!(
            report.last_set, None,
            "commit-reveal subnets get no set_weights"
        );
        let at = net.client.at_finalized().await.expect("view");
        let pending = at
            .weight_commit_hashes(NETUID, &v.hotkey())
            .await
            .expect("read WeightCommits");
        assert_eq!(pending.len(), 1, "{pending:?}");
        assert_eq!(at.weights(NETUID, v_uid).await.expect("Weights"), []);

        // Chopsticks builds blocks only for extrinsics: build empty ones up to the reveal
        // window, so the monitor (and through it the weight setter) sees the height move.
        let window = hp
            .reveal_window(NETUID, commit.block)
            .expect("the runtime has a reveal period");
        let now = net.client.block_number().await.expect("block number");
        eprintln!(
            "commit at #{}, now #{now}, reveal window {window:?}",
            commit.block
        );
        let empty = u32::try_from(window.start.saturating_sub(now)).expect("a few blocks");
        net.client
            .dev_new_blocks(empty)
            .await
            .expect("dev_newBlock");

        let report =
            report_until(&validator, "the reveal landed", |r| r.last_reveal.is_some()).await;
        let reveal = report.last_reveal.expect("revealed");
        assert!(
            window.contains(&reveal.block),
            "{reveal:?} outside {window:?}"
        );
        assert_eq!(reveal.uids, commit.uids);
        assert_eq!(reveal.weights, commit.weights);
        assert_eq!(reveal.uids, [m_uid]);
        assert_eq!(reveal.weights, [u16::MAX]);
        let at = net.client.at_finalized().await.expect("view");
        assert_eq!(
            at.weights(NETUID, v_uid).await.expect("Weights"),
            [(m_uid, u16::MAX)]
        );
        assert_eq!(
            at.weight_commit_hashes(NETUID, &v.hotkey())
                .await
                .expect("WeightCommits"),
            Vec::<[u8; 32]>::new()
        );

        shutdown(vec![validator], vec![]).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validator_pool_follows_a_miner_re_served_on_a_new_port_and_drops_a_deregistered_one() {
    bounded(TEST_SECS, async {
        let net = Net::start().await;
        net.sudo("sudo_set_serving_rate_limit", &[NETUID.into(), 0])
            .await;
        // `leaving` registers first: with equal pruning scores (0: no emission yet), a full
        // subnet replaces the neuron registered earliest.
        let (leaving, v, moving) = (
            Keypair::generate(),
            Keypair::generate(),
            Keypair::generate(),
        );
        let leaving_uid = net.register(&leaving).await;
        net.register(&v).await;
        // Fill the subnet with the next registration: MaxAllowedUids must stay above the
        // current count when set.
        let n = net.client.metagraph(NETUID).await.expect("metagraph").len();
        net.sudo(
            "sudo_set_max_allowed_uids",
            &[NETUID.into(), u128::try_from(n).expect("small") + 1],
        )
        .await;
        net.register(&moving).await;

        let first = net.miner(moving.clone(), MINER_IPS[0], true).await;
        let leaving_miner = net.miner(leaving.clone(), MINER_IPS[1], true).await;
        let validator = net.validator(v.clone()).await;
        until("the pool connected both miners", async || {
            validator.connection_count() == 2
        })
        .await;
        assert_eq!(
            sorted(validator.miners()),
            sorted(vec![first.peer(), leaving_miner.peer()])
        );

        // The miner moves: a new process with the same hotkey on another port serves again.
        let moved = net.miner(moving.clone(), MINER_IPS[0], true).await;
        assert_ne!(moved.local_addr(), first.local_addr());
        until("the pool reconnected at the new address", async || {
            validator.miners().contains(&moved.peer())
                && moved.stats().handshakes_ok >= 1
                && validator.connection_count() == 2
        })
        .await;
        let answer = validator
            .query_with_timeout(&moved.peer(), &ping(), Duration::from_secs(5))
            .await;
        assert_eq!(answer.status(), StatusCode::OK, "{answer:?}");
        first.shutdown(Duration::from_secs(1)).await;

        // One more registration into the full subnet replaces `leaving`.
        let graph = net.client.metagraph(NETUID).await.expect("metagraph");
        assert_eq!(
            graph.hyperparameters().max_allowed_uids,
            u16::try_from(graph.len()).ok(),
            "the subnet is full"
        );
        let newcomer = Keypair::generate();
        let newcomer_uid = net.register(&newcomer).await;
        assert_eq!(
            newcomer_uid, leaving_uid,
            "the earliest registered is replaced"
        );
        until("the pool dropped the deregistered miner", async || {
            validator
                .metagraph()
                .and_then(MetagraphHandle::current)
                .is_some_and(|g| !g.contains(&leaving.hotkey()))
                && validator.connection_count() == 1
        })
        .await;
        assert_eq!(validator.miners(), vec![moved.peer()]);

        shutdown(vec![validator], vec![leaving_miner, moved]).await;
    })
    .await;
}

fn is_stale(handle: &MetagraphHandle) -> bool {
    matches!(handle.status(), SyncStatus::Stale { .. })
}

fn is_synced(handle: &MetagraphHandle) -> bool {
    matches!(handle.status(), SyncStatus::Synced { .. })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_outage_keeps_miners_and_validators_serving_and_the_monitor_resumes() {
    bounded(TEST_SECS, async {
        let mut net = Net::start().await;
        let v = Keypair::generate();
        let (m1, m2) = (Keypair::generate(), Keypair::generate());
        for key in [&v, &m1, &m2] {
            net.register(key).await;
        }
        let miners = vec![
            net.miner(m1.clone(), MINER_IPS[0], true).await,
            net.miner(m2.clone(), MINER_IPS[1], true).await,
        ];
        let validator = net.validator(v.clone()).await;
        until("the pool connected both miners", async || {
            validator.connection_count() == 2
        })
        .await;
        let peers = sorted(validator.miners());
        let all_ok = async |validator: &Validator| {
            let results = validator
                .query_many(&peers, &ping(), Duration::from_secs(5))
                .await;
            assert!(
                results.iter().all(|r| r.status() == StatusCode::OK),
                "{results:?}"
            );
        };
        all_ok(&validator).await;
        let mut handles = vec![validator.metagraph().expect("follows").clone()];
        handles.extend(
            miners
                .iter()
                .map(|m| m.metagraph().expect("follows").clone()),
        );
        let before: Vec<u64> = handles.iter().map(|h| snapshot(h).block()).collect();

        // The chain goes away: every monitor reports it and keeps its last snapshot.
        net.chain.stop_process();
        until("every monitor reports the outage", async || {
            handles.iter().all(is_stale)
        })
        .await;
        for (h, block) in handles.iter().zip(&before) {
            let graph = snapshot(h);
            assert!(graph.block() >= *block);
            assert!(graph.contains(&v.hotkey()) && graph.contains(&m1.hotkey()));
            match h.status() {
                SyncStatus::Stale {
                    block: Some(b),
                    failures,
                    ..
                } => assert!(b == graph.block() && failures >= 1),
                other => panic!("{other:?}"),
            }
        }
        // Open connections keep working, and so do new handshakes: a second validator
        // process with the same (registered, permitted) hotkey is admitted by the miners'
        // gates from their last snapshot; a stranger is still refused.
        all_ok(&validator).await;
        assert_eq!(sorted(validator.miners()), peers);
        let restarted_validator = plain_validator(v.clone()).await;
        all_ok(&restarted_validator).await;
        let stranger = plain_validator(Keypair::generate()).await;
        let refused = stranger
            .query_with_timeout(&peers[0], &ping(), Duration::from_secs(5))
            .await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{refused:?}");

        // The chain comes back. Chopsticks restarts from genesis, so the monitors resume
        // with a fresh chain's snapshot: a lower block, and none of our neurons. Following
        // it, the pool drops its connections and the miners' gates stop admitting the
        // validator, until the neurons register and serve again.
        net.chain
            .restart_process()
            .await
            .unwrap_or_else(|e| panic!("restart: {e}"));
        until("every monitor is synced again", async || {
            handles
                .iter()
                .all(|h| is_synced(h) && h.current().is_some_and(|g| !g.contains(&v.hotkey())))
        })
        .await;
        for (h, block) in handles.iter().zip(&before) {
            assert!(snapshot(h).block() < *block, "a fresh chain is behind");
        }
        until("the pool followed the fresh chain", async || {
            validator.connection_count() == 0
        })
        .await;
        assert_eq!(validator.miners(), vec![]);

        // Register and serve again (same keys, same addresses): everything resumes.
        net.reconnect().await;
        net.open_registration().await;
        for key in [&v, &m1, &m2] {
            net.register(key).await;
        }
        for (key, miner) in [&m1, &m2].into_iter().zip(&miners) {
            let addr = miner.local_addr();
            ok(
                net.client
                    .serve_axon(key, NETUID, &AxonInfo::axonite(addr.ip(), addr.port()))
                    .await,
                "serve_axon again",
            );
        }
        until("the pool reconnected both miners", async || {
            validator.connection_count() == 2
        })
        .await;
        assert_eq!(sorted(validator.miners()), peers);
        all_ok(&validator).await;

        shutdown(vec![validator, restarted_validator, stranger], miners).await;
    })
    .await;
}
