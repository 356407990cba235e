//! Every Matrix Cookbook equation number matcalc cites (in citations,
//! rewrite rules, comments and the corpus's `% source:` lines) is in the
//! project's table of the November 2012 edition (`matcalc::cookbook`), and
//! a citation of the form `IDENTITY (eq. N)` states the identity the table
//! lists under N.

use std::path::{Path, PathBuf};

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

/// Every `eq. N` in `text`: (N, the text before it on its line, whether
/// the citation closes right after the number).
fn citations(text: &str) -> Vec<(u32, String, bool)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut rest = line;
        let mut before = String::new();
        while let Some(i) = rest.find("eq. ") {
            let tail = &rest[i + 4..];
            let digits: String = tail.chars().take_while(|c| c.is_ascii_digit()).collect();
            before.push_str(&rest[..i]);
            if let Ok(n) = digits.parse() {
                let closes = tail[digits.len()..].starts_with(')');
                out.push((n, before.clone(), closes));
            }
            rest = &tail[digits.len()..];
        }
    }
    out
}

/// Corpus problems whose `% source:` number has not been checked against
/// the edition (they are cited as the earlier sessions numbered them).
const UNCHECKED_CORPUS: &[u32] = &[
    51, 55, 63, 65, 69, 70, 71, 77, 78, 81, 82, 83, 84, 85, 87, 106, 107, 108, 109, 110, 111, 112,
    113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124,
];

#[test]
fn every_cited_number_is_in_the_table_with_its_identity() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    files(&root.join("src"), "rs", &mut sources);
    let mut checked = 0;
    for f in &sources {
        if f.ends_with("core/cookbook.rs") {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for (n, before, closes) in citations(&text) {
            let Some(identity) = matcalc::cookbook::equation(n) else {
                panic!("{}: eq. {n} is not in the Cookbook table", f.display());
            };
            checked += 1;
            // `"IDENTITY (eq. N)"`: the words before the citation, from the
            // string's opening quote or the previous citation, are the
            // table's identity.
            // (LaTeX renderings, `\\text{ (eq. N)}`, state it in TeX.)
            if !closes || !before.ends_with(" (") || before.ends_with("\\text{ (") {
                continue;
            }
            let stated = before[..before.len() - 2]
                .rsplit(['"', ')'])
                .next()
                .unwrap_or("");
            let stated = stated
                .trim_start_matches([',', ' '])
                .trim_start_matches("so ");
            if stated.contains('=') && !before.trim_start().starts_with("//") {
                let squash = |s: &str| s.split_whitespace().collect::<String>();
                assert!(
                    squash(identity).ends_with(&squash(stated))
                        || squash(stated).ends_with(&squash(identity)),
                    "{}: {stated:?} cited as eq. {n}, which is {identity:?}",
                    f.display()
                );
            }
        }
    }
    assert!(checked > 30, "only {checked} citations found");

    let mut corpus = Vec::new();
    files(&root.join("tests/fixtures/corpus"), "tex", &mut corpus);
    for f in &corpus {
        let text = std::fs::read_to_string(f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        for line in text
            .lines()
            .filter(|l| l.starts_with("% source: Matrix Cookbook"))
        {
            for (n, _, _) in citations(line) {
                assert!(
                    matcalc::cookbook::equation(n).is_some() || UNCHECKED_CORPUS.contains(&n),
                    "{name}: eq. {n} is neither in the table nor listed as unchecked"
                );
                // A numbered file name carries the same number.
                let numbered = name.as_bytes().get(3).is_some_and(u8::is_ascii_digit);
                assert!(
                    !numbered || name.starts_with(&format!("cb-{n:03}-")),
                    "{name} cites eq. {n}"
                );
            }
        }
    }
}

/// The basic rules the local gradients cite have the numbers students
/// find in the edition (the ones issue 11 checked against three
/// transcriptions).
#[test]
fn local_gradients_cite_the_checked_numbers() {
    for (n, start) in [
        (35, "∂(X + Y)"),
        (37, "∂(XY)"),
        (40, "∂(X^{-1})"),
        (44, "∂(X^T)"),
        (57, "∂ln|det(X)|"),
        (99, "∂tr(X)/∂X"),
        (101, "∂tr(AXB)"),
    ] {
        let identity = matcalc::cookbook::equation(n).unwrap();
        assert!(identity.starts_with(start), "eq. {n} is {identity}");
    }
}
