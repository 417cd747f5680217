//! Structured logs to standard error (plain text or JSON lines), and the
//! catalog's statement timings for the metrics.

use tracing::field::{Field, Visit};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::cli::LogFormat;

/// Installs the global subscriber. `RUST_LOG` overrides the default filter
/// of the log lines; the statement timings are taken whatever it says.
pub fn init(format: LogFormat, quiet: bool) {
    let default = if quiet { "warn" } else { "info,sqlx=warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let lines = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let lines = match format {
        LogFormat::Plain => lines.boxed(),
        LogFormat::Json => lines
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .boxed(),
    };
    let statements = StatementTimer
        .with_filter(Targets::new().with_target("sqlx::query", tracing::Level::DEBUG));
    let _ = tracing_subscriber::registry()
        .with(lines.with_filter(filter))
        .with(statements)
        .try_init();
}

/// Turns the event sqlx emits after every statement (target `sqlx::query`,
/// with `summary` and `elapsed_secs`) into
/// `darkroom_catalog_query_seconds{statement}`, labelled by the statement's
/// first word (select, insert, update, delete, begin, commit…): every query
/// is timed without wrapping each of the catalog's call sites.
struct StatementTimer;

impl<S: tracing::Subscriber> Layer<S> for StatementTimer {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = StatementFields::default();
        event.record(&mut fields);
        if let Some(secs) = fields.elapsed_secs {
            metrics::histogram!("darkroom_catalog_query_seconds", "statement" => fields.statement)
                .record(secs);
        }
    }
}

#[derive(Default)]
struct StatementFields {
    statement: &'static str,
    elapsed_secs: Option<f64>,
}

impl Visit for StatementFields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.elapsed_secs = Some(value);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "summary" {
            self.statement = statement_kind(value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" {
            self.statement = statement_kind(&format!("{value:?}"));
        }
    }
}

/// A statement's kind, from its first word: a fixed set of labels.
fn statement_kind(summary: &str) -> &'static str {
    let first = summary
        .trim_start_matches(|c: char| c == '"' || c.is_whitespace())
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match first.as_str() {
        "select" => "select",
        "insert" => "insert",
        "update" => "update",
        "delete" => "delete",
        "with" => "with",
        "begin" => "begin",
        "commit" => "commit",
        "rollback" => "rollback",
        "pragma" => "pragma",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::statement_kind;

    #[test]
    fn statements_are_labelled_by_their_first_word() {
        assert_eq!(statement_kind("SELECT id FROM jobs …"), "select");
        assert_eq!(statement_kind("\"update jobs SET state"), "update");
        assert_eq!(statement_kind("BEGIN IMMEDIATE"), "begin");
        assert_eq!(statement_kind("VACUUM"), "other");
    }
}
