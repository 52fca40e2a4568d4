//! The Prometheus text exposition format (version 0.0.4), written by hand: a few families
//! of counters, gauges and histograms need no registry.

use std::fmt::Write as _;

use super::LatencyHistogram;

/// A metrics page being written. Each family is announced once (`# HELP`, `# TYPE`), then
/// its samples; label values are escaped.
#[derive(Debug, Default)]
pub struct Exposition {
    text: String,
}

/// The kind of a metric family.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Exposition {
    /// An empty page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Announces a counter family.
    pub fn counter(&mut self, name: &str, help: &str) -> &mut Self {
        self.family(name, help, Kind::Counter)
    }

    /// Announces a gauge family.
    pub fn gauge(&mut self, name: &str, help: &str) -> &mut Self {
        self.family(name, help, Kind::Gauge)
    }

    /// Announces a histogram family.
    pub fn histogram(&mut self, name: &str, help: &str) -> &mut Self {
        self.family(name, help, Kind::Histogram)
    }

    /// One sample of the family `name`.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) -> &mut Self {
        self.text.push_str(name);
        self.labels(labels, None);
        let _ = writeln!(self.text, " {}", number(value));
        self
    }

    /// The samples of one histogram of the family `name` (buckets, sum, count).
    pub fn histogram_samples(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        histogram: &LatencyHistogram,
    ) -> &mut Self {
        let (buckets, sum, count) = histogram.snapshot();
        for (bound, cumulative) in buckets {
            let _ = write!(self.text, "{name}_bucket");
            self.labels(labels, Some(("le", &number(bound))));
            let _ = writeln!(self.text, " {cumulative}");
        }
        let _ = write!(self.text, "{name}_sum");
        self.labels(labels, None);
        let _ = writeln!(self.text, " {}", number(sum));
        let _ = write!(self.text, "{name}_count");
        self.labels(labels, None);
        let _ = writeln!(self.text, " {count}");
        self
    }

    /// The page.
    pub fn finish(self) -> String {
        self.text
    }

    fn family(&mut self, name: &str, help: &str, kind: Kind) -> &mut Self {
        let kind = match kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        };
        let _ = writeln!(self.text, "# HELP {name} {}", escape(help, false));
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
        self
    }

    fn labels(&mut self, labels: &[(&str, &str)], extra: Option<(&str, &str)>) {
        if labels.is_empty() && extra.is_none() {
            return;
        }
        self.text.push('{');
        for (i, (key, value)) in labels.iter().copied().chain(extra).enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(self.text, "{sep}{key}=\"{}\"", escape(value, true));
        }
        self.text.push('}');
    }
}

/// Prometheus numbers: integers without a fraction, `+Inf`, `NaN`.
fn number(value: f64) -> String {
    if value == f64::INFINITY {
        "+Inf".to_owned()
    } else if value == f64::NEG_INFINITY {
        "-Inf".to_owned()
    } else if value.is_nan() {
        "NaN".to_owned()
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

/// Escapes `\`, newlines and (in label values) `"`.
fn escape(text: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quotes => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn families_samples_and_histograms_render_in_the_text_format() {
        let h = LatencyHistogram::default();
        h.record(Duration::from_millis(2));
        let mut page = Exposition::new();
        page.counter("axonite_requests_total", "Requests.")
            .sample(
                "axonite_requests_total",
                &[("synapse", "Echo"), ("status", "200")],
                3.0,
            )
            .gauge("axonite_up", "Up.\nReally")
            .sample("axonite_up", &[], 1.0)
            .sample("axonite_odd", &[("v", "a\"b\\c")], 0.5)
            .histogram("axonite_latency_seconds", "Latency.")
            .histogram_samples("axonite_latency_seconds", &[("synapse", "Echo")], &h);
        let text = page.finish();
        assert!(text.contains("# TYPE axonite_requests_total counter\n"));
        assert!(text.contains("axonite_requests_total{synapse=\"Echo\",status=\"200\"} 3\n"));
        assert!(text.contains("# HELP axonite_up Up.\\nReally\n"));
        assert!(text.contains("axonite_up 1\n"));
        assert!(text.contains("axonite_odd{v=\"a\\\"b\\\\c\"} 0.5\n"));
        assert!(
            text.contains("axonite_latency_seconds_bucket{synapse=\"Echo\",le=\"0.0025\"} 1\n")
        );
        assert!(text.contains("axonite_latency_seconds_bucket{synapse=\"Echo\",le=\"+Inf\"} 1\n"));
        assert!(text.contains("axonite_latency_seconds_count{synapse=\"Echo\"} 1\n"));
        assert!(text.contains("axonite_latency_seconds_sum{synapse=\"Echo\"} 0.002\n"));
    }
}
