// The scaling families (issue 13), shared by `benches/scaling.rs`,
// `examples/scaling.rs` and `tests/scale.rs` through `include!`. Each maps
// a size to a problem document with one query.

/// The L-layer tanh net: `z_i = W_i h_{i-1} + b_i`, `h_i = \tanh(z_i)`,
/// `L = \|h_L - y\|^2`, asking for `\nabla_{W_1} L`.
pub fn layered(l: usize) -> String {
    let mut s = String::from("x, y \\in \\mathbb{R}^{D}\n");
    for i in 1..=l {
        s.push_str(&format!(
            "W_{{{i}}} \\in \\mathbb{{R}}^{{D \\times D}}, b_{{{i}}} \\in \\mathbb{{R}}^{{D}}\n"
        ));
    }
    s.push_str("z_{1} = W_{1} x + b_{1}\nh_{1} = \\tanh(z_{1})\n");
    for i in 2..=l {
        s.push_str(&format!(
            "z_{{{i}}} = W_{{{i}}} h_{{{}}} + b_{{{i}}}\nh_{{{i}}} = \\tanh(z_{{{i}}})\n",
            i - 1
        ));
    }
    s.push_str(&format!("L = \\|h_{{{l}}} - y\\|^2\n\\nabla_{{W_1}} L\n"));
    s
}

/// A tanh net of L layers sharing one weight matrix: `z_i = \tanh(A z_{i-1})`,
/// `f = \mathbf{1}^T z_L`, asking for `\nabla_A f` (one path per layer).
pub fn shared_net(l: usize) -> String {
    let mut s =
        String::from("x \\in \\mathbb{R}^{n}\nA \\in \\mathbb{R}^{n \\times n}\nz_{0} = x\n");
    for i in 1..=l {
        s.push_str(&format!("z_{{{i}}} = \\tanh(A z_{{{}}})\n", i - 1));
    }
    s.push_str(&format!("f = \\mathbf{{1}}^T z_{{{l}}}\n\\nabla_A f\n"));
    s
}

/// A sum of N terms in N different vectors: `f = \sum_i \sin(a_i^T x)`.
pub fn wide_sum(n: usize) -> String {
    let names: Vec<String> = (1..=n).map(|i| format!("a_{{{i}}}")).collect();
    let terms: Vec<String> = names.iter().map(|a| format!("\\sin({a}^T x)")).collect();
    format!(
        "{}, x \\in \\mathbb{{R}}^{{n}}\nf = {}\n\\nabla_x f\n",
        names.join(", "),
        terms.join(" + ")
    )
}

/// A product chain of N factors: `f = x^T A A \cdots A x`, asking for `\nabla_A f`.
pub fn product_chain(n: usize) -> String {
    format!(
        "x \\in \\mathbb{{R}}^{{n}}\nA \\in \\mathbb{{R}}^{{n \\times n}}\nf = x^T {} x\n\\nabla_A f\n",
        vec!["A"; n].join(" ")
    )
}

/// A definition chain of N links, `z_{i+1} = A z_i + \tanh(z_i)` (2^N paths
/// from the objective to `A`), asking for `\nabla_A f`.
pub fn definition_chain(n: usize) -> String {
    let mut s =
        String::from("x \\in \\mathbb{R}^{n}\nA \\in \\mathbb{R}^{n \\times n}\nz_{0} = x\n");
    for i in 1..=n {
        s.push_str(&format!(
            "z_{{{i}}} = A z_{{{j}}} + \\tanh(z_{{{j}}})\n",
            j = i - 1
        ));
    }
    s.push_str(&format!("f = \\mathbf{{1}}^T z_{{{n}}}\n\\nabla_A f\n"));
    s
}

/// A family: its name, its generator, and the size the issue asks for.
pub type Family = (&'static str, fn(usize) -> String, usize);

/// The families with the sizes the issue asks to be answered.
pub const FAMILIES: [Family; 5] = [
    ("layered tanh net (L layers)", layered, 200),
    ("shared-weight tanh net (L layers)", shared_net, 1000),
    ("wide sum (N terms)", wide_sum, 2000),
    ("product chain (N factors)", product_chain, 1000),
    ("definition chain (N links)", definition_chain, 1000),
];
