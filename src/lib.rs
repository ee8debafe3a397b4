//! casebook: a keyboard-driven caseworker client for young people's substance-misuse and
//! mentoring services. The layers: `domain` (pure rules), `store` (the only SQL), `returns`
//! (quarterly figures, shared by CLI and TUI), `tui` (ratatui), `cli` (clap).

pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod due;
pub mod follow_ups;
pub mod import;
pub mod private_file;
pub mod returns;
pub mod store;
pub mod tui;
