//! The operators: one [`Op`] for the typed tree and the expression graph,
//! and the elementwise functions [`Func`].

use crate::core::name::Name;
use crate::core::shape::Q;

/// An elementwise scalar function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Func {
    /// `\exp`.
    Exp,
    /// `\log`.
    Log,
    /// Logistic sigmoid `\sigma`.
    Sigmoid,
    /// `\tanh`.
    Tanh,
    /// `\sin`.
    Sin,
    /// `\cos`.
    Cos,
    /// `\sqrt`.
    Sqrt,
    /// `\mathrm{relu}`.
    Relu,
    /// `\mathbb{1}[z > 0]`.
    Step,
}

/// What a node computes, in the typed tree and in the expression graph
/// alike. Children are the node's arguments, in order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// A free input.
    Var(Name),
    /// A defined name; its one child is the body.
    Def(Name),
    /// An exact scalar.
    Const(Q),
    /// The identity of the node's shape.
    Identity,
    /// The ones vector of the node's shape.
    Ones,
    /// The zero matrix of the node's shape.
    Zero,
    /// `\frac{\partial of}{\partial arg}`; the child is `arg` (not differentiated).
    Upstream(Name),
    /// Sum (a 1×1 operand is broadcast).
    Add,
    /// Matrix product, or scaling when an operand is 1×1.
    Mul,
    /// Hadamard product.
    Had,
    /// Kronecker product.
    Kron,
    /// Transpose.
    Transpose,
    /// Inverse.
    Inv,
    /// Integer matrix power.
    MatPow(u32),
    /// Scalar or elementwise rational power.
    Pow(Q),
    /// Trace.
    Trace,
    /// Determinant.
    Det,
    /// `\log|\det|`.
    LogDet,
    /// 2-/Frobenius norm.
    Norm,
    /// Squared 2-/Frobenius norm.
    NormSq,
    /// Elementwise built-in function.
    Func(Func),
    /// User-defined scalar function, elementwise.
    Call(Name),
    /// Opaque scalar-valued function.
    Opaque(Name),
    /// Sum of entries.
    Sum,
    /// Vector → diagonal matrix.
    Diag,
    /// Diagonal of a matrix as a vector.
    DiagPart,
    /// Column stacking.
    Vec,
    /// Inverse of `Vec` into the node's shape.
    Unvec,
    /// Softmax of a vector.
    Softmax,
    /// Log-sum-exp of a vector.
    LogSumExp,
    /// `\mathrm{kronl}(G, B)`, the gradient of `\langle G, A \otimes B\rangle`
    /// in `A`: entry (i,j) is the inner product of block (i,j) of G with B.
    KronL,
    /// `\mathrm{kronr}(A, G)`, the gradient of `\langle G, A \otimes B\rangle`
    /// in `B`: the sum of the blocks of G weighted by the entries of A.
    KronR,
}
