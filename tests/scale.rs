//! The scaling families (benches/families.rs) at the sizes issue 13 asks
//! for: each is answered and checked (`matcalc grad`, `matcalc check`), and
//! the printed answer grows linearly with the size. Time is measured by
//! `cargo bench --bench scaling` and `examples/scaling.rs`, never here.

mod common;

include!("../benches/families.rs");

/// The printed answer (with its where clause) at size `n`, after `check`
/// has confirmed it against finite differences.
fn answer_checked(name: &str, make: fn(usize) -> String, n: usize) -> String {
    let src = make(n);
    let (out, err, code) = common::run(&["grad", "-"], Some(&src));
    assert_eq!(code, 0, "{name} at {n}: {err}");
    let (check, err, code) = common::run(&["check", "-"], Some(&src));
    assert_eq!(code, 0, "{name} at {n}: {check}{err}");
    assert!(check.starts_with("ok "), "{name} at {n}: {check}");
    out
}

#[test]
fn every_family_is_answered_and_checked_at_full_size() {
    let mut families = FAMILIES.to_vec();
    // The layered net of distinct weights is asked for at 1000 layers too.
    families.push(("layered tanh net (L layers)", layered, 1000));
    for (name, make, n) in families {
        let full = answer_checked(name, make, n);
        let half = answer_checked(name, make, n / 2);
        // Linear: twice the size, at most a little over twice the text.
        let ratio = full.len() as f64 / half.len() as f64;
        assert!(
            ratio < 2.3,
            "{name}: the answer grows {ratio:.2}x from {} to {n} ({} to {} bytes)",
            n / 2,
            half.len(),
            full.len()
        );
    }
}

#[test]
fn a_deep_shared_net_names_each_layers_adjoint_once() {
    let text = answer_checked("shared", shared_net, 100);
    // One named adjoint for each layer whose value reaches A more than one
    // way (z_2 … z_100; z_1 reaches it once), each given once.
    assert_eq!(text.matches(" = A^T").count(), 98, "{text}");
    assert!(text.contains("\\text{where}"));
}
