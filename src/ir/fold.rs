//! Definitions: a subexpression equal to a definition's body is that
//! defined name; user functions substituted; nodes replaced.

use super::*;

impl Graph {
    /// Register definitions for folding and re-fold their bodies.
    pub(super) fn enable_folding(&mut self) {
        for name in self.def_order.clone() {
            let b = self.defs[&name];
            if !self.is_trivial(b) && !self.def_of_body.contains_key(&b) {
                self.def_of_body.insert(b, name.clone());
            }
        }
        self.folding = true;
        let mut memo = HashMap::new();
        let mut new_bodies: BTreeMap<Name, Id> = BTreeMap::new();
        for name in self.def_order.clone() {
            let b = self.defs[&name];
            let nb = self.refold(b, Some(b), &mut memo, &new_bodies);
            new_bodies.insert(name.clone(), nb);
        }
        // Keep the body→name map pointing at the re-folded bodies.
        let old: Vec<(Id, Name)> = self.def_of_body.drain().collect();
        for (_, name) in old {
            if let Some(nb) = new_bodies.get(&name) {
                self.def_of_body.insert(*nb, name);
            }
        }
        self.defs = new_bodies;
        // Defined powers and roots, by what they are a power of.
        self.root_defs.clear();
        let bodies: Vec<(Id, Name)> = self
            .def_of_body
            .iter()
            .map(|(b, n)| (*b, n.clone()))
            .collect();
        for (b, name) in bodies {
            let node = &self.nodes[b];
            // Positive powers and roots only: a reciprocal definition
            // (`L = \|v\|^{-1}`) would turn every power of its base into one
            // of `L`.
            let r = match &node.op {
                Op::Pow(r) if r.is_positive() => r.clone(),
                Op::Func(Func::Sqrt) => Q::new(1.into(), 2.into()),
                _ => continue,
            };
            let base = node.kids[0];
            // The first definition written wins (a deterministic choice).
            let first = self.root_defs.get(&base).is_none_or(|(n, _)| {
                self.def_order.iter().position(|d| d == &name)
                    < self.def_order.iter().position(|d| d == n)
            });
            if first {
                self.root_defs.insert(base, (name, r));
            }
        }
    }

    pub(super) fn refold(
        &mut self,
        id: Id,
        root: Option<Id>,
        memo: &mut HashMap<Id, Id>,
        bodies: &BTreeMap<Name, Id>,
    ) -> Id {
        if Some(id) != root {
            if let Some(&m) = memo.get(&id) {
                return m;
            }
        }
        let node = self.nodes[id].clone();
        let out = match &node.op {
            Op::Def(name) => match bodies.get(name) {
                Some(&b) => self.raw(Op::Def(name.clone()), vec![b], node.shape.clone()),
                None => id,
            },
            _ => {
                let kids: Vec<Id> = node
                    .kids
                    .iter()
                    .map(|&k| self.refold(k, None, memo, bodies))
                    .collect();
                let n = Node {
                    op: node.op.clone(),
                    kids,
                    shape: node.shape.clone(),
                };
                if Some(id) == root {
                    self.intern_nofold(n)
                } else {
                    self.intern(n)
                }
            }
        };
        if Some(id) != root {
            memo.insert(id, out);
        }
        out
    }

    pub(super) fn is_trivial(&self, id: Id) -> bool {
        matches!(
            self.nodes[id].op,
            Op::Var(_)
                | Op::Def(_)
                | Op::Const(_)
                | Op::Identity
                | Op::Ones
                | Op::Zero
                | Op::Upstream(_)
        )
    }

    /// `id`, or the defined name whose body it is (so that local gradients
    /// that reuse a node's value read `h` rather than `\sigma(W x)`).
    pub fn folded(&mut self, id: Id) -> Id {
        match self.def_of_body.get(&id).cloned() {
            Some(name) => self.def_node(&name).unwrap_or(id),
            None => id,
        }
    }

    /// The name a node folds to, if it is a definition's body.
    pub fn def_of_body(&self, id: Id) -> Option<&Name> {
        self.def_of_body.get(&id)
    }

    /// The definition node of `name` (its body as child).
    pub fn def_node(&mut self, name: &Name) -> Option<Id> {
        let b = *self.defs.get(name)?;
        let s = self.nodes[b].shape.clone();
        Some(self.intern_nofold(Node {
            op: Op::Def(name.clone()),
            kids: vec![b],
            shape: s,
        }))
    }

    /// Replace the free input `param` (a scalar) by `arg` in `body`, applying
    /// scalar operations elementwise where `arg` is not scalar.
    pub fn substitute(&mut self, body: Id, param: &Name, arg: Id) -> Result<Id> {
        let mut memo = HashMap::new();
        self.subst_rec(body, param, arg, &mut memo)
    }

    pub(super) fn subst_rec(
        &mut self,
        id: Id,
        param: &Name,
        arg: Id,
        memo: &mut HashMap<Id, Id>,
    ) -> Result<Id> {
        if let Some(&m) = memo.get(&id) {
            return Ok(m);
        }
        let node = self.nodes[id].clone();
        let mut kids = Vec::new();
        for &k in &node.kids {
            kids.push(self.subst_rec(k, param, arg, memo)?);
        }
        let out = match &node.op {
            Op::Var(n) if n == param => arg,
            Op::Var(_) | Op::Const(_) => id,
            Op::Add => self.add(kids[0], kids[1]),
            Op::Mul => {
                if self.is_scalar(kids[0]) || self.is_scalar(kids[1]) {
                    self.mul(kids[0], kids[1])
                } else {
                    self.had(kids[0], kids[1])
                }
            }
            Op::Had => self.had(kids[0], kids[1]),
            Op::Pow(p) => self.pow(kids[0], p.clone()),
            Op::Func(f) => self.func(*f, kids[0]),
            Op::Call(f) => self.call(f, kids[0])?,
            other => {
                return Err(Diagnostic::new(
                    ErrorKind::Unsupported,
                    format!("a user function body may use only scalar arithmetic and elementwise functions, not {other:?}"),
                ))
            }
        };
        memo.insert(id, out);
        Ok(out)
    }

    /// Node `id` with its children `kids` instead, no identity applied (as
    /// [`Graph::replace`] rebuilds a node), for passes that rebuild a graph
    /// children first in one walk.
    pub fn with_kids(&mut self, id: Id, kids: Vec<Id>) -> Id {
        let node = self.nodes[id].clone();
        if kids == node.kids {
            return id;
        }
        self.intern_nofold(Node { kids, ..node })
    }

    /// `id` with the nodes of `map` replaced by their images (same shapes),
    /// rebuilt as is; definitions not in `map` are kept whole.
    pub fn replace(&mut self, id: Id, map: &HashMap<Id, Id>) -> Id {
        if map.is_empty() {
            return id;
        }
        let mut memo: HashMap<Id, Id> = map.clone();
        // Iterative, children first: replaced regions may be deep.
        let mut stack = vec![(id, false)];
        while let Some((n, expanded)) = stack.pop() {
            if memo.contains_key(&n) && !expanded {
                continue;
            }
            let node = self.nodes[n].clone();
            if matches!(node.op, Op::Def(_)) {
                memo.insert(n, n);
                continue;
            }
            if !expanded {
                stack.push((n, true));
                stack.extend(node.kids.iter().map(|&k| (k, false)));
                continue;
            }
            let kids: Vec<Id> = node.kids.iter().map(|k| memo[k]).collect();
            let out = if kids == node.kids {
                n
            } else {
                self.intern_nofold(Node { kids, ..node })
            };
            memo.insert(n, out);
        }
        memo[&id]
    }
}
