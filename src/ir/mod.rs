//! Stage 3: the typed, hash-consed expression graph every later stage shares:
//! storage and hash-consing here; the canonical form in `canon` and
//! `canon_ops`; definitions folded back in `fold`; the typed tree
//! lowered in `lower`.
//!
//! Nodes are built only through smart constructors that keep a canonical
//! form, so that equal expressions are the same node. Construction never
//! changes meaning: every identity the constructors apply is listed here,
//! and each has a named test that evaluates both sides on random instances
//! (`tests/canon.rs`, with the non-goals beside the goals).
//!
//! | identity | constructor |
//! |---|---|
//! | `c (s A) (t B) = (c s t) A B`: scalars and constants to the front, sorted | `mul` |
//! | an inner product `(x^T a)` is one scalar factor, never opened into a chain | `mul` |
//! | a chain that makes a column (not 1×1) is grouped right to left: `(A B) x = A (B x)` | `mul` |
//! | `A I = A` between matrices; `I I = I` | `mul` |
//! | `X X = X^2`, `X^{-1} X = I` for a square base only | `mul` |
//! | `(A B)^{-1} = B^{-1} A^{-1}` only where factors then cancel | `mul` |
//! | `\mathbf{1}^T \mathbf{1} = n` | `mul` |
//! | `u^T (u^{\odot -1} \odot v) = \mathbf{1}^T v` | `mul` |
//! | `\mathbf{1}^T y = y^T \mathbf{1} = 1` for a declared probability vector `y \in \Delta^{C}`, in answers only (a fact of the points answers are evaluated at, like `S^T = S` below) | `mul` |
//! | `s^p s^q = s^{p+q}` for scalar factors | `mul` |
//! | like terms collected, zero terms dropped, in first-seen order; a ones term of a sum is the broadcast scalar `1` (`\mathbf{1} - p = 1 - p`) | `add` |
//! | a sum whose matrix terms cancel keeps its shape: `\alpha + x - x = \alpha \mathbf{1}` | `add` |
//! | `(A B)^T = B^T A^T`, `(A^T)^T = A`, `(A^{-1})^T = (A^T)^{-1}`, `(A \odot B)^T`, `(A \otimes B)^T` | `t` |
//! | `K^T = K` for structurally symmetric `K` (`X X^T`, `A + A^T`, palindromic products); for a declared `\mathbb{S}` input only in answers | `t` |
//! | `(A^{-1})^{-1} = A`, `I^{-1} = I`, `(c s A)^{-1} = c^{-1} s^{-1} A^{-1}` | `inv` |
//! | `(x^p)^k = x^{pk}` and `(c x)^k = c^k x^k` for integer `k`; exact powers of constants | `pow` |
//! | `\exp(u) \odot (1 + \exp(u))^{\odot -1} = \sigma(u)`, `\exp(u) \odot \sigma(-u) = \sigma(u)` | `had` |
//! | `(1 + \exp(-u))^{-1} = \sigma(u)`, scalar or elementwise | `pow` |
//! | `\sinh(u) \odot \cosh(u)^{\odot -1} = \tanh(u)`; `(s \mathbf{1}) \odot B = s B` | `had` |
//! | `s \odot A = s A`; `\mathbf{1} \odot B = B`; `x^{\odot p} \odot x^{\odot q} = x^{\odot (p+q)}`; `0 \odot B = 0` | `had` |
//! | `s \otimes A = s A`; constants out; `0 \otimes B = 0`; `I_m \otimes I_n = I_{mn}` | `kron` |
//! | `K_{m,1} = K_{1,n} = I`; `K_{m,n}^T = K_{n,m}`; `K_{n,n}` is symmetric | `commutation`, `t` |
//! | `\log|s I_n| = n \log|s|` | `op_node` |
//! | `\mathrm{tr}(s) = s`, `\mathrm{tr}(I_n) = n`, `\mathrm{tr}(A \otimes B) = \mathrm{tr} A\, \mathrm{tr} B`, scalars out | `trace` |
//! | `\mathrm{sum}` of ones, of `I`, of an outer product `u v^T = \mathrm{sum}(u)\,\mathrm{sum}(v)`, of a column times a row chain `u R = \mathrm{sum}(u)\,\mathrm{sum}(R)`, scalars out | `sum` |
//! | `\mathrm{diag}(A^T) = \mathrm{diag}(A)`, `\mathrm{diag}(u v^T) = u \odot v`, `\mathrm{diag}(s I) = s \mathbf{1}`, `\mathrm{diag}(I) = \mathbf{1}`, `\mathrm{diag}(\mathbf{1}) = I` | `diag_part`, `op_node` |
//! | `\mathrm{unvec}(\mathrm{vec}\, X) = X`, `\mathrm{unvec}(a \otimes b) = b a^T`, `\mathrm{unvec}((A \otimes B) \mathrm{vec}\, X) = B X A^T` | `unvec` |
//! | linear operations of 0 are 0; `\mathrm{logsumexp}(0_n) = \log n`; `f(0)` of a zero matrix is `f(0) \mathbf{1}`; `\exp(0) = 1`, `\log(1) = 0`, … | `func`, `call`, `op_node` |
//! | a subexpression equal to a definition's body is that defined name | `intern` |
//! | a power of a defined power or root is a power of its name: `d = \sqrt{q}` gives `q^{-1/2} = d^{-1}`, `q = d^2` | `pow` |
//!
//! Non-goals (never applied): commutativity of matrix products, `(AB)^T =
//! A^T B^T`, `\mathrm{tr}(AB) = \mathrm{tr} A\, \mathrm{tr} B`, `S^T = S` for a
//! declared symmetric input inside the function being differentiated,
//! merging equal vectors into a "power", splicing an inner product into a
//! chain, `K_{m,n} = K_{n,m}`, `K_{n,n} = I`.

use crate::check::{TExpr, TFn, Typed, VarInfo};
use crate::core::diagnostic::{Diagnostic, ErrorKind, Result};
use crate::core::op::{Func, Op};
use crate::core::shape::{Dim, Shape, Q};
use crate::syntax::ast::Name;
use num_bigint::BigInt;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

/// A node index.
pub type Id = usize;

/// One node: an operation, its children and its shape.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Node {
    /// The operation.
    pub op: Op,
    /// Children.
    pub kids: Vec<Id>,
    /// Shape.
    pub shape: Shape,
}

/// The expression graph of one document.
#[derive(Clone, Debug)]
pub struct Graph {
    nodes: Vec<Node>,
    memo: HashMap<Node, Id>,
    /// Definitions' bodies, by name.
    pub defs: BTreeMap<Name, Id>,
    /// Definitions in dependency order.
    pub def_order: Vec<Name>,
    def_of_body: HashMap<Id, Name>,
    /// Definitions that are a power or root of a node (`d = \sqrt{q}`): the
    /// node, with the name and exponent, so `q^{-1/2}` folds to `d^{-1}`.
    root_defs: HashMap<Id, (Name, Q)>,
    folding: bool,
    /// Free inputs with their facts.
    pub vars: BTreeMap<Name, VarInfo>,
    /// User functions: parameter and body.
    pub fns: BTreeMap<Name, (Name, Id)>,
    /// Definitions written as one opaque application (`L = \ell(z)`): their
    /// name labels that function's gradient (as written, whatever the
    /// canonical form later drops beside it).
    pub opaque_defs: std::collections::BTreeSet<Name>,
    sym_cache: RefCell<HashMap<Id, bool>>,
    /// Whether a declared symmetric input may be treated as symmetric
    /// (`S^T = S`). Off while the document's own expressions are built: the
    /// function differentiated is the one written, and its gradient is the
    /// unconstrained one. On for answers, which are values at a symmetric
    /// point.
    point_symmetry: bool,
    overflow: bool,
    big_constant: bool,
    /// The limits in force when the graph was made (`core::limits`).
    max_nodes: usize,
    max_constant_bits: u64,
}

mod canon;
mod canon_ops;
mod fold;
mod lower;

impl Graph {
    /// An empty graph over the given inputs.
    pub fn new(vars: BTreeMap<Name, VarInfo>) -> Graph {
        Graph {
            nodes: Vec::new(),
            memo: HashMap::new(),
            defs: BTreeMap::new(),
            def_order: Vec::new(),
            def_of_body: HashMap::new(),
            root_defs: HashMap::new(),
            folding: false,
            vars,
            fns: BTreeMap::new(),
            opaque_defs: Default::default(),
            sym_cache: RefCell::new(HashMap::new()),
            point_symmetry: false,
            overflow: false,
            big_constant: false,
            max_nodes: crate::core::limits::current().graph_nodes,
            max_constant_bits: crate::core::limits::current().constant_bits(),
        }
    }

    /// Allow (or forbid) declared symmetry of inputs in what is built next.
    pub fn set_point_symmetry(&mut self, on: bool) {
        if self.point_symmetry != on {
            self.point_symmetry = on;
            self.sym_cache.borrow_mut().clear();
        }
    }

    /// Fail if a bound was hit while building.
    pub fn check(&self) -> Result<()> {
        if self.big_constant {
            return Err(crate::core::limits::hit(
                "digits",
                format!(
                    "an exact constant grew past {} digits",
                    crate::core::limits::current().digits
                ),
            ));
        }
        if self.overflow {
            return Err(crate::core::limits::hit(
                "graph-nodes",
                format!(
                    "the expression graph grew past {} nodes",
                    crate::core::limits::current().graph_nodes
                ),
            ));
        }
        Ok(())
    }

    /// The node `id`.
    pub fn node(&self, id: Id) -> &Node {
        &self.nodes[id]
    }

    /// The operation of `id`.
    pub fn op(&self, id: Id) -> &Op {
        &self.nodes[id].op
    }

    /// The children of `id`.
    pub fn kids(&self, id: Id) -> &[Id] {
        &self.nodes[id].kids
    }

    /// The shape of `id`.
    pub fn shape(&self, id: Id) -> &Shape {
        &self.nodes[id].shape
    }

    /// Whether `id` is 1×1.
    pub fn is_scalar(&self, id: Id) -> bool {
        self.nodes[id].shape.is_scalar()
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub(super) fn intern_nofold(&mut self, n: Node) -> Id {
        if let Some(&id) = self.memo.get(&n) {
            return id;
        }
        if self.nodes.len() >= self.max_nodes {
            self.overflow = true;
        }
        let id = self.nodes.len();
        self.nodes.push(n.clone());
        self.memo.insert(n, id);
        id
    }

    pub(super) fn intern(&mut self, n: Node) -> Id {
        let id = self.intern_nofold(n);
        if self.folding {
            if let Some(name) = self.def_of_body.get(&id).cloned() {
                let shape = self.nodes[id].shape.clone();
                return self.intern_nofold(Node {
                    op: Op::Def(name),
                    kids: vec![id],
                    shape,
                });
            }
        }
        id
    }

    /// Intern a node as is, never folding it into a defined name (teaching
    /// views that show one operation per node).
    pub fn raw_unfolded(&mut self, op: Op, kids: Vec<Id>, shape: Shape) -> Id {
        self.intern_nofold(Node { op, kids, shape })
    }

    /// Intern a node as is (no normalisation).
    pub fn raw(&mut self, op: Op, kids: Vec<Id>, shape: Shape) -> Id {
        self.intern(Node { op, kids, shape })
    }

    /// How many nodes `id` is when written out as a tree: a shared part
    /// counts each time it is written, a defined name once (its body is
    /// not written). Saturating, so a deep net's exponential tree is
    /// measured without being walked: a bound on printed length, checked
    /// before printing.
    pub fn written_size(&self, id: Id) -> usize {
        self.written_size_memo(id, &mut HashMap::new())
    }

    /// [`Graph::written_size`] with the sizes in `memo` already known, and
    /// those it works out added (nodes never change, so a memo can be kept
    /// across calls).
    pub fn written_size_memo(&self, id: Id, memo: &mut HashMap<Id, usize>) -> usize {
        if let Some(&n) = memo.get(&id) {
            return n;
        }
        let order = self.postorder_by(&[id], |g, n| {
            if memo.contains_key(&n) || matches!(g.nodes[n].op, Op::Def(_)) {
                Vec::new()
            } else {
                g.nodes[n].kids.clone()
            }
        });
        for n in order {
            if memo.contains_key(&n) {
                continue;
            }
            let s = match self.nodes[n].op {
                Op::Def(_) => 1,
                _ => self.nodes[n]
                    .kids
                    .iter()
                    .fold(1usize, |acc, k| acc.saturating_add(memo[k])),
            };
            memo.insert(n, s);
        }
        memo[&id]
    }

    /// The nodes under `roots`, children first, each once, where `kids`
    /// says which children a node is walked into (in the order they are
    /// listed): for walks that stop at some nodes or order the children.
    /// Iterative, so depth follows no stack.
    pub fn postorder_by(
        &self,
        roots: &[Id],
        mut kids: impl FnMut(&Graph, Id) -> Vec<Id>,
    ) -> Vec<Id> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut stack: Vec<(Id, bool)> = roots.iter().rev().map(|&r| (r, false)).collect();
        while let Some((id, done)) = stack.pop() {
            if done {
                out.push(id);
                continue;
            }
            if !seen.insert(id) {
                continue;
            }
            stack.push((id, true));
            // The stack pops last-pushed first.
            stack.extend(kids(self, id).into_iter().rev().map(|k| (k, false)));
        }
        out
    }

    /// Every node reachable from `root`, children before parents.
    pub fn postorder(&self, root: Id) -> Vec<Id> {
        self.postorder_all(&[root])
    }

    /// The nodes under any of `roots`, each once, children first: one walk
    /// (walking each root on its own would cost the graph's size per root).
    pub fn postorder_all(&self, roots: &[Id]) -> Vec<Id> {
        let mut out = Vec::new();
        let mut seen = vec![false; self.nodes.len()];
        let mut stack: Vec<(Id, bool)> = roots.iter().rev().map(|&r| (r, false)).collect();
        while let Some((id, done)) = stack.pop() {
            if done {
                out.push(id);
                continue;
            }
            if seen[id] {
                continue;
            }
            seen[id] = true;
            stack.push((id, true));
            for &k in self.nodes[id].kids.iter().rev() {
                if !seen[k] {
                    stack.push((k, false));
                }
            }
        }
        out
    }
}
