//! Extraction cost: the printed length in LaTeX tokens, so that defined names
//! (one token) beat their expansions, plus a penalty for a transpose or an
//! inverse on a compound expression (textbooks put them on leaves).

use super::analysis::EG;
use super::lang::Mat;
use egg::{CostFunction, Id, Language};

/// Token-count cost over an e-graph (atoms know their printed length).
pub struct Tokens<'a> {
    /// The e-graph, for atom facts.
    pub egraph: &'a EG,
}

fn is_leafy(n: &Mat) -> bool {
    matches!(n, Mat::Atom(_) | Mat::Num(_) | Mat::Eye(_))
}

impl CostFunction<Mat> for Tokens<'_> {
    type Cost = usize;
    fn cost<C>(&mut self, enode: &Mat, mut costs: C) -> usize
    where
        C: FnMut(Id) -> usize,
    {
        let kids: usize = enode.children().iter().map(|c| costs(*c)).sum();
        let compound = |id: Id| -> bool { !self.egraph[id].nodes.iter().any(is_leafy) };
        let own = match enode {
            Mat::Atom(s) => self
                .egraph
                .analysis
                .atoms
                .get(s)
                .map(|a| a.tokens)
                .unwrap_or(1),
            Mat::Num(q) => {
                if q.0.is_integer() {
                    1
                } else {
                    3
                }
            }
            Mat::Eye(_) => return 1,
            Mat::Add(_) => 1,
            // Juxtaposition, plus parentheses around a factored sum. They are
            // free when the common factor is a column vector: an operator
            // applied to a vector reads `(B + B^T) x`, while matrix
            // terms stay apart, `B X + B^T X`.
            Mat::Mul([a, b]) => {
                let sum = |id: Id| {
                    self.egraph[id]
                        .nodes
                        .iter()
                        .all(|n| matches!(n, Mat::Add(_)))
                };
                let vector = |id: Id| self.egraph[id].data.shape.is_vector();
                let parens = |s: Id, other: Id| if sum(s) && !vector(other) { 2 } else { 0 };
                parens(*a, *b) + parens(*b, *a)
            }
            Mat::Had(_) | Mat::Kron(_) => 1,
            // A transposed sum costs its parentheses, `(W^T W x - x)^T`; a
            // transposed product or function is pushed to the leaves.
            Mat::T(a) => {
                let sum = self.egraph[*a]
                    .nodes
                    .iter()
                    .any(|n| matches!(n, Mat::Add(_)));
                2 + if sum {
                    1
                } else if compound(*a) {
                    6
                } else {
                    0
                }
            }
            Mat::Inv(a) => 4 + if compound(*a) { 3 } else { 0 },
            Mat::Trace(_) | Mat::Det(_) | Mat::LogDet(_) => 3,
        };
        own + kids
    }
}
