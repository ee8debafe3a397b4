//! Synthetic casework for demos and benchmarks.
