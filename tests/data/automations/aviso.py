"""Exits 0 but writes to stderr: a warning."""

import sys

print("procesado con observaciones")
print("aviso: 2 registros sin RFC", file=sys.stderr)
