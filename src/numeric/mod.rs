//! Stage 5 (beside printing): numbers. Evaluates graph nodes on seeded random
//! instances that respect domains, and compares gradients with central
//! finite differences.

pub mod eval;
pub mod fd;
pub mod instance;
pub mod lu;
pub mod oracle;
