//! Names as written: a letter or word with an optional subscript, and its
//! spellings (LaTeX, Unicode text, identifier).

use std::fmt;

/// How a name is spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum NameKind {
    /// One Latin letter: `W`, `x`.
    Latin,
    /// A Greek letter command without its backslash: `alpha`, `Sigma`, `ell`.
    Greek,
    /// A multi-letter word from `\mathrm{}`/`\text{}`: `swish`, `loss`.
    Word,
    /// The gradient of one name in another, `\frac{\partial f}{\partial z_1}`,
    /// as a name of its own: `base` is the objective's LaTeX, `sub` the
    /// variable's (see [`Name::adjoint`]).
    Adjoint,
}

/// A name: a letter or word and an optional subscript. Decorations are dropped.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Name {
    /// The letter or word (`W`, `alpha`, `swish`).
    pub base: String,
    /// How the base is spelled.
    pub kind: NameKind,
    /// The subscript text, if any (`1` in `W_1`).
    pub sub: Option<String>,
}

impl Name {
    /// A Latin name without subscript.
    pub fn latin(c: &str) -> Name {
        Name {
            base: c.to_string(),
            kind: NameKind::Latin,
            sub: None,
        }
    }

    /// The name of the gradient of `of` in `wrt` (an adjoint that an answer
    /// names instead of repeating it): `\frac{\partial f}{\partial z_1}`,
    /// identifier `df_dz_1`.
    pub fn adjoint(of: &Name, wrt: &Name) -> Name {
        Name {
            base: of.latex(),
            kind: NameKind::Adjoint,
            sub: Some(wrt.latex()),
        }
    }

    /// The objective and variable of an adjoint name.
    pub fn adjoint_parts(&self) -> Option<(Name, Name)> {
        if self.kind != NameKind::Adjoint {
            return None;
        }
        Some((
            Name::from_cli(&self.base)?,
            Name::from_cli(self.sub.as_deref()?)?,
        ))
    }

    /// Identifier form: `W_1`, `alpha`, `L_1`, `swish`.
    pub fn ident(&self) -> String {
        if let Some((of, wrt)) = self.adjoint_parts() {
            return format!("d{}_d{}", of.ident(), wrt.ident());
        }
        let sub = self
            .sub
            .as_deref()
            .map(|s| s.replace('\\', "").replace(',', "_"));
        match sub {
            Some(s) => format!("{}_{}", self.base, s),
            None => self.base.clone(),
        }
    }

    /// LaTeX form: `W_1`, `\alpha`, `\mathrm{swish}`, `x_{ij}`.
    pub fn latex(&self) -> String {
        let base = match self.kind {
            NameKind::Adjoint => {
                let wrt = self.sub.as_deref().unwrap_or_default();
                return format!("\\frac{{\\partial {}}}{{\\partial {wrt}}}", self.base);
            }
            NameKind::Latin => self.base.clone(),
            NameKind::Greek => format!("\\{}", self.base),
            NameKind::Word => format!("\\mathrm{{{}}}", self.base),
        };
        match &self.sub {
            Some(s) if s.chars().count() == 1 => format!("{base}_{s}"),
            Some(s) => format!("{base}_{{{s}}}"),
            None => base,
        }
    }

    /// Plain-text form with Unicode letters: `W₁`, `α`, `swish`.
    pub fn text(&self) -> String {
        if let Some((of, wrt)) = self.adjoint_parts() {
            return format!("∂{}/∂{}", of.text(), wrt.text());
        }
        let base = match self.kind {
            NameKind::Greek => greek_unicode(&self.base)
                .map(str::to_string)
                .unwrap_or_else(|| self.base.clone()),
            _ => self.base.clone(),
        };
        match &self.sub {
            Some(s) if s.chars().all(|c| c.is_ascii_digit()) => {
                let digits: String = s
                    .chars()
                    .map(|c| char::from_u32(0x2080 + c.to_digit(10).unwrap_or(0)).unwrap_or(c))
                    .collect();
                format!("{base}{digits}")
            }
            Some(s) => format!("{base}_{s}"),
            None => base,
        }
    }

    /// Upper-case Latin or Greek capital: a matrix by convention.
    pub fn is_upper(&self) -> bool {
        self.base
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_uppercase())
    }

    /// Parse an identifier or LaTeX spelling (`W_{1}`, `W_1`, `\mathcal{L}_1`,
    /// `alpha`) into a name, as `--wrt` and `--of` take them.
    pub fn from_cli(s: &str) -> Option<Name> {
        let s = s.trim();
        let mut t = s.to_string();
        for deco in [
            "\\mathcal",
            "\\mathbf",
            "\\boldsymbol",
            "\\bm",
            "\\vec",
            "\\mathrm",
            "\\text",
            "\\operatorname",
        ] {
            t = t.replace(deco, "");
        }
        let t: String = t
            .chars()
            .filter(|c| !matches!(c, '{' | '}' | ' '))
            .collect();
        let t = t.trim_start_matches('\\');
        let (base, sub) = match t.split_once('_') {
            Some((b, s)) => (b, Some(s.to_string())),
            None => (t, None),
        };
        if base.is_empty() || !base.chars().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        let kind = if base.len() == 1 {
            NameKind::Latin
        } else if is_greek(base) {
            NameKind::Greek
        } else {
            NameKind::Word
        };
        Some(Name {
            base: base.to_string(),
            kind,
            sub: sub.filter(|s| !s.is_empty()),
        })
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.latex())
    }
}

const GREEK: &[(&str, &str)] = &[
    ("alpha", "α"),
    ("beta", "β"),
    ("gamma", "γ"),
    ("delta", "δ"),
    ("epsilon", "ϵ"),
    ("varepsilon", "ε"),
    ("zeta", "ζ"),
    ("eta", "η"),
    ("theta", "θ"),
    ("vartheta", "ϑ"),
    ("iota", "ι"),
    ("kappa", "κ"),
    ("lambda", "λ"),
    ("mu", "μ"),
    ("nu", "ν"),
    ("xi", "ξ"),
    ("pi", "π"),
    ("varpi", "ϖ"),
    ("rho", "ρ"),
    ("varrho", "ϱ"),
    ("sigma", "σ"),
    ("varsigma", "ς"),
    ("tau", "τ"),
    ("upsilon", "υ"),
    ("phi", "ϕ"),
    ("varphi", "φ"),
    ("chi", "χ"),
    ("psi", "ψ"),
    ("omega", "ω"),
    ("ell", "ℓ"),
    ("Gamma", "Γ"),
    ("Delta", "Δ"),
    ("Theta", "Θ"),
    ("Lambda", "Λ"),
    ("Xi", "Ξ"),
    ("Pi", "Π"),
    ("Sigma", "Σ"),
    ("Upsilon", "Υ"),
    ("Phi", "Φ"),
    ("Psi", "Ψ"),
    ("Omega", "Ω"),
];

/// The Unicode letter of a Greek command name.
pub fn greek_unicode(name: &str) -> Option<&'static str> {
    GREEK.iter().find(|(n, _)| *n == name).map(|(_, u)| *u)
}

/// The Greek letter command (without backslash) printed as `letter`: `σ` → `sigma`.
pub fn greek_name(letter: &str) -> Option<&'static str> {
    GREEK.iter().find(|(_, u)| *u == letter).map(|(n, _)| *n)
}

/// Whether `name` is a Greek letter command (without backslash).
pub fn is_greek(name: &str) -> bool {
    greek_unicode(name).is_some()
}
