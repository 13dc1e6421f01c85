"""Foundations every stage uses: errors and notices, French number formatting and labels, settings,
coordinate systems, safe reading and atomic writing of files, moments of the week, commune names,
downloads (one engine: resume, checks, mirror; the cache and its manifest), and the run record
(fingerprints, what a run read, how a result was made). Imports nothing of the other stages."""
