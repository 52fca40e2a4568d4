//! Passwords of encrypted keyfiles: given by the caller, read from the SDK's `BT_PW_*`
//! environment variable, or typed at a terminal.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::{self, IsTerminal};
use std::path::{MAIN_SEPARATOR, Path};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use zeroize::{Zeroize, Zeroizing};

use super::wallet::WalletError;

/// A keyfile password, wiped from memory when dropped.
///
/// `Debug` prints `Password(..)`, never the password.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

// === impl Password ===

impl Password {
    /// Wraps `password`; it is used byte for byte (UTF-8), as the SDK does.
    pub fn new(password: impl Into<String>) -> Self {
        Self(Zeroizing::new(password.into()))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// Where the password of an encrypted (`$NACL`) keyfile comes from. Unencrypted files never
/// ask for one.
#[derive(Debug, Clone, Default)]
pub enum PasswordSource {
    /// The SDK's environment variable for the file ([`password_env_var`]) if it is set, else a
    /// prompt if standard input is a terminal, else [`WalletError::PasswordRequired`]. What
    /// [`load_hotkey_file`](super::load_hotkey_file) uses.
    #[default]
    EnvThenPrompt,
    /// Only the environment variable: never prompts, so it suits services started by a
    /// supervisor even when they have a terminal.
    Env,
    /// Only a prompt on the terminal (no echo); [`WalletError::PasswordRequired`] if standard
    /// input is not a terminal.
    Prompt,
    /// This password.
    Given(Password),
}

/// The environment variable that holds the password of the keyfile at `path`, as the SDK
/// names it: `BT_PW_` and the path as written, with path separators and dots replaced by `_`
/// and upper-cased. `/home/a/.bittensor/wallets/w/hotkeys/h` gives
/// `BT_PW__HOME_A__BITTENSOR_WALLETS_W_HOTKEYS_H`.
///
/// The name follows the path's spelling, not the file: pass the path the SDK would see, i.e.
/// [`WalletLocation::hotkey_file`](super::WalletLocation::hotkey_file) (with `~` expanded).
/// Its value is not the bare password but what the SDK's `Keyfile.save_password_to_env`
/// stores; [`password_env_value`] computes it.
pub fn password_env_var(path: &Path) -> String {
    let spelled = path.to_string_lossy().replace([MAIN_SEPARATOR, '.'], "_");
    format!("BT_PW_{}", spelled.to_uppercase())
}

/// The value that makes variable `env_var` hold `password`, as the SDK's
/// `Keyfile.save_password_to_env` writes it: the password XORed with the variable's name,
/// in base64. This hides the password from a casual look, nothing more: treat the value as
/// the password itself.
///
/// ```
/// use std::path::Path;
/// use axonite::identity::{Password, password_env_value, password_env_var};
///
/// let var = password_env_var(Path::new("/home/a/.bittensor/wallets/w/hotkeys/h"));
/// let value = password_env_value(&var, &Password::new("hunter2"));
/// println!("export {var}={}", &*value);
/// ```
pub fn password_env_value(env_var: &str, password: &Password) -> Zeroizing<String> {
    let mut bytes = Zeroizing::new(password.as_bytes().to_vec());
    xor_with_name(&mut bytes, env_var);
    Zeroizing::new(BASE64.encode(&*bytes))
}

/// The SDK's (symmetric) obfuscation of the variable's value.
fn xor_with_name(bytes: &mut [u8], env_var: &str) {
    for (byte, key) in bytes.iter_mut().zip(env_var.as_bytes().iter().cycle()) {
        *byte ^= key;
    }
}

/// Reads back what [`password_env_value`] writes; the error says what is wrong, never the
/// value.
fn decode_env_value(env_var: &str, value: &OsStr) -> Result<Password, &'static str> {
    let value = value.to_str().ok_or("its value is not valid Unicode")?;
    // Sized up front so that the buffer holding the password is never reallocated.
    let mut bytes = Zeroizing::new(Vec::with_capacity(value.len()));
    BASE64
        .decode_vec(value, &mut bytes)
        .map_err(|_| "its value is not base64 as the SDK's save_password_to_env writes it")?;
    xor_with_name(&mut bytes, env_var);
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => Ok(Password::new(text)),
        Err(e) => {
            e.into_bytes().zeroize();
            Err("its value does not decode to a UTF-8 password")
        }
    }
}

/// Looks up an environment variable.
type VarLookup<'a> = Box<dyn Fn(&str) -> Option<OsString> + 'a>;

/// Shows a prompt and reads a line without echo.
type PromptFn<'a> = Box<dyn Fn(&str) -> io::Result<String> + 'a>;

/// What the password sources read: the process environment and terminal, or stand-ins in
/// tests.
pub(crate) struct Host<'a> {
    /// Looks up an environment variable.
    pub(crate) var: VarLookup<'a>,
    /// Whether standard input is a terminal, so that a prompt can be answered.
    pub(crate) interactive: bool,
    /// Shows the prompt and reads a line without echo.
    pub(crate) prompt: PromptFn<'a>,
}

impl Host<'static> {
    /// The real environment, `stdin` and terminal.
    pub(crate) fn system() -> Self {
        Host {
            var: Box::new(|name| std::env::var_os(name)),
            interactive: io::stdin().is_terminal(),
            prompt: Box::new(|text| rpassword::prompt_password(text)),
        }
    }
}

/// Gets the password of the encrypted keyfile at `path` from `source`.
pub(crate) fn resolve(
    source: &PasswordSource,
    path: &Path,
    host: &Host<'_>,
) -> Result<Password, WalletError> {
    let (use_env, use_prompt) = match source {
        PasswordSource::Given(password) => return Ok(password.clone()),
        PasswordSource::EnvThenPrompt => (true, true),
        PasswordSource::Env => (true, false),
        PasswordSource::Prompt => (false, true),
    };
    let env_var = password_env_var(path);
    if use_env && let Some(value) = (host.var)(&env_var) {
        // A variable that is set but unusable is an error, not a reason to prompt: the
        // operator meant it to be used.
        return decode_env_value(&env_var, &value).map_err(|reason| {
            WalletError::InvalidPasswordVariable {
                path: path.to_path_buf(),
                env_var,
                reason,
            }
        });
    }
    if use_prompt && host.interactive {
        let typed = Zeroizing::new(
            (host.prompt)(&format!("Password for {}: ", path.display())).map_err(|e| {
                WalletError::PasswordPrompt {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                }
            })?,
        );
        // The SDK trims what is typed at its prompt, also when it encrypts.
        return Ok(Password::new(typed.trim()));
    }
    Err(WalletError::PasswordRequired {
        path: path.to_path_buf(),
        env_var,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::path::PathBuf;

    const PATH: &str = "/home/alice/.bittensor/wallets/miner/hotkeys/default";
    const VAR: &str = "BT_PW__HOME_ALICE__BITTENSOR_WALLETS_MINER_HOTKEYS_DEFAULT";

    fn host<'a>(
        var: impl Fn(&str) -> Option<OsString> + 'a,
        interactive: bool,
        prompt: impl Fn(&str) -> io::Result<String> + 'a,
    ) -> Host<'a> {
        Host {
            var: Box::new(var),
            interactive,
            prompt: Box::new(prompt),
        }
    }

    fn no_prompt(_: &str) -> io::Result<String> {
        panic!("must not prompt")
    }

    fn shown(password: &Password) -> &str {
        std::str::from_utf8(password.as_bytes()).expect("utf-8")
    }

    #[test]
    fn env_var_name_follows_the_sdk_rule() {
        assert_eq!(password_env_var(Path::new(PATH)), VAR);
        assert_eq!(
            password_env_var(Path::new("~/wallets/my.w/hotkeys/hk-1")),
            "BT_PW_~_WALLETS_MY_W_HOTKEYS_HK-1"
        );
    }

    #[test]
    fn env_value_round_trips_and_is_not_the_password() {
        for text in ["", "x", "pässwörd ✓", &"long".repeat(40)] {
            let value = password_env_value(VAR, &Password::new(text));
            if !text.is_empty() {
                assert!(!value.contains(text));
            }
            let back = decode_env_value(VAR, OsStr::new(&*value)).expect("decodes");
            assert_eq!(shown(&back), text);
        }
    }

    #[test]
    fn bad_env_values_are_refused_with_a_reason() {
        assert!(decode_env_value(VAR, OsStr::new("not base64!")).is_err());
        // XORed with the name, 0xff bytes are not UTF-8.
        let value = BASE64.encode([0xff ^ b'B', 0xff ^ b'T']);
        assert!(decode_env_value(VAR, OsStr::new(&value)).is_err());
    }

    #[test]
    fn given_password_is_used_without_looking_elsewhere() {
        let var = |_: &str| -> Option<OsString> { panic!("must not read the environment") };
        let got = resolve(
            &PasswordSource::Given(Password::new("pw")),
            Path::new(PATH),
            &host(var, true, no_prompt),
        )
        .expect("given");
        assert_eq!(shown(&got), "pw");
    }

    #[test]
    fn env_variable_comes_before_the_prompt() {
        let value = password_env_value(VAR, &Password::new("from env"));
        let var = |name: &str| (name == VAR).then(|| OsString::from(&*value));
        let got = resolve(
            &PasswordSource::EnvThenPrompt,
            Path::new(PATH),
            &host(var, true, no_prompt),
        )
        .expect("env");
        assert_eq!(shown(&got), "from env");
    }

    #[test]
    fn prompt_is_used_on_a_terminal_and_trimmed_like_the_sdk() {
        let none = |_: &str| None;
        let asked = Cell::new(0);
        let prompt = |text: &str| {
            asked.set(asked.get() + 1);
            assert!(text.contains(PATH));
            Ok("  typed pw \n".to_owned())
        };
        for source in [PasswordSource::EnvThenPrompt, PasswordSource::Prompt] {
            let got =
                resolve(&source, Path::new(PATH), &host(none, true, prompt)).expect("prompted");
            assert_eq!(shown(&got), "typed pw");
        }
        assert_eq!(asked.get(), 2);
        let err = resolve(
            &PasswordSource::Env,
            Path::new(PATH),
            &host(none, true, prompt),
        )
        .expect_err("env only");
        assert!(matches!(err, WalletError::PasswordRequired { .. }));
        assert_eq!(asked.get(), 2);
    }

    #[test]
    fn no_variable_and_no_terminal_names_the_file_and_the_variable() {
        let none = |_: &str| None;
        let err = resolve(
            &PasswordSource::EnvThenPrompt,
            Path::new(PATH),
            &host(none, false, no_prompt),
        )
        .expect_err("nothing available");
        assert_eq!(
            err,
            WalletError::PasswordRequired {
                path: PathBuf::from(PATH),
                env_var: VAR.into()
            }
        );
        let message = err.to_string();
        assert!(message.contains(PATH) && message.contains(VAR), "{message}");
    }

    #[test]
    fn unusable_variable_is_an_error_not_a_prompt() {
        let var = |_: &str| Some(OsString::from("%%%"));
        let err = resolve(
            &PasswordSource::EnvThenPrompt,
            Path::new(PATH),
            &host(var, true, no_prompt),
        )
        .expect_err("invalid variable");
        assert!(
            matches!(&err, WalletError::InvalidPasswordVariable { env_var, .. } if env_var == VAR),
            "{err:?}"
        );
        assert!(!err.to_string().contains("%%%"));
    }

    #[test]
    fn prompt_failure_is_a_typed_error() {
        let none = |_: &str| None;
        let prompt = |_: &str| Err(io::Error::other("no tty"));
        let err = resolve(
            &PasswordSource::Prompt,
            Path::new(PATH),
            &host(none, true, prompt),
        )
        .expect_err("prompt failed");
        assert!(matches!(err, WalletError::PasswordPrompt { .. }), "{err:?}");
    }

    #[test]
    fn debug_output_never_shows_a_password() {
        let source = PasswordSource::Given(Password::new("hunter2"));
        let shown = format!("{source:?} {:?}", Password::new("hunter2"));
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
