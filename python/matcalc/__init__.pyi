"""Type stubs for matcalc (see __init__.py for the documentation)."""

from typing import Any, Callable, Dict, List, Optional, Tuple, Union

__version__: str

class MatcalcError(Exception):
    """Any error matcalc reports. ``str(e)`` is the rendered code frame."""

    kind: str
    """The CLI's error kind: parse, shape, name, cycle, unsupported, limit,
    undefined, domain, usage, internal."""
    message: str
    line: Optional[int]
    """1-based line of the error's span, or None when it has no place."""
    column: Optional[int]
    """1-based column (in characters), or None."""

class ParseError(MatcalcError): ...
class ShapeError(MatcalcError): ...
class UnknownNameError(MatcalcError): ...
class UnsupportedError(MatcalcError): ...
class LimitError(MatcalcError): ...

class Answer:
    latex: str
    text: str
    kind: str
    of: str
    wrt: str
    shape: Tuple[Union[str, int], ...]
    query: str
    numpy: str
    def __init__(self, doc: Dict[str, Any]) -> None: ...
    @property
    def function_name(self) -> str: ...
    def to_numpy(self) -> Callable[..., Any]: ...
    def _repr_latex_(self) -> str: ...

class Verdict:
    verdict: str
    method: str
    diagnosis: Optional[str]
    expected: str
    notes: List[str]
    max_abs_diff: Optional[float]
    max_rel_diff: Optional[float]
    def __init__(self, doc: Dict[str, Any]) -> None: ...
    @property
    def equivalent(self) -> bool: ...
    def __bool__(self) -> bool: ...

class CheckResult:
    of: str
    wrt: str
    ok: bool
    rel_error: float
    beyond_noise: float
    latex: str
    notes: List[str]
    def __init__(self, doc: Dict[str, Any]) -> None: ...
    def __bool__(self) -> bool: ...

class Problem:
    def __init__(self, text: str, limits: Optional[Dict[str, float]] = None) -> None: ...
    @property
    def text(self) -> str: ...
    def grad(
        self, wrt: Optional[str] = None, of: Optional[str] = None, transpose: str = "T"
    ) -> Union[Answer, List[Answer]]: ...
    def grade(self, answer: str, wrt: Optional[str] = None, of: Optional[str] = None) -> Verdict: ...
    def steps(
        self,
        wrt: Optional[str] = None,
        of: Optional[str] = None,
        format: str = "markdown",
        standalone: bool = False,
    ) -> Union[str, Dict[str, Any]]: ...
    def graph(
        self, wrt: Optional[str] = None, of: Optional[str] = None, format: str = "dot"
    ) -> Union[str, Dict[str, Any]]: ...
    def check(
        self, wrt: Optional[str] = None, of: Optional[str] = None, seed: int = 1
    ) -> List[CheckResult]: ...
    def numpy(self, wrt: Optional[str] = None, of: Optional[str] = None) -> str: ...

def grad(
    text: str, wrt: Optional[str] = None, of: Optional[str] = None
) -> Union[Answer, List[Answer]]: ...
def grade(
    text: str, answer: str, wrt: Optional[str] = None, of: Optional[str] = None
) -> Verdict: ...
def grade_class(gradebook: str, format: str = "json") -> Union[List[Dict[str, Any]], str]: ...
