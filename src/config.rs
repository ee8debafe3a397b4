//! Where casebook keeps its files.
