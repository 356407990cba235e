//! Stage 7: teaching tools built on the pipeline: grading answers (one in
//! `grade`, a class's gradebook in `gradebook`), the derivation step by
//! step (data in `steps`, notations in `render`), and the computational
//! graph.

pub mod backward;
pub mod grade;
pub mod gradebook;
pub mod graph;
pub mod render;
pub mod steps;
