#!/usr/bin/env python3
"""Regenerate fuzz/seeds/cli/ (the committed seed corpus of the `cli` target).

Byte 0 of each seed selects (command, --format) as in fuzz_targets/cli.rs
(COMMANDS); the rest is the document. For grade seeds the document and the
answer are separated by one 0x01 byte.

Sources: tests/fixtures/**/*.tex, /work/shared/repro/*.tex (minus the known
slow ones, which would only produce timeouts), and the homework answer key.
Usage: python3 fuzz/make_seeds.py [REPRO_DIR]
"""
import hashlib, pathlib, sys, tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "seeds" / "cli"
REPRO = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/repro")
NCMD = 19          # len(COMMANDS) in fuzz_targets/cli.rs
GRADE = 16         # first grade entry (16, 17, 18: latex, json, text)
# Known to run for seconds to minutes (repro/README.md "Unbounded time").
SLOW = {"R20_constant_product_1600", "R21_def_chain_20", "R21b_def_chain_24",
        "R22_check_bigvec_16384", "R23_grade_1024_inverse"}

def put(sel: int, body: bytes, seen: set):
    data = bytes([sel]) + body
    name = hashlib.sha1(data).hexdigest()
    if name not in seen:
        seen.add(name)
        (OUT / name).write_bytes(data)

def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for f in OUT.iterdir():
        f.unlink()
    seen = set()
    files = sorted((ROOT / "tests" / "fixtures").rglob("*.tex"))
    files += sorted(p for p in REPRO.glob("*.tex") if p.stem not in SLOW)
    for i, f in enumerate(files):
        body = f.read_bytes()
        put(0, body, seen)                       # grad, latex
        put(1 + i % (NCMD - 1), body, seen)      # one more command, rotating
    # grade seeds with answers
    key = tomllib.loads((ROOT / "tests/fixtures/homework/answer-key.toml").read_text())
    probs = {p["id"]: p for p in key["problem"]}
    def doc_for(pid, wrt):
        p = probs[pid]
        lines = [l for l in p["text"].splitlines() if not l.startswith("\\nabla")]
        if pid == "gplvm":
            obj = {"L_1": "\\mathcal{L}_1", "L_2": "\\mathcal{L}_2", "L": "\\mathcal{L}"}[wrt]
            q = "\\nabla_{X} " + obj
        elif pid == "autoencoder":
            q = "\\nabla_{W} \\mathcal{L}"
        else:
            q = "\\nabla_{%s} L" % wrt
        return "\n".join(lines + [q]) + "\n"
    n = 0
    for pid, p in probs.items():
        for wrt, forms in p["documented"].items():
            for form in forms:
                put(GRADE + n % 3, (doc_for(pid, wrt) + "\x01" + form).encode(), seen); n += 1
    for a in key["answer"]:
        if a["wrt"] in probs[a["problem"]]["documented"]:
            put(GRADE + n % 3, (doc_for(a["problem"], a["wrt"]) + "\x01" + a["latex"]).encode(), seen); n += 1
    # repro grade cases from repro/README.md
    def rp(name):
        p = REPRO / (name + ".tex")
        return p.read_text() if p.exists() else None
    for name, answers in [
        ("R09_grade_panic", ["2 (x^T a) a", "(x^T a) a + a (a^T x)", "2 x^T a a", "2 (a^T x) x"]),
        ("R10b_grade_shape_panic_min", ["x"]),
        ("R10_grade_shape_panic", ["x"]),
        ("R11_grade_dim_scalar", ["2 x + 1000 n x"]),
    ]:
        d = rp(name)
        if d is not None:
            for ans in answers:
                put(GRADE + n % 3, (d + "\x01" + ans).encode(), seen); n += 1
    print(f"{len(seen)} seeds in {OUT}")

main()
