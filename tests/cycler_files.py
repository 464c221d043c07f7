"""Shared helpers for the format-reader tests: the copied cycler files, their reference values
and a capacity count that is independent of the readers' own code."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from verification.domain.formats import read_test_data
from verification.domain.testdata import TestData

DATA = Path(__file__).resolve().parent / "data" / "cycler"


class Cycler:
    data = DATA

    @staticmethod
    def path(name: str) -> Path:
        return DATA / name

    @staticmethod
    def read(name: str, **options) -> tuple[TestData, dict[str, np.ndarray]]:
        with open(DATA / name, "rb") as stream:
            data = read_test_data(stream, filename=name, **options)
            return data, Cycler.columns(data)

    @staticmethod
    def read_bytes(raw: bytes, name: str = "", **options) -> tuple[TestData, dict]:
        data = read_test_data(io.BytesIO(raw), filename=name, **options)
        return data, Cycler.columns(data)

    @staticmethod
    def columns(data: TestData) -> dict[str, np.ndarray]:
        batches = list(data.batches())
        if not batches:
            return {}
        return {key: np.concatenate([b[key] for b in batches]) for key in batches[0]}

    @staticmethod
    def discharge_ah(columns: dict[str, np.ndarray], groups: np.ndarray) -> dict[int, float]:
        """Trapezoids of |I| dt over neighbouring samples that are both discharging (I < 0) and
        in the same group, summed per group, in Ah."""
        return Cycler._integral(columns, groups, -1)

    @staticmethod
    def charge_ah(columns: dict[str, np.ndarray], groups: np.ndarray) -> dict[int, float]:
        return Cycler._integral(columns, groups, 1)

    @staticmethod
    def _integral(columns: dict, groups: np.ndarray, sign: int) -> dict[int, float]:
        time, current = columns["time_s"], columns["current_a"] * sign
        pair = (current[:-1] > 0) & (current[1:] > 0) & (groups[:-1] == groups[1:])
        area = 0.5 * (current[:-1] + current[1:]) * np.diff(time)
        return {
            int(g): float(area[pair & (groups[:-1] == g)].sum() / 3600) for g in np.unique(groups)
        }


def reference_values() -> dict:
    return json.loads((DATA / "reference_values.json").read_text(encoding="utf-8"))["files"]
