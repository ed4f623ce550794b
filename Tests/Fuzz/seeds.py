#!/usr/bin/env python3
"""Writes the hand-made seed inputs of each fuzz target to DIR/<target>/
(default /tmp/fingerprint-fuzz-seeds). libFuzzer grows the corpus from them;
what is committed under Tests/Fuzz/<target>/corpus is the merged result
(see Tests/Fuzz/README.md). The texts come from the tokenizer fixtures."""
import hashlib, json, os, sys

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/fingerprint-fuzz-seeds"
fixtures = os.path.join(here, "..", "FingerprintKitTests", "Fixtures")
texts = [c["text"].encode("utf-8") for c in json.load(open(os.path.join(fixtures, "tokenize.json")))["cases"]]
texts += [b"\xff\xfe broken \xc3 utf\xe2\x82-8 \xf0\x9f\x98", b"ab\xed\xa0\x80cd", b"\xef\xbf\xbd literal", b"\xf4\x90\x80\x80 over"]

def write(target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)

jsonl = [
    b'{"text": "hello world"}', b'{"id": 7, "text": "caf\\u00e9 \\ud83d\\ude00 \\ud800 x\\/y\\n"}',
    b'  {"meta": {"a": [1, 2.5e-3, true, false, null]}, "text": "t", "id": "k"}  ', b'{"text": 5}', b'{"other": "x"}',
    b'[1, 2]', b'"text"', b'{"text": "unterminated}', b'{"text": "a"} trailing', b'{"text": "a",}', b'{"text": "\\x"}',
    b'{"text": "\\u12"}', b'{"a": -0.5E+10, "text": "\t"}', b'{}', b'   ', b'{"a": [[[[[[[[]]]]]]]], "text": "deep"}',
]
for j in jsonl:
    write("jsonl", j)
for i, t in enumerate(texts):
    write("jsonl", bytes([i * 37 % 256]) + t)
    for mode in (0, 2, 3, 7):
        write("word", bytes([mode, i * 11 % 256, 128]) + t)
    write("char", bytes([i % 8, i * 13 % 256, 100]) + t)
    write("safetext", t)
for s in ["plain", "tab\there", "esc\x1b[31mred", "\x7f\x85\u202e\u2066bidi", "line\nbreak\r\n", "back\\slash", "\x00nul"]:
    write("safetext", s.encode())
csv = ["a\xffb\xffc", "=1+2\xff+3\xff-inf\xff@x\xff\tcell", "with,comma\xff\"quote\"\xff line \xff\r\n", "ctl\x1b\x07\xff\u202ex",
       "caf\u00e9,\u0301\xff\"\u0301", "", "-12.5\xff+0x1p3\xff-nan"]
for i, s in enumerate(csv):
    b = s.encode("utf-8", "surrogateescape").replace(b"\xc3\xbf", b"\xff")
    write("csv", bytes([i % 2]) + b)

# safetensors: the malformed fixture files, and small well-formed ones of every dtype.
import glob, struct
for path in sorted(glob.glob(os.path.join(fixtures, "weights", "bad", "*.safetensors"))):
    write("safetensors", open(path, "rb").read())


def safetensors(tensors, metadata=None, pad=True):
    header, data = {}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    if pad:
        h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


sizes = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8, "U32": 4, "U16": 2, "U8": 1,
         "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}
for dtype, size in sizes.items():
    write("safetensors", safetensors([("w", dtype, [2, 3], bytes(range(6 * size)))], {"format": "pt"}))
write("safetensors", safetensors([("a.0.w", "F32", [2, 2], b"\0" * 16), ("a.1.w", "F16", [4], b"\x00\x3c" * 4),
                                  ("empty", "F32", [0, 5], b""), ("scalar", "BF16", [], b"\x80\x3f")], pad=False))
write("safetensors", safetensors([("x\u00e9\\\"", "F32", [1], b"\0\0\x80\x3f")], {"k\u2028": "v\n"}))
write("safetensors", safetensors([]))

# bpe: pattern byte, two split points, then text (the tokenizer fixtures and
# the hand-written cases of Fixtures/llm/tiktoken.json).
llm = json.load(open(os.path.join(fixtures, "llm", "tiktoken.json")))["cases"]
for i, t in enumerate(texts + [bytes.fromhex(c["hex"])[:600] for c in llm]):
    write("bpe", bytes([i % 3, i * 29 % 256, 90]) + t)
# tiktoken: ranks files, good and broken.
import base64
good = [base64.b64encode(bytes([b])).decode() + " " + str(b) for b in range(256)]
for extra in ([], ["dGg= 256", "dGhl 257"], ["dGg= 256", "dGg= 257"], ["dGg= 3"], ["!!! 256"], ["dGg="], ["dGg= x"], [""], ["dGg= 99999999999"],
              ["dGg= 67108864"], ["IA== 256"]):
    write("tiktoken", "\n".join(good + extra).encode())
for drop in (0, 32, 255):
    write("tiktoken", "\n".join(g for j, g in enumerate(good) if j != drop).encode())
for s in [b"", b"\n\n", b"YQ== 0", b"YQ== 0\r\nYg== 1\r\n", b"\xff\xfe 1"]:
    write("tiktoken", s)

# hfjson: tokenizer.json files, good and broken, and normalizer / added-token
# fragments (an input starting with "{" is also spliced into a valid file).
wp = '"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1, "##b": 2, ",": 3}}'
pre = '"pre_tokenizer": {"type": "BertPreTokenizer"}'
for j in ["{%s, %s}" % (wp, pre),
          '{%s, %s, "normalizer": {"type": "BertNormalizer", "lowercase": true, "strip_accents": null}}' % (wp, pre),
          '{%s, %s, "added_tokens": [{"id": 5, "content": "[CLS]", "normalized": false}]}' % (wp, pre),
          '{"model": {"type": "BPE", "vocab": {}, "merges": []}}', '{"model": {"type": "Unigram"}}', "{%s}" % wp,
          '{%s, "pre_tokenizer": {"type": "ByteLevel"}}' % wp, "[]", "{", "",
          '{"type": "BertNormalizer", "clean_text": false, "handle_chinese_chars": false}', '{"type": "Lowercase"}',
          '{"id": 9, "content": "a b"}', '{"id": 1, "content": "", "lstrip": true}', '{"id": "x", "content": 5}']:
    write("hfjson", j.encode())
# Byte-level BPE files (vocab and merges read by BPEJSONScan): GPT-2's alphabet
# plus three merges, as strings and as pairs, with the ByteLevel or the Llama-3
# Split pre-tokenizer, an added token and NFC.
bs = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
cs = bs[:]
for b in range(256):
    if b not in bs:
        bs.append(b)
        cs.append(256 + len(bs) - 189)
alphabet = {chr(c): b for b, c in zip(bs, cs)}
vocab = dict(alphabet, **{"ab": 256, "bc": 257, "abc": 258, "\u0120a": 259})
level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
split = {"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
     "behavior": "Isolated", "invert": False},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}
for merges, pre, extra in [(["a b", "b c", "ab c", "\u0120 a"], level, {}),
                           ([["b", "c"], ["a", "b"], ["b", "c"], ["ab", "c"]], split,
                            {"normalizer": {"type": "NFC"}, "added_tokens": [{"id": 260, "content": "<|x|>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}]})]:
    model = {"type": "BPE", "vocab": vocab, "merges": merges, "ignore_merges": pre is split}
    write("hfjson", json.dumps(dict({"model": model, "pre_tokenizer": pre}, **extra), ensure_ascii=False).encode())

# fpfile: fingerprint files written from the documented schema
# (docs/FINGERPRINT-FILES.md) with Python's sqlite3, in 512-byte pages.
import sqlite3, struct, tempfile
schema = open(os.path.join(here, "..", "..", "Sources", "FingerprintCore", "Store", "FingerprintFile.swift")).read()
schema = schema[schema.index('static let schema = """') + len('static let schema = """'):]
schema = schema[:schema.index('"""')]
grams = open(os.path.join(here, "..", "..", "Sources", "FingerprintCore", "Store", "GramIndex.swift")).read()
grams = grams[grams.index('static let gramSchema = """') + len('static let gramSchema = """'):]
grams = grams[:grams.index('"""')]
bands = open(os.path.join(here, "..", "..", "Sources", "FingerprintCore", "Store", "BandIndex.swift")).read()
bands = bands[bands.index('static let bandSchema = """') + len('static let bandSchema = """'):]
bands = bands[:bands.index('"""')]
def flipped(v):  # a block's key: its first value with the top bit flipped, as a signed integer
    return struct.unpack("<q", struct.pack("<Q", v ^ (1 << 63)))[0]
def fpfile(meta, docs, vocab, blocks=(), band_blocks=()):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "s.fp")
        con = sqlite3.connect(path)
        con.execute("PRAGMA page_size=512")
        con.executescript(schema)
        if meta.get("schema_version") in ("2", "3", "4"):
            con.executescript(grams)
            if meta["schema_version"] == "2":  # schema 2's runs had no counts
                con.execute("ALTER TABLE gram_blocks DROP COLUMN counts")
            for block in blocks:  # the key: the first value with its top bit flipped, as a signed integer
                run, values = block[0], block[1]
                counts = block[2] if len(block) > 2 else None  # schema 3: (position, count) pairs, None for all 1
                first = struct.unpack("<q", struct.pack("<Q", values[0] ^ (1 << 63)))[0]
                row = (run, first, b"".join(struct.pack("<Q", v) for v in values))
                if meta["schema_version"] in ("3", "4"):
                    pairs = None if counts is None else b"".join(struct.pack("<ii", p, c) for p, c in counts)
                    con.execute("INSERT INTO gram_blocks(run, first, grams, counts) VALUES(?, ?, ?, ?)", row + (pairs,))
                else:
                    con.execute("INSERT INTO gram_blocks(run, first, grams) VALUES(?, ?, ?)", row)
        con.executemany("INSERT INTO meta VALUES(?, ?)", meta.items())
        for i, (tok, n, df) in enumerate(vocab, 1):
            con.execute("INSERT INTO vocabulary VALUES(?, ?, ?, ?)", (i, tok, n, df))
        for k, (name, pairs) in enumerate(docs):
            blob = b"".join(struct.pack("<ii", a, b) for a, b in pairs)
            con.execute("INSERT INTO documents(name, ord, path, line, key, bytes, invalid, truncated, digest, tokens, counts, "
                        "shingle_tokens, exact, simhash, minhash, shingles, grams8, grams13) "
                        "VALUES(?, ?, ?, NULL, NULL, ?, 0, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (name, name.encode(), name, 10 + k, bytes(32), sum(b for _, b in pairs), blob, 6, k, 7 * k,
                         struct.pack("<4I", 1, 2, 3, 4), struct.pack("<2Q", 5, 9), struct.pack("<Q", 11), struct.pack("<Q", 12)))
        if meta.get("schema_version") == "4":
            # The band index: (run, band, [(key, document)], counts as (position, count) pairs or None).
            con.executescript(bands)
            for run, band, entries, counts in band_blocks:
                pairs = None if counts is None else b"".join(struct.pack("<ii", p, c) for p, c in counts)
                con.execute("INSERT INTO band_blocks(run, band, first, hashes, documents, counts) VALUES(?, ?, ?, ?, ?, ?)",
                            (run, band, flipped(entries[0][0]), b"".join(struct.pack("<Q", h) for h, _ in entries),
                             b"".join(struct.pack("<I", d) for _, d in entries), pairs))
        else:  # schemas 1-3: a table, a row a key
            con.execute("CREATE TABLE bands(band INTEGER NOT NULL, hash INTEGER NOT NULL, document INTEGER NOT NULL, "
                        "PRIMARY KEY(band, hash, document)) WITHOUT ROWID")
            con.execute("INSERT INTO bands VALUES(0, 42, 1)")
        con.execute("INSERT INTO skips VALUES('x.txt', 'empty')")
        con.commit()
        con.close()
        return open(path, "rb").read()
meta = {"schema_version": "1", "tool_version": "0.2.0", "tokenizer": "word", "shingle": "5", "permutations": "4",
        "hash_seed": "1", "bands": "2", "rows": "2", "threshold": "0.8", "ngram_sizes": "8,13", "keyed": "0", "keep_names": "1"}
vocab = [(b"a", 3, 2), (b"b", 1, 1), (b"cat", 2, 1)]
write("fpfile", fpfile(meta, [("d1.txt", [(1, 2), (2, 1)]), ("d2.txt", [(1, 1), (3, 2)])], vocab))
write("fpfile", fpfile(dict(meta, keyed="1", key_id="00112233aabbccdd", keep_names="0"), [("#0123456789abcdef", [(1, 1)])], [(bytes(8), 1, 1)]))
write("fpfile", fpfile(dict(meta, schema_version="2"), [("d1.txt", [(1, 2), (2, 1)]), ("d2.txt", [(1, 1), (3, 2)])], vocab,
                       [(1, [11, 12]), (2, [12]), (2, [2**63 + 5, 2**64 - 1])]))
# Schema 3: counts, a removal's run of −1s, a count of 2 (two documents hold 12).
write("fpfile", fpfile(dict(meta, schema_version="3"), [("d1.txt", [(1, 2), (2, 1)]), ("d2.txt", [(1, 1), (3, 2)])], vocab,
                       [(1, [11, 12, 13], [(1, 2)]), (2, [13], [(0, -1)]), (3, [2**63 + 5, 2**64 - 1]), (4, [5], [(0, 3), (0, -2)])]))
write("fpfile", fpfile(dict(meta, schema_version="5"), [], vocab))
# Schema 4: the band index, with a removal's run (d2 leaves key 42 of band 0).
write("fpfile", fpfile(dict(meta, schema_version="4"), [("d1.txt", [(1, 2), (2, 1)]), ("d2.txt", [(1, 1), (3, 2)])], vocab,
                       [(1, [11, 12], [(1, 2)])],
                       [(1, 0, [(42, 1), (42, 2), (2**63 + 1, 1)], None), (1, 1, [(7, 1), (7, 2)], None),
                        (2, 0, [(42, 2)], [(0, -1)]), (2, 1, [(2**64 - 1, 2)], None)]))
write("fpfile", fpfile(meta, [("d1.txt", [(9, 1)])], vocab))  # a token missing from the vocabulary
write("fpfile", fpfile({k: v for k, v in meta.items() if k != "bands"}, [], vocab))
