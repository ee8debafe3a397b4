//! `casebook init`, `encrypt`, `worker ...` and `admin ...`.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Result};

use super::sign_in::{name, new_password, password, print_recovery_code, read_secret_file};
use super::{Cli, Session, WorkerCommand};
use crate::domain::clock::Clock;
use crate::domain::record::Role;
use crate::store::{people, sign_in as store_sign_in};

pub fn init(cli: &Cli, db: &Path, clock: &Clock) -> Result<()> {
    if !store_sign_in::is_new(db)? {
        bail!(
            "{} already exists; casebook init makes a new database only",
            db.display()
        );
    }
    let unlocked = super::sign_in::create_first(cli, db, clock)?;
    println!(
        "created {} (encrypted) with its key file {}; {} is its administrator",
        db.display(),
        unlocked.key_path().display(),
        unlocked.worker.name
    );
    Ok(())
}

pub fn encrypt(cli: &Cli, input: &Path, output: &Path, clock: &Clock) -> Result<()> {
    let name = name()?;
    let password = if cli.password_file.is_some() {
        password(cli)?
    } else {
        new_password(None, "CASEBOOK_PASSWORD", &name)?
    };
    let (created, counts) = store_sign_in::encrypt(input, output, &name, &password, clock.now())?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "encrypted copy written to {} (key file {}); {} is its administrator. Every table has \
         the same number of rows as {}:",
        output.display(),
        created.unlocked.key_path().display(),
        created.unlocked.worker.name,
        input.display()
    )?;
    for (table, n) in &counts {
        writeln!(out, "  {table:<32} {n:>9}")?;
    }
    writeln!(
        out,
        "The unencrypted {} is unchanged: delete it securely once you have checked the copy.",
        input.display()
    )?;
    drop(out);
    print_recovery_code(output, &created.recovery_code, false)
}

fn roles(list: &str) -> Result<Vec<Role>> {
    Role::parse_list(list).map_err(|e| anyhow::anyhow!("--roles: {e}"))
}

pub fn worker(session: &mut Session, cmd: &WorkerCommand) -> Result<()> {
    let now = session.clock.now();
    // The key slots and the records change together, through the signed-in store.
    std::mem::swap(&mut session.store, &mut session.keys.store);
    let result = (|| -> Result<()> {
        let keys = &mut session.keys;
        let mut out = std::io::stdout().lock();
        match cmd {
            WorkerCommand::Add {
                name,
                roles: list,
                new_password_file,
            } => {
                let roles = roles(list)?;
                keys.store
                    .require(crate::domain::roles::Permission::ManageWorkers)?;
                let pw = new_password(new_password_file.as_deref(), "CASEBOOK_NEW_PASSWORD", name)?;
                let w = keys.add_worker(name, &roles, &pw, now)?;
                writeln!(out, "added {} ({})", w.name, w.roles_label())?;
            }
            WorkerCommand::List => {
                keys.store
                    .require(crate::domain::roles::Permission::ManageWorkers)?;
                writeln!(
                    out,
                    "{:<28} {:<40} {:<8} sign-in",
                    "name", "roles", "active"
                )?;
                for w in people::workers(&keys.store)? {
                    writeln!(
                        out,
                        "{:<28} {:<40} {:<8} {}",
                        super::clip(&w.name, 28),
                        super::clip(&w.roles_label(), 40),
                        if w.active { "yes" } else { "no" },
                        if keys.can_sign_in(&w) { "yes" } else { "no" }
                    )?;
                }
            }
            WorkerCommand::SetRoles { name, roles: list } => {
                let roles = roles(list)?;
                let w = keys.set_roles(name, &roles, now)?;
                writeln!(out, "{} now holds: {}", w.name, w.roles_label())?;
            }
            WorkerCommand::ResetPassword {
                name,
                new_password_file,
            } => {
                keys.store
                    .require(crate::domain::roles::Permission::ResetPassword)?;
                let pw = new_password(new_password_file.as_deref(), "CASEBOOK_NEW_PASSWORD", name)?;
                keys.reset_password(name, &pw, now)?;
                writeln!(out, "new password set for {}", name.trim())?;
            }
            WorkerCommand::Deactivate { name } => {
                keys.deactivate(name, now)?;
                writeln!(out, "{} can no longer sign in", name.trim())?;
            }
        }
        Ok(())
    })();
    std::mem::swap(&mut session.store, &mut session.keys.store);
    result
}

pub fn recovery_key(session: &mut Session) -> Result<()> {
    let now = session.clock.now();
    std::mem::swap(&mut session.store, &mut session.keys.store);
    let key = session.keys.recovery_key(now);
    std::mem::swap(&mut session.store, &mut session.keys.store);
    let key = key?;
    println!("{}", key.as_str());
    eprintln!(
        "This is the raw key of {}. Anyone holding it reads every record: use it only to \
         recover the file, e.g. in the sqlcipher shell: PRAGMA key = \"x'<the key>'\";",
        session.db_path.display()
    );
    Ok(())
}

pub fn recover(
    db: &Path,
    worker: &str,
    code_file: Option<&Path>,
    new_password_file: Option<&Path>,
    clock: &Clock,
) -> Result<()> {
    let code = match code_file {
        Some(p) => read_secret_file(p, "--recovery-code-file")?,
        None => {
            if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                bail!("--recovery-code-file: give the file holding the recovery code, or run in a terminal");
            }
            zeroize::Zeroizing::new(rpassword::prompt_password("Recovery code: ")?)
        }
    };
    let pw = new_password(new_password_file, "CASEBOOK_NEW_PASSWORD", worker)?;
    let unlocked = store_sign_in::recover(db, &code, worker, &pw, clock.now())?;
    println!("new password set for {}", unlocked.worker.name);
    Ok(())
}
