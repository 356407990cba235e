//! The e-graph language: the matrix operators egg reasons about. Every other
//! IR node (functions, norms, names) is an opaque atom `n<id>`.

use crate::core::shape::Q;
use egg::{define_language, Id, Symbol};
use num_bigint::BigInt;
use std::fmt;
use std::str::FromStr;

/// An exact rational leaf.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rat(pub Q);

impl FromStr for Rat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parse = |t: &str| {
            t.parse::<BigInt>()
                .map_err(|_| format!("not a number: {s}"))
        };
        match s.split_once('/') {
            Some((n, d)) => {
                let d = parse(d)?;
                if d == BigInt::from(0) {
                    return Err("zero denominator".into());
                }
                Ok(Rat(Q::new(parse(n)?, d)))
            }
            None => Ok(Rat(Q::from_integer(parse(s)?))),
        }
    }
}

impl fmt::Display for Rat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

// The variants are the S-expression operators the macro lists beside them.
#[allow(missing_docs)]
mod language {
    use super::*;

    define_language! {
        /// Matrix expressions. Shapes live in the analysis.
        pub enum Mat {
            // a + b (a 1×1 operand is broadcast)
            "+" = Add([Id; 2]),
            // a b: matrix product, or scaling when an operand is 1×1
            "*" = Mul([Id; 2]),
            // a ⊙ b
            "had" = Had([Id; 2]),
            // a ⊗ b
            "kron" = Kron([Id; 2]),
            // a^T
            "T" = T(Id),
            // a^{-1}
            "inv" = Inv(Id),
            // tr(a)
            "tr" = Trace(Id),
            // det(a)
            "det" = Det(Id),
            // log|det a|
            "logdet" = LogDet(Id),
            // the identity with as many rows as a
            "eye" = Eye(Id),
            Num(Rat),
            // an IR node by index: `n42`
            Atom(Symbol),
        }
    }
}
pub use language::Mat;
