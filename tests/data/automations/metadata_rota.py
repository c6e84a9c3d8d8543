"""Un bloque con YAML inválido.

@SAT_METADATA
nombre: Roto
fases: [uno, dos
@END_SAT_METADATA
"""

print("nunca debería importar")
