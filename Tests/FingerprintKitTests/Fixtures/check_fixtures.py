#!/usr/bin/env python3
"""CI's check that the committed fixtures are what make_reference.py produces.

Run it after make_reference.py, in a git checkout. Text inputs and every
non-float value must be identical to the committed ones. Floats may differ in
their last bits: NumPy's and scikit-learn's BLAS and LAPACK pick a kernel for
the CPU they run on (AVX2, AVX-512), so a sum is taken in another order on
another machine. A float passes when it is within a relative 1e-6 of the
committed value (absolute 1e-12 near zero); the largest difference seen
between two CPUs is 1.3e-8 (an L-BFGS intercept in attribution.json). Keys
ending in `float32_deviation` are diagnostics (how far a float32 product is
from the float64 one), which depend on the kernel itself; they are not
compared. On success the committed files are restored, so the tests read
exactly what is committed.

Exit status: 0 when everything matches, 1 otherwise (with the first
differences on stderr).
"""

import json
import os
import subprocess
import sys

RELATIVE = 1e-6
ABSOLUTE = 1e-12
HERE = os.path.dirname(os.path.abspath(__file__))


def git(*args):
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout


def compare(committed, produced, path, problems, worst):
    if isinstance(committed, dict):
        if not isinstance(produced, dict) or committed.keys() != produced.keys():
            problems.append(f"{path}: keys differ")
            return
        for key in committed:
            if key.endswith("float32_deviation"):
                continue
            compare(committed[key], produced[key], f"{path}.{key}", problems, worst)
    elif isinstance(committed, list):
        if not isinstance(produced, list) or len(committed) != len(produced):
            problems.append(f"{path}: lengths differ")
            return
        for index, (a, b) in enumerate(zip(committed, produced)):
            compare(a, b, f"{path}[{index}]", problems, worst)
    elif isinstance(committed, float) and isinstance(produced, float):
        difference = abs(committed - produced)
        scale = max(abs(committed), abs(produced))
        if difference > RELATIVE * scale + ABSOLUTE:
            problems.append(f"{path}: {committed!r} committed, {produced!r} produced")
        elif scale > 0 and difference / scale > worst[0]:
            worst[0], worst[1] = difference / scale, path
    elif committed != produced or type(committed) is not type(produced):
        problems.append(f"{path}: {committed!r} committed, {produced!r} produced")


def main():
    top = git("-C", HERE, "rev-parse", "--show-toplevel").strip()
    os.chdir(top)
    FOLDER = os.path.relpath(HERE, top)
    untracked = git("ls-files", "--others", "--exclude-standard", "--", FOLDER).split()
    changed = git("diff", "--name-only", "--", FOLDER).split()
    problems = [f"{name}: not committed" for name in untracked]
    worst = [0.0, ""]
    for name in changed:
        if not name.endswith(".json"):
            problems.append(f"{name}: differs (not JSON, so it must be identical)")
            continue
        committed = json.loads(git("show", f"HEAD:{name}"))
        with open(name, encoding="utf-8") as handle:
            produced = json.load(handle)
        compare(committed, produced, os.path.basename(name), problems, worst)
    if problems:
        print("CI: the committed fixtures differ from what make_reference.py produces:", file=sys.stderr)
        for line in problems[:20]:
            print(f"  {line}", file=sys.stderr)
        if len(problems) > 20:
            print(f"  ... and {len(problems) - 20} more", file=sys.stderr)
        return 1
    if changed:
        git("checkout", "--", *changed)
        files = "1 file differs" if len(changed) == 1 else f"{len(changed)} files differ"
        print(f"fixtures: {files} from the committed ones only in float rounding "
              f"(largest relative difference {worst[0]:.2g}, {worst[1]}); the committed files are kept")
    else:
        print("fixtures: identical to the committed ones")
    return 0


if __name__ == "__main__":
    sys.exit(main())
