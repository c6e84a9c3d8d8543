"""Exclusive to the organization whose slug is alfa_industrias (file-name prefix)."""

print("cierre de Alfa")
