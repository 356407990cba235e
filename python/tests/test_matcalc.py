"""Tests of the Python package: every call of the API, the exception types,
the Jupyter rendering, and generated NumPy against finite differences of
objectives written here in NumPy (independently of matcalc)."""

import json
import pathlib
import random
import threading

import numpy as np
import pytest

import matcalc

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
KEY = ROOT / "tests" / "fixtures" / "homework" / "answer-key.toml"

AUTOENCODER = (EXAMPLES / "autoencoder.tex").read_text()
GPLVM = (EXAMPLES / "gplvm.tex").read_text()
SWISH = (EXAMPLES / "swish-mlp.tex").read_text()

RIDGE = r"""
X \in \mathbb{R}^{N \times D}, y \in \mathbb{R}^{N}, w \in \mathbb{R}^{D}
\lambda \in \mathbb{R}
L = \frac{1}{2} \|X w - y\|^2 + \frac{\lambda}{2} w^T w
\nabla_w L, \nabla^2_w L
"""

SOFTMAX_JAC = r"""
W \in \mathbb{R}^{3 \times 4}, x \in \mathbb{R}^{4}
s = \mathrm{softmax}(W x)
\frac{\partial s}{\partial x}
"""


def rng(seed=7):
    return np.random.default_rng(seed)


def fd_gradient(f, args, name, h=1e-6):
    """Central differences of the scalar f(**args) in args[name]."""
    x = args[name]
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f(**args)
        x[i] = old - h
        down = f(**args)
        x[i] = old
        g[i] = (up - down) / (2 * h)
    return g


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-12)


# ---------------------------------------------------------------- Problem, grad


def test_problem_grad_lists_the_documents_queries():
    p = matcalc.Problem(GPLVM)
    answers = p.grad()
    assert isinstance(answers, list) and len(answers) == 3
    assert [a.of for a in answers] == ["L_1", "L_2", "L"]
    for a in answers:
        assert isinstance(a, matcalc.Answer)
        assert a.wrt == "X" and a.kind == "gradient"
        assert a.shape == ("N", "Q")
        assert a.latex and a.text
    assert answers[0].latex == r"-\alpha D K^{-1} X"


def test_grad_with_wrt_is_one_answer_and_of_chooses_the_objective():
    p = matcalc.Problem(GPLVM)
    a = p.grad(wrt="X", of="L_2")
    assert isinstance(a, matcalc.Answer)
    assert a.of == "L_2"
    assert a.latex == r"\alpha K^{-1} Y Y^T K^{-1} X"
    top = p.grad(wrt="X", of="L_2", transpose="top")
    assert r"^\top" in top.latex


def test_kinds_and_integer_shapes():
    a = matcalc.grad(SOFTMAX_JAC)
    assert a.kind == "jacobian"
    assert a.shape == (3, 4)
    hess = matcalc.Problem(RIDGE).grad()[1]
    assert hess.kind == "hessian"
    assert hess.shape == ("D", "D")


def test_repr_latex_renders_the_query_and_the_answer():
    a = matcalc.Problem(AUTOENCODER).grad(wrt="W")
    r = a._repr_latex_()
    assert r.startswith(r"$\nabla_{W} L = ")
    assert r.endswith("$")
    assert a.latex in r
    assert str(a) == r[1:-1]
    j = matcalc.grad(SOFTMAX_JAC)
    assert j._repr_latex_().startswith(r"$\frac{\partial s}{\partial x} = ")
    h = matcalc.Problem(RIDGE).grad()[1]
    assert h._repr_latex_().startswith(r"$\nabla^2_{w} L = ")


# ---------------------------------------------------------------- to_numpy


def test_autoencoder_numpy_agrees_with_finite_differences():
    a = matcalc.Problem(AUTOENCODER).grad(wrt="W")
    f = a.to_numpy()
    r = rng()
    W, x = r.standard_normal((3, 4)), r.standard_normal((4, 1))

    def loss(W, x):
        e = W.T @ W @ x - x
        return 0.5 * (e.T @ e).item()

    got = f(W=W, x=x)
    assert got.shape == W.shape
    assert rel(got, fd_gradient(loss, {"W": W.copy(), "x": x}, "W")) < 1e-6


def test_gplvm_numpy_agrees_with_finite_differences():
    p = matcalc.Problem(GPLVM)
    r = rng(3)
    N, Q, D = 5, 2, 3
    X, Y = r.standard_normal((N, Q)), r.standard_normal((N, D))
    alpha, beta = 0.7, 2.0

    def objectives(X, Y, alpha, beta):
        K = alpha * X @ X.T + np.eye(N) / beta
        l1 = -D / 2 * np.linalg.slogdet(K)[1]
        l2 = -0.5 * np.trace(np.linalg.solve(K, Y @ Y.T))
        return {"L_1": l1, "L_2": l2, "L": l1 + l2}

    for a in p.grad():
        f = a.to_numpy()
        # D is an integer parameter where no array argument carries it.
        got = f(X=X, Y=Y, alpha=alpha, beta=beta, D=D)
        want = fd_gradient(
            lambda **k: objectives(**k)[a.of],
            {"X": X.copy(), "Y": Y, "alpha": alpha, "beta": beta},
            "X",
        )
        assert rel(got, want) < 1e-6, a.of


def test_hessian_and_jacobian_numpy_agree_with_finite_differences():
    r = rng(5)
    N, D = 6, 3
    X, y, w = r.standard_normal((N, D)), r.standard_normal((N, 1)), r.standard_normal((D, 1))
    lam = 0.3
    grad_a, hess_a = matcalc.Problem(RIDGE).grad()
    g = grad_a.to_numpy()
    H = hess_a.to_numpy()(X=X, lambda_=lam)
    assert H.shape == (D, D)
    # The Hessian is the Jacobian of the gradient: difference the gradient.
    h = 1e-6
    for j in range(D):
        e = np.zeros((D, 1))
        e[j] = h
        col = (g(X=X, y=y, w=w + e, lambda_=lam) - g(X=X, y=y, w=w - e, lambda_=lam)) / (2 * h)
        assert rel(H[:, [j]], col) < 1e-6
    jac = matcalc.grad(SOFTMAX_JAC).to_numpy()
    W, x = r.standard_normal((3, 4)), r.standard_normal((4, 1))

    def softmax(z):
        e = np.exp(z - z.max())
        return e / e.sum()

    J = jac(W=W, x=x)
    for j in range(4):
        e = np.zeros((4, 1))
        e[j] = h
        col = (softmax(W @ (x + e)) - softmax(W @ (x - e))) / (2 * h)
        assert rel(J[:, [j]], col) < 1e-6


def test_numpy_module_and_function_names():
    p = matcalc.Problem(SWISH)
    src = p.numpy()
    assert src.startswith("import numpy as np")
    for a in p.grad():
        assert f"def {a.function_name}(" in src
        assert a.numpy.startswith("import numpy as np")
        assert callable(a.to_numpy())


# ---------------------------------------------------------------- grade


def test_grade_verdicts_and_reuse():
    p = matcalc.Problem(AUTOENCODER)
    right = p.grade(r"W (W^T W x - x) x^T + (W x) (W^T W x - x)^T", wrt="W")
    assert isinstance(right, matcalc.Verdict)
    assert right.equivalent and bool(right)
    assert right.verdict == "equivalent"
    assert right.method == "symbolic"
    assert right.diagnosis is None
    assert right.expected == p.grad(wrt="W").latex
    wrong = p.grade(r"2 W (W^T W x - x) x^T")
    assert not wrong and wrong.verdict == "not equivalent"
    assert wrong.method == "numeric"
    assert "path" in wrong.diagnosis
    assert wrong.max_abs_diff > 0
    assert 0 < wrong.max_rel_diff <= 2
    assert isinstance(wrong.notes, list)
    shape = p.grade(r"W x")
    assert shape.verdict == "shape mismatch" and not shape
    # One problem, many answers: every later grade reuses the derivation.
    for _ in range(20):
        assert p.grade(r"W (W^T W x - x) x^T + W x (W^T W x - x)^T")


def test_grade_raises_for_an_unreadable_answer():
    p = matcalc.Problem(AUTOENCODER)
    with pytest.raises(matcalc.ParseError) as e:
        p.grade(r"W (W^T W x - x")
    assert e.value.kind == "parse"
    assert e.value.line == 1 and e.value.column is not None
    assert "<answer>" in str(e.value)
    # A name the problem does not have is a verdict, not an exception.
    v = p.grade(r"V x x^T")
    assert not v and v.verdict == "not equivalent" and v.method == "names"
    assert "V" in v.diagnosis
    assert v.expected == p.grad(wrt="W").latex


def test_module_level_shortcuts():
    one = matcalc.grad(r"x \in \mathbb{R}^{n}; f = x^T x; \nabla_x f")
    assert isinstance(one, matcalc.Answer) and one.latex == "2 x"
    by_wrt = matcalc.grad(r"x \in \mathbb{R}^{n}; f = x^T x", wrt="x")
    assert by_wrt.latex == "2 x"
    many = matcalc.grad(GPLVM)
    assert isinstance(many, list) and len(many) == 3
    v = matcalc.grade(GPLVM, r"-\alpha D K^{-1} X", wrt="X", of="L_1")
    assert v.equivalent


# ---------------------------------------------------------------- steps, graph, check


def test_steps_in_every_format():
    p = matcalc.Problem(AUTOENCODER)
    md = p.steps(wrt="W", format="markdown")
    assert isinstance(md, str) and "W" in md
    assert isinstance(p.steps(format="latex"), str)
    assert p.steps(format="latex", standalone=True).startswith("\\documentclass")
    assert isinstance(p.steps(format="text"), str)
    doc = p.steps(format="json")
    assert doc["version"] == 1
    assert doc["derivations"][0]["wrt"] == "W"
    assert any(n["latex"] == "W x" for n in doc["derivations"][0]["nodes"])
    with pytest.raises(ValueError):
        p.steps(format="pdf")


def test_graph_and_check():
    p = matcalc.Problem(GPLVM)
    dot = p.graph()
    assert dot.startswith("digraph")
    g = p.graph(format="json")
    assert g["nodes"] and g["edges"]
    results = p.check()
    assert [r.of for r in results] == ["L_1", "L_2", "L"]
    for r in results:
        assert isinstance(r, matcalc.CheckResult)
        assert r.ok and bool(r)
        assert 0 <= r.rel_error < 1e-6
        assert r.wrt == "X" and r.latex
    assert p.check(wrt="X", of="L", seed=9)[0].ok


# ---------------------------------------------------------------- grade_class


def test_grade_class_reproduces_the_homework_verdicts():
    book = KEY.read_text()
    rows = matcalc.grade_class(book)
    assert len(rows) == 23
    assert all(r["agrees"] for r in rows)
    expected = [
        line.split('"')[1] for line in book.splitlines() if line.startswith("verdict = ")
    ]
    assert [r["verdict"] for r in rows] == expected
    md = matcalc.grade_class(book, format="markdown")
    assert md.startswith("# Grades") and "23 of 23" in md
    csv = matcalc.grade_class(book, format="csv")
    assert len(csv.strip().splitlines()) == 24


def test_grade_class_of_a_bad_gradebook_raises():
    with pytest.raises(matcalc.ParseError) as e:
        matcalc.grade_class("[[answer]\n")
    assert e.value.line == 1


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "text, cls, kind",
    [
        (r"x \in \mathbb{R}^{n}; f = x^T (x; \nabla_x f", matcalc.ParseError, "parse"),
        (
            r"A \in \mathbb{R}^{2 \times 3}; x \in \mathbb{R}^{2}; f = x^T A x; \nabla_x f",
            matcalc.ShapeError,
            "shape",
        ),
        (r"x \in \mathbb{R}^{n}; x \in \mathbb{R}^{m}; f = x^T x", matcalc.UnknownNameError, "name"),
        (
            r"A \in \mathbb{R}^{m \times n}; f = \|A\|_2; \nabla_A f",
            matcalc.UnsupportedError,
            "unsupported",
        ),
        (r"x \in \mathbb{R}^{n}; f = " + "(" * 300 + "x^T x" + ")" * 300, matcalc.LimitError, "limit"),
        (r"a = b + 1; b = 2 a; \nabla_a b", matcalc.MatcalcError, "cycle"),
    ],
)
def test_exception_types(text, cls, kind):
    with pytest.raises(cls) as e:
        matcalc.Problem(text)
    err = e.value
    assert isinstance(err, matcalc.MatcalcError)
    assert err.kind == kind
    assert err.message and err.message in str(err)
    assert err.line is None or err.line >= 1
    assert err.column is None or err.column >= 1
    if cls is not matcalc.MatcalcError:
        assert type(err) is cls


def test_usage_errors_are_matcalc_errors():
    p = matcalc.Problem(r"x \in \mathbb{R}^{n}; f = x^T x")
    with pytest.raises(matcalc.MatcalcError) as e:
        p.grad()
    assert e.value.kind == "usage"
    with pytest.raises(matcalc.MatcalcError) as e:
        p.grad(wrt="q")
    assert e.value.kind == "usage" and e.value.line is None


def test_bad_input_never_crashes_the_interpreter():
    r = random.Random(11)
    pieces = [
        "x", "W", r"\in", r"\mathbb{R}^{n}", "^T", "(", ")", "{", "}", r"\frac", "=", ";",
        r"\nabla_x", "f", r"\log", "|", r"\|", "+", "-", r"\odot", "1", r"\mathrm{tr}", "\n",
    ]
    for _ in range(300):
        text = " ".join(r.choice(pieces) for _ in range(r.randint(1, 25)))
        try:
            matcalc.Problem(text).grad()
        except matcalc.MatcalcError as e:
            assert e.kind in {
                "parse", "shape", "name", "cycle", "unsupported", "limit",
                "undefined", "domain", "usage",
            }, (text, e.kind, str(e))


def test_threads_share_a_problem():
    p = matcalc.Problem(AUTOENCODER)
    out = []

    def work():
        out.append(bool(p.grade(r"W (W^T W x - x) x^T + W x (W^T W x - x)^T")))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == [True] * 4


def test_the_json_the_objects_mirror_is_the_clis():
    p = matcalc.Problem(AUTOENCODER)
    raw, code = p._native.grad(wrt="W")
    assert code == 0
    doc = json.loads(raw)
    assert doc["version"] == 1
    assert doc["results"][0]["latex"] == p.grad(wrt="W").latex


# ---------------------------------------------------------------- the autograder example


def test_the_autograder_writes_gradescope_results(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "grade", ROOT / "examples" / "autograder" / "grade.py"
    )
    grade = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(grade)
    out = tmp_path / "results.json"
    answers = ROOT / "examples" / "autograder" / "answers.csv"
    assert grade.main([str(EXAMPLES / "autoencoder.tex"), str(answers), "-o", str(out)]) == 0
    results = json.loads(out.read_text())
    rows = answers.read_text().strip().splitlines()[1:]
    assert len(results["tests"]) == len(rows)
    for t in results["tests"]:
        assert set(t) == {"name", "score", "max_score", "output"}
        assert t["score"] in (0, 1) and t["max_score"] == 1
    # Each score is the package's own verdict on that row.
    p = matcalc.Problem(AUTOENCODER)
    for t, row in zip(results["tests"], rows):
        student, wrt, of, answer = row.split(",", 3)
        try:
            want = 1 if p.grade(answer, wrt=wrt, of=of or None) else 0
        except matcalc.MatcalcError:
            want = 0
        assert t["score"] == want, t
        assert t["name"].startswith(student)
    assert results["score"] == sum(t["score"] for t in results["tests"])


def test_limits_move_per_problem():
    doc = r"A \in \mathbb{R}^{n \times n}; f = \log|A| + \mathrm{tr}(A A); \nabla_A f"
    assert all(r.ok for r in matcalc.Problem(doc).check())
    with pytest.raises(matcalc.LimitError, match="--limit work"):
        matcalc.Problem(doc, limits={"work": 10}).check()
    with pytest.raises(matcalc.LimitError, match="depth"):
        matcalc.Problem(doc, limits={"depth": 2})
    with pytest.raises(ValueError, match="speed"):
        matcalc.Problem(doc, limits={"speed": 1})
    with pytest.raises(ValueError, match="whole number"):
        matcalc.Problem(doc, limits={"depth": 0.5})
