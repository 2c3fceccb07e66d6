#!/usr/bin/env python3
"""Rewrites README's "What happens when..." table from the cases in tests/test_faults.cpp.

    python3 scripts/update_faults_table.py [build/tests/dupscan_tests]

It runs FaultsTable.ReadmeTableMatchesTheseCases, which prints the table as it should read, and
puts that between the README's faults-table markers.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "tests", "dupscan_tests")
out = subprocess.run([binary, "--gtest_filter=FaultsTable.*"], capture_output=True, text=True).stdout
m = re.search(r"should read:\n(.*?)\n\[  FAILED", out, re.S)
if not m:
    print("README's table already matches the test cases.")
    sys.exit(0)
table = m.group(1).strip("\n") + "\n"
path = os.path.join(ROOT, "README.md")
with open(path, encoding="utf-8") as f:
    readme = f.read()
begin = "<!-- faults-table: generated from tests/test_faults.cpp -->\n"
end = "<!-- /faults-table -->"
a, b = readme.index(begin) + len(begin), readme.index(end)
with open(path, "w", encoding="utf-8") as f:
    f.write(readme[:a] + table + readme[b:])
print("README's table rewritten (%d rows)." % (table.count("\n") - 2))
