//! `casebook import`: migrate a service's spreadsheet register (CSV) into casebook.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use super::Session;
use crate::import::{check_register, import_register, ImportError};

pub fn run(session: &mut Session, path: &Path, dry_run: bool) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let codes = crate::config::load_codes(session.config_dir.as_deref())?;
    // The file's own problems first, so a bad register leaves no trace (not even the acting
    // worker's first-use record).
    match check_register(&bytes, &codes, session.clock.today()) {
        Err(ImportError::Invalid(problems)) => {
            let err = ImportError::Invalid(problems);
            anyhow::bail!("{} has problems:\n{err}", path.display())
        }
        Err(e @ ImportError::Failed(_)) => anyhow::bail!("{e}"),
        Ok(()) => {}
    }
    session
        .store
        .require(crate::domain::roles::Permission::ImportRegister)?;
    let actor = session.worker.clone();
    let mut out = std::io::stdout().lock();
    match import_register(
        &mut session.store,
        &actor.id,
        &session.clock,
        &bytes,
        &codes,
        dry_run,
    ) {
        Ok(report) => {
            writeln!(out, "{report}")?;
            Ok(())
        }
        Err(ImportError::Invalid(problems)) => {
            // Every problem, then a non-zero exit: nothing was written.
            let err = ImportError::Invalid(problems);
            anyhow::bail!("{} has problems:\n{err}", path.display())
        }
        Err(e @ ImportError::Failed(_)) => Err(anyhow::anyhow!("{e}")),
    }
}
