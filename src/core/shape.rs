//! Shapes: exact constants, dimensions and rows × columns, with every shape
//! rule (products, Kronecker products, transposes) written once.

use num_rational::BigRational;
use std::fmt;

/// An exact rational constant.
pub type Q = BigRational;

/// A resolved dimension.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Dim {
    /// Size 1 (scalars, the columns of vectors).
    One,
    /// A positive integer other than 1.
    Num(u64),
    /// A dimension symbol: `n`, `D`, or a generated `n1` for undeclared sizes.
    Sym(String),
    /// A product of two dimensions (Kronecker products, `\mathrm{vec}`).
    Mul(Box<Dim>, Box<Dim>),
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::One => f.write_str("1"),
            Dim::Num(n) => write!(f, "{n}"),
            Dim::Sym(s) => f.write_str(s),
            Dim::Mul(a, b) => write!(f, "{a} {b}"),
        }
    }
}

/// A resolved shape: rows × cols. Scalars are 1×1, vectors n×1.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Shape {
    /// Rows.
    pub rows: Dim,
    /// Columns.
    pub cols: Dim,
}

impl Shape {
    /// The scalar shape.
    pub fn scalar() -> Shape {
        Shape {
            rows: Dim::One,
            cols: Dim::One,
        }
    }
    /// Whether this is 1×1.
    pub fn is_scalar(&self) -> bool {
        self.rows == Dim::One && self.cols == Dim::One
    }
    /// Whether this is a column vector (n×1, n ≠ 1).
    pub fn is_vector(&self) -> bool {
        self.cols == Dim::One && self.rows != Dim::One
    }
    /// Whether rows and cols are the same dimension.
    pub fn is_square(&self) -> bool {
        self.rows == self.cols
    }
    /// Transposed shape.
    pub fn t(&self) -> Shape {
        Shape {
            rows: self.cols.clone(),
            cols: self.rows.clone(),
        }
    }
    /// JSON form: `[]`, `["n"]`, `["m", "n"]`.
    pub fn to_list(&self) -> Vec<String> {
        if self.is_scalar() {
            vec![]
        } else if self.cols == Dim::One {
            vec![self.rows.to_string()]
        } else {
            vec![self.rows.to_string(), self.cols.to_string()]
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_scalar() {
            f.write_str("scalar")
        } else if self.cols == Dim::One {
            write!(f, "vector {}", self.rows)
        } else {
            write!(f, "{} × {}", self.rows, self.cols)
        }
    }
}
