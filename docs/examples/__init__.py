"""The guide's examples: small apps that the pages include and ``tests/test_docs.py`` runs."""
