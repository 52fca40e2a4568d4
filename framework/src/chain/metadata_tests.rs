//! Offline checks of what the client reads and calls, against two real runtimes' metadata:
//! subtensor spec 218 (metadata V15, the local chain) and a recent devnet (metadata V16).
//!
//! The blobs live in `../shared/localnet/` beside the workspace and are read at test time.

use subxt::client::{OfflineClient, OfflineClientAtBlock};
use subxt::config::substrate::SpecVersionForRange;
use subxt::dynamic::Value;
use subxt::ext::scale_decode::DecodeAsType;
use subxt::ext::scale_encode::EncodeAsType;
use subxt::{Metadata, SubstrateConfig};

use super::calls;
use super::decode::{axon_from_value, dispatch_failure, result_error};
use super::schema::{
    ADMIN_UTILS, CALLS, OPTIONAL_STORAGE, REQUIRED_STORAGE, SCORE_STORAGE, SUBTENSOR, SUDO,
    StakeSource, call_args, has_storage,
};
use crate::identity::Keypair;
use crate::metagraph::{AxonInfo, ip_to_chain};

const SPEC_218: &str = "subtensor-spec218.metadata-v15.scale";
const DEVNET: &str = "subtensor-devnet.metadata-v16.scale";
const BLOBS: [&str; 2] = [SPEC_218, DEVNET];

fn load(name: &str) -> Metadata {
    let path = format!(
        "{}/../../shared/localnet/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    Metadata::decode_from(&bytes).unwrap_or_else(|e| panic!("decode {name}: {e}"))
}

fn offline(metadata: Metadata) -> OfflineClientAtBlock<SubstrateConfig> {
    let config = SubstrateConfig::builder()
        .set_metadata_for_spec_versions([(1, metadata.arc())])
        .set_spec_version_for_block_ranges([SpecVersionForRange {
            block_range: 0..u64::MAX,
            spec_version: 1,
            transaction_version: 1,
        }])
        .build();
    OfflineClient::new_with_config(config)
        .at_block(0u64)
        .expect("offline client at block 0")
}

fn has(metadata: &Metadata, entry: &str) -> bool {
    has_storage(metadata, SUBTENSOR, entry)
}

fn value_type(metadata: &Metadata, entry: &str) -> u32 {
    metadata
        .pallet_by_name(SUBTENSOR)
        .and_then(|p| p.storage())
        .and_then(|s| s.entry_by_name(entry))
        .map(|e| e.value_ty())
        .unwrap_or_else(|| panic!("{entry} missing"))
}

#[test]
fn both_blobs_decode_with_the_subtensor_pallet() {
    for blob in BLOBS {
        let metadata = load(blob);
        assert!(metadata.pallet_by_name(SUBTENSOR).is_some(), "{blob}");
        assert!(metadata.pallet_by_name(ADMIN_UTILS).is_some(), "{blob}");
        assert!(metadata.pallet_by_name(SUDO).is_some(), "{blob}");
    }
}

#[test]
fn required_storage_exists_in_both_runtimes() {
    for blob in BLOBS {
        let metadata = load(blob);
        for entry in REQUIRED_STORAGE {
            assert!(has(&metadata, entry), "{blob} lacks {entry}");
        }
    }
}

#[test]
fn optional_storage_differs_between_runtimes_as_expected() {
    let old = load(SPEC_218);
    let new = load(DEVNET);
    // Present in both.
    for entry in SCORE_STORAGE.iter().chain(OPTIONAL_STORAGE) {
        let expected_in_old = !matches!(*entry, "StakeThreshold" | "CommitRevealWeightsVersion");
        let expected_in_new = *entry != "WeightsMinStake";
        assert_eq!(has(&old, entry), expected_in_old, "spec 218: {entry}");
        assert_eq!(has(&new, entry), expected_in_new, "devnet: {entry}");
    }
    // Stake storage: both are dTAO runtimes; the pre-dTAO item is gone from both.
    for metadata in [&old, &new] {
        assert!(has(metadata, "TotalHotkeyAlpha"));
        assert!(!has(metadata, "TotalHotkeyStake"));
        assert_eq!(
            StakeSource::for_metadata(metadata),
            StakeSource::TotalHotkeyAlpha
        );
    }
    // The old per-coldkey `Stake` map exists only in spec 218.
    assert!(has(&old, "Stake"));
    assert!(!has(&new, "Stake"));
}

#[test]
fn calls_exist_with_the_argument_names_we_pass() {
    for blob in BLOBS {
        let metadata = load(blob);
        for (pallet, call, args) in CALLS {
            let actual = call_args(&metadata, pallet, call)
                .unwrap_or_else(|| panic!("{blob} lacks {pallet}::{call}"));
            assert_eq!(actual, *args, "{blob}: {pallet}::{call}");
        }
    }
}

#[test]
fn every_call_we_submit_encodes_against_both_runtimes() {
    let hotkey = Keypair::from_seed(&[7; 32]).hotkey();
    let axon = AxonInfo::axonite("127.0.0.2".parse().expect("ip"), 9000);
    let admin = calls::admin_utils(
        "sudo_set_weights_set_rate_limit",
        vec![
            ("netuid", Value::u128(1)),
            ("weights_set_rate_limit", Value::u128(0)),
        ],
    );
    let all = [
        calls::serve_axon(1, &axon),
        calls::set_weights(1, &[0, 1], &[65535, 10], 0),
        calls::commit_weights(1, [3; 32]),
        calls::reveal_weights(1, &[0, 1], &[65535, 10], &[1, 2, 3], 0),
        calls::burned_register(1, &hotkey),
        calls::add_stake(1, &hotkey, 1_000_000_000),
        calls::sudo(admin),
        calls::sudo(calls::admin_utils(
            "sudo_set_serving_rate_limit",
            vec![
                ("netuid", Value::u128(1)),
                ("serving_rate_limit", Value::u128(0)),
            ],
        )),
        calls::sudo(calls::admin_utils(
            "sudo_set_commit_reveal_weights_enabled",
            vec![("netuid", Value::u128(1)), ("enabled", Value::bool(true))],
        )),
        calls::sudo(calls::admin_utils(
            "sudo_set_tempo",
            vec![("netuid", Value::u128(1)), ("tempo", Value::u128(10))],
        )),
        calls::sudo(calls::admin_utils_positional(
            "sudo_set_min_allowed_weights",
            vec![Value::u128(1), Value::u128(0)],
        )),
    ];
    for blob in BLOBS {
        let at = offline(load(blob));
        for call in &all {
            let bytes = at
                .tx()
                .call_data(call)
                .unwrap_or_else(|e| panic!("{blob}: {}: {e}", call.call_name()));
            let decoded = at
                .tx()
                .from_call_data_bytes(&bytes)
                .unwrap_or_else(|e| panic!("{blob}: decode {}: {e}", call.call_name()));
            assert_eq!(decoded.call_name(), call.call_name(), "{blob}");
        }
    }
}

#[test]
fn serve_axon_encodes_the_address_as_the_pallet_expects() {
    let at = offline(load(SPEC_218));
    let axon = AxonInfo::axonite("127.0.0.2".parse().expect("ip"), 9000);
    let bytes = at
        .tx()
        .call_data(&calls::serve_axon(1, &axon))
        .expect("encodes");
    // pallet index, call index, then the SCALE arguments in order.
    let args = &bytes[2..];
    let mut expected = Vec::new();
    expected.extend(1u16.to_le_bytes());
    expected.extend(axon.version.to_le_bytes());
    expected.extend(0x7f00_0002u128.to_le_bytes());
    expected.extend(9000u16.to_le_bytes());
    expected.extend([4, 4, 0xA7, axon.placeholder2]);
    assert_eq!(args, expected.as_slice());
    assert_eq!(ip_to_chain(axon.ip), (0x7f00_0002, 4));
}

#[test]
fn a_wrongly_named_argument_fails_to_encode() {
    let at = offline(load(DEVNET));
    let bad = calls::admin_utils(
        "sudo_set_tempo",
        vec![("netuid", Value::u128(1)), ("period", Value::u128(10))],
    );
    assert!(at.tx().call_data(&bad).is_err());
}

#[test]
fn storage_defaults_decode_into_the_types_we_read() {
    for blob in BLOBS {
        let at = offline(load(blob));
        let storage = at.storage();
        macro_rules! default_as {
            ($entry:literal, $keys:ty, $value:ty) => {{
                let entry = storage
                    .entry(subxt::dynamic::storage::<$keys, $value>(SUBTENSOR, $entry))
                    .unwrap_or_else(|e| panic!("{blob}: {}: {e}", $entry));
                let default = entry
                    .default_value()
                    .unwrap_or_else(|| panic!("{blob}: {} has no default", $entry));
                default
                    .decode()
                    .unwrap_or_else(|e| panic!("{blob}: {}: {e}", $entry))
            }};
        }
        let _: u16 = default_as!("SubnetworkN", (u16,), u16);
        let _: u16 = default_as!("Tempo", (u16,), u16);
        let _: u64 = default_as!("WeightsSetRateLimit", (u16,), u64);
        let _: u64 = default_as!("ServingRateLimit", (u16,), u64);
        let _: bool = default_as!("CommitRevealWeightsEnabled", (u16,), bool);
        let _: bool = default_as!("NetworksAdded", (u16,), bool);
        let _: Vec<bool> = default_as!("ValidatorPermit", (u16,), Vec<bool>);
        let _: Vec<bool> = default_as!("Active", (u16,), Vec<bool>);
        let _: Vec<u64> = default_as!("LastUpdate", (u16,), Vec<u64>);
        let _: Vec<u64> = default_as!("Emission", (u16,), Vec<u64>);
        let _: Vec<u16> = default_as!("Incentive", (u16,), Vec<u16>);
        let _: Vec<u16> = default_as!("Rank", (u16,), Vec<u16>);
        let _: Vec<(u16, u16)> = default_as!("Weights", (u16, u16), Vec<(u16, u16)>);
        let _: u64 = default_as!("TotalHotkeyAlpha", ([u8; 32], u16), u64);
        let _: u64 = default_as!("RevealPeriodEpochs", (u16,), u64);
        let owner: [u8; 32] = default_as!("Owner", ([u8; 32],), [u8; 32]);
        assert_eq!(owner, [0; 32]);
        let key: [u8; 32] = default_as!("Keys", (u16, u16), [u8; 32]);
        assert_eq!(key, [0; 32]);
    }
}

#[test]
fn storage_keys_encode_for_fetching_and_iterating() {
    for blob in BLOBS {
        let at = offline(load(blob));
        let storage = at.storage();
        let axons = storage
            .entry(subxt::dynamic::storage::<(u16, [u8; 32]), Value>(
                SUBTENSOR, "Axons",
            ))
            .expect("Axons");
        let full = axons.fetch_key((1, [9; 32])).expect("full key");
        let prefix = axons.iter_key((1u16,)).expect("prefix key");
        assert!(full.starts_with(&prefix), "{blob}");
        // Identity-hashed netuid, then blake2_128 + the account.
        assert_eq!(full.len(), 32 + 2 + 16 + 32, "{blob}");
        let keys = storage
            .entry(subxt::dynamic::storage::<(u16, u16), [u8; 32]>(
                SUBTENSOR, "Keys",
            ))
            .expect("Keys");
        assert_eq!(
            keys.fetch_key((1, 5)).expect("key").len(),
            32 + 2 + 2,
            "{blob}"
        );
        let stake = storage
            .entry(subxt::dynamic::storage::<([u8; 32], u16), u64>(
                SUBTENSOR,
                "TotalHotkeyAlpha",
            ))
            .expect("TotalHotkeyAlpha");
        assert!(stake.fetch_key(([1; 32], 1)).is_ok(), "{blob}");
    }
}

#[test]
fn stored_axons_decode_by_field_name() {
    let axon = AxonInfo::axonite("127.0.0.2".parse().expect("ip"), 9000);
    // SCALE of AxonInfo { block: u64, version: u32, ip: u128, port: u16, ip_type: u8,
    // protocol: u8, placeholder1: u8, placeholder2: u8 }.
    let mut bytes = Vec::new();
    bytes.extend(77u64.to_le_bytes());
    bytes.extend(axon.version.to_le_bytes());
    bytes.extend(0x7f00_0002u128.to_le_bytes());
    bytes.extend(9000u16.to_le_bytes());
    bytes.extend([4, axon.protocol, axon.placeholder1, axon.placeholder2]);
    for blob in BLOBS {
        let metadata = load(blob);
        let ty = value_type(&metadata, "Axons");
        let cursor = &mut &bytes[..];
        let value = Value::decode_as_type(cursor, ty, metadata.types()).expect("decodes");
        assert!(cursor.is_empty(), "{blob}: whole value consumed");
        let decoded = axon_from_value(&value)
            .expect("an axon")
            .expect("a usable address");
        assert_eq!(decoded, AxonInfo { block: 77, ..axon }, "{blob}");
        assert!(decoded.is_axonite());
    }
}

/// Encodes `value` as the runtime's `DispatchError` and decodes it back, so the shape is
/// checked against the real type.
fn round_trip(metadata: &Metadata, ty: u32, value: &Value) -> Value {
    let bytes = value
        .encode_as_type(ty, metadata.types())
        .unwrap_or_else(|e| panic!("encode {value}: {e}"));
    Value::decode_as_type(&mut &bytes[..], ty, metadata.types()).expect("decode")
}

fn module_error(metadata: &Metadata, pallet: &str, error: &str) -> Value {
    let pallet = metadata.pallet_by_name(pallet).expect("pallet");
    let index = pallet
        .error_variants()
        .and_then(|vs| vs.iter().find(|v| v.name == error))
        .map(|v| v.index)
        .unwrap_or_else(|| panic!("no error {error}"));
    Value::unnamed_variant(
        "Module",
        [Value::named_composite([
            ("index", Value::u128(pallet.error_index().into())),
            ("error", Value::from_bytes([index, 0, 0, 0])),
        ])],
    )
}

#[test]
fn dispatch_errors_are_named_by_pallet_and_error() {
    for blob in BLOBS {
        let metadata = load(blob);
        let ty = metadata.dispatch_error_ty().expect("DispatchError type");
        let cases = [
            (
                module_error(&metadata, SUBTENSOR, "SettingWeightsTooFast"),
                "SubtensorModule::SettingWeightsTooFast",
            ),
            (
                module_error(&metadata, SUBTENSOR, "ServingRateLimitExceeded"),
                "SubtensorModule::ServingRateLimitExceeded",
            ),
            (
                Value::unnamed_variant("BadOrigin", []),
                "DispatchError::BadOrigin",
            ),
            (
                Value::unnamed_variant("Token", [Value::unnamed_variant("FundsUnavailable", [])]),
                "Token::FundsUnavailable",
            ),
        ];
        for (value, expected) in cases {
            let decoded = round_trip(&metadata, ty, &value);
            assert_eq!(
                dispatch_failure(&metadata, &decoded).to_string(),
                expected,
                "{blob}"
            );
        }
    }
}

#[test]
fn sudo_results_carry_the_inner_error() {
    for blob in BLOBS {
        let metadata = load(blob);
        let sudid = metadata
            .pallet_by_name(SUDO)
            .and_then(|p| p.event_variants())
            .and_then(|vs| vs.iter().find(|v| v.name == "Sudid"))
            .expect("Sudo::Sudid");
        let field = sudid.fields.first().expect("one field");
        assert_eq!(field.name.as_deref(), Some("sudo_result"), "{blob}");
        let ty = field.ty.id;

        let failed = Value::unnamed_variant(
            "Err",
            [module_error(&metadata, "AdminUtils", "SubnetDoesNotExist")],
        );
        let decoded = round_trip(&metadata, ty, &failed);
        let error = result_error(&decoded).expect("an error");
        assert_eq!(
            dispatch_failure(&metadata, error).to_string(),
            "AdminUtils::SubnetDoesNotExist",
            "{blob}"
        );
        let ok = round_trip(
            &metadata,
            ty,
            &Value::unnamed_variant("Ok", [Value::unnamed_composite([])]),
        );
        assert!(result_error(&ok).is_none(), "{blob}");
    }
}
