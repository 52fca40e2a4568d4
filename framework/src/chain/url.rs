//! Which node URLs the client accepts, and keeping them out of error messages.

use std::net::IpAddr;

use super::ChainError;

/// Checks that `url` is `wss://`, or `ws://` to a loopback host (`localhost`, 127.0.0.0/8,
/// `::1`), or `ws://` anywhere when `allow_insecure` is set.
pub(crate) fn check_url(url: &str, allow_insecure: bool) -> Result<(), ChainError> {
    let (secure, rest) = if let Some(rest) = strip_prefix_ignore_case(url, "wss://") {
        (true, rest)
    } else if let Some(rest) = strip_prefix_ignore_case(url, "ws://") {
        (false, rest)
    } else {
        return Err(invalid("expected a ws:// or wss:// URL"));
    };
    let host = host_of(rest).ok_or_else(|| invalid("no host"))?;
    if secure || allow_insecure || is_loopback(host) {
        Ok(())
    } else {
        Err(invalid(
            "plain ws:// is allowed only to loopback hosts; use wss:// or allow insecure URLs",
        ))
    }
}

/// Replaces every occurrence of `url` in `message` by `<url>`: a node URL may carry an API
/// key or credentials, and lower layers sometimes echo it.
pub(crate) fn redact(message: impl std::fmt::Display, url: &str) -> String {
    let message = message.to_string();
    if url.is_empty() {
        message
    } else {
        message.replace(url, "<url>")
    }
}

fn invalid(reason: &str) -> ChainError {
    ChainError::InvalidUrl {
        reason: reason.to_owned(),
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// The host of the part of a URL after `scheme://`, without user info or port.
fn host_of(rest: &str) -> Option<&str> {
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split_once(']')?.0
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty()).then_some(host)
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wss_is_always_accepted() {
        assert!(check_url("wss://entrypoint-finney.opentensor.ai:443", false).is_ok());
        assert!(check_url("WSS://example.org/path?key=1", false).is_ok());
    }

    #[test]
    fn plain_ws_is_accepted_for_loopback_only() {
        for url in [
            "ws://127.0.0.1:9944",
            "ws://127.0.0.2:19944/",
            "ws://localhost:9944",
            "ws://[::1]:9944",
            "ws://user:pw@127.0.0.1:9944",
        ] {
            assert!(check_url(url, false).is_ok(), "{url}");
        }
        for url in [
            "ws://10.0.0.1:9944",
            "ws://example.org",
            "ws://[2001:db8::1]:9944",
            "ws://127.0.0.1.example.org:9944",
        ] {
            assert!(
                matches!(check_url(url, false), Err(ChainError::InvalidUrl { .. })),
                "{url}"
            );
            assert!(check_url(url, true).is_ok(), "{url} with allow_insecure");
        }
    }

    #[test]
    fn other_schemes_and_garbage_are_rejected() {
        for url in [
            "http://127.0.0.1:9944",
            "127.0.0.1:9944",
            "",
            "ws://",
            "ws:///x",
        ] {
            assert!(check_url(url, true).is_err(), "{url:?}");
        }
    }

    #[test]
    fn redaction_removes_the_url() {
        let url = "wss://user:secret@node.example/key123";
        let message = format!("could not connect to {url}: refused");
        let clean = redact(message, url);
        assert_eq!(clean, "could not connect to <url>: refused");
        assert!(!clean.contains("secret"));
    }
}
