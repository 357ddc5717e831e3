"""Project tooling: packaging, redrive and reports, run from the Makefile."""
