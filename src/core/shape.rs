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

impl Dim {
    /// The product of two dimensions in its one canonical form: numbers
    /// multiplied out in front, then symbols in sorted order (`m n` and
    /// `n m` are one dimension; `2 \cdot 2` is 4).
    pub fn mul(a: &Dim, b: &Dim) -> Dim {
        let mut coef: u64 = 1;
        let mut syms: Vec<String> = Vec::new();
        for d in [a, b] {
            d.factors(&mut coef, &mut syms);
        }
        syms.sort();
        let mut out = match coef {
            1 => None,
            n => Some(Dim::Num(n)),
        };
        for s in syms {
            let s = Dim::Sym(s);
            out = Some(match out {
                None => s,
                Some(acc) => Dim::Mul(Box::new(acc), Box::new(s)),
            });
        }
        out.unwrap_or(Dim::One)
    }

    fn factors(&self, coef: &mut u64, syms: &mut Vec<String>) {
        match self {
            Dim::One => {}
            Dim::Num(n) => *coef = coef.saturating_mul(*n),
            Dim::Sym(s) => syms.push(s.clone()),
            Dim::Mul(a, b) => {
                a.factors(coef, syms);
                b.factors(coef, syms);
            }
        }
    }
}

impl Dim {
    /// The dimension as a commutation matrix's subscript writes it, a
    /// number and then one letter per symbol (`2np`); `None` when a symbol
    /// is not one ASCII letter, which that form cannot spell.
    pub fn subscript(&self) -> Option<String> {
        let (mut coef, mut syms) = (1u64, Vec::new());
        self.factors(&mut coef, &mut syms);
        if !syms
            .iter()
            .all(|s| s.len() == 1 && s.chars().all(|c| c.is_ascii_alphabetic()))
        {
            return None;
        }
        let mut out = if coef == 1 && !syms.is_empty() {
            String::new()
        } else {
            coef.to_string()
        };
        out.extend(syms.iter().map(String::as_str));
        Some(out)
    }

    /// Read [`Dim::subscript`]'s form back: digits, then letters that
    /// `is_dim` accepts as dimension symbols.
    pub fn from_subscript(s: &str, is_dim: impl Fn(char) -> bool) -> Option<Dim> {
        let s = s.trim();
        let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
        let letters = &s[digits.len()..];
        if s.is_empty()
            || !letters
                .chars()
                .all(|c| c.is_ascii_alphabetic() && is_dim(c))
        {
            return None;
        }
        let coef = match digits.as_str() {
            "" => 1,
            d => d.parse::<u64>().ok().filter(|&n| n > 0)?,
        };
        let start = if coef == 1 { Dim::One } else { Dim::Num(coef) };
        Some(
            letters
                .chars()
                .fold(start, |acc, c| Dim::mul(&acc, &Dim::Sym(c.to_string()))),
        )
    }
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
    /// The shape of `a b`: a scaling when either side is 1×1, else a matrix
    /// product, which needs `a`'s columns to be `b`'s rows (`None` if not).
    pub fn product(a: &Shape, b: &Shape) -> Option<Shape> {
        if a.is_scalar() {
            Some(b.clone())
        } else if b.is_scalar() {
            Some(a.clone())
        } else if a.cols == b.rows {
            Some(Shape {
                rows: a.rows.clone(),
                cols: b.cols.clone(),
            })
        } else {
            None
        }
    }
    /// The shape of `a \otimes b`: rows and columns multiply.
    pub fn kron(a: &Shape, b: &Shape) -> Shape {
        Shape {
            rows: Dim::mul(&a.rows, &b.rows),
            cols: Dim::mul(&a.cols, &b.cols),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(s: &str) -> Dim {
        Dim::Sym(s.into())
    }

    #[test]
    fn products_of_dimensions_have_one_form() {
        let (m, n) = (sym("m"), sym("n"));
        assert_eq!(Dim::mul(&m, &n), Dim::mul(&n, &m));
        assert_eq!(Dim::mul(&Dim::Num(2), &Dim::Num(2)), Dim::Num(4));
        assert_eq!(Dim::mul(&Dim::One, &m), m);
        let mn = Dim::mul(&m, &n);
        assert_eq!(
            Dim::mul(&Dim::mul(&mn, &Dim::Num(3)), &Dim::Num(2)),
            Dim::mul(&Dim::Num(6), &Dim::mul(&n, &m))
        );
        // Non-goal: different sizes stay different.
        assert_ne!(Dim::mul(&m, &m), Dim::mul(&m, &n));
    }

    #[test]
    fn product_shapes() {
        let s = |r: Dim, c: Dim| Shape { rows: r, cols: c };
        let (m, n, k) = (sym("m"), sym("n"), sym("k"));
        let a = s(m.clone(), n.clone());
        let b = s(n.clone(), k.clone());
        assert_eq!(Shape::product(&a, &b), Some(s(m.clone(), k.clone())));
        assert_eq!(Shape::product(&b, &a), None);
        assert_eq!(Shape::product(&Shape::scalar(), &a), Some(a.clone()));
        let kr = Shape::kron(&a, &b);
        assert_eq!(kr.rows, Dim::mul(&m, &n));
        assert_eq!(kr.cols, Dim::mul(&n, &k));
    }
}
