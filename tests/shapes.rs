//! Shape rules hold once, everywhere: dimension products are commutative
//! and numeric products multiply out, in the checker, the graph and the
//! simplifier alike.

mod common;

use common::run;

fn check_ok(doc: &str) {
    let (out, err, code) = run(&["check", "-e", doc], None);
    assert_eq!(code, 0, "{doc}\n{out}{err}");
    assert!(out.lines().all(|l| l.starts_with("ok")), "{doc}\n{out}");
}

#[test]
fn a_kronecker_product_of_numeric_sizes_meets_a_matrix_of_the_product_size() {
    for (m, n, p, q) in [(2, 2, 2, 2), (2, 3, 3, 2), (1, 2, 3, 1), (3, 1, 2, 2)] {
        let doc = format!(
            "A \\in \\mathbb{{R}}^{{{m} \\times {n}}}\nB \\in \\mathbb{{R}}^{{{p} \\times {q}}}\n\
             C \\in \\mathbb{{R}}^{{{} \\times {}}}\nf = \\mathrm{{tr}}(C (A \\otimes B))\n\
             \\nabla_A f, \\nabla_B f, \\nabla_C f",
            n * q,
            m * p
        );
        check_ok(&doc);
    }
}

#[test]
fn dimension_products_commute() {
    // vec(X) is (m n)×1 and A ⊗ B is (n m)×(n m): the same size.
    check_ok(
        "X \\in \\mathbb{R}^{m \\times n}\nA \\in \\mathbb{R}^{n \\times n}\n\
         B \\in \\mathbb{R}^{m \\times m}\nf = \\mathrm{vec}(X)^T (A \\otimes B) \\mathrm{vec}(X)\n\\nabla_X f",
    );
    check_ok(
        "x \\in \\mathbb{R}^{m n}\nA \\in \\mathbb{R}^{n \\times n}\n\
         B \\in \\mathbb{R}^{m \\times m}\nf = x^T (A \\otimes B) x\n\\nabla_x f",
    );
}
