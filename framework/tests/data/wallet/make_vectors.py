"""Writes the wallet test vectors beside this script with the real bittensor SDK.

Pinned: bittensor-wallet==4.1.1 (PyPI). To regenerate:

    python3 -m venv /tmp/btw && /tmp/btw/bin/pip install bittensor-wallet==4.1.1
    /tmp/btw/bin/python framework/tests/data/wallet/make_vectors.py

The encrypted file gets a fresh random nonce on every run, so its bytes change; what the
Rust tests check (address, seed, variable names and values) does not. Encrypting takes a few
seconds: the SDK derives the key with Argon2i over 512 MiB.
"""

import json
import os
import shutil
import tempfile

import bittensor_wallet
from bittensor_wallet import Keyfile, Wallet

HERE = os.path.dirname(os.path.abspath(__file__))

# The Substrate development phrase: public, never holds funds.
MNEMONIC = "bottom drive obey lake curtain smoke basket hold race lonely fit walk"
PASSWORD = "axonite vector password"

# Paths whose BT_PW_ variable name the SDK derives; read with Keyfile.env_var_name().
ENV_NAME_PATHS = [
    "/home/alice/.bittensor/wallets/miner/hotkeys/default",
    "~/.bittensor/wallets/my.wallet/hotkeys/hk-1",
    "wallets/w/hotkeys/h",
    "/tmp/wället/hotkeys/straße",
]

# Wallets (root, name, hotkey) whose hotkey variable the SDK names; read with
# Wallet(...).hotkey_file.env_var_name(), which joins the names to the root first.
WALLET_ENV_NAMES = [
    ("/srv/bt/wallets/", "miner", "default"),
    ("/srv/bt/wallets", "my.wallet", "hk.2"),
    ("relative/wallets", "w", "h"),
]

# Passwords whose BT_PW_ value the SDK writes with Keyfile.save_password_to_env().
ENV_VALUE_PASSWORDS = [PASSWORD, "pässwörd ✓ with spaces ", "x"]
ENV_VALUE_PATH = "/home/alice/.bittensor/wallets/miner/hotkeys/default"


def copy_hotkey(root, wallet, name):
    shutil.copyfile(os.path.join(root, wallet, "hotkeys", "h"), os.path.join(HERE, name))


def main():
    with tempfile.TemporaryDirectory() as root:
        # A NaCl-encrypted sr25519 hotkey, as `btcli wallet regen-hotkey --use-password` writes.
        encrypted = Wallet(name="enc", hotkey="h", path=root)
        encrypted.regenerate_hotkey(
            mnemonic=MNEMONIC,
            use_password=True,
            overwrite=True,
            suppress=True,
            hotkey_password=PASSWORD,
        )
        keypair = encrypted.hotkey_file.get_keypair(password=PASSWORD)
        copy_hotkey(root, "enc", "nacl-hotkey")

        # The same key unencrypted: SDK 4.1 adds a numeric cryptoType field.
        plain = Wallet(name="plain", hotkey="h", path=root)
        plain.regenerate_hotkey(mnemonic=MNEMONIC, overwrite=True, suppress=True)
        copy_hotkey(root, "plain", "plain-hotkey")

        # An ed25519 hotkey (cryptoType 0): a key type Axonite does not sign with.
        ed = Wallet(name="ed", hotkey="h", path=root)
        ed.regenerate_hotkey(mnemonic=MNEMONIC, overwrite=True, suppress=True, crypto_type=0)
        copy_hotkey(root, "ed", "ed25519-hotkey")

    env_values = []
    keyfile = Keyfile(path=ENV_VALUE_PATH)
    for password in ENV_VALUE_PASSWORDS:
        value = keyfile.save_password_to_env(password)
        env_values.append({"password": password, "value": value})
    keyfile.remove_password_from_env()

    vectors = {
        "sdk": "bittensor-wallet " + bittensor_wallet.__version__,
        "mnemonic": MNEMONIC,
        "password": PASSWORD,
        "ss58": keypair.ss58_address,
        "public_key": "0x" + bytes(keypair.public_key).hex(),
        "env_names": [
            {"path": p, "name": Keyfile(path=p).env_var_name()} for p in ENV_NAME_PATHS
        ],
        "wallet_env_names": [
            {
                "root": root,
                "wallet": name,
                "hotkey": hotkey,
                "name": Wallet(name=name, hotkey=hotkey, path=root).hotkey_file.env_var_name(),
            }
            for root, name, hotkey in WALLET_ENV_NAMES
        ],
        "env_value_path": ENV_VALUE_PATH,
        "env_values": env_values,
    }
    with open(os.path.join(HERE, "vectors.json"), "w", encoding="utf-8") as f:
        json.dump(vectors, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
