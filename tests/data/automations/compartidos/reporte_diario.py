"""A general script in a shared folder."""

print("reporte diario")
