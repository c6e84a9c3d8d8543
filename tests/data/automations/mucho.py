"""Prints far more than the 50,000 characters a log keeps, ending with a known line."""

for n in range(20_000):
    print(f"línea {n:05d} " + "x" * 20)
print("FIN DEL REPORTE")
