"""The progress helper scripts import; never a script itself."""
