"""The native half of matcalc (PyO3); use the package `matcalc` instead."""

from typing import Dict, Optional, Tuple

__version__: str

class MatcalcError(Exception):
    kind: str
    message: str
    line: Optional[int]
    column: Optional[int]

class ParseError(MatcalcError): ...
class ShapeError(MatcalcError): ...
class UnknownNameError(MatcalcError): ...
class UnsupportedError(MatcalcError): ...
class LimitError(MatcalcError): ...

class NativeProblem:
    def __init__(self, text: str, limits: Optional[Dict[str, float]] = None) -> None: ...
    @property
    def text(self) -> str: ...
    def grad(
        self,
        wrt: Optional[str] = None,
        of: Optional[str] = None,
        transpose: str = "T",
        numpy: bool = False,
    ) -> Tuple[str, int]: ...
    def grade(
        self, answer: str, wrt: Optional[str] = None, of: Optional[str] = None
    ) -> Tuple[str, int]: ...
    def check(
        self, wrt: Optional[str] = None, of: Optional[str] = None, seed: int = 1
    ) -> Tuple[str, int]: ...
    def steps(
        self,
        format: str,
        wrt: Optional[str] = None,
        of: Optional[str] = None,
        standalone: bool = False,
    ) -> str: ...
    def graph(self, format: str, wrt: Optional[str] = None, of: Optional[str] = None) -> str: ...

def grade_class(gradebook: str, format: str) -> Tuple[str, int]: ...
