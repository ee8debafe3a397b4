//! Quarterly returns, computed below the TUI so CLI and TUI share them.
