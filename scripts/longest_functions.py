#!/usr/bin/env python3
"""The longest functions in src/ (outside #[cfg(test)] modules), by lines from `fn` to its
closing brace: `scripts/longest_functions.py [N]`. A rough brace count (strings and char
literals removed), enough to hold the "under 60 lines" convention of docs/ARCHITECTURE.md."""
import glob, re, sys

STRINGS = re.compile(r'"(?:\\.|[^"\\])*"|\'.\'')
FN = re.compile(r'\s*(pub(\([\w:]+\))?\s+)?(async\s+)?(const\s+)?fn\s+(\w+)')

found = []
for path in glob.glob("src/**/*.rs", recursive=True):
    lines = open(path, encoding="utf-8").read().split("\n")
    in_tests = False
    for i, line in enumerate(lines):
        if re.match(r"\s*#\[cfg\(test\)\]", line):
            in_tests = True
        m = FN.match(line)
        if not m or in_tests:
            continue
        depth, started, j = 0, False, i
        while j < len(lines):
            for ch in STRINGS.sub("", lines[j]):
                if ch == "{":
                    depth, started = depth + 1, True
                elif ch == "}":
                    depth -= 1
            if started and depth == 0:
                break
            if not started and lines[j].rstrip().endswith(";"):
                break
            j += 1
        if started:
            found.append((j - i + 1, f"{path}:{i + 1}", m.group(5)))
for length, where, name in sorted(found, reverse=True)[: int(sys.argv[1]) if len(sys.argv) > 1 else 10]:
    print(f"{length:4} {where} {name}")
