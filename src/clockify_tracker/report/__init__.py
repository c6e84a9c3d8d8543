"""Excel reports: the pure workbook builder, the queries that feed it and the tasks that run it."""
