//! `casebook demo`: synthetic casework for trying casebook and for benchmarks.

use std::io::Write;

use anyhow::Result;

use super::Session;
use crate::demo::{generate, DemoOptions};

pub fn run(session: &mut Session, people: usize, seed: u64) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let today = session.clock.today();
    let now = session.clock.now();
    let summary = session
        .store
        .as_demo_loader(|store| generate(store, &DemoOptions { people, seed }, today, now))?;
    writeln!(
        out,
        "demo casework written to {} (seed {seed}, as of {today}):",
        session.db_path.display()
    )?;
    writeln!(out, "  workers           {:>9}", summary.workers)?;
    writeln!(out, "  young people      {:>9}", summary.young_people)?;
    writeln!(out, "  episodes          {:>9}", summary.episodes)?;
    writeln!(out, "  contacts          {:>9}", summary.contacts)?;
    writeln!(out, "  risk flags        {:>9}", summary.risk_flags)?;
    writeln!(out, "  reviews           {:>9}", summary.reviews)?;
    writeln!(out, "  outreach tallies  {:>9}", summary.outreach_tallies)?;
    let m = summary.mentoring;
    writeln!(out, "  mentors           {:>9}", m.mentors)?;
    writeln!(out, "  mentor matches    {:>9}", m.matches)?;
    writeln!(out, "  mentor sessions   {:>9}", m.sessions)?;
    Ok(())
}
