//! Printed length in tokens: what the simplifier minimises.

use crate::ir::{Graph, Id};

/// Tokens of a LaTeX string: commands, letters, digits, symbols.
pub fn token_count(s: &str) -> usize {
    let s = s.replace("\\left", "").replace("\\right", "");
    let mut n = 0;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            while chars.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                chars.next();
            }
            n += 1;
        } else if !c.is_whitespace() && c != '{' && c != '}' {
            n += 1;
        }
    }
    n
}

/// The printed length of node `id` in LaTeX tokens (the simplifier's atom cost).
pub fn atom_tokens(g: &mut Graph, id: Id) -> usize {
    token_count(&super::to_latex(g, id, Default::default()))
}
