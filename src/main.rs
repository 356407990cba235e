fn main() {
    let src = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    let mut p = match matcalc::Problem::new(&src) { Ok(p) => p, Err(e) => { println!("{}", e.render("in", &src)); return; } };
    match p.answers() {
        Ok(ans) => for a in ans {
            let l = p.latex(&a, Default::default());
            let c = p.check(&a, 1);
            println!("{} = {}    [{:?}]", p.query_latex(&a.question), l, c.map(|c| c.rel_error));
        },
        Err(e) => println!("{}", e.render("in", &src)),
    }
}
