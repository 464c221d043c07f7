"""Pure Python for the lot pipeline: no Django, plain values in and out."""
