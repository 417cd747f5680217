//! Usage for billing as CSV: the same columns over HTTP
//! (`GET /api/v1/admin/usage?format=csv`) and from `darkroom admin usage`.

use darkroom_storage::catalog::UsageRow;

use crate::dto::day_text;

const CSV_HEADER: &str = "day,user_id,user,bytes_stored,bytes_uploaded,bytes_downloaded_originals,bytes_downloaded_renditions,render_cpu_ms\n";

pub fn usage_csv(rows: &[UsageRow]) -> String {
    let mut out = String::from(CSV_HEADER);
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            day_text(r.day),
            r.user,
            csv_field(&r.user_name),
            r.bytes_stored,
            r.bytes_uploaded,
            r.bytes_downloaded_originals,
            r.bytes_downloaded_renditions,
            r.render_cpu_ms
        ));
    }
    out
}

/// A CSV field, quoted when needed, and never read as a formula by a
/// spreadsheet (a leading =, +, - or @ is prefixed with ').
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(super::csv_field("alice"), "alice");
        assert_eq!(super::csv_field("a,b"), "\"a,b\"");
        assert_eq!(super::csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(super::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
