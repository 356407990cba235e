//! Writing a generated problem as a LaTeX document.

use super::*;

impl Gen {
    // ------------------------------------------------------------ printing

    /// The LaTeX problem document.
    pub fn latex(&self) -> String {
        let mut out = String::new();
        let used = self.used_vars();
        let used_defs = self.used_defs();
        // declarations
        let dims_used: BTreeSet<u8> = used
            .iter()
            .flat_map(|&i| {
                self.vars[i]
                    .shape
                    .r
                    .iter()
                    .chain(self.vars[i].shape.c.iter())
                    .copied()
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut scalars_r = Vec::new();
        for &i in &used {
            let v = &self.vars[i];
            let dm = |d: &Dim| DIMS[d[0] as usize].0;
            let line = match v.kind {
                VarKind::PosScalar => format!("{} \\in \\mathbb{{R}}_{{+}}", v.latex),
                VarKind::Sym => format!("{} \\in \\mathbb{{S}}^{{{}}}", v.latex, dm(&v.shape.r)),
                VarKind::Spd => format!(
                    "{} \\in \\mathbb{{S}}_{{++}}^{{{}}}",
                    v.latex,
                    dm(&v.shape.r)
                ),
                _ if v.shape.is_scalar() => {
                    scalars_r.push(v.latex.clone());
                    continue;
                }
                _ if v.shape.c.is_empty() => {
                    format!("{} \\in \\mathbb{{R}}^{{{}}}", v.latex, dm(&v.shape.r))
                }
                _ => format!(
                    "{} \\in \\mathbb{{R}}^{{{} \\times {}}}",
                    v.latex,
                    dm(&v.shape.r),
                    dm(&v.shape.c)
                ),
            };
            out.push_str(&line);
            out.push('\n');
        }
        if !scalars_r.is_empty() {
            out.push_str(&format!("{} \\in \\mathbb{{R}}\n", scalars_r.join(", ")));
        }
        // A dimension used as a scalar must be declared somewhere: dummy declaration if needed.
        let mut dim_scalars = BTreeSet::new();
        for &d in &used_defs {
            walk(&self.defs[d].1, &mut |n| {
                if let E::DimSym(k) = n.e {
                    dim_scalars.insert(k);
                }
            });
        }
        for k in dim_scalars {
            if !dims_used.contains(&k) {
                // carried by an otherwise unused vector
                out.push_str(&format!(
                    "o_{{{}}} \\in \\mathbb{{R}}^{{{}}}\n",
                    DIMS[k as usize].0, DIMS[k as usize].0
                ));
            }
        }
        // user functions
        let mut users = BTreeSet::new();
        for &d in &used_defs {
            walk(&self.defs[d].1, &mut |n| {
                if let E::User(u, _) = n.e {
                    users.insert(u);
                }
            });
        }
        for u in users {
            out.push_str(&format!("\\mathrm{{{}}}(k) = {}\n", USER[u].0, USER[u].1));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.style);
        for &d in &self.order {
            if !used_defs.contains(&d) {
                continue;
            }
            let (name, n) = &self.defs[d];
            let body = Printer {
                p: self,
                rng: &mut rng,
            }
            .top(n);
            out.push_str(&format!("{name} = {body}\n"));
        }
        let lname = &self.defs.last().unwrap().0;
        let qs: Vec<String> = self
            .queries
            .iter()
            .map(|&q| {
                let v = &self.vars[q].latex;
                match rng.gen_range(0..4) {
                    0 => format!("\\frac{{\\partial {lname}}}{{\\partial {v}}}"),
                    1 if !v.contains('{') && !v.contains('_') => format!("\\nabla_{v} {lname}"),
                    _ => format!("\\nabla_{{{v}}} {lname}"),
                }
            })
            .collect();
        let mut qs = qs;
        for e in &self.extra {
            qs.push(match *e {
                Extra::Hessian(v) => {
                    let v = &self.vars[v].latex;
                    if rng.gen_bool(0.5) {
                        format!("\\nabla^2_{{{v}}} {lname}")
                    } else {
                        format!("\\frac{{\\partial^2 {lname}}}{{\\partial {v} \\partial {v}^T}}")
                    }
                }
                Extra::Jacobian(d, v) => format!(
                    "\\frac{{\\partial {}}}{{\\partial {}}}",
                    self.defs[d].0, self.vars[v].latex
                ),
            });
        }
        out.push_str(&qs.join(", "));
        out.push('\n');
        out
    }

    /// Sizes of the dimension symbols.
    pub fn sizes(&self) -> BTreeMap<String, usize> {
        DIMS.iter().map(|(n, s)| (n.to_string(), *s)).collect()
    }

    /// Values by identifier (variables, and dimension symbols used as scalars).
    pub fn values_by_ident(&self) -> BTreeMap<String, M> {
        let mut m: BTreeMap<String, M> = BTreeMap::new();
        for (v, x) in self.vars.iter().zip(&self.values) {
            m.insert(v.ident.clone(), x.clone());
        }
        for (n, s) in DIMS {
            m.entry(n.to_string()).or_insert_with(|| sc(s as f64));
        }
        for (n, s) in DIMS {
            m.insert(format!("o_{n}"), M::from_element(s, 1, 0.7));
        }
        m
    }

    /// A short one-line summary for logs.
    pub fn summary(&self) -> String {
        format!(
            "{} vars, {} defs, {} queries",
            self.vars.len(),
            self.defs.len(),
            self.queries.len()
        )
    }
}

pub(crate) const SUM: u8 = 0;
pub(crate) const HAD: u8 = 1;
pub(crate) const PROD: u8 = 2;
pub(crate) const NEG: u8 = 3;
pub(crate) const POST: u8 = 4;
pub(crate) const ATOM: u8 = 5;

pub(crate) struct Printer<'a, 'r> {
    p: &'a Gen,
    rng: &'r mut ChaCha8Rng,
}

impl<'a, 'r> Printer<'a, 'r> {
    fn top(&mut self, n: &N) -> String {
        self.pr(n).0
    }

    fn paren(&mut self, s: String) -> String {
        match self.rng.gen_range(0..8) {
            0 => format!("\\left( {s} \\right)"),
            1 => format!("[{s}]"),
            _ => format!("({s})"),
        }
    }

    /// A child printed so that it binds at least as tightly as `min`;
    /// sometimes with redundant parentheses anyway.
    fn child(&mut self, n: &N, min: u8) -> String {
        let (s, p) = self.pr(n);
        if p < min || (p < ATOM && self.rng.gen_bool(0.1)) || (p == ATOM && self.rng.gen_bool(0.05))
        {
            self.paren(s)
        } else {
            s
        }
    }

    fn right(&mut self, n: &N, min: u8) -> String {
        let s = self.child(n, min);
        if s.starts_with('-') {
            self.paren(s)
        } else {
            s
        }
    }

    fn arg(&mut self, n: &N) -> String {
        let s = self.pr(n).0;
        if self.rng.gen_bool(0.15) {
            format!("\\left({s}\\right)")
        } else {
            format!("({s})")
        }
    }

    fn pr(&mut self, n: &N) -> (String, u8) {
        let p = self.p;
        match &n.e {
            E::Var(i) => (p.vars[*i].latex.clone(), ATOM),
            E::Def(i) => (p.defs[*i].0.clone(), ATOM),
            E::Num(a, b) => {
                if *b == 1 {
                    (format!("{a}"), ATOM)
                } else if *a == 1 && *b == 2 && self.rng.gen_bool(0.3) {
                    ("0.5".into(), ATOM)
                } else if self.rng.gen_bool(0.2) {
                    (format!("\\frac{a}{b}"), ATOM)
                } else {
                    (format!("\\frac{{{a}}}{{{b}}}"), ATOM)
                }
            }
            E::DimSym(d) => (DIMS[*d as usize].0.to_string(), ATOM),
            E::Eye => ("I".into(), ATOM),
            E::Add(a, b) => {
                let l = self.child(a, SUM);
                let r = self.right(b, HAD);
                (format!("{l} + {r}"), SUM)
            }
            E::Sub(a, b) => {
                let l = self.child(a, SUM);
                let r = self.right(b, HAD);
                (format!("{l} - {r}"), SUM)
            }
            E::Neg(a) => {
                let s = self.right(a, POST);
                (format!("-{s}"), NEG)
            }
            E::Mul(a, b, sp) => {
                // A scalar-valued product used as a factor of a non-scalar is parenthesized.
                let l = if matches!(a.e, E::Div(_, _, false))
                    || (a.s.is_scalar()
                        && !n.s.is_scalar()
                        && matches!(a.e, E::Mul(..) | E::OnesT(_)))
                {
                    let s = self.pr(a).0;
                    self.paren(s)
                } else {
                    self.child(a, PROD)
                };
                let r = self.right(b, POST);
                let op = match sp {
                    1 => " \\cdot ",
                    2 => " * ",
                    _ => {
                        if r.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
                            " \\cdot "
                        } else {
                            " "
                        }
                    }
                };
                (format!("{l}{op}{r}"), PROD)
            }
            E::BAdd(s, a, minus, sfirst) => {
                let op = if *minus { "-" } else { "+" };
                if *sfirst {
                    let l = self.child(s, SUM);
                    let r = self.right(a, HAD);
                    (format!("{l} {op} {r}"), SUM)
                } else {
                    let l = self.child(a, SUM);
                    let r = self.right(s, HAD);
                    (format!("{l} {op} {r}"), SUM)
                }
            }
            E::Had(a, b) => {
                let l = self.child(a, HAD);
                let r = self.right(b, PROD);
                let op = if self.rng.gen_bool(0.8) {
                    "\\odot"
                } else {
                    "\\circ"
                };
                (format!("{l} {op} {r}"), HAD)
            }
            E::Kron(a, b) => {
                let l = self.child(a, HAD);
                let r = self.right(b, PROD);
                (format!("{l} \\otimes {r}"), HAD)
            }
            E::Div(a, c, frac) => {
                if *frac {
                    let x = self.pr(a).0;
                    let y = self.pr(c).0;
                    (format!("\\frac{{{x}}}{{{y}}}"), ATOM)
                } else {
                    let x = self.child(a, POST);
                    let y = self.right(c, POST);
                    (format!("{x} / {y}"), PROD)
                }
            }
            E::T(a, sp) => {
                let b = self.child(a, ATOM);
                let t = match sp {
                    0 => "^T",
                    1 => "^{T}",
                    2 => "^\\top",
                    _ => "'",
                };
                (format!("{b}{t}"), POST)
            }
            E::Inv(a) => (format!("{}^{{-1}}", self.child(a, ATOM)), POST),
            E::InvT(a) => (format!("{}^{{-T}}", self.child(a, ATOM)), POST),
            E::Pow(a, pp, q, sq) => {
                if *sq {
                    let x = self.pr(a).0;
                    return (format!("\\sqrt{{{x}}}"), ATOM);
                }
                let b = self.child(a, ATOM);
                let e = if *q != 1 {
                    format!("{{{pp}/{q}}}")
                } else if *pp >= 0 && *pp < 10 && self.rng.gen_bool(0.6) {
                    format!("{pp}")
                } else {
                    format!("{{{pp}}}")
                };
                (format!("{b}^{e}"), POST)
            }
            E::HadPow(a, pp, q) => {
                let b = self.child(a, ATOM);
                let e = if *q != 1 {
                    format!("{pp}/{q}")
                } else {
                    format!("{pp}")
                };
                (format!("{b}^{{\\odot {e}}}"), POST)
            }
            E::MatPow(a, k) => {
                let b = self.child(a, ATOM);
                let e = if *k > 0 && self.rng.gen_bool(0.5) {
                    format!("{k}")
                } else {
                    format!("{{{k}}}")
                };
                (format!("{b}^{e}"), POST)
            }
            E::Tr(a, sp) => {
                let name = [
                    "\\mathrm{tr}",
                    "\\operatorname{tr}",
                    "\\mathrm{Tr}",
                    "\\tr",
                    "\\text{tr}",
                ][*sp as usize];
                if matches!(a.e, E::Var(_) | E::Def(_)) && self.rng.gen_bool(0.3) {
                    // `\mathrm{tr}\,A` is parenthesized inside products (`\mathrm{tr}\,A B` is ambiguous).
                    return (format!("\\mathrm{{tr}}\\,{}", self.pr(a).0), HAD);
                }
                (format!("{name}{}", self.arg(a)), ATOM)
            }
            E::Det(a, sp) => {
                let inner = self.pr(a).0;
                match sp {
                    2 if !inner.contains('|') => (format!("|{inner}|"), ATOM),
                    1 if matches!(a.e, E::Var(_) | E::Def(_)) => (format!("\\det {inner}"), HAD),
                    _ => (format!("\\det({inner})"), ATOM),
                }
            }
            E::LogDet(a, sp) => {
                let inner = self.pr(a).0;
                let bar = !inner.contains('|');
                match sp {
                    0 if bar => (format!("\\log|{inner}|"), ATOM),
                    2 if bar => (format!("\\ln|{inner}|"), ATOM),
                    3 if matches!(a.e, E::Var(_) | E::Def(_)) => {
                        (format!("\\log \\det {inner}"), HAD)
                    }
                    _ => (format!("\\log\\det({inner})"), ATOM),
                }
            }
            E::Norm(a, sq, sp) => {
                let inner = self.pr(a).0;
                let vector = a.s.c.is_empty() || a.s.r.is_empty();
                let (l, r) = if inner.contains('|') || *sp == 2 {
                    ("\\lVert ", " \\rVert")
                } else {
                    ("\\|", "\\|")
                };
                let sub = if !vector {
                    "_F"
                } else if *sp == 1 {
                    "_2"
                } else {
                    ""
                };
                if *sq {
                    (format!("{l}{inner}{r}{sub}^2"), POST)
                } else {
                    (format!("{l}{inner}{r}{sub}"), ATOM)
                }
            }
            E::Func(f, a) => match f {
                F::EPow => {
                    let x = self.pr(a).0;
                    (format!("e^{{{x}}}"), POST)
                }
                F::Sqrt => {
                    let x = self.pr(a).0;
                    (format!("\\sqrt{{{x}}}"), ATOM)
                }
                _ => {
                    // Both spellings of ReLU are in the language.
                    let name = match f {
                        F::Relu if !self.rng.gen_bool(0.7) => "\\mathrm{ReLU}",
                        _ => f.latex(),
                    };
                    (format!("{name}{}", self.arg(a)), ATOM)
                }
            },
            E::Sum(a) => (format!("\\mathrm{{sum}}{}", self.arg(a)), ATOM),
            E::OnesT(a) => {
                let r = self.right(a, POST);
                let one = if self.rng.gen_bool(0.8) {
                    "\\mathbf{1}"
                } else {
                    "\\mathbb{1}"
                };
                (format!("{one}^T {r}"), PROD)
            }
            E::Diag(a) | E::DiagPart(a) => (format!("\\mathrm{{diag}}{}", self.arg(a)), ATOM),
            E::Vec(a) => (format!("\\mathrm{{vec}}{}", self.arg(a)), ATOM),
            E::Softmax(a) => (format!("\\mathrm{{softmax}}{}", self.arg(a)), ATOM),
            E::Lse(a) => (format!("\\mathrm{{logsumexp}}{}", self.arg(a)), ATOM),
            E::User(u, a) => (format!("\\mathrm{{{}}}{}", USER[*u].0, self.arg(a)), ATOM),
            E::Opaque(f, a) => (format!("{}({})", OPAQUE[*f].0, self.pr(a).0), ATOM),
        }
    }
}
