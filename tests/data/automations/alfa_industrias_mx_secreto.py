"""Exclusive to the organization whose slug is alfa_industrias_mx: a longer slug that starts
with another organization's (alfa_industrias) plus `_`.

@SAT_METADATA
nombre: Secreto
descripcion: PRIVADO de Alfa Industrias MX
@END_SAT_METADATA
"""

print("secreto de Alfa Industrias MX")
