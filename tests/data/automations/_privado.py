"""A helper module, not a script: files starting with _ are never run."""
