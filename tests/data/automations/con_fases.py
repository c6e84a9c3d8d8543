"""Envía el reporte diario de CFDI.

@SAT_METADATA
nombre: Reporte Diario
descripcion: Descarga los CFDI del día y los envía por correo
autor: Sistema
version: 1.0.0
variables_requeridas:
  - DESTINATARIO_EMAIL
  - nombre: DIAS
    descripcion: Días hacia atrás
    tipo: numero
    default: 1
fases:
  - nombre: Recopilación
    descripcion: Descarga de CFDI
  - id: envio
    nombre: Envío
    peso: 3
@END_SAT_METADATA
"""

print("reporte enviado")
