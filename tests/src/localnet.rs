//! A real subtensor chain for tests: the runtime from a raw chain spec, run offline under
//! [Chopsticks](https://github.com/AcalaNetwork/chopsticks) on 127.0.0.1, one block per
//! submitted extrinsic, //Alice, //Bob and //Charlie funded, //Alice as sudo.
//!
//! Each [`LocalChain`] is its own `node` process on a free loopback port with its own
//! in-memory state, started for one test and killed when dropped. Chopsticks is installed by
//! `scripts/localnet install` into `.localnet/` of the workspace (or `AXONITE_LOCALNET_DIR`);
//! [`LocalChain::start`] runs that install itself when it is missing (about 75 s once).
//!
//! Environment: `AXONITE_CHAIN_SPEC` (a raw chain spec; default
//! `../shared/localnet/subtensor-spec218.raw.json` beside the workspace, relative paths are
//! from the current directory); the Chopsticks config is the `chopsticks.yml` beside the spec,
//! or the shared one, with `genesis`, `host` and `port` replaced.
//!
//! ```no_run
//! # async fn demo() -> Result<(), axonite_e2e::localnet::LocalChainError> {
//! use axonite_e2e::localnet::LocalChain;
//!
//! let chain = LocalChain::start().await?;
//! assert_eq!(chain.rpc("system_chain", "[]").await?, r#""bittensor""#);
//! let url = chain.ws_url(); // ws://127.0.0.1:<port>, for subxt
//! # let _ = url;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

/// How long [`LocalChain::start`] and [`LocalChain::restart_process`] wait for an answer.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// How long one [`rpc`] call may take.
pub const RPC_TIMEOUT: Duration = Duration::from_secs(10);

/// The Chopsticks version `scripts/localnet install` installs.
pub const CHOPSTICKS_VERSION: &str = "1.5.1";

/// How many fresh ports [`LocalChain::start`] tries when another process takes its port first.
const PORT_ATTEMPTS: u32 = 3;

/// How many lines of the chain's log an error carries.
const LOG_TAIL_LINES: usize = 40;

/// Loaded by `node --require` before Chopsticks: kills the chain when the process that
/// started it (the test) is gone, so a killed or interrupted test run leaves no chain behind
/// (the chain has its own process group, so Ctrl-C does not reach it). SIGKILL rather than
/// `process.exit`, which can wait seconds for Chopsticks' busy wasm worker threads.
const WATCHDOG_JS: &str = "\
const parent = process.ppid;
setInterval(() => { if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL'); }, 500).unref();
";

/// Why a [`LocalChain`] could not start or answer.
#[derive(Debug)]
pub enum LocalChainError {
    /// `node` is not installed (Chopsticks needs Node.js 20 or later).
    NodeMissing,
    /// A file the chain needs is missing.
    FileMissing {
        /// What the file is.
        what: &'static str,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// `scripts/localnet install` failed.
    Install {
        /// The last lines of its output.
        output_tail: String,
    },
    /// A local operation failed (writing the config, spawning `node`, ...).
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: io::Error,
    },
    /// Another process listens on the port the chain should use.
    PortInUse(u16),
    /// The chain process exited before answering.
    Exited {
        /// How it exited.
        status: String,
        /// The last lines of its log.
        log_tail: String,
    },
    /// The chain did not answer within [`STARTUP_TIMEOUT`].
    StartupTimeout {
        /// Its port.
        port: u16,
        /// The last lines of its log.
        log_tail: String,
    },
    /// A JSON-RPC call failed: no connection, a bad HTTP answer, or a JSON-RPC error.
    Rpc(String),
}

impl fmt::Display for LocalChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NodeMissing => write!(
                f,
                "node is not installed; the local chain needs Node.js 20+ and Chopsticks \
                 (scripts/localnet install)"
            ),
            Self::FileMissing { what, path } => {
                write!(f, "{what} not found at {}", path.display())
            }
            Self::Install { output_tail } => {
                write!(f, "scripts/localnet install failed:\n{output_tail}")
            }
            Self::Io { context, source } => write!(f, "{context}: {source}"),
            Self::PortInUse(port) => write!(f, "port {port} on 127.0.0.1 is already in use"),
            Self::Exited { status, log_tail } => write!(
                f,
                "the chain exited during startup ({status}); last lines of its log:\n{log_tail}"
            ),
            Self::StartupTimeout { port, log_tail } => write!(
                f,
                "the chain on port {port} did not answer within {} s; last lines of its log:\n\
                 {log_tail}",
                STARTUP_TIMEOUT.as_secs()
            ),
            Self::Rpc(message) => write!(f, "JSON-RPC call failed: {message}"),
        }
    }
}

impl std::error::Error for LocalChainError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

fn io_error(context: impl Into<String>) -> impl FnOnce(io::Error) -> LocalChainError {
    let context = context.into();
    move |source| LocalChainError::Io { context, source }
}

/// A real subtensor chain under Chopsticks on 127.0.0.1, started for one test and stopped on
/// drop.
///
/// Each chain has its own port, process and in-memory state. Dropping it kills the process
/// group; a chain whose test process dies exits by itself within a second.
#[derive(Debug)]
pub struct LocalChain {
    /// The running `node` process; `None` while stopped.
    child: Option<Child>,
    port: u16,
    /// Holds `chopsticks.yml`, `chopsticks.log` and the watchdog; removed on drop.
    run_dir: tempfile::TempDir,
    chopsticks: PathBuf,
}

impl LocalChain {
    /// Starts a chain on a free port and waits (at most [`STARTUP_TIMEOUT`]) until it answers
    /// `system_chain`. Installs Chopsticks with `scripts/localnet install` if it is missing.
    pub async fn start() -> Result<Self, LocalChainError> {
        let chopsticks = ensure_chopsticks().await?;
        let spec = chain_spec()?;
        let template = config_template(&spec)?;
        let run_dir = tempfile::Builder::new()
            .prefix("axonite-localnet-")
            .tempdir()
            .map_err(io_error("creating the chain's temporary directory"))?;
        fs::write(run_dir.path().join("watchdog.cjs"), WATCHDOG_JS)
            .map_err(io_error("writing watchdog.cjs"))?;

        let mut chain = Self {
            child: None,
            port: 0,
            run_dir,
            chopsticks,
        };
        let mut attempt = 1;
        loop {
            chain.port = free_port()?;
            write_config(chain.run_dir.path(), &template, &spec, chain.port)?;
            let _ = fs::remove_file(chain.log_path());
            match chain.launch().await {
                Ok(()) => return Ok(chain),
                // Another process took the port between our probe and Chopsticks' bind.
                Err(LocalChainError::Exited { log_tail, .. })
                    if log_tail.contains("EADDRINUSE") && attempt < PORT_ATTEMPTS =>
                {
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// `ws://127.0.0.1:<port>`, the URL subxt connects to.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:<port>`, for plain JSON-RPC over HTTP.
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The chain's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The chain's log (Chopsticks' stdout and stderr), kept until the chain is dropped.
    pub fn log_path(&self) -> PathBuf {
        self.run_dir.path().join("chopsticks.log")
    }

    /// The last lines of the chain's log, for failure messages.
    pub fn log_tail(&self) -> String {
        log_tail(&self.log_path())
    }

    /// Whether the chain process is running (it may still be starting).
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// One JSON-RPC call over HTTP: `params` is the JSON text of the parameters (`"[]"` for
    /// none); returns the raw JSON text of the result (a string result keeps its quotes).
    pub async fn rpc(&self, method: &str, params: &str) -> Result<String, LocalChainError> {
        rpc(self.port, method, params).await
    }

    /// The number of the chain's best block (`chain_getHeader`).
    pub async fn best_block_number(&self) -> Result<u64, LocalChainError> {
        let header = self.rpc("chain_getHeader", "[]").await?;
        header_number(&header)
            .ok_or_else(|| LocalChainError::Rpc(format!("no block number in header {header}")))
    }

    /// Stops the chain: kills its process group and waits for it. Idempotent, never panics;
    /// also done on drop. The port refuses connections once this returns.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Ok(Some(_)) = child.try_wait() {
                // Already exited and reaped: its pid may belong to someone else by now.
                return;
            }
            // The child leads its own process group (see `launch`) and is not reaped yet, so
            // its pid still names that group: kill all of it.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Simulates the chain going away: kills the process like [`stop`](Self::stop) but keeps
    /// this handle, its port number and its log, so [`restart_process`](Self::restart_process)
    /// can bring it back on the same URL. Until then, connections to the port are refused.
    ///
    /// The port is not held while the chain is down: another process could in principle take
    /// it, and `restart_process` then fails with [`LocalChainError::PortInUse`].
    pub fn stop_process(&mut self) {
        self.stop();
    }

    /// Starts the chain again on the same port (stopping it first if it runs) and waits until
    /// it answers. The state is NOT kept: the chain restarts from genesis (plus the config's
    /// funded accounts and sudo key), like a fresh [`start`](Self::start).
    pub async fn restart_process(&mut self) -> Result<(), LocalChainError> {
        self.stop();
        if port_taken(self.port) {
            return Err(LocalChainError::PortInUse(self.port));
        }
        if let Ok(mut log) = OpenOptions::new().append(true).open(self.log_path()) {
            let _ = writeln!(
                log,
                "\n===== axonite: restarting on port {} =====",
                self.port
            );
        }
        self.launch().await
    }

    /// Spawns `node chopsticks.cjs` with the config in the run dir and waits until it answers;
    /// on failure the process is killed.
    async fn launch(&mut self) -> Result<(), LocalChainError> {
        let dir = self.run_dir.path();
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .map_err(io_error("opening the chain's log"))?;
        let log_err = log
            .try_clone()
            .map_err(io_error("opening the chain's log"))?;
        let child = Command::new("node")
            .arg("--require")
            .arg(dir.join("watchdog.cjs"))
            .arg(&self.chopsticks)
            .arg("--config")
            .arg(dir.join("chopsticks.yml"))
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            // Its own process group, so `stop` can kill everything it started.
            .process_group(0)
            .spawn()
            .map_err(|source| match source.kind() {
                io::ErrorKind::NotFound => LocalChainError::NodeMissing,
                _ => LocalChainError::Io {
                    context: "spawning node".into(),
                    source,
                },
            })?;
        self.child = Some(child);

        match self.wait_until_ready().await {
            Ok(()) => Ok(()),
            Err(error) => {
                self.stop();
                Err(error)
            }
        }
    }

    async fn wait_until_ready(&mut self) -> Result<(), LocalChainError> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(LocalChainError::Exited {
                    status: status.to_string(),
                    log_tail: self.log_tail(),
                });
            }
            let attempt =
                tokio::time::timeout(Duration::from_secs(2), rpc(self.port, "system_chain", "[]"));
            if let Ok(Ok(_)) = attempt.await {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(LocalChainError::StartupTimeout {
                    port: self.port,
                    log_tail: self.log_tail(),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for LocalChain {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether `node` runs and Chopsticks is installed, or can be (npm is present).
pub fn chopsticks_available() -> bool {
    let runs = |program: &str| {
        Command::new(program)
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    runs("node") && (chopsticks_cjs().is_file() || runs("npm"))
}

/// One JSON-RPC call over HTTP to `127.0.0.1:port` (see [`LocalChain::rpc`]), bounded by
/// [`RPC_TIMEOUT`]. Works on any port, e.g. to check that a stopped chain no longer answers.
pub async fn rpc(port: u16, method: &str, params: &str) -> Result<String, LocalChainError> {
    match tokio::time::timeout(RPC_TIMEOUT, rpc_unbounded(port, method, params)).await {
        Ok(result) => result,
        Err(_) => Err(LocalChainError::Rpc(format!(
            "{method} on port {port}: no answer within {} s",
            RPC_TIMEOUT.as_secs()
        ))),
    }
}

async fn rpc_unbounded(port: u16, method: &str, params: &str) -> Result<String, LocalChainError> {
    let fail = |what: String| LocalChainError::Rpc(format!("{method} on port {port}: {what}"));
    let method_json = json_string(method);
    let body = format!(r#"{{"id":1,"jsonrpc":"2.0","method":{method_json},"params":{params}}}"#);
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let stream = TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|e| fail(format!("connect: {e}")))?;
    write_all(&stream, request.as_bytes())
        .await
        .map_err(|e| fail(format!("write: {e}")))?;
    let response = read_to_end(&stream)
        .await
        .map_err(|e| fail(format!("read: {e}")))?;
    let body = http_body(&response).map_err(fail)?;
    let text = String::from_utf8(body).map_err(|_| fail("the answer is not UTF-8".into()))?;
    let fields = top_level_fields(&text)
        .ok_or_else(|| fail(format!("the answer is not a JSON object: {text}")))?;
    if let Some((_, error)) = fields.iter().find(|(key, _)| *key == "error") {
        return Err(fail(format!("error {error}")));
    }
    match fields.iter().find(|(key, _)| *key == "result") {
        Some((_, result)) => Ok((*result).to_owned()),
        None => Err(fail(format!("no result in {text}"))),
    }
}

async fn write_all(stream: &TcpStream, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        stream.writable().await?;
        match stream.try_write(bytes) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads until the server closes (the request says `Connection: close`), at most 64 MiB.
async fn read_to_end(stream: &TcpStream) -> io::Result<Vec<u8>> {
    const LIMIT: usize = 64 << 20;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        stream.readable().await?;
        match stream.try_read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.len() > LIMIT {
                    return Err(io::Error::other("answer larger than 64 MiB"));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
}

/// The body of an HTTP/1.1 response with status 200, de-chunked if needed.
fn http_body(response: &[u8]) -> Result<Vec<u8>, String> {
    let split = find(response, b"\r\n\r\n").ok_or("incomplete HTTP answer")?;
    let head = String::from_utf8_lossy(&response[..split]);
    let body = &response[split + 4..];
    let status_line = head.lines().next().unwrap_or_default();
    if status_line.split_whitespace().nth(1) != Some("200") {
        return Err(format!(
            "HTTP {status_line}: {}",
            String::from_utf8_lossy(body)
        ));
    }
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    if !chunked {
        return Ok(body.to_vec());
    }
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        let end = find(rest, b"\r\n").ok_or("truncated chunk size")?;
        let size_text = String::from_utf8_lossy(&rest[..end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        rest = &rest[end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = rest.get(..size).ok_or("truncated chunk")?;
        out.extend_from_slice(chunk);
        rest = rest.get(size + 2..).ok_or("truncated chunk")?;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// A JSON string literal for `s`.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The keys (raw, without quotes) and raw value texts of a JSON object's top-level fields.
fn top_level_fields(text: &str) -> Option<Vec<(&str, &str)>> {
    let bytes = text.as_bytes();
    let mut i = skip_ws(bytes, 0);
    if bytes.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(bytes, i + 1);
    let mut fields = Vec::new();
    if bytes.get(i) == Some(&b'}') {
        return Some(fields);
    }
    loop {
        let key_end = skip_value(bytes, i)?;
        let key = text.get(i + 1..key_end.checked_sub(1)?)?;
        i = skip_ws(bytes, key_end);
        if bytes.get(i) != Some(&b':') {
            return None;
        }
        let value_start = skip_ws(bytes, i + 1);
        let value_end = skip_value(bytes, value_start)?;
        fields.push((key, text.get(value_start..value_end)?));
        i = skip_ws(bytes, value_end);
        match bytes.get(i) {
            Some(b',') => i = skip_ws(bytes, i + 1),
            Some(b'}') => return Some(fields),
            _ => return None,
        }
    }
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The index just past the JSON value starting at `i`.
fn skip_value(bytes: &[u8], i: usize) -> Option<usize> {
    match bytes.get(i)? {
        b'"' => {
            let mut j = i + 1;
            loop {
                match bytes.get(j)? {
                    b'\\' => j += 2,
                    b'"' => return Some(j + 1),
                    _ => j += 1,
                }
            }
        }
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match bytes.get(j)? {
                    b'"' => {
                        j = skip_value(bytes, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while bytes
                .get(j)
                .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// The block number of a `chain_getHeader` result (`"number":"0x…"`).
fn header_number(header: &str) -> Option<u64> {
    let fields = top_level_fields(header)?;
    let (_, number) = fields.iter().find(|(key, _)| *key == "number")?;
    let hex = number.trim_matches('"').strip_prefix("0x")?;
    u64::from_str_radix(hex, 16).ok()
}

// ---------------------------------------------------------------------------------------------
// Files and ports

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn absolute(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn localnet_dir() -> PathBuf {
    match std::env::var_os("AXONITE_LOCALNET_DIR") {
        Some(dir) if !dir.is_empty() => absolute(Path::new(&dir)),
        _ => absolute(&workspace_root()).join(".localnet"),
    }
}

fn chopsticks_cjs() -> PathBuf {
    localnet_dir().join("node_modules/@acala-network/chopsticks/chopsticks.cjs")
}

fn shared_localnet() -> PathBuf {
    workspace_root().join("../shared/localnet")
}

/// The absolute path of the chain spec.
fn chain_spec() -> Result<PathBuf, LocalChainError> {
    let spec = match std::env::var_os("AXONITE_CHAIN_SPEC") {
        Some(spec) if !spec.is_empty() => PathBuf::from(spec),
        _ => shared_localnet().join("subtensor-spec218.raw.json"),
    };
    fs::canonicalize(&spec).map_err(|_| LocalChainError::FileMissing {
        what: "chain spec (set AXONITE_CHAIN_SPEC)",
        path: spec,
    })
}

/// The Chopsticks config beside the spec, else the shared one.
fn config_template(spec: &Path) -> Result<PathBuf, LocalChainError> {
    let beside = spec.with_file_name("chopsticks.yml");
    if beside.is_file() {
        return Ok(beside);
    }
    let shared = shared_localnet().join("chopsticks.yml");
    if shared.is_file() {
        return Ok(absolute(&shared));
    }
    Err(LocalChainError::FileMissing {
        what: "Chopsticks config chopsticks.yml",
        path: beside,
    })
}

/// Writes `<dir>/chopsticks.yml`: the template with `genesis` (absolute), `host` (loopback)
/// and `port` replaced.
fn write_config(
    dir: &Path,
    template: &Path,
    spec: &Path,
    port: u16,
) -> Result<(), LocalChainError> {
    let text = fs::read_to_string(template)
        .map_err(io_error(format!("reading {}", template.display())))?;
    let spec = spec.to_string_lossy().replace('\'', "''");
    let mut config = format!("genesis: '{spec}'\nhost: 127.0.0.1\nport: {port}\n");
    for line in text.lines() {
        let replaced = ["genesis:", "host:", "port:"]
            .iter()
            .any(|key| line.starts_with(key));
        if !replaced {
            config.push_str(line);
            config.push('\n');
        }
    }
    let path = dir.join("chopsticks.yml");
    fs::write(&path, config).map_err(io_error(format!("writing {}", path.display())))
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> Result<u16, LocalChainError> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .map_err(io_error("finding a free port"))?;
    let port = listener
        .local_addr()
        .map_err(io_error("finding a free port"))?
        .port();
    Ok(port)
}

/// Whether something else holds `port` on 127.0.0.1.
fn port_taken(port: u16) -> bool {
    TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).is_err()
}

fn log_tail(path: &Path) -> String {
    let Ok(bytes) = fs::read(path) else {
        return format!("(no log at {})", path.display());
    };
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
}

/// The path of `chopsticks.cjs`, running `scripts/localnet install` first if it is missing.
async fn ensure_chopsticks() -> Result<PathBuf, LocalChainError> {
    let cjs = chopsticks_cjs();
    if cjs.is_file() {
        return Ok(cjs);
    }
    let script = workspace_root().join("scripts/localnet");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .arg(&script)
            .arg("install")
            .stdin(Stdio::null())
            .output()
            .map_err(io_error(format!("running {} install", script.display())))
    })
    .await
    .map_err(|e| LocalChainError::Io {
        context: "running scripts/localnet install".into(),
        source: io::Error::other(e.to_string()),
    })??;
    if !output.status.success() {
        let mut all = String::from_utf8_lossy(&output.stdout).into_owned();
        all.push_str(&String::from_utf8_lossy(&output.stderr));
        if all.contains("node is not installed") {
            return Err(LocalChainError::NodeMissing);
        }
        let lines: Vec<&str> = all.lines().collect();
        return Err(LocalChainError::Install {
            output_tail: lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n"),
        });
    }
    if cjs.is_file() {
        Ok(cjs)
    } else {
        Err(LocalChainError::FileMissing {
            what: "chopsticks.cjs after scripts/localnet install",
            path: cjs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_fields_find_result_and_error() {
        let text = r#"{"id":1,"jsonrpc":"2.0","result":{"number":"0x1f","x":["}",{"a":"\"]"}]}}"#;
        let fields = top_level_fields(text).unwrap();
        let result = fields.iter().find(|(k, _)| *k == "result").unwrap().1;
        assert_eq!(result, r#"{"number":"0x1f","x":["}",{"a":"\"]"}]}"#);
        assert_eq!(header_number(result), Some(31));

        let text = r#"{ "jsonrpc" : "2.0", "error": {"code":-32601,"message":"result"}, "id": 1 }"#;
        let fields = top_level_fields(text).unwrap();
        assert!(fields.iter().all(|(k, _)| *k != "result"));
        assert_eq!(
            fields.iter().find(|(k, _)| *k == "id").map(|f| f.1),
            Some("1")
        );
        assert!(top_level_fields("[1]").is_none());
        assert!(top_level_fields(r#"{"a":"#).is_none());
    }

    #[test]
    fn chunked_bodies_are_joined() {
        let response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
            4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
        assert_eq!(http_body(response).unwrap(), b"{\"a\":1}");
        let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(http_body(plain).unwrap(), b"{}");
        assert!(http_body(b"HTTP/1.1 500 Oops\r\n\r\nno").is_err());
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\n"), r#""a\"b\\c\u000a""#);
    }
}
