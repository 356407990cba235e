//! Reading students' answers: a juxtaposition of two vectors of the same
//! length that only type-checks as an elementwise product is read as one
//! (docs/LANGUAGE.md, grading).

use super::*;

impl Checker {
    /// Answers only: read a product chain choosing, for each adjacent pair,
    /// a matrix product or (two same-length vectors) a Hadamard product, so
    /// that the whole chain type-checks; fewest Hadamard products wins.
    pub(super) fn lenient_chain(&mut self, factors: Vec<TExpr>) -> Result<TExpr> {
        // Concrete shapes of the factors, as now known.
        let names = self.anon_names.clone();
        let shapes: Vec<Shape> = factors
            .iter()
            .map(|f| shape_of(&mut self.u, &names, f.dims))
            .collect();
        let n = factors.len();
        // best[i][j]: (hadamards, shape, tree) for factors i..=j.
        #[derive(Clone)]
        enum Tree {
            Leaf(usize),
            Node(bool, Box<Tree>, Box<Tree>),
        }
        type Cell = Option<(usize, Shape, Tree)>;
        let mut best: Vec<Vec<Cell>> = vec![vec![None; n]; n];
        for (i, s) in shapes.iter().enumerate() {
            best[i][i] = Some((0, s.clone(), Tree::Leaf(i)));
        }
        for len in 2..=n {
            for i in 0..=n - len {
                let j = i + len - 1;
                let mut cell: Cell = None;
                for k in i..j {
                    let (Some((ha, sa, ta)), Some((hb, sb, tb))) =
                        (best[i][k].clone(), best[k + 1][j].clone())
                    else {
                        continue;
                    };
                    let mut cands = Vec::new();
                    if sa.is_scalar() {
                        cands.push((ha + hb, sb.clone(), false));
                    } else if sb.is_scalar() {
                        cands.push((ha + hb, sa.clone(), false));
                    } else if let Some(s) =
                        Shape::product(&sa, &sb).filter(|_| !(sa.is_vector() && sb.is_vector()))
                    {
                        cands.push((ha + hb, s, false));
                    }
                    if sa.is_vector() && sa == sb {
                        cands.push((ha + hb + 1, sa.clone(), true));
                    }
                    for (h, s, had) in cands {
                        if cell.as_ref().is_none_or(|c| h < c.0) {
                            cell = Some((
                                h,
                                s,
                                Tree::Node(had, Box::new(ta.clone()), Box::new(tb.clone())),
                            ));
                        }
                    }
                }
                best[i][j] = cell;
            }
        }
        let Some((_, _, tree)) = best[0][n - 1].clone() else {
            // No reading type-checks: report with the strict reading's error.
            let mut it = factors.into_iter();
            let mut acc = it
                .next()
                .ok_or_else(|| Diagnostic::new(ErrorKind::Internal, "empty product"))?;
            for t in it {
                let s = acc.span.join(t.span);
                acc = self.mul(acc, t, s)?;
            }
            return Ok(acc);
        };
        let hads = best[0][n - 1].as_ref().map(|c| c.0).unwrap_or(0);
        if hads > 0 {
            let span = factors[0].span.join(factors[n - 1].span);
            let what = if hads == 1 {
                "an elementwise product".to_string()
            } else {
                format!("{hads} elementwise products")
            };
            self.lenient_notes.push((
                span,
                format!("juxtaposed vectors were read as {what} (\\odot), the one reading that fits the shapes"),
            ));
        }
        let mut slots: Vec<Option<TExpr>> = factors.into_iter().map(Some).collect();
        fn build(c: &mut Checker, t: &Tree, slots: &mut Vec<Option<TExpr>>) -> Result<TExpr> {
            match t {
                Tree::Leaf(i) => slots[*i]
                    .take()
                    .ok_or_else(|| Diagnostic::new(ErrorKind::Internal, "factor used twice")),
                Tree::Node(had, a, b) => {
                    let a = build(c, a, slots)?;
                    let b = build(c, b, slots)?;
                    let s = a.span.join(b.span);
                    if *had {
                        c.u.unify(a.dims.0, b.dims.0);
                        let d = a.dims;
                        Ok(c.node(Op::Had, vec![a, b], d, s))
                    } else {
                        c.mul(a, b, s)
                    }
                }
            }
        }
        build(self, &tree, &mut slots)
    }
}
