//! Command-line errors on one line, for people and for log collectors.

/// A clap error as one line: clap's message without the usage and the `--help` hint, its
/// lines joined.
///
/// `error: invalid value 'x' for '--axon.port <PORT>': invalid digit found in string`
pub fn one_line(err: &clap::Error) -> String {
    let rendered = err.render().to_string();
    let mut line = String::new();
    for part in rendered.lines().map(str::trim) {
        if part.starts_with("Usage:") || part.starts_with("For more information") {
            break;
        }
        if part.is_empty() {
            continue;
        }
        if !line.is_empty() {
            line.push_str(if line.ends_with(':') { " " } else { "; " });
        }
        line.push_str(part);
    }
    line
}

#[cfg(test)]
mod tests {
    use clap::{Arg, Command};

    use super::*;

    fn command() -> Command {
        Command::new("t")
            .arg(
                Arg::new("port")
                    .long("axon.port")
                    .value_parser(clap::value_parser!(u16)),
            )
            .arg(Arg::new("netuid").long("netuid").required(true))
    }

    fn error_of(args: &[&str]) -> clap::Error {
        command().try_get_matches_from(args).unwrap_err()
    }

    #[test]
    fn invalid_value_names_the_flag() {
        let line = one_line(&error_of(&["t", "--netuid", "1", "--axon.port", "x"]));
        assert_eq!(
            line,
            "error: invalid value 'x' for '--axon.port <port>': invalid digit found in string"
        );
    }

    #[test]
    fn multi_line_messages_are_joined() {
        let line = one_line(&error_of(&["t"]));
        assert_eq!(
            line,
            "error: the following required arguments were not provided: --netuid <netuid>"
        );
        let line = one_line(&error_of(&["t", "--netuid", "1", "--axon.prot", "1"]));
        assert!(
            line.starts_with("error: unexpected argument '--axon.prot' found; tip: "),
            "{line}"
        );
        assert!(line.contains("'--axon.port'"), "{line}");
        assert!(!line.contains('\n'));
    }
}
