"""The user guide (a package only so that ``docs.examples`` has one import name)."""
