"""matcalc: symbolic matrix calculus for losses written in LaTeX.

Derive gradients, Jacobians and Hessians, print them as a textbook would,
grade students' answers against them, explain the derivation step by step,
check them numerically, and run them as NumPy -- in process, without the
command-line binary.

>>> import matcalc
>>> p = matcalc.Problem(r"x \\in \\mathbb{R}^{n}; f = x^T x; \\nabla_x f")
>>> p.grad()[0].latex
'2 x'
>>> bool(p.grade("2 x"))
True

The problem language is the project's docs/LANGUAGE.md; the documents this
package reads are the CLI's JSON (docs/INTERFACE.md).
"""

from __future__ import annotations

import functools
import inspect
import json as _json
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from . import _matcalc
from ._matcalc import (
    LimitError,
    MatcalcError,
    ParseError,
    ShapeError,
    UnknownNameError,
    UnsupportedError,
)

__version__: str = _matcalc.__version__

__all__ = [
    "Answer",
    "CheckResult",
    "LimitError",
    "MatcalcError",
    "ParseError",
    "Problem",
    "ShapeError",
    "UnknownNameError",
    "UnsupportedError",
    "Verdict",
    "grad",
    "grade",
    "grade_class",
]

_PREFIX = {"gradient": "grad", "jacobian": "jac", "hessian": "hess"}


def _dim(d: str) -> Union[str, int]:
    """A dimension from the JSON shape: an integer when it is one."""
    return int(d) if d.isdigit() else d


class Answer:
    """One derived gradient, Jacobian or Hessian.

    Attributes: ``latex`` and ``text`` (the simplified answer), ``kind``
    (``"gradient"``, ``"jacobian"`` or ``"hessian"``), ``of`` and ``wrt``
    (names in identifier form: ``L_1``, ``alpha``), ``shape`` (a tuple of
    dimension names or ints; ``()`` is a scalar), ``query`` (the question
    in LaTeX, ``\\nabla_{W} L``) and ``numpy`` (a self-contained NumPy
    module defining the answer's function).
    """

    __slots__ = ("latex", "text", "kind", "of", "wrt", "shape", "query", "numpy")

    def __init__(self, doc: Dict[str, Any]) -> None:
        self.latex: str = doc["latex"]
        self.text: str = doc["text"]
        self.kind: str = doc["kind"]
        self.of: str = doc["of"]
        self.wrt: str = doc["wrt"]
        self.shape: Tuple[Union[str, int], ...] = tuple(_dim(d) for d in doc["shape"])
        self.query: str = doc["query"]
        self.numpy: str = doc["numpy"]

    @property
    def function_name(self) -> str:
        """The NumPy function's name: ``grad_L_W``, ``jac_z_x``, ``hess_f_x``."""
        return f"{_PREFIX[self.kind]}_{self.of}_{self.wrt}"

    def to_numpy(self) -> Callable[..., Any]:
        """The answer as a Python function of NumPy arrays.

        Its keyword arguments are the free inputs the answer depends on
        (docs/INTERFACE.md, NumPy section): vectors are ``(n, 1)`` arrays,
        scalars floats; the result has the variable's shape. Other keyword
        arguments are ignored, so every input of a problem may be passed to
        each of its answers (a missing one is still a TypeError).

        Raises UnsupportedError when NumPy cannot express the answer.
        """
        if self.numpy.startswith("# not available"):
            err = UnsupportedError(self.numpy[2:])
            err.kind, err.message, err.line, err.column = "unsupported", self.numpy[2:], None, None
            raise err
        namespace: Dict[str, Any] = {"__name__": f"matcalc.generated.{self.function_name}"}
        exec(compile(self.numpy, f"<matcalc {self.function_name}>", "exec"), namespace)
        fn = namespace[self.function_name]
        params = frozenset(inspect.signature(fn).parameters)

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            return fn(*args, **{k: v for k, v in kwargs.items() if k in params})

        return call

    def _repr_latex_(self) -> str:
        return f"${self.query} = {self.latex}$"

    def __str__(self) -> str:
        return f"{self.query} = {self.latex}"

    def __repr__(self) -> str:
        return f"<matcalc.Answer {self.query} = {self.latex}>"


class Verdict:
    """A graded answer.

    ``verdict`` is ``"equivalent"``, ``"not equivalent"`` or ``"shape
    mismatch"``; ``equivalent`` (and ``bool(v)``) says whether it is the
    first; ``method`` says how it was decided (``"symbolic"``,
    ``"numeric"``, ``"shape"`` or ``"names"``); ``diagnosis`` names what
    differs (or None); ``expected`` is the derived answer in LaTeX;
    ``notes`` are remarks; ``max_abs_diff`` the largest difference found
    numerically and ``max_rel_diff`` the same relative to the values'
    largest entry (None when decided otherwise).
    """

    __slots__ = ("verdict", "method", "diagnosis", "expected", "notes", "max_abs_diff", "max_rel_diff")

    def __init__(self, doc: Dict[str, Any]) -> None:
        self.verdict: str = doc["verdict"]
        self.method: str = doc["method"]
        self.diagnosis: Optional[str] = doc.get("diagnosis")
        self.expected: str = doc["expected"]
        self.notes: List[str] = list(doc.get("notes", []))
        self.max_abs_diff: Optional[float] = doc.get("max_abs_diff")
        self.max_rel_diff: Optional[float] = doc.get("max_rel_diff")

    @property
    def equivalent(self) -> bool:
        """True when the answer is equivalent to the derived one."""
        return self.verdict == "equivalent"

    def __bool__(self) -> bool:
        return self.equivalent

    def __repr__(self) -> str:
        d = f", diagnosis={self.diagnosis!r}" if self.diagnosis else ""
        return f"<matcalc.Verdict {self.verdict} ({self.method}){d}>"


class CheckResult:
    """One answer checked against finite differences of the objective.

    ``ok`` when the relative error ``rel_error`` is within the tolerance
    (beyond the differences' own noise: ``beyond_noise``); ``latex`` is the
    answer checked; ``notes`` say what was passed over.
    """

    __slots__ = ("of", "wrt", "ok", "rel_error", "beyond_noise", "latex", "notes")

    def __init__(self, doc: Dict[str, Any]) -> None:
        self.of: str = doc["of"]
        self.wrt: str = doc["wrt"]
        self.ok: bool = doc["ok"]
        self.rel_error: float = doc["rel_error"]
        self.beyond_noise: float = doc["beyond_noise"]
        self.latex: str = doc["latex"]
        self.notes: List[str] = list(doc.get("notes", []))

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        state = "ok" if self.ok else "FAIL"
        return f"<matcalc.CheckResult {state} d{self.of}/d{self.wrt} rel_error={self.rel_error:.1e}>"


class Problem:
    """A problem document: declarations, definitions and queries.

    Parsing, shape checking and the derivation of the document's own
    queries happen here, once; every later call reuses them (grading many
    answers against one problem derives nothing again). The GIL is released
    while matcalc works.

    Raises ParseError, ShapeError, UnknownNameError, UnsupportedError,
    LimitError, or MatcalcError for the other kinds of bad input.
    """

    def __init__(self, text: str, limits: Optional[Dict[str, float]] = None) -> None:
        # limits: {"work": 1e12, "depth": 20000, ...}, the CLI's --limit
        # names (docs/INTERFACE.md); a ValueError names a bad one.
        self._native = _matcalc.NativeProblem(text, limits)

    @property
    def text(self) -> str:
        """The document's source text."""
        return self._native.text

    def grad(
        self, wrt: Optional[str] = None, of: Optional[str] = None, transpose: str = "T"
    ) -> Union[Answer, List[Answer]]:
        """The answer for ``wrt`` (and ``of``), or with no ``wrt`` the list of
        answers to the document's own queries.

        ``transpose`` is ``"T"`` (``A^T``) or ``"top"`` (``A^\\top``).
        """
        doc, _ = self._native.grad(wrt=wrt, of=of, transpose=transpose)
        answers = [Answer(r) for r in _json.loads(doc)["results"]]
        if wrt is not None:
            return answers[0]
        return answers

    def grade(self, answer: str, wrt: Optional[str] = None, of: Optional[str] = None) -> Verdict:
        """Judge a student's ``answer`` (LaTeX) against the derived one.

        Raises ParseError for an answer that does not parse; every other
        answer gets a Verdict. A shape mismatch is the verdict ``"shape
        mismatch"``; an answer using a name the problem does not have is
        ``"not equivalent"``, decided by ``"names"``, the diagnosis naming it.
        """
        try:
            doc, _ = self._native.grade(answer, wrt=wrt, of=of)
        except UnknownNameError as e:
            if e.line is None:
                raise  # the question's names (wrt, of), not the answer's
            return Verdict(
                {
                    "verdict": "not equivalent",
                    "method": "names",
                    "diagnosis": e.message,
                    "expected": self._expected(wrt, of),
                    "notes": [],
                    "max_abs_diff": None,
                    "max_rel_diff": None,
                }
            )
        return Verdict(_json.loads(doc))

    def _expected(self, wrt: Optional[str], of: Optional[str]) -> str:
        """The derived answer ``grade`` compares with, in LaTeX."""
        answers = self.grad(wrt=wrt, of=of)
        if isinstance(answers, Answer):
            return answers.latex
        matching = [a for a in answers if of is None or a.of == of]
        return matching[0].latex if matching else ""

    def steps(
        self,
        wrt: Optional[str] = None,
        of: Optional[str] = None,
        format: str = "markdown",
        standalone: bool = False,
    ) -> Union[str, Dict[str, Any]]:
        """The derivation as a model solution: ``format`` is ``"markdown"``,
        ``"latex"``, ``"text"`` (a str) or ``"json"`` (a dict, its
        ``"derivations"`` each with ``"nodes"`` carrying ``"adjoint"``).
        ``standalone=True`` with ``"latex"`` gives a whole document that
        ``pdflatex`` compiles."""
        out = self._native.steps(format, wrt=wrt, of=of, standalone=standalone)
        return _json.loads(out) if format == "json" else out

    def graph(
        self, wrt: Optional[str] = None, of: Optional[str] = None, format: str = "dot"
    ) -> Union[str, Dict[str, Any]]:
        """The computational graph: ``format`` is ``"dot"``, ``"svg"`` (needs
        Graphviz's ``dot``; a str) or ``"json"`` (a dict)."""
        out = self._native.graph(format, wrt=wrt, of=of)
        return _json.loads(out) if format == "json" else out

    def check(
        self, wrt: Optional[str] = None, of: Optional[str] = None, seed: int = 1
    ) -> List[CheckResult]:
        """Check each answer against central finite differences of the
        objective on seeded random instances."""
        doc, _ = self._native.check(wrt=wrt, of=of, seed=seed)
        return [CheckResult(r) for r in _json.loads(doc)["results"]]

    def numpy(self, wrt: Optional[str] = None, of: Optional[str] = None) -> str:
        """A self-contained NumPy module with one function per answer."""
        out, _ = self._native.grad(wrt=wrt, of=of, numpy=True)
        return out

    def __repr__(self) -> str:
        first = self.text.strip().splitlines()[:1]
        return f"<matcalc.Problem {first[0] if first else ''!r}>"


def grad(
    text: str, wrt: Optional[str] = None, of: Optional[str] = None
) -> Union[Answer, List[Answer]]:
    """One-off: the answer for ``wrt`` when given or when the document asks
    one thing, else the list of answers to its queries."""
    answers = Problem(text).grad(wrt=wrt, of=of)
    if isinstance(answers, list) and len(answers) == 1:
        return answers[0]
    return answers


def grade(text: str, answer: str, wrt: Optional[str] = None, of: Optional[str] = None) -> Verdict:
    """One-off: judge ``answer`` against the problem ``text``."""
    return Problem(text).grade(answer, wrt=wrt, of=of)


def grade_class(gradebook: str, format: str = "json") -> Union[List[Dict[str, Any]], str]:
    """Grade a whole class: ``gradebook`` is TOML text in the format of the
    homework's answer key (``[[problem]]`` with ``id`` and ``text``;
    ``[[answer]]`` with ``problem``, ``wrt``, optional ``of``, ``latex``,
    ``student`` or ``seed``, optional expected ``verdict``).

    With ``format="json"`` (the default) returns a list of dicts, one per
    answer (``student``, ``problem``, ``wrt``, ``of``, ``verdict``,
    ``method``, ``diagnosis``, ``expected``, and ``agrees`` when a verdict
    was expected); ``"markdown"`` and ``"csv"`` return the report text.
    """
    out, _ = _matcalc.grade_class(gradebook, format)
    return _json.loads(out)["results"] if format == "json" else out
