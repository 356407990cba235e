//! Stage 7: teaching tools built on the pipeline: grading answers, the
//! derivation step by step, and the computational graph.

pub mod grade;
pub mod graph;
pub mod steps;
