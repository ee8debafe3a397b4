//! Files casebook writes are readable by their owner only (mode 600 on Unix): databases, key
//! files, returns and drill-down lists.

use std::fs::{File, OpenOptions};
use std::path::Path;

use anyhow::{Context, Result};

fn options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

/// Creates `path`, which must not exist yet, readable by its owner only.
pub fn create_new(path: &Path) -> Result<File> {
    options()
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))
}

/// Writes `bytes` to `path` (replacing it), leaving it readable by its owner only, even when
/// it existed before with wider permissions.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut f = options()
        .create(true)
        .truncate(true)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    restrict(path)?;
    f.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Makes an existing file readable by its owner only.
pub fn restrict(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} private", path.display()))?;
    }
    let _ = path;
    Ok(())
}
