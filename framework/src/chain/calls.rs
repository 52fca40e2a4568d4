//! The extrinsics this client submits, as dynamic payloads with named arguments.
//!
//! Arguments are passed by name, so a runtime that renames or retypes one fails to encode
//! the call with a clear error instead of sending something else.

use subxt::dynamic::Value;
use subxt::ext::scale_value::Composite;
use subxt::tx::DynamicPayload;

use super::schema::{ADMIN_UTILS, SUBTENSOR, SUDO};
use crate::identity::Hotkey;
use crate::metagraph::{AxonInfo, ip_to_chain};

/// A dynamic call: pallet, call name and named arguments.
pub(crate) type Call = DynamicPayload<Composite<()>>;

fn uint(n: impl Into<u128>) -> Value {
    Value::u128(n.into())
}

fn u16s(items: &[u16]) -> Value {
    Value::unnamed_composite(items.iter().map(|&n| uint(n)))
}

fn call(pallet: &str, name: &str, args: Vec<(&str, Value)>) -> Call {
    subxt::dynamic::tx(
        pallet,
        name,
        Composite::named(args.into_iter().map(|(k, v)| (k.to_owned(), v))),
    )
}

/// `SubtensorModule::serve_axon`; the axon's `block` is ignored (the chain sets it).
pub(crate) fn serve_axon(netuid: u16, axon: &AxonInfo) -> Call {
    let (ip, ip_type) = ip_to_chain(axon.ip);
    call(
        SUBTENSOR,
        "serve_axon",
        vec![
            ("netuid", uint(netuid)),
            ("version", uint(axon.version)),
            ("ip", uint(ip)),
            ("port", uint(axon.port)),
            ("ip_type", uint(ip_type)),
            ("protocol", uint(axon.protocol)),
            ("placeholder1", uint(axon.placeholder1)),
            ("placeholder2", uint(axon.placeholder2)),
        ],
    )
}

/// `SubtensorModule::set_weights`.
pub(crate) fn set_weights(netuid: u16, uids: &[u16], weights: &[u16], version_key: u64) -> Call {
    call(
        SUBTENSOR,
        "set_weights",
        vec![
            ("netuid", uint(netuid)),
            ("dests", u16s(uids)),
            ("weights", u16s(weights)),
            ("version_key", uint(version_key)),
        ],
    )
}

/// `SubtensorModule::commit_weights`.
pub(crate) fn commit_weights(netuid: u16, hash: [u8; 32]) -> Call {
    call(
        SUBTENSOR,
        "commit_weights",
        vec![
            ("netuid", uint(netuid)),
            ("commit_hash", Value::from_bytes(hash)),
        ],
    )
}

/// `SubtensorModule::reveal_weights`.
pub(crate) fn reveal_weights(
    netuid: u16,
    uids: &[u16],
    values: &[u16],
    salt: &[u16],
    version_key: u64,
) -> Call {
    call(
        SUBTENSOR,
        "reveal_weights",
        vec![
            ("netuid", uint(netuid)),
            ("uids", u16s(uids)),
            ("values", u16s(values)),
            ("salt", u16s(salt)),
            ("version_key", uint(version_key)),
        ],
    )
}

/// `SubtensorModule::burned_register`.
pub(crate) fn burned_register(netuid: u16, hotkey: &Hotkey) -> Call {
    call(
        SUBTENSOR,
        "burned_register",
        vec![
            ("netuid", uint(netuid)),
            ("hotkey", Value::from_bytes(hotkey.as_bytes())),
        ],
    )
}

/// `SubtensorModule::add_stake`.
pub(crate) fn add_stake(netuid: u16, hotkey: &Hotkey, amount_rao: u64) -> Call {
    call(
        SUBTENSOR,
        "add_stake",
        vec![
            ("hotkey", Value::from_bytes(hotkey.as_bytes())),
            ("netuid", uint(netuid)),
            ("amount_staked", uint(amount_rao)),
        ],
    )
}

/// `AdminUtils::<name>` with named arguments.
pub(crate) fn admin_utils(name: &str, args: Vec<(&str, Value)>) -> Call {
    call(ADMIN_UTILS, name, args)
}

/// `AdminUtils::<name>` with positional arguments.
pub(crate) fn admin_utils_positional(name: &str, args: Vec<Value>) -> Call {
    subxt::dynamic::tx(ADMIN_UTILS, name, Composite::unnamed(args))
}

/// `Sudo::sudo(inner)`: dispatches `inner` with root origin.
pub(crate) fn sudo(inner: Call) -> Call {
    call(SUDO, "sudo", vec![("call", inner.into_value())])
}
