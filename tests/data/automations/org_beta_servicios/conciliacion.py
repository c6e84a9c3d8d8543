"""Exclusive to Beta Servicios (its database-name folder)."""

print("conciliación de Beta")
