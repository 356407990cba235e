/// The L-layer tanh net of the scaling series: `z_i = W_i h_{i-1} + b_i`,
/// `h_i = \tanh(z_i)`, `L = \|h_L - y\|^2`, asking for `\nabla_{W_1} L`.
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
