//! The layers hold: the domain is pure, SQL lives in the store, and no screen reaches back into
//! the app (screens talk to it through `tui::msg` and `tui::component` only). A line that
//! breaks a rule fails here, naming the file and the line.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Every line under `dir` whose code (comments and test modules left out) matches, as
/// `file:line: text`.
fn offending(dir: &str, is_bad: impl Fn(&str) -> bool, allowed: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for file in rust_files(&root.join(dir)) {
        let shown = file.strip_prefix(root).unwrap().display().to_string();
        if allowed.contains(&shown.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            // A file's own tests (at its end) may reach for fixtures.
            if line.trim() == "#[cfg(test)]" {
                break;
            }
            let code = line.split("//").next().unwrap_or("");
            if is_bad(code) {
                found.push(format!("{shown}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn no_screen_imports_the_app() {
    let bad = offending(
        "src/tui",
        |code| {
            code.contains("app::")
                || code.contains("tui::App")
                || code.contains("super::App")
                || code.contains("mod app")
        },
        // The module list and the loop (a child of the app) are the only ones that may.
        &["src/tui/mod.rs", "src/tui/app.rs", "src/tui/app/run.rs"],
    );
    assert!(
        bad.is_empty(),
        "screens import the app:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_domain_is_pure() {
    let bad = offending(
        "src/domain",
        |code| {
            [
                "rusqlite",
                "ratatui",
                "crossterm",
                "std::fs",
                "std::io::stdin",
            ]
            .iter()
            .any(|w| code.contains(w))
        },
        &[],
    );
    assert!(
        bad.is_empty(),
        "the domain reaches out:\n{}",
        bad.join("\n")
    );
}

#[test]
fn sql_lives_in_the_store() {
    let bad = offending(
        "src",
        |code| code.contains("rusqlite") || code.contains("execute_batch"),
        // `audit show` and `sync conflicts` print a stored value by its SQLite type; they run
        // no SQL.
        &["src/cli/audit.rs", "src/cli/sync.rs"],
    )
    .into_iter()
    .filter(|l| !l.starts_with("src/store/"))
    .collect::<Vec<_>>();
    assert!(bad.is_empty(), "SQL outside the store:\n{}", bad.join("\n"));
}
