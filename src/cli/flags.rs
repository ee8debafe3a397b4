//! `casebook flags`: every active risk flag, highest level first.

use std::io::Write;

use anyhow::Result;

use super::{clip, Format, Session};
use crate::domain::codes::ListName;
use crate::store::records;

pub fn run(session: &Session, format: Format) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let today = session.clock.today();
    let flags = records::active_flags(&session.store)?;
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&flags)?)?,
        Format::Table => {
            let codes = crate::config::load_codes(session.config_dir.as_deref())?;
            writeln!(out, "active risk flags as of {today}: {}", flags.len())?;
            writeln!(
                out,
                "  {:<6} {:<22} {:<14} {:<22} {:<16} {:<10} {:<12} action",
                "level", "type", "reference", "young person", "raised by", "raised", "review"
            )?;
            for f in &flags {
                let review = match f.flag.review_date {
                    Some(d) if d < today => format!("{d} !"),
                    Some(d) => d.to_string(),
                    None => "-".into(),
                };
                writeln!(
                    out,
                    "  {:<6} {:<22} {:<14} {:<22} {:<16} {:<10} {:<12} {}",
                    f.flag.level.code().to_uppercase(),
                    clip(codes.label_of(ListName::RiskTypes, &f.flag.flag_type), 22),
                    f.reference,
                    clip(&f.name, 22),
                    clip(f.raised_by_name.as_deref().unwrap_or("-"), 16),
                    f.flag.raised_on,
                    review,
                    f.flag.action
                )?;
            }
            writeln!(out, "(! = review overdue)")?;
        }
    }
    Ok(())
}
