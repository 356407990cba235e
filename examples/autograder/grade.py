"""Grade a CSV of student answers into a Gradescope ``results.json``.

    python examples/autograder/grade.py PROBLEM.tex ANSWERS.csv [-o results.json]

ANSWERS.csv has the columns ``student,wrt,of,answer`` (``of`` may be empty
when the problem has one objective); ``answer`` is the student's LaTeX.
Each answer becomes one Gradescope test worth one point: full marks when
matcalc finds it equivalent to the derived gradient, none otherwise, with
the verdict, how it was decided, the diagnosis and the expected answer as
the test's output. An answer that does not parse scores 0 with the parse
error as output; it never stops the run.

The problem is derived once (``matcalc.Problem``); every answer is graded
against that derivation in process.
"""

import argparse
import csv
import json
import sys

import matcalc


def grade_rows(problem: matcalc.Problem, rows):
    tests = []
    for row in rows:
        wrt, of = row["wrt"].strip(), (row.get("of") or "").strip() or None
        name = f"{row['student']}: gradient of {of or 'the objective'} with respect to {wrt}"
        try:
            v = problem.grade(row["answer"], wrt=wrt, of=of)
        except matcalc.MatcalcError as e:
            tests.append({"name": name, "score": 0, "max_score": 1,
                          "output": f"unreadable ({e.kind}): {e.message}"})
            continue
        lines = [f"{v.verdict} ({v.method})"]
        if v.diagnosis:
            lines.append(f"diagnosis: {v.diagnosis}")
        lines.append(f"expected: {v.expected}")
        tests.append({"name": name, "score": 1 if v else 0, "max_score": 1,
                      "output": "\n".join(lines)})
    return tests


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("problem", help="the problem document (LaTeX, docs/LANGUAGE.md)")
    ap.add_argument("answers", help="CSV with columns student,wrt,of,answer")
    ap.add_argument("-o", "--out", default="results.json", help="where results.json goes")
    args = ap.parse_args(argv)
    with open(args.problem, encoding="utf-8") as f:
        problem = matcalc.Problem(f.read())
    with open(args.answers, newline="", encoding="utf-8") as f:
        tests = grade_rows(problem, csv.DictReader(f))
    results = {
        "score": sum(t["score"] for t in tests),
        "tests": tests,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(f"{results['score']} of {len(tests)} answers equivalent; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
