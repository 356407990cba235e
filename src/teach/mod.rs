//! Stage 7: teaching tools built on the pipeline: grading answers, the
//! derivation step by step (data in `steps`, notations in `render`), and the
//! computational graph.

pub mod grade;
pub mod graph;
pub mod render;
pub mod steps;
