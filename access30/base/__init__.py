"""Foundations every stage uses: errors and notices, French number formatting and labels, settings,
coordinate systems, safe reading and atomic writing of files, moments of the week, commune names,
downloads, and the run's provenance. Imports nothing of the other stages."""
