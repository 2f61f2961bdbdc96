#!/usr/bin/env python3
"""Packs a libFuzzer corpus directory into a seed file for the replay driver (replay_main.cc).

    fuzz/pack_seeds.py CORPUS_DIR fuzz/seeds/TARGET.seeds

Each input becomes a u32 little-endian length followed by its bytes, in the order of the
files' names, so that packing the same corpus twice gives the same file. Minimize the corpus
first (`fuzz_TARGET -merge=1 MIN_DIR CORPUS_DIR`) to keep the file small.
"""
import os
import struct
import sys


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    corpus, out = sys.argv[1], sys.argv[2]
    names = sorted(n for n in os.listdir(corpus) if os.path.isfile(os.path.join(corpus, n)))
    with open(out, "wb") as f:
        for name in names:
            with open(os.path.join(corpus, name), "rb") as g:
                data = g.read()
            f.write(struct.pack("<I", len(data)))
            f.write(data)
    print(f"{len(names)} inputs packed into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
