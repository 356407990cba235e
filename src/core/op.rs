//! The operators: one [`Op`] for the typed tree and the expression graph,
//! and the elementwise functions [`Func`].

use crate::core::name::Name;
use crate::core::shape::{Dim, Q};

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
    /// `\cosh`.
    Cosh,
    /// `\sinh`.
    Sinh,
    /// `\arctan`.
    Arctan,
    /// `\mathrm{softplus}(z) = \log(1 + e^z)`.
    Softplus,
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
    /// The commutation matrix `K_{m,n}` (`mn × mn`): `K_{m,n} \mathrm{vec}(A)
    /// = \mathrm{vec}(A^T)` for an `m × n` matrix `A` (Magnus & Neudecker).
    Commutation(Dim, Dim),
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

/// How an operator is written: its LaTeX, Unicode-text and NumPy spellings
/// (the function or symbol; names and constants spell themselves).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spelling {
    /// LaTeX: `\mathrm{tr}`, `\odot`.
    pub latex: &'static str,
    /// Unicode text: `tr`, `⊙`.
    pub text: &'static str,
    /// NumPy: `np.trace`, `*`.
    pub numpy: &'static str,
}

/// The identity a local gradient stands on, with its Matrix Cookbook
/// equation (Petersen & Pedersen, Nov. 2012) where one applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Citation {
    /// Unicode text.
    pub text: &'static str,
    /// LaTeX math.
    pub latex: &'static str,
}

const fn sp(latex: &'static str, text: &'static str, numpy: &'static str) -> Spelling {
    Spelling { latex, text, numpy }
}

const fn cite(text: &'static str, latex: &'static str) -> Citation {
    Citation { text, latex }
}

impl Func {
    /// Every function, in a fixed order.
    pub const ALL: [Func; 13] = [
        Func::Exp,
        Func::Log,
        Func::Sigmoid,
        Func::Tanh,
        Func::Sin,
        Func::Cos,
        Func::Sqrt,
        Func::Relu,
        Func::Step,
        Func::Cosh,
        Func::Sinh,
        Func::Arctan,
        Func::Softplus,
    ];

    /// How the function is written.
    pub fn spelling(self) -> Spelling {
        match self {
            Func::Exp => sp("\\exp", "exp", "np.exp"),
            Func::Log => sp("\\log", "log", "np.log"),
            Func::Sigmoid => sp("\\sigma", "σ", "_sigmoid"),
            Func::Tanh => sp("\\tanh", "tanh", "np.tanh"),
            Func::Sin => sp("\\sin", "sin", "np.sin"),
            Func::Cos => sp("\\cos", "cos", "np.cos"),
            Func::Sqrt => sp("\\sqrt", "√", "np.sqrt"),
            Func::Relu => sp("\\mathrm{relu}", "relu", "np.maximum"),
            Func::Step => sp("\\mathbb{1}", "𝟙", "np.where"),
            Func::Cosh => sp("\\cosh", "cosh", "np.cosh"),
            Func::Sinh => sp("\\sinh", "sinh", "np.sinh"),
            Func::Arctan => sp("\\arctan", "arctan", "np.arctan"),
            Func::Softplus => sp("\\mathrm{softplus}", "softplus", "_softplus"),
        }
    }

    /// Its derivative, applied elementwise.
    pub fn citation(self) -> Citation {
        match self {
            Func::Exp => cite("exp' = exp, elementwise", r"\exp' = \exp"),
            Func::Log => cite("log'(z) = 1/z, elementwise", r"\log'(z) = 1/z"),
            Func::Sigmoid => cite(
                "σ'(z) = σ(z)(1 - σ(z)), elementwise",
                r"\sigma'(z) = \sigma(z)(1 - \sigma(z))",
            ),
            Func::Tanh => cite(
                "tanh'(z) = 1 - tanh²(z), elementwise",
                r"\tanh'(z) = 1 - \tanh^2(z)",
            ),
            Func::Sin => cite("sin' = cos, elementwise", r"\sin' = \cos"),
            Func::Cos => cite("cos' = -sin, elementwise", r"\cos' = -\sin"),
            Func::Sqrt => cite(
                "(√z)' = 1/(2√z), elementwise",
                r"(\sqrt{z})' = 1/(2\sqrt{z})",
            ),
            Func::Relu => cite(
                "relu'(z) = 𝟙[z > 0], elementwise",
                r"\mathrm{relu}'(z) = \mathbb{1}[z > 0]",
            ),
            Func::Step => cite(
                "𝟙[z > 0]' = 0 wherever it is defined",
                r"\mathbb{1}[z > 0]' = 0",
            ),
            Func::Cosh => cite("cosh' = sinh, elementwise", r"\cosh' = \sinh"),
            Func::Sinh => cite("sinh' = cosh, elementwise", r"\sinh' = \cosh"),
            Func::Arctan => cite(
                "arctan'(z) = 1/(1 + z²), elementwise",
                r"\arctan'(z) = 1/(1 + z^2)",
            ),
            Func::Softplus => cite(
                "softplus'(z) = σ(z), elementwise",
                r"\mathrm{softplus}'(z) = \sigma(z)",
            ),
        }
    }
}

impl Op {
    /// How the operator is written. Names, constants and user functions
    /// spell themselves (empty spellings).
    pub fn spelling(&self) -> Spelling {
        match self {
            Op::Var(_) | Op::Def(_) | Op::Const(_) | Op::Upstream(_) => sp("", "", ""),
            Op::Call(_) | Op::Opaque(_) => sp("", "", ""),
            Op::Identity => sp("I", "I", "np.eye"),
            Op::Ones => sp("\\mathbf{1}", "𝟏", "np.ones"),
            Op::Zero => sp("0", "0", "np.zeros"),
            Op::Commutation(..) => sp("\\mathbf{K}", "K", "np.eye"),
            Op::Add => sp("+", "+", "+"),
            Op::Mul => sp(" ", " ", "@"),
            Op::Had => sp("\\odot", "⊙", "*"),
            Op::Kron => sp("\\otimes", "⊗", "np.kron"),
            Op::Transpose => sp("^T", "ᵀ", ".T"),
            Op::Inv => sp("^{-1}", "⁻¹", "np.linalg.inv"),
            Op::MatPow(_) => sp("^", "^", "np.linalg.matrix_power"),
            Op::Pow(_) => sp("^", "^", "**"),
            Op::Trace => sp("\\mathrm{tr}", "tr", "np.trace"),
            Op::Det => sp("\\det", "det", "np.linalg.det"),
            Op::LogDet => sp("\\log|", "log|", "np.linalg.slogdet"),
            Op::Norm => sp("\\|", "‖", "np.linalg.norm"),
            Op::NormSq => sp("\\|", "‖", "np.linalg.norm"),
            Op::Func(f) => f.spelling(),
            Op::Sum => sp("\\mathrm{sum}", "sum", "np.sum"),
            Op::Diag => sp("\\mathrm{diag}", "diag", "np.diagflat"),
            Op::DiagPart => sp("\\mathrm{diag}", "diag", "np.diag"),
            Op::Vec => sp("\\mathrm{vec}", "vec", "reshape"),
            Op::Unvec => sp("\\mathrm{unvec}", "unvec", "reshape"),
            Op::Softmax => sp("\\mathrm{softmax}", "softmax", "_softmax"),
            Op::LogSumExp => sp("\\mathrm{logsumexp}", "logsumexp", "_logsumexp"),
            Op::KronL => sp("\\mathrm{kronl}", "kronl", "_kron_grad_a"),
            Op::KronR => sp("\\mathrm{kronr}", "kronr", "_kron_grad_b"),
        }
    }

    /// An input of the expression (a name, a constant, a structural matrix,
    /// an upstream gradient): a leaf with no operation of its own. Defined
    /// names are not: they stand for their body.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            Op::Var(_)
                | Op::Const(_)
                | Op::Identity
                | Op::Ones
                | Op::Zero
                | Op::Commutation(..)
                | Op::Upstream(_)
        )
    }

    /// The identity its local gradient (its rule in reverse mode) stands
    /// on; `None` for inputs and names, which pass adjoints on unchanged.
    pub fn citation(&self) -> Option<Citation> {
        Some(match self {
            Op::Var(_) | Op::Def(_) | Op::Const(_) | Op::Upstream(_) => return None,
            Op::Identity | Op::Ones | Op::Zero | Op::Commutation(..) => return None,
            Op::Add => cite(
                "∂(X + Y) = ∂X + ∂Y (eq. 35)",
                r"\partial(X + Y) = \partial X + \partial Y \text{ (eq. 35)}",
            ),
            Op::Mul => cite(
                "∂(XY) = (∂X)Y + X(∂Y) (eq. 37), so ∂tr(G^T A X B)/∂X = A^T G B^T (eq. 101 with G^T A for A)",
                r"\partial(XY) = (\partial X)Y + X(\partial Y) \text{ (eq. 37)}",
            ),
            Op::Had => cite(
                "∂(X ∘ Y) = (∂X) ∘ Y + X ∘ (∂Y) (eq. 38)",
                r"\partial(X \circ Y) = (\partial X) \circ Y + X \circ (\partial Y) \text{ (eq. 38)}",
            ),
            Op::Kron => cite(
                "∂(X ⊗ Y) = (∂X) ⊗ Y + X ⊗ (∂Y) (eq. 39)",
                r"\partial(X \otimes Y) = (\partial X) \otimes Y + X \otimes (\partial Y) \text{ (eq. 39)}",
            ),
            Op::Transpose => cite(
                "∂(X^T) = (∂X)^T (eq. 44)",
                r"\partial(X^T) = (\partial X)^T \text{ (eq. 44)}",
            ),
            Op::Inv => cite(
                "∂(X^{-1}) = -X^{-1}(∂X)X^{-1} (eq. 40), so -X^{-T} G X^{-T} (eq. 61 with a b^T as G)",
                r"\partial(X^{-1}) = -X^{-1}(\partial X)X^{-1} \text{ (eq. 40)}",
            ),
            Op::MatPow(_) => cite(
                "∂(X^k) = Σ_r X^r (∂X) X^{k-1-r} (eq. 37, k - 1 times)",
                r"\partial(X^k) = \textstyle\sum_r X^r (\partial X) X^{k-1-r} \text{ (eq. 37, } k - 1 \text{ times)}",
            ),
            Op::Pow(_) => cite("d(x^q) = q x^{q-1} dx", r"d(x^q) = q x^{q-1} dx"),
            Op::Trace => cite(
                "∂tr(X)/∂X = I (eq. 99)",
                r"\partial \mathrm{tr}(X) / \partial X = I \text{ (eq. 99)}",
            ),
            Op::Det => cite(
                "∂det(X)/∂X = det(X) X^{-T} (eq. 49)",
                r"\partial \det(X) / \partial X = \det(X) X^{-T} \text{ (eq. 49)}",
            ),
            Op::LogDet => cite(
                "∂ln|det(X)|/∂X = X^{-T} (eq. 57)",
                r"\partial \ln|\det(X)| / \partial X = X^{-T} \text{ (eq. 57)}",
            ),
            Op::Norm => cite(
                "∂‖x - a‖₂/∂x = (x - a)/‖x - a‖₂ (eq. 129), at a = 0",
                r"\partial \|x\|_2 / \partial x = x / \|x\|_2 \text{ (eq. 129, } a = 0\text{)}",
            ),
            Op::NormSq => cite(
                "∂‖x‖₂²/∂x = 2x (eq. 131), ∂‖X‖_F²/∂X = 2X (eq. 132)",
                r"\partial \|X\|_F^2 / \partial X = 2X \text{ (eq. 132)}",
            ),
            Op::Func(f) => f.citation(),
            Op::Call(_) => cite(
                "the function's scalar derivative, applied elementwise",
                r"\text{the scalar derivative, elementwise}",
            ),
            Op::Opaque(_) => cite(
                "an opaque function contributes its upstream gradient",
                r"\text{upstream gradient of an opaque function}",
            ),
            Op::Sum => cite(
                "∂sum(X)/∂X = 1 1^T",
                r"\partial\, \mathrm{sum}(X) / \partial X = \mathbf{1}\mathbf{1}^T",
            ),
            Op::Diag => cite(
                "∂diag(x)/∂x: the diagonal of the adjoint",
                r"\partial\, \mathrm{diag}(x) / \partial x = \mathrm{diag}(G)",
            ),
            Op::DiagPart => cite(
                "∂diag(X)/∂X: the adjoint on the diagonal",
                r"\partial\, \mathrm{diag}(X) / \partial X = \mathrm{diag}(g)",
            ),
            Op::Vec => cite(
                "vec is linear: its adjoint is unvec",
                r"\partial\, \mathrm{vec}(X) = \mathrm{vec}(\partial X)",
            ),
            Op::Unvec => cite(
                "unvec is linear: its adjoint is vec",
                r"\partial\, \mathrm{unvec}(x) = \mathrm{unvec}(\partial x)",
            ),
            Op::Softmax => cite("J = diag(s) - s s^T", r"J = \mathrm{diag}(s) - s s^T"),
            Op::LogSumExp => cite(
                "∂ logsumexp(z)/∂z = softmax(z)",
                r"\partial\, \mathrm{logsumexp}(z) / \partial z = \mathrm{softmax}(z)",
            ),
            Op::KronL => cite(
                "kronl is linear in G and in B (eq. 39 contracted)",
                r"\mathrm{kronl}\text{ is bilinear (eq. 39)}",
            ),
            Op::KronR => cite(
                "kronr is linear in A and in G (eq. 39 contracted)",
                r"\mathrm{kronr}\text{ is bilinear (eq. 39)}",
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One operator of each kind. `kind` below is an exhaustive match, so a
    /// new operator fails to compile until it is listed here too.
    fn samples() -> Vec<Op> {
        let n = Name::latin("f");
        let mut v = vec![
            Op::Var(n.clone()),
            Op::Def(n.clone()),
            Op::Const(Q::from_integer(2.into())),
            Op::Identity,
            Op::Ones,
            Op::Zero,
            Op::Commutation(Dim::Sym("m".into()), Dim::Sym("n".into())),
            Op::Upstream(n.clone()),
            Op::Add,
            Op::Mul,
            Op::Had,
            Op::Kron,
            Op::Transpose,
            Op::Inv,
            Op::MatPow(2),
            Op::Pow(Q::from_integer(3.into())),
            Op::Trace,
            Op::Det,
            Op::LogDet,
            Op::Norm,
            Op::NormSq,
            Op::Call(n.clone()),
            Op::Opaque(n),
            Op::Sum,
            Op::Diag,
            Op::DiagPart,
            Op::Vec,
            Op::Unvec,
            Op::Softmax,
            Op::LogSumExp,
            Op::KronL,
            Op::KronR,
        ];
        v.extend(Func::ALL.iter().map(|&f| Op::Func(f)));
        v
    }

    fn kind(op: &Op) -> (usize, bool) {
        // (kind, is an input or a name: no spelling or rule of its own)
        match op {
            Op::Var(_) => (0, true),
            Op::Def(_) => (1, true),
            Op::Const(_) => (2, true),
            Op::Identity => (3, true),
            Op::Ones => (4, true),
            Op::Zero => (5, true),
            Op::Upstream(_) => (6, true),
            Op::Add => (7, false),
            Op::Mul => (8, false),
            Op::Had => (9, false),
            Op::Kron => (10, false),
            Op::Transpose => (11, false),
            Op::Inv => (12, false),
            Op::MatPow(_) => (13, false),
            Op::Pow(_) => (14, false),
            Op::Trace => (15, false),
            Op::Det => (16, false),
            Op::LogDet => (17, false),
            Op::Norm => (18, false),
            Op::NormSq => (19, false),
            Op::Func(_) => (20, false),
            Op::Call(_) => (21, false),
            Op::Opaque(_) => (22, false),
            Op::Sum => (23, false),
            Op::Diag => (24, false),
            Op::DiagPart => (25, false),
            Op::Vec => (26, false),
            Op::Unvec => (27, false),
            Op::Softmax => (28, false),
            Op::LogSumExp => (29, false),
            Op::KronL => (30, false),
            Op::KronR => (31, false),
            Op::Commutation(..) => (32, true),
        }
    }

    /// Every operator and function has its spellings and the identity its
    /// local gradient cites in one table. (That every operator has a local
    /// gradient is the exhaustive match of `diff::local`.)
    #[test]
    fn every_operator_has_spellings_and_a_citation() {
        let ops = samples();
        let kinds: std::collections::BTreeSet<usize> = ops.iter().map(|o| kind(o).0).collect();
        assert_eq!(
            kinds.len(),
            33,
            "an operator kind is missing from the samples"
        );
        for op in &ops {
            let (_, leaf) = kind(op);
            assert_eq!(
                op.is_input(),
                leaf && !matches!(op, Op::Def(_)),
                "{op:?}: is_input"
            );
            let s = op.spelling();
            let named = matches!(op, Op::Call(_) | Op::Opaque(_));
            if !leaf && !named {
                assert!(
                    !s.latex.trim().is_empty() || *op == Op::Mul,
                    "{op:?}: LaTeX"
                );
                assert!(!s.text.trim().is_empty() || *op == Op::Mul, "{op:?}: text");
                assert!(!s.numpy.is_empty(), "{op:?}: NumPy");
            }
            match op.citation() {
                Some(c) => {
                    assert!(!leaf, "{op:?} is an input but cites a rule");
                    assert!(!c.text.is_empty() && !c.latex.is_empty(), "{op:?}");
                }
                None => assert!(leaf, "{op:?} has no citation"),
            }
        }
        for f in Func::ALL {
            let s = f.spelling();
            assert!(!s.latex.is_empty() && !s.text.is_empty() && !s.numpy.is_empty());
            assert!(!f.citation().text.is_empty());
        }
    }
}
