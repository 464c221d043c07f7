"""Shared kernels every app may import: the application error type and small helpers."""
