//! The real binary in a real terminal: tmux runs `casebook` on a demo database, keys are sent
//! with `send-keys`, and the screen is read back with `capture-pane -p`. Skips, saying why,
//! when tmux is not installed.
//!
//! Waiting for the screen polls until the expected text shows (up to a generous limit): that
//! is waiting for a slow machine, not asserting on time.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::thread::sleep;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_casebook");
const AS_OF: &str = "2025-06-02";
const WORKER: &str = "Cal Placeholder";

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A private tmux server (its own socket), killed when dropped, so a test never touches the
/// worker's own tmux sessions.
struct Tmux {
    socket: String,
    target: String,
}

impl Tmux {
    fn start(cmd: &str, dir: &Path) -> Tmux {
        let socket = format!("casebook-tui-test-{}", std::process::id());
        let t = Tmux {
            socket,
            target: "cb".into(),
        };
        let out = t.run(&[
            "new-session",
            "-d",
            "-s",
            "cb",
            "-x",
            "100",
            "-y",
            "30",
            "-c",
            &dir.display().to_string(),
            cmd,
        ]);
        assert!(out.status.success(), "tmux new-session: {out:?}");
        // Keep the pane after casebook exits, to look at what it left behind.
        t.run(&["set-option", "-t", "cb", "remain-on-exit", "on"]);
        t
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("tmux runs")
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.target];
        args.extend_from_slice(keys);
        let out = self.run(&args);
        assert!(out.status.success(), "send-keys {keys:?}: {out:?}");
    }

    /// Types text literally (no key names).
    fn text(&self, text: &str) {
        let out = self.run(&["send-keys", "-t", &self.target, "-l", text]);
        assert!(out.status.success(), "send-keys -l: {out:?}");
    }

    fn screen(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-t", &self.target]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn format(&self, f: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", &self.target, f]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits until the screen contains `needle`; panics with the screen if it never does.
    fn wait_for(&self, needle: &str) -> String {
        let started = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            if started.elapsed() > Duration::from_secs(30) {
                panic!("'{needle}' never showed; the screen:\n{s}");
            }
            sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

fn demo_db(dir: &Path) -> PathBuf {
    let db = dir.join("demo.db");
    let out = Command::new(BIN)
        .args(["--db"])
        .arg(&db)
        .args(["--as-of", AS_OF, "demo", "--people", "50", "--seed", "7"])
        .env("CASEBOOK_CONFIG", dir.join("config"))
        .envs(ADMIN)
        .output()
        .expect("casebook runs");
    assert!(
        out.status.success(),
        "casebook demo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The administrator gives the demo's worker a password, so they can sign in.
    let pw = dir.join("worker.pw");
    std::fs::write(&pw, format!("{WORKER_PASSWORD}\n")).unwrap();
    let out = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args(["worker", "reset-password", WORKER, "--new-password-file"])
        .arg(&pw)
        .envs(ADMIN)
        .output()
        .expect("casebook runs");
    assert!(
        out.status.success(),
        "casebook worker reset-password failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

/// The first administrator of the demo file (cheap test-only key cost: debug builds only).
const ADMIN: [(&str, &str); 3] = [
    ("CASEBOOK_USER", "Demo Admin"),
    ("CASEBOOK_PASSWORD", "demo admin password"),
    ("CASEBOOK_TEST_ONLY_CHEAP_KDF", "1"),
];
const WORKER_PASSWORD: &str = "cal's own password";

#[test]
fn the_real_binary_in_tmux_opens_a_case_adds_a_contact_and_restores_the_terminal() {
    if !tmux_available() {
        println!("SKIPPED: tmux is not installed, so the real-terminal test cannot run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let cmd = format!(
        "CASEBOOK_CONFIG={} CASEBOOK_USER='{WORKER}' CASEBOOK_PASSWORD=\"{WORKER_PASSWORD}\" {} --db {} --as-of {AS_OF}",
        shell_quote(&dir.path().join("config")),
        shell_quote(Path::new(BIN)),
        shell_quote(&db),
    );
    let tmux = Tmux::start(&cmd, dir.path());

    let s = tmux.wait_for("My caseload");
    assert!(s.contains(WORKER), "{s}");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "1",
        "the UI uses the alternate screen"
    );

    // Help, then back.
    tmux.keys(&["?"]);
    tmux.wait_for("Keys here");
    tmux.keys(&["Escape"]);
    tmux.wait_for("Enter open");

    // Open the first young person, then add a contact.
    tmux.keys(&["Enter"]);
    tmux.wait_for("Summary");
    tmux.keys(&["c"]);
    tmux.wait_for("New contact with");
    tmux.keys(&["Tab"]);
    tmux.text("11:05");
    tmux.keys(&["Tab"]);
    tmux.text("telephone");
    tmux.keys(&["Enter"]);
    tmux.text("25");
    // Back to the note (Shift-Tab wraps round) and paste far more than it holds.
    tmux.keys(&["BTab", "BTab", "BTab", "BTab"]);
    let huge = "x".repeat(9000);
    let buf = tmux.run(&["set-buffer", "-b", "big", &huge]);
    assert!(buf.status.success(), "{buf:?}");
    tmux.run(&["paste-buffer", "-p", "-b", "big", "-t", &tmux.target]);
    tmux.wait_for("Note: holds at most 4,000 characters");
    tmux.keys(&["C-s"]);
    let s = tmux.wait_for("Contact of 02/06/2025 saved");
    assert!(
        s.contains("Telephone call"),
        "the new contact is listed:\n{s}"
    );

    // Too small, then big enough again.
    tmux.run(&["resize-window", "-t", &tmux.target, "-x", "50", "-y", "12"]);
    tmux.wait_for("Terminal too small");
    tmux.run(&["resize-window", "-t", &tmux.target, "-x", "100", "-y", "30"]);
    tmux.wait_for("Contacts");

    // Leave: the terminal is given back (alternate screen off).
    // (Esc and q sent together would read as Alt-q, as on any terminal.)
    tmux.keys(&["Escape"]);
    tmux.wait_for("My caseload");
    tmux.keys(&["q"]);
    let started = Instant::now();
    while tmux.format("#{pane_dead}") != "1" {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "casebook did not exit:\n{}",
            tmux.screen()
        );
        sleep(Duration::from_millis(50));
    }
    // Older tmux leaves the exit status empty; where it is known it must be 0.
    let status = tmux.format("#{pane_dead_status}");
    assert!(status.is_empty() || status == "0", "exit status {status}");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "the alternate screen was left"
    );
}
