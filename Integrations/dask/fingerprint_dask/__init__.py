"""Fingerprint on a Dask cluster: sketch, dedup, query and compare past one machine.

The jobs (`fingerprint_dask.jobs`) submit tasks through a `distributed.Client`;
the tasks run the `fingerprint` binary on the workers and read the
fingerprint files it writes. See Integrations/dask/README.md.
"""

from .jobs import SketchSettings, compare, dedup, query, sketch

__all__ = ["SketchSettings", "compare", "dedup", "query", "sketch"]
