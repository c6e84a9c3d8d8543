"""Files the service produces (reports), kept in PostgreSQL and referenced by id."""
