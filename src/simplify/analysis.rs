//! Facts carried by every e-class: shape, symmetry, constant value. A merge
//! of classes whose facts disagree is a bug alarm: it is recorded and the run
//! stops with an internal error, never a silent merge.

use super::lang::{Mat, Rat};
use crate::core::shape::{Shape, Q};
use egg::{Analysis, DidMerge, EGraph, Id};
use num_traits::{One, Zero};
use std::collections::HashMap;

/// What the IR knows of an atom.
#[derive(Clone, Debug)]
pub struct AtomFacts {
    /// Its shape.
    pub shape: Shape,
    /// Whether it is symmetric.
    pub symmetric: bool,
    /// Whether it is an identity matrix.
    pub identity: bool,
    /// Printed length in tokens (for the cost).
    pub tokens: usize,
}

/// Facts of one e-class.
#[derive(Clone, Debug, PartialEq)]
pub struct Data {
    /// Shape.
    pub shape: Shape,
    /// Symmetric (known).
    pub symmetric: bool,
    /// Constant value, for scalar constants.
    pub constant: Option<Q>,
    /// An identity matrix.
    pub identity: bool,
}

/// The analysis: atom facts in, an alarm out.
#[derive(Default, Debug)]
pub struct Facts {
    /// Facts of atoms, by symbol.
    pub atoms: HashMap<egg::Symbol, AtomFacts>,
    /// Set when two merged classes disagree (a bug in a rule).
    pub unsound: Option<String>,
}

/// The e-graph type.
pub type EG = EGraph<Mat, Facts>;

impl Analysis<Mat> for Facts {
    type Data = Data;

    fn make(egraph: &mut EG, enode: &Mat) -> Data {
        let d = |i: &Id| egraph[*i].data.clone();
        let scalar = Shape::scalar();
        match enode {
            Mat::Num(q) => Data {
                shape: scalar,
                symmetric: true,
                constant: Some(q.0.clone()),
                identity: false,
            },
            Mat::Atom(s) => match egraph.analysis.atoms.get(s) {
                Some(f) => Data {
                    shape: f.shape.clone(),
                    symmetric: f.symmetric || f.shape.is_scalar(),
                    constant: None,
                    identity: f.identity,
                },
                None => {
                    egraph.analysis.unsound = Some(format!("unknown atom {s}"));
                    Data {
                        shape: scalar,
                        symmetric: false,
                        constant: None,
                        identity: false,
                    }
                }
            },
            Mat::Add([a, b]) => {
                let (a, b) = (d(a), d(b));
                let constant = match (&a.constant, &b.constant) {
                    (Some(x), Some(y)) => Some(x + y),
                    _ => None,
                };
                let shape = if a.shape.is_scalar() {
                    b.shape.clone()
                } else {
                    a.shape.clone()
                };
                Data {
                    shape,
                    symmetric: a.symmetric && b.symmetric,
                    constant,
                    identity: false,
                }
            }
            Mat::Mul([a, b]) => {
                let (a, b) = (d(a), d(b));
                let constant = match (&a.constant, &b.constant) {
                    (Some(x), Some(y)) => Some(x * y),
                    _ => None,
                };
                // A rule that builds an ill-shaped product is a bug the
                // checks below the rules prevent; keep the left rows then.
                let shape = Shape::product(&a.shape, &b.shape).unwrap_or_else(|| Shape {
                    rows: a.shape.rows.clone(),
                    cols: b.shape.cols.clone(),
                });
                let symmetric = shape.is_scalar()
                    || (a.shape.is_scalar() && b.symmetric)
                    || (b.shape.is_scalar() && a.symmetric);
                Data {
                    shape,
                    symmetric,
                    constant,
                    identity: false,
                }
            }
            Mat::Had([a, b]) => {
                let (a, b) = (d(a), d(b));
                Data {
                    shape: a.shape.clone(),
                    symmetric: a.symmetric && b.symmetric,
                    constant: None,
                    identity: false,
                }
            }
            Mat::Kron([a, b]) => {
                let (a, b) = (d(a), d(b));
                let shape = Shape::kron(&a.shape, &b.shape);
                Data {
                    shape,
                    symmetric: a.symmetric && b.symmetric,
                    constant: None,
                    identity: false,
                }
            }
            Mat::T(a) => {
                let a = d(a);
                Data {
                    shape: a.shape.t(),
                    symmetric: a.symmetric,
                    constant: a.constant.clone(),
                    identity: a.identity,
                }
            }
            Mat::Inv(a) => {
                let a = d(a);
                let constant = a
                    .constant
                    .as_ref()
                    .filter(|c| !c.is_zero())
                    .map(|c| Q::one() / c);
                Data {
                    shape: a.shape.clone(),
                    symmetric: a.symmetric,
                    constant,
                    identity: a.identity,
                }
            }
            Mat::Trace(_) | Mat::Det(_) | Mat::LogDet(_) => Data {
                shape: scalar,
                symmetric: true,
                constant: None,
                identity: false,
            },
            Mat::Eye(a) => {
                let a = d(a);
                let r = a.shape.rows.clone();
                Data {
                    shape: Shape {
                        rows: r.clone(),
                        cols: r,
                    },
                    symmetric: true,
                    constant: None,
                    identity: true,
                }
            }
        }
    }

    fn merge(&mut self, a: &mut Data, b: Data) -> DidMerge {
        if a.shape != b.shape {
            self.unsound = Some(format!(
                "merged classes of shapes {} and {}",
                a.shape, b.shape
            ));
            return DidMerge(false, false);
        }
        if let (Some(x), Some(y)) = (&a.constant, &b.constant) {
            if x != y {
                self.unsound = Some(format!("merged constants {x} and {y}"));
            }
        }
        let mut changed = false;
        if !a.symmetric && b.symmetric {
            a.symmetric = true;
            changed = true;
        }
        if !a.identity && b.identity {
            a.identity = true;
            changed = true;
        }
        if a.constant.is_none() && b.constant.is_some() {
            a.constant = b.constant.clone();
            changed = true;
        }
        DidMerge(changed, true)
    }

    fn modify(egraph: &mut EG, id: Id) {
        // Fold constants: a class with a known value contains that number.
        if let Some(c) = egraph[id].data.constant.clone() {
            let n = egraph.add(Mat::Num(Rat(c)));
            egraph.union(id, n);
        }
    }
}
