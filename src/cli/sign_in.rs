//! Signing in from the command line: the name from `CASEBOOK_USER`, the password from
//! `--password-file` or `CASEBOOK_PASSWORD`, else prompts on the terminal (the password is
//! never echoed).

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use zeroize::Zeroizing;

use super::Cli;
use crate::domain::clock::Clock;
use crate::store::sign_in::{self as store_sign_in, Unlocked};

fn terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// Reads one line from the terminal after `prompt` (on standard error).
fn ask(prompt: &str) -> Result<String> {
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_string())
}

/// The worker's name: `CASEBOOK_USER`, else asked on a terminal.
pub fn name() -> Result<String> {
    if let Some(n) = std::env::var("CASEBOOK_USER")
        .ok()
        .filter(|n| !n.trim().is_empty())
    {
        return Ok(n.trim().to_string());
    }
    if !terminal() {
        bail!("sign-in: set CASEBOOK_USER (and CASEBOOK_PASSWORD or --password-file), or run casebook in a terminal");
    }
    let n = ask("Name: ")?;
    if n.is_empty() {
        bail!("sign-in: give your name");
    }
    Ok(n)
}

/// The first line of `path`, as a secret.
pub fn read_secret_file(path: &Path, what: &str) -> Result<Zeroizing<String>> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("{what}: cannot read {}", path.display()))?,
    );
    let line = text.lines().next().unwrap_or("");
    Ok(Zeroizing::new(line.trim_end_matches('\r').to_string()))
}

fn prompt_password(prompt: &str) -> Result<Zeroizing<String>> {
    Ok(Zeroizing::new(
        rpassword::prompt_password(prompt).context("cannot read the password")?,
    ))
}

/// The password: `--password-file`, else `CASEBOOK_PASSWORD`, else asked on a terminal.
pub fn password(cli: &Cli) -> Result<Zeroizing<String>> {
    if let Some(p) = &cli.password_file {
        return read_secret_file(p, "--password-file");
    }
    if let Ok(p) = std::env::var("CASEBOOK_PASSWORD") {
        return Ok(Zeroizing::new(p));
    }
    if !terminal() {
        bail!(
            "sign-in: set CASEBOOK_PASSWORD or give --password-file, or run casebook in a terminal"
        );
    }
    prompt_password("Password: ")
}

/// A new password: from `file`, else the environment variable `env`, else asked twice on a
/// terminal (the two must match).
pub fn new_password(file: Option<&Path>, env: &str, whose: &str) -> Result<Zeroizing<String>> {
    if let Some(p) = file {
        return read_secret_file(p, "--new-password-file");
    }
    if let Ok(p) = std::env::var(env) {
        return Ok(Zeroizing::new(p));
    }
    if !terminal() {
        bail!("password: set {env} or give a password file, or run casebook in a terminal");
    }
    let first = prompt_password(&format!(
        "New password for {whose} (at least 8 characters): "
    ))?;
    crate::store::keys::check_password(&first)?;
    let second = prompt_password("The same password again: ")?;
    if *first != *second {
        bail!("password: the two passwords differ; nothing was changed");
    }
    Ok(first)
}

/// Signs in to the existing database at `db`.
pub fn sign_in(cli: &Cli, db: &Path, clock: &Clock) -> Result<Unlocked> {
    // Refuse a plain, foreign or keyless file before asking anything.
    let name = name()?;
    let password = password(cli)?;
    store_sign_in::sign_in(db, &name, &password, clock.now())
}

/// Creates the database at `db` and its first administrator, printing the recovery code.
pub fn create_first(cli: &Cli, db: &Path, clock: &Clock) -> Result<Unlocked> {
    let asked = std::env::var("CASEBOOK_USER").is_err() && terminal();
    if asked {
        eprintln!(
            "{} is a new casebook database. Make its first administrator:",
            db.display()
        );
    }
    let name = name()?;
    let password = if cli.password_file.is_some() {
        password(cli)?
    } else {
        new_password(None, "CASEBOOK_PASSWORD", &name)?
    };
    let created = store_sign_in::create(db, &name, &password, clock.now())?;
    print_recovery_code(db, &created.recovery_code, asked)?;
    Ok(created.unlocked)
}

/// Prints the recovery code once, with what it is for.
pub fn print_recovery_code(db: &Path, code: &str, wait: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Recovery code for {} (shown once; keep it on paper, locked away):\n\n    {code}\n\n\
         With it, `casebook admin recover --worker NAME` sets a new password for an \
         administrator when every password is lost.",
        db.display()
    )?;
    out.flush()?;
    if wait {
        ask("Press Enter once you have written it down. ")?;
    }
    Ok(())
}
