"""Demo applications started by the README's quick start."""
