//! Drawing a random well-shaped problem: declarations, definitions, queries.

use super::*;

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            vars: Vec::new(),
            defs: Vec::new(),
            used_names: BTreeSet::new(),
            max_defs: 3,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    fn dim(&mut self) -> Dim {
        vec![self.rng.gen_range(0..3u8)]
    }

    /// A variable of a simple shape and kind; reuse an existing one often.
    fn var(&mut self, s: &Shape, kind: VarKind) -> N {
        if s.r.is_empty() && !s.c.is_empty() {
            let v = self.var(&s.t(), kind);
            let sp = self.rng.gen_range(0..4);
            return N {
                e: E::T(bx(v), sp),
                s: s.clone(),
            };
        }
        let existing: Vec<usize> = (0..self.vars.len())
            .filter(|&i| self.vars[i].shape == *s && self.vars[i].kind == kind)
            .collect();
        if !existing.is_empty() && self.chance(0.5) {
            let i = *existing.choose(&mut self.rng).unwrap();
            return N {
                e: E::Var(i),
                s: s.clone(),
            };
        }
        let (latex, ident) = if s.is_scalar() {
            let pool: Vec<(&str, &str)> = SCALARS.to_vec();
            pick_name(&self.used_names, &pool, &mut self.rng)
        } else if matches!(kind, VarKind::Sym | VarKind::Spd) {
            pick_name(&self.used_names, &SYMS, &mut self.rng)
        } else if s.c.is_empty() {
            let pool: Vec<(&str, &str)> = VECTORS.iter().map(|v| (*v, *v)).collect();
            pick_name(&self.used_names, &pool, &mut self.rng)
        } else {
            let pool: Vec<(&str, &str)> = MATRICES.iter().map(|v| (*v, *v)).collect();
            pick_name(&self.used_names, &pool, &mut self.rng)
        };
        self.used_names.insert(ident.clone());
        self.vars.push(Var {
            latex,
            ident,
            shape: s.clone(),
            kind,
        });
        N {
            e: E::Var(self.vars.len() - 1),
            s: s.clone(),
        }
    }

    fn leaf(&mut self, s: &Shape, dom: Dom) -> N {
        if !s.is_simple() {
            return self.compound(s, 0, dom);
        }
        if s.is_scalar() {
            let k = self.rng.gen_range(0..10);
            return match (k, dom) {
                (0 | 1, _) => {
                    let (p, q) = *[(2, 1), (3, 1), (1, 2), (3, 2), (1, 3)]
                        .choose(&mut self.rng)
                        .unwrap();
                    N {
                        e: E::Num(p, q),
                        s: s.clone(),
                    }
                }
                (2, _) => N {
                    e: E::DimSym(self.rng.gen_range(0..3)),
                    s: s.clone(),
                },
                (3 | 4, _) | (_, Dom::Pos) => self.var(s, VarKind::PosScalar),
                _ => self.var(s, VarKind::General),
            };
        }
        if s.r.is_empty() {
            // A row: transpose of a column variable.
            let v = self.leaf(&s.t(), dom);
            let sp = self.rng.gen_range(0..4);
            return N {
                e: E::T(bx(v), sp),
                s: s.clone(),
            };
        }
        if s.is_square() && self.chance(0.3) {
            let kind = if self.chance(0.5) {
                VarKind::Sym
            } else {
                VarKind::Spd
            };
            if dom == Dom::Any {
                // Symmetric values may be negative: only in Any.
                return self.var(s, kind);
            }
        }
        let kind = if dom == Dom::Pos || self.chance(0.2) {
            VarKind::Positive
        } else {
            VarKind::General
        };
        self.var(s, kind)
    }

    /// A shape with a product dimension: vec, Kronecker, or elementwise around them.
    fn compound(&mut self, s: &Shape, depth: u32, dom: Dom) -> N {
        if depth > 0 && dom == Dom::Any {
            match self.rng.gen_range(0..8) {
                0 => {
                    let a = self.compound(s, depth - 1, dom);
                    let b = self.compound(s, depth - 1, dom);
                    return N {
                        e: E::Add(bx(a), bx(b)),
                        s: s.clone(),
                    };
                }
                1 => {
                    let a = self.compound(s, depth - 1, dom);
                    let b = self.compound(s, depth - 1, dom);
                    return N {
                        e: E::Had(bx(a), bx(b)),
                        s: s.clone(),
                    };
                }
                2 => {
                    let a = self.compound(s, depth - 1, dom);
                    let f = *[F::Sin, F::Tanh, F::Sigma].choose(&mut self.rng).unwrap();
                    return N {
                        e: E::Func(f, bx(a)),
                        s: s.clone(),
                    };
                }
                _ => {}
            }
        }
        if s.r.is_empty() {
            let v = self.compound(&s.t(), depth, dom);
            return N {
                e: E::T(bx(v), self.rng.gen_range(0..4)),
                s: s.clone(),
            };
        }
        if s.c.is_empty() && s.r.len() == 2 && self.chance(0.5) {
            let inner = Shape::new(vec![s.r[0]], vec![s.r[1]]);
            let a = self.gen(&inner, depth.saturating_sub(1), dom);
            return N {
                e: E::Vec(bx(a)),
                s: s.clone(),
            };
        }
        let split = |d: &Dim| -> (Dim, Dim) {
            match d.len() {
                0 => (vec![], vec![]),
                1 => (d.clone(), vec![]),
                _ => (vec![d[0]], d[1..].to_vec()),
            }
        };
        let (r1, r2) = split(&s.r);
        let (c1, c2) = split(&s.c);
        let a = self.gen(&Shape::new(r1, c1), depth.saturating_sub(1), dom);
        let b = self.gen(&Shape::new(r2, c2), depth.saturating_sub(1), dom);
        N {
            e: E::Kron(bx(a), bx(b)),
            s: s.clone(),
        }
    }

    /// An invertible square matrix (positive determinant, well conditioned).
    fn invertible(&mut self, d: &Dim, depth: u32) -> N {
        let s = Shape::new(d.clone(), d.clone());
        let n = match self.rng.gen_range(0..6) {
            0 | 1 => self.var(&s, VarKind::Spd),
            2 => {
                // X + c I with c large.
                let x = self.var(&s, VarKind::General);
                let c = N {
                    e: E::Num(self.rng.gen_range(4..7), 1),
                    s: Shape::scalar(),
                };
                let style = if self.chance(0.5) { 0 } else { 1 };
                let i = scaled_eye(c, &s, style);
                N {
                    e: E::Add(bx(x), bx(i)),
                    s: s.clone(),
                }
            }
            3 | 4 => {
                // G^T G + I or G G^T + α I.
                let k = self.dim();
                let g = self.gen(
                    &Shape::new(k.clone(), d.clone()),
                    depth.saturating_sub(1).min(1),
                    Dom::Any,
                );
                let gt = N {
                    e: E::T(bx(g.clone()), self.rng.gen_range(0..4)),
                    s: g.s.t(),
                };
                let prod = N {
                    e: E::Mul(bx(gt), bx(g), 0),
                    s: s.clone(),
                };
                let eye = N {
                    e: E::Eye,
                    s: s.clone(),
                };
                let id = if self.chance(0.5) {
                    eye
                } else {
                    let a = self.var(&Shape::scalar(), VarKind::PosScalar);
                    N {
                        e: E::Mul(bx(a), bx(eye), 0),
                        s: s.clone(),
                    }
                };
                N {
                    e: E::Add(bx(prod), bx(id)),
                    s: s.clone(),
                }
            }
            _ => {
                // S + c I with a symmetric S.
                let x = self.var(&s, VarKind::Sym);
                let c = N {
                    e: E::Num(self.rng.gen_range(4..7), 1),
                    s: Shape::scalar(),
                };
                let i = scaled_eye(c, &s, 0);
                N {
                    e: E::Add(bx(i), bx(x)),
                    s: s.clone(),
                }
            }
        };
        self.maybe_def(n, 0.35)
    }

    /// Turn a non-leaf node into a definition sometimes.
    fn maybe_def(&mut self, n: N, p: f64) -> N {
        if matches!(
            n.e,
            E::Var(_) | E::Num(..) | E::Eye | E::DimSym(_) | E::Def(_)
        ) {
            return n;
        }
        if self.defs.len() + 1 < self.max_defs && self.chance(p) {
            let k = self.defs.len() + 1;
            let name = if self.chance(0.5) {
                format!("z_{k}")
            } else {
                format!("z_{{{k}}}")
            };
            let s = n.s.clone();
            self.defs.push((name, n));
            return N {
                e: E::Def(self.defs.len() - 1),
                s,
            };
        }
        n
    }

    /// A name-valued argument (for opaque functions): a variable or a definition.
    fn named(&mut self, s: &Shape, depth: u32) -> N {
        let n = self.gen(s, depth, Dom::Any);
        if matches!(n.e, E::Var(_) | E::Def(_)) {
            return n;
        }
        if self.defs.len() + 1 < self.max_defs + 1 {
            let k = self.defs.len() + 1;
            let name = format!("z_{k}");
            let s = n.s.clone();
            self.defs.push((name, n));
            return N {
                e: E::Def(self.defs.len() - 1),
                s,
            };
        }
        if s.is_simple() {
            let kind = if s.is_scalar() {
                VarKind::PosScalar
            } else {
                VarKind::General
            };
            return self.var(s, kind);
        }
        self.leaf(s, Dom::Any)
    }

    fn num(&mut self) -> N {
        let (p, q) = *[(2, 1), (3, 1), (1, 2), (3, 2), (1, 3), (2, 3)]
            .choose(&mut self.rng)
            .unwrap();
        N {
            e: E::Num(p, q),
            s: Shape::scalar(),
        }
    }

    /// A random node of shape `s` in domain `dom`.
    pub fn gen(&mut self, s: &Shape, depth: u32, dom: Dom) -> N {
        if !s.is_simple() {
            return self.compound(s, depth, dom);
        }
        if depth == 0 {
            return self.leaf(s, dom);
        }
        let d = depth - 1;
        let n = if dom == Dom::Pos {
            self.gen_pos(s, d)
        } else {
            self.gen_any(s, d)
        };
        self.maybe_def(n, 0.2)
    }

    fn gen_pos(&mut self, s: &Shape, d: u32) -> N {
        let sc = s.is_scalar();
        loop {
            let k = self.rng.gen_range(0..14);
            let e = match k {
                0 => {
                    // 1 + x^{⊙2} or c + t^2
                    let x = self.gen(s, d, Dom::Any);
                    let c = N {
                        e: E::Num(1, 1),
                        s: Shape::scalar(),
                    };
                    if sc {
                        let p = N {
                            e: E::Pow(bx(x), 2, 1, false),
                            s: s.clone(),
                        };
                        E::Add(bx(c), bx(p))
                    } else {
                        let p = N {
                            e: E::HadPow(bx(x), 2, 1),
                            s: s.clone(),
                        };
                        E::BAdd(bx(c), bx(p), false, self.chance(0.7))
                    }
                }
                1 => E::Func(
                    if self.chance(0.7) { F::Exp } else { F::EPow },
                    bx(self.gen(s, d, Dom::Any)),
                ),
                2 => E::Func(F::Sigma, bx(self.gen(s, d, Dom::Any))),
                3 => E::Func(F::Sqrt, bx(self.gen(s, d, Dom::Pos))),
                4 => {
                    let (p, q) = *[(1, 2), (3, 2), (-1, 1), (2, 1), (-1, 2)]
                        .choose(&mut self.rng)
                        .unwrap();
                    let b = self.gen(s, d, Dom::Pos);
                    if sc {
                        E::Pow(bx(b), p, q, p == 1 && q == 2 && self.chance(0.5))
                    } else {
                        E::HadPow(bx(b), p, q)
                    }
                }
                5 if !sc => E::Had(bx(self.gen(s, d, Dom::Pos)), bx(self.gen(s, d, Dom::Pos))),
                6 => E::Add(bx(self.gen(s, d, Dom::Pos)), bx(self.gen(s, d, Dom::Pos))),
                7 => {
                    let a = if self.chance(0.5) {
                        self.num()
                    } else {
                        self.gen(&Shape::scalar(), d, Dom::Pos)
                    };
                    E::Mul(bx(a), bx(self.gen(s, d, Dom::Pos)), 0)
                }
                8 => E::Div(
                    bx(self.gen(s, d, Dom::Pos)),
                    bx(self.gen(&Shape::scalar(), d, Dom::Pos)),
                    self.chance(0.5),
                ),
                9 if !sc && s.c.is_empty() => E::Softmax(bx(self.gen(s, d, Dom::Any))),
                10 if sc => {
                    // norms (positive almost surely), squared plus one
                    let ds = self.dim();
                    let v = self.gen(&Shape::new(ds, vec![]), d, Dom::Any);
                    E::Norm(bx(v), false, self.rng.gen_range(0..3))
                }
                11 if sc => {
                    let dd = self.dim();
                    E::Det(bx(self.invertible(&dd, d)), self.rng.gen_range(0..3))
                }
                12 if sc => E::User(1, bx(self.gen(s, d, Dom::Any))),
                13 => return self.leaf(s, Dom::Pos),
                _ => continue,
            };
            return N { e, s: s.clone() };
        }
    }

    fn gen_any(&mut self, s: &Shape, d: u32) -> N {
        let sc = s.is_scalar();
        let vector = !s.r.is_empty() && s.c.is_empty();
        let square = s.is_square();
        loop {
            let k = self.rng.gen_range(0..43);
            let e = match k {
                0 | 1 => E::Add(bx(self.gen(s, d, Dom::Any)), bx(self.gen(s, d, Dom::Any))),
                2 => E::Sub(bx(self.gen(s, d, Dom::Any)), bx(self.gen(s, d, Dom::Any))),
                3 => E::Neg(bx(self.gen(s, d, Dom::Any))),
                4..=7 => {
                    // matrix product through an inner dimension
                    let inner = match self.rng.gen_range(0..8) {
                        0 => vec![],
                        1 if sc => {
                            let a = self.rng.gen_range(0..3u8);
                            let b = self.rng.gen_range(0..3u8);
                            vec![a, b]
                        }
                        _ => self.dim(),
                    };
                    if inner.is_empty() && sc {
                        continue;
                    }
                    let a = self.gen(&Shape::new(s.r.clone(), inner.clone()), d, Dom::Any);
                    let b = self.gen(&Shape::new(inner, s.c.clone()), d, Dom::Any);
                    let sp = *[0, 0, 0, 1, 2].choose(&mut self.rng).unwrap();
                    E::Mul(bx(a), bx(b), sp)
                }
                8 | 9 if !sc => {
                    // scaling by a scalar (often an inner product)
                    let scal = if self.chance(0.5) {
                        let dd = self.dim();
                        let x = self.gen(&Shape::new(vec![], dd.clone()), d.min(1), Dom::Any);
                        let y = self.gen(&Shape::new(dd, vec![]), d.min(1), Dom::Any);
                        N {
                            e: E::Mul(bx(x), bx(y), 0),
                            s: Shape::scalar(),
                        }
                    } else {
                        self.gen(&Shape::scalar(), d, Dom::Any)
                    };
                    let m = self.gen(s, d, Dom::Any);
                    if self.chance(0.6) {
                        E::Mul(bx(scal), bx(m), 0)
                    } else {
                        E::Mul(bx(m), bx(scal), 0)
                    }
                }
                10 if !sc => {
                    let c = if self.chance(0.5) {
                        N {
                            e: E::Num(1, 1),
                            s: Shape::scalar(),
                        }
                    } else {
                        self.gen(&Shape::scalar(), d, Dom::Any)
                    };
                    let f = self.gen(s, d, Dom::Any);
                    E::BAdd(bx(c), bx(f), self.chance(0.5), self.chance(0.7))
                }
                11 | 12 if !sc => {
                    E::Had(bx(self.gen(s, d, Dom::Any)), bx(self.gen(s, d, Dom::Any)))
                }
                13 => E::Div(
                    bx(self.gen(s, d, Dom::Any)),
                    bx(self.gen(&Shape::scalar(), d, Dom::Pos)),
                    self.chance(0.6),
                ),
                14 if !sc => E::Mul(bx(self.num()), bx(self.gen(s, d, Dom::Any)), 0),
                15 | 16 => E::T(bx(self.gen(&s.t(), d, Dom::Any)), self.rng.gen_range(0..4)),
                17 if square => {
                    if self.chance(0.5) {
                        E::Inv(bx(self.invertible(&s.r, d)))
                    } else {
                        E::InvT(bx(self.invertible(&s.r, d)))
                    }
                }
                18 if square => {
                    let k = *[2, 2, 3, -1, -2].choose(&mut self.rng).unwrap();
                    if k < 0 {
                        E::MatPow(bx(self.invertible(&s.r, d)), k)
                    } else {
                        E::MatPow(bx(self.gen(s, d, Dom::Any)), k)
                    }
                }
                19 | 20 => {
                    let f = *[F::Exp, F::EPow, F::Sigma, F::Sigma, F::Tanh, F::Sin, F::Cos]
                        .choose(&mut self.rng)
                        .unwrap();
                    E::Func(f, bx(self.gen(s, d, Dom::Any)))
                }
                21 => {
                    let f = *[F::Log, F::Ln, F::Sqrt].choose(&mut self.rng).unwrap();
                    E::Func(f, bx(self.gen(s, d, Dom::Pos)))
                }
                22 => {
                    if s.is_scalar() || !s.is_simple() {
                        continue;
                    }
                    // relu only on a variable (values away from 0)
                    E::Func(F::Relu, bx(self.var(s, VarKind::General)))
                }
                23 => E::User(self.rng.gen_range(0..4), bx(self.gen(s, d, Dom::Any))),
                24 if !sc => {
                    let (p, q) = *[(2, 1), (3, 1), (2, 1)].choose(&mut self.rng).unwrap();
                    E::HadPow(bx(self.gen(s, d, Dom::Any)), p, q)
                }
                25 if !sc => {
                    let (p, q) = *[(1, 2), (-1, 1), (3, 2), (-1, 2)]
                        .choose(&mut self.rng)
                        .unwrap();
                    E::HadPow(bx(self.gen(s, d, Dom::Pos)), p, q)
                }
                26 if square => {
                    E::Diag(bx(self.gen(&Shape::new(s.r.clone(), vec![]), d, Dom::Any)))
                }
                27 if vector => E::DiagPart(bx(self.gen(
                    &Shape::new(s.r.clone(), s.r.clone()),
                    d,
                    Dom::Any,
                ))),
                28 if vector => E::Softmax(bx(self.gen(s, d, Dom::Any))),
                29 if square => {
                    // I as a summand
                    let eye = N {
                        e: E::Eye,
                        s: s.clone(),
                    };
                    let f = self.gen(s, d, Dom::Any);
                    if self.chance(0.5) {
                        E::Add(bx(f), bx(eye))
                    } else {
                        E::Sub(bx(eye), bx(f))
                    }
                }
                // scalar-only productions
                30 if sc => {
                    let dd = self.dim();
                    E::Tr(
                        bx(self.gen(&Shape::new(dd.clone(), dd), d, Dom::Any)),
                        self.rng.gen_range(0..5),
                    )
                }
                31 if sc => {
                    let dd = self.dim();
                    E::Det(
                        bx(self.gen(&Shape::new(dd.clone(), dd), d.min(1), Dom::Any)),
                        self.rng.gen_range(0..3),
                    )
                }
                32 | 33 if sc => {
                    let dd = self.dim();
                    E::LogDet(bx(self.invertible(&dd, d)), self.rng.gen_range(0..4))
                }
                34 if sc => {
                    let r = self.dim();
                    let c = if self.chance(0.5) { vec![] } else { self.dim() };
                    let x = self.gen(&Shape::new(r, c.clone()), d, Dom::Any);
                    E::Norm(bx(x), self.chance(0.6), self.rng.gen_range(0..3))
                }
                35 if sc => {
                    let r = self.dim();
                    let c = if self.chance(0.5) { vec![] } else { self.dim() };
                    E::Sum(bx(self.gen(&Shape::new(r, c), d, Dom::Any)))
                }
                36 if sc => {
                    let r = self.dim();
                    E::OnesT(bx(self.gen(&Shape::new(r, vec![]), d, Dom::Any)))
                }
                37 if sc => {
                    let r = self.dim();
                    E::Lse(bx(self.gen(&Shape::new(r, vec![]), d, Dom::Any)))
                }
                38 if sc => {
                    let r = self.dim();
                    let c = if self.chance(0.5) { vec![] } else { self.dim() };
                    let sh = if self.chance(0.4) {
                        Shape::scalar()
                    } else {
                        Shape::new(r, c)
                    };
                    let a = self.named(&sh, d);
                    E::Opaque(self.rng.gen_range(0..2), bx(a))
                }
                40 if sc => {
                    // quadratic form with an inverse or a matrix power: x^T A^{-1} y
                    let dd = self.dim();
                    let sq = Shape::new(dd.clone(), dd.clone());
                    let mid = match self.rng.gen_range(0..5) {
                        4 => N {
                            e: E::Diag(bx(self.gen(
                                &Shape::new(dd.clone(), vec![]),
                                d.min(1),
                                Dom::Any,
                            ))),
                            s: sq.clone(),
                        },
                        0 => N {
                            e: E::Inv(bx(self.invertible(&dd, d))),
                            s: sq.clone(),
                        },
                        1 => N {
                            e: E::InvT(bx(self.invertible(&dd, d))),
                            s: sq.clone(),
                        },
                        2 => N {
                            e: E::MatPow(
                                bx(self.invertible(&dd, d)),
                                -*[1, 2].choose(&mut self.rng).unwrap(),
                            ),
                            s: sq.clone(),
                        },
                        _ => N {
                            e: E::MatPow(
                                bx(self.gen(&sq, d.min(1), Dom::Any)),
                                *[2, 3].choose(&mut self.rng).unwrap(),
                            ),
                            s: sq.clone(),
                        },
                    };
                    if self.chance(0.4) {
                        E::Tr(bx(mid), self.rng.gen_range(0..5))
                    } else {
                        let x = self.gen(&Shape::new(vec![], dd.clone()), d.min(1), Dom::Any);
                        let y = self.gen(&Shape::new(dd, vec![]), d.min(1), Dom::Any);
                        let xm = N {
                            e: E::Mul(bx(x), bx(mid), 0),
                            s: Shape::new(vec![], sq.c.clone()),
                        };
                        E::Mul(bx(xm), bx(y), 0)
                    }
                }
                41 if sc => {
                    // scalar times scalar, a scalar power of an application
                    let a = self.gen(s, d, Dom::Any);
                    let b = self.gen(s, d, Dom::Any);
                    if self.chance(0.5) {
                        E::Mul(bx(a), bx(b), 0)
                    } else {
                        let (p, q) = *[(1, 2), (1, 2), (-1, 1), (3, 2)]
                            .choose(&mut self.rng)
                            .unwrap();
                        E::Pow(
                            bx(self.gen(s, d, Dom::Pos)),
                            p,
                            q,
                            p == 1 && q == 2 && self.chance(0.7),
                        )
                    }
                }
                42 if square => {
                    // the transpose of a symmetric variable (its gradient is the unconstrained one)
                    let kind = if self.chance(0.5) {
                        VarKind::Sym
                    } else {
                        VarKind::Spd
                    };
                    E::T(bx(self.var(s, kind)), self.rng.gen_range(0..4))
                }
                39 if sc => {
                    let (p, q) = *[(2, 1), (2, 1), (3, 1)].choose(&mut self.rng).unwrap();
                    E::Pow(bx(self.gen(s, d, Dom::Any)), p, q, false)
                }
                39 if !sc => {
                    // a scalar-shaped opaque or reduction times a matrix: \log|S| X
                    let dd = self.dim();
                    let l = N {
                        e: E::LogDet(bx(self.invertible(&dd, 0)), self.rng.gen_range(0..4)),
                        s: Shape::scalar(),
                    };
                    E::Mul(bx(l), bx(self.gen(s, d, Dom::Any)), 0)
                }
                _ => continue,
            };
            return N { e, s: s.clone() };
        }
    }

    /// A whole problem.
    pub fn problem(seed: u64) -> Gen {
        let mut attempt = 0u64;
        loop {
            let mut g = Generator::new(seed.wrapping_mul(0x9e3779b97f4a7c15).wrapping_add(attempt));
            g.max_defs = g.rng.gen_range(1..4);
            let depth = g.rng.gen_range(2..5);
            let obj = g.gen(&Shape::scalar(), depth, Dom::Any);
            if matches!(obj.e, E::Var(_) | E::Num(..) | E::DimSym(_)) {
                attempt += 1;
                continue;
            }
            let style = g.rng.gen();
            let ngdefs = g.defs.len();
            let mut defs = std::mem::take(&mut g.defs);
            let lname = if g.chance(0.7) {
                "L".to_string()
            } else {
                "\\mathcal{L}".to_string()
            };
            defs.push((lname, obj));
            let mut order: Vec<usize> = (0..defs.len()).collect();
            if g.chance(0.2) {
                order[..ngdefs].shuffle(&mut g.rng);
            }
            let mut p = Gen {
                vars: g.vars.clone(),
                defs,
                queries: vec![],
                seed: g.rng.gen_range(1..1_000_000),
                values: vec![],
                order,
                style,
                extra: vec![],
            };
            p.values = p.vars.iter().map(|v| draw(v, &mut g.rng)).collect();
            let used = p.used_vars();
            let mut cands: Vec<usize> = used.into_iter().collect();
            if cands.is_empty() {
                attempt += 1;
                continue;
            }
            cands.shuffle(&mut g.rng);
            // Symmetric variables first: the unconstrained gradient is a known weak spot.
            cands.sort_by_key(|&i| {
                !matches!(p.vars[i].kind, VarKind::Sym | VarKind::Spd) || g.chance(0.5)
            });
            let nq = g.rng.gen_range(1..=3).min(cands.len());
            p.queries = cands[..nq].to_vec();
            p.queries.sort();
            if p.valid() {
                p.extra = p.draw_extra();
                return p;
            }
            attempt += 1;
        }
    }
}

/// `c I` of shape `s`, the product written in multiplication style `style`.
fn scaled_eye(c: N, s: &Shape, style: u8) -> N {
    let eye = N {
        e: E::Eye,
        s: s.clone(),
    };
    N {
        e: E::Mul(bx(c), bx(eye), style),
        s: s.clone(),
    }
}

impl Gen {
    /// Hessian and Jacobian queries, from a generator of their own (so the
    /// gradient problems of a seed stay what they were): the Hessian of the
    /// objective in a used variable of at most 16 entries, and the Jacobian
    /// of a used column-vector definition in a variable it reads.
    fn draw_extra(&self) -> Vec<Extra> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ 0x004a_4143_4845_5353);
        let mut out = Vec::new();
        // At most 16 entries (a matrix's Hessian is in vec(X), through
        // commutation matrices where its gradient is transposed), and no
        // opaque function or Kronecker product on the way: an opaque
        // function has no second derivative, and a gradient through ⊗ is
        // not differentiated again; matcalc refuses both, by design.
        let small = |v: &Var| v.shape.rows() * v.shape.cols() <= 16;
        let mut opaque = false;
        for d in self.used_defs() {
            walk(&self.defs[d].1, &mut |n| {
                opaque |= matches!(n.e, E::Opaque(..) | E::Kron(..))
            });
        }
        if rng.gen_bool(0.3) && !opaque {
            let cands: Vec<usize> = self
                .used_vars()
                .into_iter()
                .filter(|&i| small(&self.vars[i]))
                .collect();
            if let Some(&v) = cands.choose(&mut rng) {
                out.push(Extra::Hessian(v));
            }
        }
        if rng.gen_bool(0.4) {
            let last = self.defs.len() - 1;
            let defs: Vec<usize> = self
                .used_defs()
                .into_iter()
                .filter(|&d| d != last && self.defs[d].1.s.is_vector())
                .collect();
            if let Some(&d) = defs.choose(&mut rng) {
                let vars: Vec<usize> = self.vars_of_def(d).into_iter().collect();
                if let Some(&v) = vars.choose(&mut rng) {
                    out.push(Extra::Jacobian(d, v));
                }
            }
        }
        out
    }
}
