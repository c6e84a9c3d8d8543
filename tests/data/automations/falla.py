"""Fails: exit code 3 with the reason on stderr."""

import sys

print("inicio")
print("error: no se pudo conectar al SAT", file=sys.stderr)
sys.exit(3)
