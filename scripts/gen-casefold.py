#!/usr/bin/env python3
"""gen-casefold.py — generates src/core/casefold_table.c, the folding tables
behind the one collation of mapix (src/core/collation.c).

Inputs (Debian package unicode-data, installed by scripts/install-deps):
  /usr/share/unicode/CaseFolding.txt   simple case folding: statuses C and S
  /usr/share/unicode/UnicodeData.txt   general categories and canonical
                                       decomposition mappings

Three mappings are emitted, each from one code point to zero or more code
points:

  simple    FL_IGNORECASE: the C and S lines of CaseFolding.txt. F (full
            folding, e.g. U+00DF -> "ss") and T (Turkic) lines are ignored,
            so every code point folds to exactly one code point.
  nonspace  FL_IGNORENONSPACE: the canonical decomposition (the mapping
            field without a <tag>, applied recursively), with every code
            point of general category Mn removed. An Mn code point itself
            maps to nothing. Mc (spacing marks) and Me (enclosing marks) are
            kept: they are letters or symbols in their own right in the
            scripts that use them. Hangul syllables are not decomposed (their
            decomposition is algorithmic and removes nothing).
  loose     FL_LOOSE (or both FL_IGNORECASE and FL_IGNORENONSPACE): nonspace,
            then simple folding of each remaining code point, repeated until
            nothing changes. Marks are removed *before* folding so that
            U+0345 COMBINING GREEK YPOGEGRAMMENI (Mn, which simple-folds to
            U+03B9 GREEK SMALL LETTER IOTA) is dropped whether it stands alone
            or is part of a precomposed letter such as U+1FB3: canonically
            equivalent strings stay equal under the loose collation.

The script checks that each mapping is idempotent (mapping an output again
changes nothing), so comparing mapped sequences gives a consistent order.

Representation: sorted, non-overlapping ranges [lo, hi] with a stride of 1
or 2 (for the alternating upper/lower blocks) and one of three kinds: add a
delta, drop, or expand to a short sequence kept in one shared pool. The C code
finds a code point's range by binary search.

Usage: scripts/gen-casefold.py [--unicode-dir DIR] [-o OUTPUT]
"""

import argparse
import os
import re
import sys

MAX_EXPANSION = 3


def parse_casefolding(path):
    fold = {}
    version = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if version is None:
                m = re.match(r"#\s*CaseFolding-(\d+\.\d+\.\d+)\.txt", line)
                if m:
                    version = m.group(1)
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [x.strip() for x in line.split(";")]
            if fields[1] in ("C", "S"):
                fold[int(fields[0], 16)] = int(fields[2], 16)
    return fold, version or "unknown"


def parse_unicodedata(path):
    category = {}
    decomposition = {}
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split(";") for line in f if line.strip()]
    i = 0
    while i < len(rows):
        fields = rows[i]
        cp = int(fields[0], 16)
        if fields[1].endswith(", First>"):
            # A range (CJK, Hangul, private use...): same category throughout,
            # no decomposition mappings listed.
            last = int(rows[i + 1][0], 16)
            for c in range(cp, last + 1):
                category[c] = fields[2]
            i += 2
            continue
        category[cp] = fields[2]
        d = fields[5]
        if d and not d.startswith("<"):
            decomposition[cp] = [int(x, 16) for x in d.split()]
        i += 1
    return category, decomposition


def build(fold, category, decomposition):
    def decompose(c):
        if c in decomposition:
            out = []
            for x in decomposition[c]:
                out += decompose(x)
            return out
        return [c]

    def nonspace_of(c):
        return [x for x in decompose(c) if category.get(x) != "Mn"]

    def loose_of(c):
        seq = [c]
        while True:
            nxt = []
            for x in seq:
                for y in nonspace_of(x):
                    nxt.append(fold.get(y, y))
            if nxt == seq:
                return seq
            seq = nxt

    simple = {c: [t] for c, t in fold.items() if t != c}
    nonspace = {}
    loose = {}
    candidates = set(decomposition) | set(fold) | {c for c, cat in category.items() if cat == "Mn"}
    for c in sorted(candidates):
        n = nonspace_of(c)
        if n != [c]:
            nonspace[c] = n
        lo = loose_of(c)
        if lo != [c]:
            loose[c] = lo

    # Idempotency: mapping an output again must change nothing.
    for name, table in (("simple", simple), ("nonspace", nonspace), ("loose", loose)):
        for c, out in table.items():
            if len(out) > MAX_EXPANSION:
                sys.exit(f"gen-casefold: {name}: U+{c:04X} expands to {len(out)} code points")
            for x in out:
                if x in table:
                    sys.exit(f"gen-casefold: {name}: U+{c:04X} -> U+{x:04X} is not a fixed point")
    return simple, nonspace, loose


def ranges_of(table, pool):
    """Turns {cp: [out...]} into (lo, hi, delta, stride, kind) ranges."""
    entries = []
    for c in sorted(table):
        out = table[c]
        prev = entries[-1] if entries else None
        if not out:
            if prev and prev[4] == "DROP" and prev[1] == c - 1:
                prev[1] = c
            else:
                entries.append([c, c, 0, 1, "DROP"])
        elif len(out) == 1:
            delta = out[0] - c
            if prev and prev[4] == "DELTA" and prev[2] == delta:
                gap = c - prev[1]
                if prev[0] == prev[1] and gap in (1, 2):
                    prev[3] = gap
                    prev[1] = c
                    continue
                if gap == prev[3]:
                    prev[1] = c
                    continue
            entries.append([c, c, delta, 1, "DELTA"])
        else:
            key = tuple(out)
            # Reuse an identical sequence already in the pool.
            off = None
            for i in range(len(pool) - len(out) + 1):
                if tuple(pool[i:i + len(out)]) == key:
                    off = i
                    break
            if off is None:
                off = len(pool)
                pool.extend(out)
            entries.append([c, c, off, len(out), "EXPAND"])
    return entries


def emit(path, version, tables, pool):
    lines = []
    w = lines.append
    w("/*")
    w(" * casefold_table.c — GENERATED by scripts/gen-casefold.py from the Unicode")
    w(f" * {version} CaseFolding.txt and UnicodeData.txt. Do not edit: change the script")
    w(" * and run it again. The tables and what they mean are described in the")
    w(" * script and in src/core/collation.h; src/core/collation.c uses them.")
    w(" */")
    w('#include "core/collation.h"')
    w("")
    w(f'const char mapix_fold_unicode_version[] = "{version}";')
    w("")
    w("const uint32_t mapix_fold_pool[] = {")
    for i in range(0, len(pool), 8):
        w("\t" + ", ".join(f"0x{x:05X}" for x in pool[i:i + 8]) + ",")
    if not pool:
        w("\t0,")
    w("};")
    for name, entries in tables:
        w("")
        w(f"static const struct mapix_fold_range {name}_ranges[] = {{")
        for lo, hi, delta, stride, kind in entries:
            w(f"\t{{0x{lo:05X}, 0x{hi:05X}, {delta}, {stride}, MAPIX_FOLD_{kind}}},")
        w("};")
        w(f"const struct mapix_fold_table mapix_fold_{name} = {{{name}_ranges, "
          f"sizeof {name}_ranges / sizeof {name}_ranges[0]}};")
    w("")
    text = "\n".join(lines)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--unicode-dir", default="/usr/share/unicode")
    ap.add_argument("-o", "--output", default=os.path.join(here, "..", "src", "core", "casefold_table.c"))
    args = ap.parse_args()

    fold, version = parse_casefolding(os.path.join(args.unicode_dir, "CaseFolding.txt"))
    category, decomposition = parse_unicodedata(os.path.join(args.unicode_dir, "UnicodeData.txt"))
    simple, nonspace, loose = build(fold, category, decomposition)
    pool = []
    tables = [("simple", ranges_of(simple, pool)),
              ("nonspace", ranges_of(nonspace, pool)),
              ("loose", ranges_of(loose, pool))]
    emit(args.output, version, tables, pool)
    counts = ", ".join(f"{n} {len(e)} ranges" for n, e in tables)
    print(f"gen-casefold: Unicode {version}: {counts}, pool {len(pool)}", file=sys.stderr)


if __name__ == "__main__":
    main()
