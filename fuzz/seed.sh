#!/bin/sh
# Writes a seed corpus into fuzz/corpus/parse from a handful of the shared
# DTDLParser test cases (their `input` document arrays). Run from anywhere.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cases="$here/../../shared/data/dtdl/test-cases"
out="$here/corpus/parse"
mkdir -p "$out"
python3 - "$cases" "$out" <<'PY'
import json, pathlib, sys
cases, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
picked = sorted(cases.glob("generated/*.json"))[::40] + sorted(cases.glob("doc-examples/*.json"))[::10]
n = 0
for f in picked:
    case = json.loads(f.read_text(encoding="utf-8-sig"))
    for c in case if isinstance(case, list) else [case]:
        docs = c.get("input") if isinstance(c, dict) else None
        if isinstance(docs, list) and docs:
            (out / f"{f.stem}.json").write_text(json.dumps(docs))
            n += 1
print(f"wrote {n} seeds to {out}")
PY
