#!/usr/bin/env bash
# Writes the HTML report of each command on the shipped corpora to docs/,
# renders each page in headless Chromium to a PNG beside it, and checks that
# every page is well-formed, renders non-blank, and logs no console errors
# (a blocked network load would show as a Content-Security-Policy error).
#
#   Scripts/screenshots.sh              # from the repository root
#   SCRATCH_PATH=.build-x Scripts/screenshots.sh
#
# Needs Debian's `chromium` package; installs it with apt-get when run as
# root, otherwise says what to run. Exits non-zero on any failed check.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SCRATCH_PATH=${SCRATCH_PATH:-.build}
DOCS=$ROOT/docs
mkdir -p "$DOCS"

echo "== building (release, $SCRATCH_PATH)"
swift build -c release --scratch-path "$SCRATCH_PATH" --product fingerprint >/dev/null
BIN=$(swift build -c release --scratch-path "$SCRATCH_PATH" --show-bin-path)/fingerprint

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "== writing reports to docs/"
"$BIN" compare Corpora/source-a Corpora/mix-10 --format html --output "$DOCS/compare.html" --quiet
"$BIN" compare Corpora/source-a Corpora/planted --format html --output "$DOCS/compare-passages.html" --quiet
"$BIN" batch Corpora/near-dups --threshold 0.8 --top 5 --evidence 2 --format html --output "$DOCS/batch.html" --quiet
mkdir -p "$TMP/corpora"
for sub in source-a copy-a subst-20 mix-10 mix-50 source-b planted; do
    cp -R "Corpora/$sub" "$TMP/corpora/$sub"
done
# Run from the temporary folder so that the page names "corpora", not a random path.
(cd "$TMP" && "$BIN" batch corpora --by-subdir --format html --output "$DOCS/batch-by-subdir.html" --quiet)
"$BIN" dedup Corpora/near-dups --threshold 0.5 --format html --output "$DOCS/dedup.html" --quiet
PAGES=(compare compare-passages batch batch-by-subdir dedup)
# Pages whose screenshot starts lower down: rendered tall, then cut to 2000
# rows from a little above the first pixel of this colour (the highlight
# of the shared passages).
declare -A START_AT=([compare-passages]="ffe27a")

echo "== checking the pages are well-formed XML"
for p in "${PAGES[@]}"; do
    python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$DOCS/$p.html"
done

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "== installing chromium (apt-get)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
        CHROMIUM=$(command -v chromium)
    else
        echo "chromium is not installed; run: sudo apt-get update && sudo apt-get install -y chromium" >&2
        exit 1
    fi
fi

echo "== rendering with $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
status=0
for p in "${PAGES[@]}"; do
    log=$TMP/$p.log
    rm -f "$DOCS/$p.png"
    # A fresh profile each time; no network is needed (the page forbids it).
    height=2000
    [ -n "${START_AT[$p]:-}" ] && height=12000
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars \
        --no-first-run --no-default-browser-check --user-data-dir="$TMP/profile-$p" \
        --force-device-scale-factor=1 --window-size=1280,$height \
        --enable-logging=stderr --v=0 \
        --screenshot="$DOCS/$p.png" "file://$DOCS/$p.html" >"$log" 2>&1 || true
    if grep -E "Uncaught|ERROR:CONSOLE|Refused to|Content Security Policy" "$log" >/dev/null; then
        echo "FAIL $p: console errors:" >&2
        grep -E "Uncaught|ERROR:CONSOLE|Refused to|Content Security Policy" "$log" >&2
        status=1
    fi
    if [ ! -s "$DOCS/$p.png" ]; then
        echo "FAIL $p: no screenshot written; chromium said:" >&2
        tail -20 "$log" >&2
        status=1
    fi
done

CROPS=()
for p in "${PAGES[@]}"; do [ -n "${START_AT[$p]:-}" ] && CROPS+=("$p=${START_AT[$p]}"); done

echo "== checking the screenshots are not blank"
python3 - "$DOCS" "${CROPS[*]:-}" "${PAGES[@]}" <<'PY' || status=1
import struct, sys, zlib

def pixels(path):
    """Decodes an 8-bit, non-interlaced RGB/RGBA PNG (what Chromium writes)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color in (2, 6) and interlace == 0, "unsupported PNG layout"
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows

def write_png(path, w, h, bpp, rows):
    raw = b"".join(b"\x00" + r for r in rows)
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2 if bpp == 3 else 6, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))

docs, crops, pages = sys.argv[1], sys.argv[2], sys.argv[3:]
bad = 0
for spec in crops.split():
    p, colour = spec.split("=")
    path = f"{docs}/{p}.png"
    w, h, bpp, rows = pixels(path)
    target = bytes.fromhex(colour)
    first = next((y for y, r in enumerate(rows) if any(r[x * bpp:x * bpp + 3] == target for x in range(w))), None)
    if first is None:
        print(f"FAIL {p}.png: no pixel of #{colour} to start at")
        bad += 1
        continue
    y0 = max(0, first - 250)
    write_png(path, w, min(2000, h - y0), bpp, rows[y0:y0 + 2000])

for p in pages:
    path = f"{docs}/{p}.png"
    size = len(open(path, "rb").read())
    w, h, bpp, rows = pixels(path)
    colours, ink = set(), 0
    for y in range(0, h, 2):
        r = rows[y]
        for x in range(0, w, 2):
            px = r[x * bpp:x * bpp + 3]
            colours.add(px)
            if px != b"\xff\xff\xff":
                ink += 1
    share = ink / ((h // 2) * (w // 2))
    ok = size > 10_000 and len(colours) > 16 and share > 0.01
    print(f"{'ok  ' if ok else 'FAIL'} {p}.png: {w}x{h}, {size / 1000:.0f} KB, {len(colours)} colours, {100 * share:.1f}% non-white")
    if size > 500_000:
        print(f"note {p}.png is over 500 KB")
    bad += not ok
sys.exit(1 if bad else 0)
PY

if [ $status -ne 0 ]; then echo "screenshots: FAILED" >&2; exit 1; fi
echo "screenshots: docs/{compare,compare-passages,batch,batch-by-subdir,dedup}.{html,png}"
