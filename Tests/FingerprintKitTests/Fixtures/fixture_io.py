"""Writing the reference fixtures: one format for every generator.

JSON is written with one-space indentation, sorted keys, UTF-8 and a final
newline; NumPy scalars and arrays become plain Python numbers and lists, and a
non-finite float is an error (JSON has none, and a fixture must not hide one).
Paths are relative to this folder. `make_reference.py` and the generators run
standalone (`python3 compare_reference.py`, ...) share these functions, so the
fixtures come out the same whichever way they are made.
"""

import json
import math
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def to_plain(x):
    """numpy scalars/arrays -> plain Python ints/floats/lists (repr-exact)."""
    if isinstance(x, dict):
        return {str(k): to_plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return to_plain(x.tolist())
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        v = float(x)
        assert math.isfinite(v), "non-finite float in fixture"
        return v
    return x


def write_json(relpath, obj):
    path = os.path.join(HERE, relpath)
    text = json.dumps(to_plain(obj), indent=1, sort_keys=True, ensure_ascii=False)
    with open(path, "wb") as f:
        f.write(text.encode("utf-8") + b"\n")


def write_text(relpath, text):
    path = os.path.join(HERE, relpath)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(text.encode("utf-8"))


def clean_dir(reldir, suffix=".txt"):
    """Remove previously generated files so the folder is exactly regenerated."""
    d = os.path.join(HERE, reldir)
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(d):
        if name.endswith(suffix):
            os.remove(os.path.join(d, name))
