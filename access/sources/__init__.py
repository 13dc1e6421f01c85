"""Loaders of the real first-reception network and of the INSEE 200 m grid."""
