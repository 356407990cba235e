//! pest parse tree → [`ast`](super::ast). Bounds input size, bracket depth and
//! parser work before and while parsing, so no input can hang or overflow.

use super::ast::*;
use super::bounds::{check_bounds, check_depth, parser_calls, pest_error};
pub use super::bounds::{PARSER_CALLS_BASE, PARSER_CALLS_PER_BYTE};
use crate::core::diagnostic::{Diagnostic, ErrorKind, Result};
use crate::core::span::Span;
use num_bigint::BigInt;
use num_rational::BigRational;
use pest::iterators::Pair;
use pest::Parser;

mod generated {
    // pest generates one `Rule` variant per grammar rule; the grammar file
    // documents them.
    #![allow(missing_docs)]

    /// The generated pest parser for `grammar/matcalc.pest`.
    #[derive(pest_derive::Parser)]
    #[grammar = "grammar/matcalc.pest"]
    pub struct MatcalcParser;
}
pub use generated::{MatcalcParser, Rule};

/// Parse a whole problem document.
pub fn parse_document(src: &str) -> Result<Document> {
    let doc = parse_top(src, Rule::document)?;
    let mut stmts = Vec::new();
    for p in doc.into_inner() {
        match p.as_rule() {
            Rule::EOI => {}
            _ => stmts.push(build_stmt(p)?),
        }
    }
    for s in &stmts {
        let e = match s {
            Stmt::Def { body, .. } | Stmt::FnDef { body, .. } | Stmt::Expr(body) => body,
            _ => continue,
        };
        check_depth(e)?;
    }
    Ok(Document { stmts })
}

/// Parse `src` from `rule`, within the input and parser-step bounds.
fn parse_top(src: &str, rule: Rule) -> Result<Pair<'_, Rule>> {
    check_bounds(src)?;
    pest::set_call_limit(std::num::NonZeroUsize::new(parser_calls(src.len())));
    let mut pairs = MatcalcParser::parse(rule, src).map_err(|e| pest_error(src, e))?;
    pairs
        .next()
        .ok_or_else(|| Diagnostic::new(ErrorKind::Internal, "empty parse tree"))
}

/// Parse a single expression (an answer, or an expression to simplify).
pub fn parse_expression(src: &str) -> Result<Expr> {
    let top = parse_top(src, Rule::expression)?;
    let e = top
        .into_inner()
        .find(|p| p.as_rule() == Rule::expr)
        .ok_or_else(|| Diagnostic::new(ErrorKind::Parse, "expected an expression"))?;
    let e = build_expr(e)?;
    check_depth(&e)?;
    Ok(e)
}

/// One named adjoint of an answer: `\frac{\partial of}{\partial wrt} = value`.
#[derive(Clone, Debug)]
pub struct Binding {
    /// The objective.
    pub of: Name,
    /// The variable.
    pub wrt: Name,
    /// The name's span.
    pub span: Span,
    /// Its value.
    pub value: Expr,
}

/// Parse an answer: an expression and the adjoints it names in a `where`
/// clause (none for most answers).
pub fn parse_answer(src: &str) -> Result<(Expr, Vec<Binding>)> {
    let top = parse_top(src, Rule::answer)?;
    let mut main = None;
    let mut bindings = Vec::new();
    for p in top.into_inner() {
        match p.as_rule() {
            Rule::expr => main = Some(build_expr(p)?),
            Rule::where_clause => {
                for b in p.into_inner() {
                    let mut parts = b.into_inner();
                    let (Some(d), Some(v)) = (parts.next(), parts.next()) else {
                        return Err(Diagnostic::new(ErrorKind::Internal, "malformed binding"));
                    };
                    let span = sp(&d);
                    let (of, wrt) = query_names(d)?;
                    let value = build_expr(v)?;
                    check_depth(&value)?;
                    bindings.push(Binding {
                        of,
                        wrt,
                        span,
                        value,
                    });
                }
            }
            _ => {}
        }
    }
    let e = main.ok_or_else(|| Diagnostic::new(ErrorKind::Parse, "expected an expression"))?;
    check_depth(&e)?;
    Ok((e, bindings))
}

fn sp(p: &Pair<Rule>) -> Span {
    p.as_span().into()
}

fn internal(p: &Pair<Rule>) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Internal,
        format!("unexpected parse node {:?}", p.as_rule()),
    )
    .at(sp(p))
}

/// Keyword tokens are atomic rules for their guards; the tree ignores them.
fn is_kw(r: Rule) -> bool {
    matches!(
        r,
        Rule::frac_kw
            | Rule::kw_sqrt
            | Rule::kw_top
            | Rule::kw_partial
            | Rule::kw_nabla
            | Rule::kw_r
    )
}

fn kids(p: Pair<Rule>) -> impl Iterator<Item = Pair<Rule>> {
    p.into_inner().filter(|q| !is_kw(q.as_rule()))
}

fn first(p: Pair<Rule>) -> Result<Pair<Rule>> {
    let span = sp(&p);
    kids(p)
        .next()
        .ok_or_else(|| Diagnostic::new(ErrorKind::Internal, "empty parse node").at(span))
}

fn build_stmt(p: Pair<Rule>) -> Result<Stmt> {
    let span = sp(&p);
    match p.as_rule() {
        Rule::declaration => {
            let mut names = Vec::new();
            let mut space = None;
            for q in p.into_inner() {
                match q.as_rule() {
                    Rule::dname => names.push((build_dname(&q)?, sp(&q))),
                    Rule::space => space = Some(build_space(q)?),
                    _ => return Err(internal(&q)),
                }
            }
            let space =
                space.ok_or_else(|| Diagnostic::new(ErrorKind::Parse, "missing space").at(span))?;
            Ok(Stmt::Decl { names, space, span })
        }
        Rule::fundef => {
            let mut it = p.into_inner();
            let (f, x, b) = (it.next(), it.next(), it.next());
            let (Some(f), Some(x), Some(b)) = (f, x, b) else {
                return Err(
                    Diagnostic::new(ErrorKind::Internal, "malformed function definition").at(span),
                );
            };
            let fq = first(f)?;
            let name = match fq.as_rule() {
                Rule::word => build_word(&fq)?,
                _ => build_name(&fq)?,
            };
            Ok(Stmt::FnDef {
                name,
                param: build_name(&x)?,
                body: build_expr(b)?,
                span,
            })
        }
        Rule::definition => {
            let mut it = p.into_inner();
            let (Some(n), Some(b)) = (it.next(), it.next()) else {
                return Err(Diagnostic::new(ErrorKind::Internal, "malformed definition").at(span));
            };
            Ok(Stmt::Def {
                name: build_dname(&n)?,
                name_span: sp(&n),
                body: build_expr(b)?,
            })
        }
        Rule::query_stmt => {
            let q = first(p)?;
            let order = match q.as_rule() {
                Rule::nabla2 | Rule::dfrac2 => QueryOrder::Second,
                _ => QueryOrder::First,
            };
            let (of, wrt) = query_names(q)?;
            Ok(Stmt::Query(Query {
                order,
                of,
                wrt,
                span,
            }))
        }
        Rule::expr_stmt => Ok(Stmt::Expr(build_expr(first(p)?)?)),
        _ => Err(internal(&p)),
    }
}

/// (objective, variable) of a `nabla`/`dfrac` node.
fn query_names(q: Pair<Rule>) -> Result<(Name, Name)> {
    let rule = q.as_rule();
    let span = sp(&q);
    let names: Vec<Name> = q
        .into_inner()
        .filter(|p| matches!(p.as_rule(), Rule::name | Rule::dname))
        .map(|p| build_dname(&p))
        .collect::<Result<_>>()?;
    let bad = || Diagnostic::new(ErrorKind::Internal, "malformed derivative").at(span);
    match rule {
        // \nabla_{wrt} of
        Rule::nabla | Rule::nabla2 => match names.as_slice() {
            [w, o] => Ok((o.clone(), w.clone())),
            _ => Err(bad()),
        },
        // \frac{d of}{d wrt [d wrt2]}
        _ => match names.as_slice() {
            [o, w] => Ok((o.clone(), w.clone())),
            [o, w, w2] => {
                if w != w2 {
                    return Err(Diagnostic::new(
                        ErrorKind::Unsupported,
                        format!(
                            "mixed second derivatives ({} and {}) are not supported",
                            w.latex(),
                            w2.latex()
                        ),
                    )
                    .at(span));
                }
                Ok((o.clone(), w.clone()))
            }
            _ => Err(bad()),
        },
    }
}

fn build_space(p: Pair<Rule>) -> Result<Space> {
    let q = first(p)?;
    let symmetric = q.as_rule() == Rule::sym_space;
    let mut space = Space {
        rows: None,
        cols: None,
        symmetric,
        spd: false,
        positive: false,
        simplex: q.as_rule() == Rule::simplex_space,
    };
    for r in kids(q) {
        match r.as_rule() {
            Rule::spd => space.spd = r.as_str().contains("++"),
            Rule::positive => space.positive = true,
            Rule::dims => {
                let ds: Vec<DimAst> = r
                    .into_inner()
                    .map(|d| build_dim(d))
                    .collect::<Result<_>>()?;
                let mut it = ds.into_iter();
                space.rows = it.next();
                space.cols = it.next();
            }
            _ => return Err(internal(&r)),
        }
    }
    if symmetric && space.cols.is_none() {
        space.cols = space.rows.clone();
    }
    Ok(space)
}

fn build_dim(p: Pair<Rule>) -> Result<DimAst> {
    let factors: Vec<Pair<Rule>> = kids(p).collect();
    if factors.len() > 1 {
        return Ok(DimAst::Prod(
            factors
                .into_iter()
                .map(build_dim_factor)
                .collect::<Result<_>>()?,
        ));
    }
    let q = factors
        .into_iter()
        .next()
        .ok_or_else(|| Diagnostic::new(ErrorKind::Internal, "empty dimension"))?;
    build_dim_factor(q)
}

fn build_dim_factor(q: Pair<Rule>) -> Result<DimAst> {
    match q.as_rule() {
        Rule::int => {
            let n: u64 = q
                .as_str()
                .parse()
                .map_err(|_| Diagnostic::new(ErrorKind::Limit, "dimension too large").at(sp(&q)))?;
            if n == 0 {
                return Err(
                    Diagnostic::new(ErrorKind::Shape, "a dimension must be positive").at(sp(&q)),
                );
            }
            Ok(DimAst::Int(n))
        }
        _ => Ok(DimAst::Sym(build_name(&q)?, sp(&q))),
    }
}

/// A `name` pair (or `letter`/`decorated` inside it) → [`Name`].
pub(crate) fn build_name(p: &Pair<Rule>) -> Result<Name> {
    let mut base = None;
    let mut sub = None;
    collect_name(p.clone(), &mut base, &mut sub);
    let (base, kind) = base.ok_or_else(|| internal(p))?;
    Ok(Name { base, kind, sub })
}

fn collect_name(p: Pair<Rule>, base: &mut Option<(String, NameKind)>, sub: &mut Option<String>) {
    match p.as_rule() {
        Rule::latin => *base = Some((p.as_str().to_string(), NameKind::Latin)),
        Rule::greek => {
            let s = p.as_str();
            // A Unicode letter is the command it prints as: `σ` is `\sigma`.
            let name = crate::core::name::greek_name(s).unwrap_or(s.trim_start_matches('\\'));
            *base = Some((name.to_string(), NameKind::Greek))
        }
        // A word in a subscript is its letters: `D_{\mathrm{KL}}` is `D_{KL}`.
        Rule::sub_char | Rule::sub_text => {
            let mut s = p.as_str().replace(' ', "");
            for w in ["\\mathrm{", "\\textrm{", "\\text{", "\\operatorname{"] {
                while let Some(i) = s.find(w) {
                    let rest = &s[i + w.len()..];
                    let close = rest.find('}').unwrap_or(rest.len());
                    s = format!(
                        "{}{}{}",
                        &s[..i],
                        &rest[..close],
                        rest.get(close + 1..).unwrap_or("")
                    );
                }
            }
            *sub = Some(s)
        }
        _ => {
            for q in p.into_inner() {
                collect_name(q, base, sub);
            }
        }
    }
}

/// A declared or defined name: a letter with its subscript, or a word.
fn build_dname(p: &Pair<Rule>) -> Result<Name> {
    if p.as_rule() == Rule::name {
        return build_name(p);
    }
    let q = first(p.clone())?;
    match q.as_rule() {
        Rule::word => build_word(&q),
        _ => build_name(&q),
    }
}

fn build_word(p: &Pair<Rule>) -> Result<Name> {
    let mut base = None;
    let mut sub = None;
    for q in p.clone().into_inner() {
        match q.as_rule() {
            Rule::word_text => base = Some(q.as_str().to_string()),
            Rule::subscript => {
                let mut b = None;
                collect_name(q, &mut b, &mut sub);
            }
            _ => {}
        }
    }
    let base = base.ok_or_else(|| internal(p))?;
    Ok(Name {
        base,
        kind: NameKind::Word,
        sub,
    })
}

fn mk(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

fn bx(e: Expr) -> Box<Expr> {
    Box::new(e)
}

/// Chains longer than this are grouped as a balanced tree (shorter ones
/// nest to the left, as written): a sum of n terms is then O(log n) deep,
/// and the stages after the parser, which recurse on the tree, stay within
/// a small stack (the browser's) at any length the input limits allow.
const BALANCE_BEYOND: usize = 16;

/// `t_0 ± t_1 ± …` from its terms (`true`: subtracted; the first term's
/// flag is ignored), with every sign flipped when `flip` is set. Beyond
/// [`BALANCE_BEYOND`] terms the halves are grouped: `a - b + c - d` as
/// `(a - b) - (c - d)`, the second half's signs flipped under its `-`.
fn sum_tree(terms: Vec<(bool, Expr)>, flip: bool) -> Expr {
    let join = |acc: Expr, minus: bool, rhs: Expr| {
        let s = acc.span.join(rhs.span);
        if minus {
            mk(ExprKind::Sub(bx(acc), bx(rhs)), s)
        } else {
            mk(ExprKind::Add(bx(acc), bx(rhs)), s)
        }
    };
    if terms.len() <= BALANCE_BEYOND {
        let mut it = terms.into_iter().map(|(minus, t)| (minus != flip, t));
        let (_, first) = it.next().expect("a sum has a first term");
        return it.fold(first, |acc, (minus, t)| join(acc, minus, t));
    }
    let mut left = terms;
    let right = left.split_off(left.len() / 2);
    let minus = right[0].0 != flip;
    let right = sum_tree(right, if minus { !flip } else { flip });
    join(sum_tree(left, flip), minus, right)
}

/// `a ∘ b ∘ …` for an associative `op`, grouped as [`sum_tree`] groups.
fn balanced(mut operands: Vec<Expr>, op: &dyn Fn(Expr, Expr) -> Expr) -> Expr {
    if operands.len() <= BALANCE_BEYOND {
        return operands
            .into_iter()
            .reduce(op)
            .expect("a chain has a first operand");
    }
    let right = operands.split_off(operands.len() / 2);
    op(balanced(operands, op), balanced(right, op))
}

/// An `expr`, `term`, `product`, `unary`, `factor` or primary pair → [`Expr`].
pub(crate) fn build_expr(p: Pair<Rule>) -> Result<Expr> {
    let span = sp(&p);
    match p.as_rule() {
        Rule::expr | Rule::expr_nb => {
            let mut it = p.into_inner();
            let first = build_expr(it.next().ok_or_else(|| internal_span(span))?)?;
            let mut terms = vec![(false, first)];
            while let Some(op) = it.next() {
                let rhs = build_expr(it.next().ok_or_else(|| internal_span(span))?)?;
                terms.push((op.as_str() != "+", rhs));
            }
            Ok(sum_tree(terms, false))
        }
        Rule::term | Rule::term_nb => {
            let mut it = p.into_inner();
            let first = build_expr(it.next().ok_or_else(|| internal_span(span))?)?;
            let mut ops = Vec::new();
            let mut operands = vec![first];
            while let Some(op) = it.next() {
                let rhs = build_expr(it.next().ok_or_else(|| internal_span(span))?)?;
                // `a \oslash b` is `a \odot \frac{1}{b}` (elementwise).
                let rhs = if matches!(op.as_str(), "\\oslash" | "⊘") {
                    let one = mk(
                        ExprKind::Num(BigRational::from_integer(BigInt::from(1))),
                        rhs.span,
                    );
                    let s = rhs.span;
                    mk(ExprKind::Frac(bx(one), bx(rhs)), s)
                } else {
                    rhs
                };
                operands.push(rhs);
                ops.push(matches!(op.as_str(), "\\otimes" | "⊗"));
            }
            let kron = |a: Expr, b: Expr| {
                let s = a.span.join(b.span);
                mk(ExprKind::Kron(bx(a), bx(b)), s)
            };
            let had = |a: Expr, b: Expr| {
                let s = a.span.join(b.span);
                mk(ExprKind::Hadamard(bx(a), bx(b)), s)
            };
            // One operator throughout: associative, so grouped to bound the
            // depth. Mixed `\odot` and `\otimes` stay as written.
            if ops.iter().all(|&k| k) {
                return Ok(balanced(operands, &kron));
            }
            if ops.iter().all(|&k| !k) {
                return Ok(balanced(operands, &had));
            }
            let mut operands = operands.into_iter();
            let mut acc = operands.next().ok_or_else(|| internal_span(span))?;
            for (k, rhs) in ops.into_iter().zip(operands) {
                acc = if k { kron(acc, rhs) } else { had(acc, rhs) };
            }
            Ok(acc)
        }
        Rule::product | Rule::product_nb => {
            let mut items = Vec::new();
            let mut pending = MulOp::Juxt;
            for q in p.into_inner() {
                match q.as_rule() {
                    Rule::mulop => {
                        pending = match q.as_str() {
                            "/" => MulOp::Div,
                            "\\times" => MulOp::Times,
                            _ => MulOp::Dot,
                        }
                    }
                    _ => {
                        items.push((pending, build_expr(q)?));
                        pending = MulOp::Juxt;
                    }
                }
            }
            if items.len() == 1 {
                return items
                    .pop()
                    .map(|(_, e)| e)
                    .ok_or_else(|| internal_span(span));
            }
            Ok(mk(ExprKind::Chain(items), span))
        }
        Rule::unary | Rule::unary_nb => {
            let mut negs = 0usize;
            let mut inner = None;
            for q in p.into_inner() {
                match q.as_rule() {
                    Rule::sign => {
                        if q.as_str() == "-" {
                            negs += 1
                        }
                    }
                    _ => inner = Some(build_expr(q)?),
                }
            }
            let e = inner.ok_or_else(|| internal_span(span))?;
            Ok(if negs % 2 == 1 {
                mk(ExprKind::Neg(bx(e)), span)
            } else {
                e
            })
        }
        Rule::factor | Rule::factor_nb => {
            let mut it = p.into_inner();
            let mut acc = build_expr(it.next().ok_or_else(|| internal_span(span))?)?;
            for post in it {
                let s = acc.span.join(sp(&post));
                acc = match post.as_rule() {
                    Rule::transpose | Rule::prime => mk(ExprKind::Transpose(bx(acc)), s),
                    Rule::inv_t => mk(ExprKind::InvTranspose(bx(acc)), s),
                    Rule::sup_uni => {
                        let n: i64 = match post.as_str() {
                            "⁻¹" => -1,
                            "²" => 2,
                            _ => 3,
                        };
                        let e = mk(
                            ExprKind::Num(BigRational::from_integer(BigInt::from(n))),
                            sp(&post),
                        );
                        mk(ExprKind::Power(bx(acc), bx(e)), s)
                    }
                    Rule::odot_pow => {
                        let e = build_expr(first(post)?)?;
                        mk(ExprKind::ElemPower(bx(acc), bx(e)), s)
                    }
                    Rule::power => {
                        let q = first(post)?;
                        let e = match q.as_rule() {
                            Rule::sup_token => sup_token(&q)?,
                            _ => build_expr(q)?,
                        };
                        mk(ExprKind::Power(bx(acc), bx(e)), s)
                    }
                    Rule::norm_sub => {
                        let kind = norm_kind(post.as_str());
                        match acc.kind {
                            ExprKind::Norm(inner, _) => mk(ExprKind::Norm(inner, kind), s),
                            _ => {
                                return Err(Diagnostic::new(
                                    ErrorKind::Parse,
                                    "a subscript here is only meaningful on a norm",
                                )
                                .at(sp(&post)))
                            }
                        }
                    }
                    _ => return Err(internal(&post)),
                };
            }
            Ok(acc)
        }
        Rule::number | Rule::digit_num => {
            Ok(mk(ExprKind::Num(parse_number(p.as_str(), span)?), span))
        }
        Rule::name => Ok(mk(ExprKind::Name(build_name(&p)?), span)),
        Rule::call_word => {
            let w = first(p)?;
            Ok(mk(ExprKind::Name(build_word(&w)?), span))
        }
        Rule::group | Rule::paren_arg => {
            if p.clone().into_inner().count() > 1 {
                return Err(Diagnostic::new(
                    ErrorKind::Parse,
                    "a comma inside parentheses: only `\\mathrm{kronl}` and `\\mathrm{kronr}` take two arguments",
                )
                .at(span));
            }
            let e = build_expr(first(p)?)?;
            Ok(mk(ExprKind::Group(bx(e)), span))
        }
        Rule::frac => {
            let mut it = kids(p);
            let (Some(a), Some(b)) = (it.next(), it.next()) else {
                return Err(internal_span(span));
            };
            Ok(mk(
                ExprKind::Frac(bx(build_expr(a)?), bx(build_expr(b)?)),
                span,
            ))
        }
        Rule::sqrt => {
            let e = build_expr(first(p)?)?;
            Ok(mk(ExprKind::Apply(Builtin::Sqrt, bx(e)), span))
        }
        Rule::norm | Rule::norm_nb => {
            let e = build_expr(first(p)?)?;
            Ok(mk(ExprKind::Norm(bx(e), NormKind::Two), span))
        }
        Rule::abs => {
            let e = build_expr(first(p)?)?;
            Ok(mk(ExprKind::Det(bx(e)), span))
        }
        Rule::ones => {
            let mut sub = None;
            for q in p.into_inner() {
                if q.as_rule() == Rule::subscript {
                    let mut b = None;
                    collect_name(q, &mut b, &mut sub);
                }
            }
            Ok(mk(ExprKind::Ones(sub), span))
        }
        Rule::indicator => {
            let mut it = p.into_inner();
            let _ones = it.next();
            let e = build_expr(it.next().ok_or_else(|| internal_span(span))?)?;
            Ok(mk(ExprKind::Indicator(bx(e)), span))
        }
        Rule::logdet | Rule::logdet_nb => {
            let arg = p.into_inner().nth(1).ok_or_else(|| internal_span(span))?;
            let det = if arg.as_rule() == Rule::det_call {
                let s = sp(&arg);
                let inner = arg.into_inner().last().ok_or_else(|| internal_span(span))?;
                let inner = build_expr(inner)?;
                mk(ExprKind::Det(bx(inner)), s)
            } else {
                build_expr(arg)?
            };
            Ok(mk(ExprKind::Apply(Builtin::Log, bx(det)), span))
        }
        Rule::apply | Rule::apply_nb => {
            let mut it = p.into_inner();
            let (Some(f), Some(a)) = (it.next(), it.next()) else {
                return Err(internal_span(span));
            };
            let b = builtin(&f)?;
            if a.as_rule() == Rule::paren_arg && a.clone().into_inner().count() == 2 {
                let mut two = a.into_inner();
                let (Some(x), Some(y)) = (two.next(), two.next()) else {
                    return Err(internal_span(span));
                };
                let (x, y) = (build_expr(x)?, build_expr(y)?);
                return Ok(mk(ExprKind::Apply2(b, bx(x), bx(y)), span));
            }
            let arg = build_expr(a)?;
            Ok(mk(ExprKind::Apply(b, bx(arg)), span))
        }
        Rule::dfrac | Rule::nabla => {
            let (of, wrt) = query_names(p)?;
            Ok(mk(ExprKind::Upstream { of, wrt }, span))
        }
        _ => Err(internal(&p)),
    }
}

fn internal_span(span: Span) -> Diagnostic {
    Diagnostic::new(ErrorKind::Internal, "malformed parse tree").at(span)
}

fn sup_token(q: &Pair<Rule>) -> Result<Expr> {
    let span = sp(q);
    let s = q.as_str();
    if let Some(rest) = s.strip_prefix('-') {
        let n = parse_number(rest, span)?;
        let inner = mk(ExprKind::Num(n), span);
        return Ok(mk(ExprKind::Neg(bx(inner)), span));
    }
    if s.chars().all(|c| c.is_ascii_digit()) {
        return Ok(mk(ExprKind::Num(parse_number(s, span)?), span));
    }
    let inner = first(q.clone())?;
    build_expr_letter(&inner, span)
}

fn build_expr_letter(p: &Pair<Rule>, span: Span) -> Result<Expr> {
    let mut base = None;
    let mut sub = None;
    collect_name(p.clone(), &mut base, &mut sub);
    let (base, kind) = base.ok_or_else(|| internal(p))?;
    Ok(mk(ExprKind::Name(Name { base, kind, sub }), span))
}

fn norm_kind(s: &str) -> NormKind {
    let t = s.trim_start_matches('_').replace(['{', '}', ' '], "");
    match t.as_str() {
        "2" => NormKind::Two,
        "F" | "\\mathrm{F}" | "\\text{F}" | "\\mathrmF" | "\\textF" => NormKind::Frobenius,
        _ => NormKind::Other,
    }
}

fn builtin(p: &Pair<Rule>) -> Result<Builtin> {
    let s = p.as_str();
    let word = s
        .trim_start_matches('\\')
        .trim_start_matches("mathrm")
        .trim_start_matches("operatorname")
        .trim_start_matches("textrm")
        .trim_start_matches("text")
        .replace(['{', '}', ' '], "");
    Ok(match word.as_str() {
        "exp" => Builtin::Exp,
        "log" | "ln" => Builtin::Log,
        "tanh" => Builtin::Tanh,
        "cosh" => Builtin::Cosh,
        "sinh" => Builtin::Sinh,
        "arctan" => Builtin::Arctan,
        "softplus" => Builtin::Softplus,
        "sin" => Builtin::Sin,
        "cos" => Builtin::Cos,
        "sqrt" => Builtin::Sqrt,
        "relu" | "ReLU" => Builtin::Relu,
        "sigmoid" => Builtin::Sigmoid,
        "det" => Builtin::Det,
        "tr" | "Tr" | "trace" => Builtin::Trace,
        "sum" => Builtin::Sum,
        "diag" => Builtin::Diag,
        "vec" => Builtin::Vec,
        "softmax" => Builtin::Softmax,
        "logsumexp" | "LSE" => Builtin::LogSumExp,
        "inv" => Builtin::Inv,
        "unvec" => Builtin::Unvec,
        "kronl" => Builtin::KronL,
        "kronr" => Builtin::KronR,
        _ => return Err(internal(p)),
    })
}

/// `2`, `0.25` → an exact rational.
fn parse_number(s: &str, span: Span) -> Result<BigRational> {
    let too_long = || Diagnostic::new(ErrorKind::Limit, "number has more than 30 digits").at(span);
    if s.len() > 30 {
        return Err(too_long());
    }
    let bad = || Diagnostic::new(ErrorKind::Parse, format!("`{s}` is not a number")).at(span);
    match s.split_once('.') {
        None => Ok(BigRational::from_integer(
            s.parse::<BigInt>().map_err(|_| bad())?,
        )),
        Some((i, f)) => {
            let digits = format!("{i}{f}");
            let num: BigInt = digits.parse().map_err(|_| bad())?;
            let den = num_traits::pow(BigInt::from(10), f.len());
            Ok(BigRational::new(num, den))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn document_example() {
        let doc = crate::syntax::parse::parse_document("x \\in \\mathbb{R}^n\nL = x^T x").unwrap();
        assert_eq!(doc.stmts.len(), 2);
    }

    #[test]
    fn expression_example() {
        let e =
            crate::syntax::parse::parse_expression("\\frac{\\partial L}{\\partial z} x^T").unwrap();
        assert!(matches!(e.kind, crate::syntax::ast::ExprKind::Chain(_)));
    }

    #[test]
    fn answer_example() {
        let (e, b) = crate::syntax::parse::parse_answer(
            "\\frac{\\partial f}{\\partial z} x^T \\quad \\text{where} \\quad \\frac{\\partial f}{\\partial z} = 2 z",
        ).unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].wrt.latex(), "z");
        let _ = e;
    }
}
