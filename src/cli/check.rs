//! `casebook check`: is this file healthy, and what is in it.

use std::io::Write;

use anyhow::Result;

use super::Session;
use crate::store::records;

pub fn run(session: &Session) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let s = &session.store;
    writeln!(out, "database        {}", session.db_path.display())?;
    writeln!(
        out,
        "schema version  {} (this casebook knows up to {})",
        s.schema_version()?,
        crate::store::latest_schema_version()
    )?;
    let problems = s.integrity_check()?;
    if problems == ["ok"] {
        writeln!(out, "integrity       ok")?;
    } else {
        writeln!(out, "integrity       PROBLEMS:")?;
        for p in &problems {
            writeln!(out, "  {p}")?;
        }
    }
    let audit = s.verify_audit(false)?;
    super::audit::print_report(&mut out, &audit)?;
    writeln!(out, "records")?;
    for (table, n) in records::record_counts(s)? {
        writeln!(out, "  {table:<18} {n:>9}")?;
    }
    super::audit::fail_on_break(&audit)?;
    if problems != ["ok"] {
        anyhow::bail!("the integrity check found problems; keep a copy of the file and seek help");
    }
    Ok(())
}
