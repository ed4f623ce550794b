"""fingerprint-dask: Fingerprint's sketch, dedup, query and compare on a Dask cluster.

    fingerprint-dask --scheduler tcp://HOST:8786 sketch CORPUS... --output ALL.fp
    fingerprint-dask --scheduler tcp://HOST:8786 sketch CORPUS... --sharded DIR
    fingerprint-dask --scheduler tcp://HOST:8786 dedup DIR/manifest.json --output clusters.json
    fingerprint-dask --scheduler tcp://HOST:8786 query DIR/manifest.json QUESTIONED --output found.json
    fingerprint-dask --scheduler tcp://HOST:8786 compare A B --workdir W -- --permutations 999

(after --, options for the binary's compare)

Without --scheduler, a LocalCluster of --workers processes runs on this
machine. Exit statuses follow the binary's: 0 done (1: query --fail-on-match
found a match), 64 usage, 65 bad data, 66 missing input, 69 no
cluster, 70 an unexpected error (one line; FINGERPRINT_DASK_DEBUG=1 shows the
traceback), 74 an output cannot be written, 75 another job is writing the
same output, 130 interrupted; a failing `fingerprint` run passes its status on.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys

from . import binary as fpbin
from . import jobs


def _size(text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    t = text.strip().lower().removesuffix("b").removesuffix("i")
    try:
        if t and t[-1] in units:
            value = int(float(t[:-1]) * units[t[-1]])
        else:
            value = int(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 256MB)") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("a size must be positive")
    return value


def _sketch_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--shingle", type=int, default=5, help="tokens per MinHash shingle (default 5)")
    p.add_argument("--perms", type=int, default=128, help="MinHash permutations (default 128)")
    p.add_argument("--threshold", type=float, default=0.8, help="Jaccard threshold the LSH bands are made for (0.8)")
    p.add_argument("--tokenizer", default="word", help="as the binary's --tokenizer (default word)")
    p.add_argument("--seed", type=int, default=0, help="hash seed (default 0, as the binary)")
    p.add_argument("--glob", action="append", default=[], help="file-name pattern for directories (repeatable)")
    p.add_argument("--field", default="text", help="JSONL field that holds the text (default text)")
    p.add_argument("--key", help="key file: keyed hashes instead of text (docs/FINGERPRINT-FILES.md)")
    p.add_argument("--keep-names", action="store_true", help="with --key: keep the documents' paths")


def _layout(p: argparse.ArgumentParser) -> None:
    p.add_argument("--shard-bytes", type=_size, default=jobs.DEFAULT_SHARD_BYTES,
                   help="a directory is cut into shards of about this many bytes (default 256MB)")
    p.add_argument("--fan-in", type=int, default=jobs.DEFAULT_FAN_IN, help="files per merge (default 8)")
    p.add_argument("--sketch-threads", type=int, default=1,
                   help="threads of each sketch task (default 1: one task per worker thread)")


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 64 with one line, as the binary's do."""

    def error(self, message: str):
        self.exit(64, f"{self.prog}: error: {message} (see --help)\n")


def parser() -> argparse.ArgumentParser:
    head, _, rest = __doc__.partition("\n\n")
    top = _Parser(prog="fingerprint-dask", description=head, epilog=rest,
                  formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://HOST:8786)")
    top.add_argument("--workers", type=int, default=2, help="without --scheduler: local worker processes (default 2)")
    top.add_argument("--binary", help="the fingerprint binary, at the same path on every worker "
                                      "(default: $FINGERPRINT_BIN, else fingerprint on the PATH)")
    top.add_argument("-q", "--quiet", action="store_true", help="no progress bar (there is none when standard error is not a terminal)")
    sub = top.add_subparsers(dest="job", required=True, parser_class=_Parser)

    s = sub.add_parser("sketch", help="sketch a collection shard by shard; merge, or keep the shards")
    _quiet_option(s)
    s.add_argument("inputs", nargs="+", help="directories, files, globs (data/*.jsonl.gz) or @LIST (paths, one a line)")
    out = s.add_mutually_exclusive_group(required=True)
    out.add_argument("-o", "--output", help="the merged fingerprint file to write")
    out.add_argument("--sharded", metavar="DIR", help="keep the shards in DIR with DIR/manifest.json, unmerged")
    s.add_argument("--keep-shards", action="store_true", help="with --output: keep OUTPUT.shards/")
    _sketch_options(s)
    _layout(s)

    d = sub.add_parser("dedup", help="near-duplicate clusters across every shard")
    _quiet_option(d)
    d.add_argument("index", nargs="+", help="a manifest (or its directory), or fingerprint files in reading order")
    d.add_argument("--threshold", type=float, help="Jaccard threshold (default: the one the shards were made for)")
    d.add_argument("--keep", choices=["longest", "first"], default="longest")
    d.add_argument("--partitions", type=int, help="shuffle partitions of the band keys (default 4 per shard)")
    d.add_argument("-o", "--output", help="write the JSON report here (atomically) instead of standard output")

    q = sub.add_parser("query", help="a questioned corpus against a sharded index")
    _quiet_option(q)
    q.add_argument("index", help="a manifest (or its directory), or a fingerprint file")
    q.add_argument("questioned", nargs="+", help="the questioned corpus (directories, files, globs, @LIST)")
    q.add_argument("--threshold", type=float, help="Jaccard threshold for near-duplicates (default: the index's)")
    q.add_argument("--min-containment", type=float, default=0.5)
    q.add_argument("--key", help="the key of a keyed index")
    q.add_argument("--tokenizer", help="the index's model tokenizer file, when it has one")
    q.add_argument("--field", default="text")
    q.add_argument("--glob", action="append", default=[])
    q.add_argument("--workdir", help="where the questioned corpus's sketch goes (default: beside the index)")
    q.add_argument("--fail-on-match", action="store_true", help="exit 1 when any document matches")
    q.add_argument("-o", "--output")
    _layout(q)

    c = sub.add_parser("compare", help="compare two large corpora (counts aggregated across shards)")
    _quiet_option(c)
    c.add_argument("a")
    c.add_argument("b")
    c.add_argument("--workdir", required=True, help="where the two merged fingerprint files are written")
    c.add_argument("--compare-threads", type=int, help="threads of the compare task (default: the binary's)")
    c.add_argument("-o", "--output")
    c.add_argument("--keep-sketches", action="store_true", help="keep the two merged fingerprint files in --workdir")
    _sketch_options(c)
    _layout(c)
    return top


def _quiet_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress bar")


def _client(args):
    from distributed import Client, LocalCluster

    if args.scheduler:
        return Client(args.scheduler, timeout="30s")
    # -q: distributed's own "Compute Failed" tracebacks too (the driver says what failed, in one line).
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.CRITICAL if args.quiet else logging.ERROR)
    return Client(cluster)


def _index_files(items: list[str]) -> list[str]:
    """An index's shards for the output check; none when the index is unreadable
    (the output is checked first, as the binary does; the job then says what is wrong)."""
    try:
        return jobs.index_files(items)
    except (OSError, ValueError):
        return []


def _emit(text: str, output: str | None) -> None:
    if output:
        jobs._write_atomically(output, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def safe(text: str) -> str:
    """Text for the terminal, as the binary shows it (`SafeText.terminal`):
    C0 and C1 controls, DEL and the bidirectional overrides as escapes, and
    the bytes of a name that is not UTF-8 (Python's surrogate escapes) as
    \\xNN, so that an argument cannot clear the screen or set a title."""
    out = []
    for ch in text:
        v = ord(ch)
        if 0xDC80 <= v <= 0xDCFF:
            out.append(f"\\x{v - 0xDC00:02X}")
        elif v in (0x0A, 0x0D, 0x09, 0x1B):
            out.append({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x1B: "\\e"}[v])
        elif v < 0x20 or 0x7F <= v < 0xA0:
            out.append(f"\\x{v:02X}")
        elif 0x202A <= v <= 0x202E or 0x2066 <= v <= 0x2069:
            out.append(f"\\u{{{v:04X}}}")
        else:
            out.append(ch)
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # After --: the binary's own compare options, passed on as they are.
    passed: list[str] = []
    if "--" in argv:
        k = argv.index("--")
        argv, passed = argv[:k], argv[k + 1:]
    args = parser().parse_args(argv)
    args.compare_args = passed
    if passed and args.job != "compare":
        parser().error("options after -- go with compare only")
    if args.workers < 1:
        parser().error("--workers must be at least 1")
    try:
        if args.binary:
            args.binary = fpbin.find(args.binary)
        with contextlib.ExitStack() as stack:
            try:
                client = stack.enter_context(_client(args))
            except OSError as e:
                print(f"fingerprint-dask: error: no cluster: {safe(str(e))}", file=sys.stderr)
                return 69
            return _run(client, args)
    except fpbin.FingerprintFailed as e:
        print(f"fingerprint-dask: error: {safe(str(e))}", file=sys.stderr)
        return e.status if 0 < e.status < 256 else 70
    except jobs.UsageError as e:
        print(f"fingerprint-dask: error: {safe(str(e))}", file=sys.stderr)
        return 64
    except jobs.OutputError as e:
        print(f"fingerprint-dask: error: {safe(str(e))}", file=sys.stderr)
        return 74
    except jobs.Busy as e:
        print(f"fingerprint-dask: error: {safe(str(e))}", file=sys.stderr)
        return 75
    except FileNotFoundError as e:
        print(f"fingerprint-dask: error: {safe(str(e))}", file=sys.stderr)
        return 66
    except ValueError as e:
        print(f"fingerprint-dask: error: {safe(str(e))}", file=sys.stderr)
        return 65
    except KeyboardInterrupt:
        print("fingerprint-dask: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Standard output closed early (`| head`): as the binary, which SIGPIPE ends (128 + 13),
        # without a traceback when Python flushes at exit.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as e:  # noqa: BLE001 - one line, not a traceback (FINGERPRINT_DASK_DEBUG=1 shows it)
        if os.environ.get("FINGERPRINT_DASK_DEBUG"):
            raise
        print(f"fingerprint-dask: error: {type(e).__name__}: {safe(str(e))} (FINGERPRINT_DASK_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return 70


def _settings(args) -> jobs.SketchSettings:
    return jobs.SketchSettings(
        shingle=args.shingle, perms=args.perms, threshold=args.threshold, tokenizer=args.tokenizer, seed=args.seed,
        globs=args.glob, text_field=args.field, key=args.key, keep_names=args.keep_names)


def _run(client, args) -> int:
    quiet = args.quiet
    if args.job == "sketch":
        summary = jobs.sketch(client, args.inputs, _settings(args), output=args.output, sharded=args.sharded,
                              shard_bytes=args.shard_bytes, fan_in=args.fan_in, threads=args.sketch_threads,
                              exe=args.binary, quiet=quiet, keep_shards=args.keep_shards)
        print(json.dumps(summary, sort_keys=True))
        return 0
    if args.job == "dedup":
        output = jobs.check_output(args.output, args.index + _index_files(args.index)) if args.output else None
        report = jobs.dedup(client, args.index, threshold=args.threshold, keep=args.keep, partitions=args.partitions,
                            quiet=quiet, exe=args.binary)
        _emit(json.dumps(report, sort_keys=True, indent=2, ensure_ascii=False) + "\n", output)
        return 0
    if args.job == "query":
        inputs = [args.index] + _index_files([args.index]) + jobs.files_read(args.questioned, args.key)
        output = jobs.check_output(args.output, inputs) if args.output else None
        report = jobs.query(client, [args.index], args.questioned, workdir=args.workdir, threshold=args.threshold,
                            min_containment=args.min_containment, key=args.key, tokenizer=args.tokenizer,
                            field_name=args.field, globs=args.glob, shard_bytes=args.shard_bytes,
                            threads=args.sketch_threads, exe=args.binary, quiet=quiet)
        _emit(json.dumps(report, sort_keys=True, indent=2, ensure_ascii=False) + "\n", output)
        return 1 if args.fail_on_match and any(r["matched"] for r in report["results"]) else 0
    if args.job == "compare":
        output = jobs.check_output(args.output, jobs.files_read([args.a, args.b], args.key)) if args.output else None
        text = jobs.compare(client, [args.a], [args.b], _settings(args), workdir=args.workdir,
                            compare_args=args.compare_args, shard_bytes=args.shard_bytes, fan_in=args.fan_in,
                            threads=args.sketch_threads, compare_threads=args.compare_threads, exe=args.binary,
                            quiet=quiet, keep_sketches=args.keep_sketches)
        _emit(text, output)
        return 0
    raise AssertionError(args.job)


if __name__ == "__main__":
    sys.exit(main())
