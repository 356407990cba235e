//! Lowering the checked tree into the graph, through the canonical
//! constructors.

use super::*;

impl Graph {
    /// Build the graph of a typed document: definitions (folded so that their
    /// bodies read as their names wherever they occur) and functions.
    pub fn from_typed(t: &Typed) -> Result<Graph> {
        let mut g = Graph::new(t.vars.clone());
        for (name, f) in &t.fns {
            let TFn { param, body } = f;
            let b = g.lower(t, body)?;
            g.fns.insert(name.clone(), (param.clone(), b));
        }
        for (name, body) in &t.defs {
            let b = g.lower(t, body)?;
            g.defs.insert(name.clone(), b);
            g.def_order.push(name.clone());
            if t.opaque_definition(name).is_some() {
                g.opaque_defs.insert(name.clone());
            }
        }
        g.enable_folding();
        g.check()?;
        g.set_point_symmetry(true);
        Ok(g)
    }

    /// Lower a typed expression into the graph.
    pub fn lower(&mut self, t: &Typed, e: &TExpr) -> Result<Id> {
        let shape = t.shape(e);
        if e.op == Op::Add {
            // A sum is lowered whole: its operands (the parser nests them
            // one `+` at a time) collected, then like terms merged once, so
            // a sum of n terms costs O(n), not O(n²).
            let mut operands = Vec::new();
            let mut stack = vec![e];
            while let Some(x) = stack.pop() {
                if x.op == Op::Add {
                    stack.extend(x.args.iter().rev());
                } else {
                    operands.push(x);
                }
            }
            let mut terms = Vec::with_capacity(operands.len());
            for x in operands {
                terms.push((Q::one(), self.lower(t, x)?));
            }
            return Ok(self.sum_terms(&terms, &shape));
        }
        let mut kids = Vec::with_capacity(e.args.len());
        for a in &e.args {
            kids.push(self.lower(t, a)?);
        }
        let k = |i: usize| kids[i];
        let id = match &e.op {
            Op::Var(n) => self.var(n, shape),
            Op::Def(n) => match self.defs.get(n) {
                Some(&b) => {
                    let s = self.nodes[b].shape.clone();
                    self.intern_nofold(Node {
                        op: Op::Def(n.clone()),
                        kids: vec![b],
                        shape: s,
                    })
                }
                None => {
                    return Err(Diagnostic::new(
                        ErrorKind::Internal,
                        format!("definition `{}` used before it was built", n.latex()),
                    )
                    .at(e.span))
                }
            },
            Op::Const(c) => self.konst(c.clone()),
            Op::Identity => self.identity(&shape.rows),
            Op::Commutation(m, n) => self.commutation(m, n),
            Op::Ones => self.raw(Op::Ones, vec![], shape),
            Op::Zero => self.zero(&shape),
            Op::Upstream(n) => self.raw(Op::Upstream(n.clone()), vec![k(0)], shape),
            Op::Add => self.add(k(0), k(1)),
            Op::Mul => self.mul(k(0), k(1)),
            Op::Had => self.had(k(0), k(1)),
            Op::Kron => self.kron(k(0), k(1)),
            Op::Transpose => self.t(k(0)),
            Op::Inv => self.inv(k(0)),
            Op::MatPow(p) => self.raw(Op::MatPow(*p), vec![k(0)], shape),
            Op::Pow(p) => self.pow(k(0), p.clone()),
            Op::Trace => self.trace(k(0)),
            Op::Det => self.raw(Op::Det, vec![k(0)], shape),
            Op::LogDet => self.op_node(Op::LogDet, vec![k(0)], shape),
            Op::Norm => self.raw(Op::Norm, vec![k(0)], shape),
            Op::NormSq => self.raw(Op::NormSq, vec![k(0)], shape),
            Op::Func(f) => self.func(*f, k(0)),
            Op::Call(n) => self.call(n, k(0))?,
            Op::Opaque(n) => self.raw(Op::Opaque(n.clone()), vec![k(0)], shape),
            Op::Sum => self.sum(k(0)),
            Op::Diag => self.op_node(Op::Diag, vec![k(0)], shape),
            Op::DiagPart => self.diag_part(k(0)),
            Op::Vec => self.op_node(Op::Vec, vec![k(0)], shape),
            Op::Softmax => self.op_node(Op::Softmax, vec![k(0)], shape),
            Op::LogSumExp => self.op_node(Op::LogSumExp, vec![k(0)], shape),
            Op::Unvec => self.unvec(k(0), shape),
            Op::KronL => self.op_node(Op::KronL, vec![k(0), k(1)], shape),
            Op::KronR => self.op_node(Op::KronR, vec![k(0), k(1)], shape),
        };
        if self.overflow || self.big_constant {
            return Err(self
                .check()
                .err()
                .unwrap_or_else(|| {
                    Diagnostic::new(ErrorKind::Internal, "a graph bound without its message")
                })
                .at(e.span));
        }
        if let Some(why) = self.undefined_constant(&e.op, &kids) {
            return Err(Diagnostic::new(
                ErrorKind::Undefined,
                format!("this expression has no value: {why}"),
            )
            .at(e.span));
        }
        Ok(id)
    }

    /// Why an operation on constant operands has no value, if it has none.
    pub(super) fn undefined_constant(&self, op: &Op, kids: &[Id]) -> Option<String> {
        let c = self.const_value(*kids.first()?)?;
        let zero = c.is_zero();
        let neg = c.is_negative();
        match op {
            Op::Pow(p) if zero && p.is_negative() => {
                Some(format!("0 to the power {p} (division by zero)"))
            }
            Op::Pow(p) if neg && !p.is_integer() => Some(format!(
                "a negative number ({c}) to the fractional power {p}"
            )),
            Op::Inv if zero => Some("the inverse of 0".into()),
            Op::Func(Func::Log) if zero || neg => Some(format!("\\log({c})")),
            Op::Func(Func::Sqrt) if neg => Some(format!("\\sqrt{{{c}}}")),
            Op::LogDet if zero => Some("\\log|0|".into()),
            _ => None,
        }
    }
}
