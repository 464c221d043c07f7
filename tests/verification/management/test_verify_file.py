"""verify_file: anyone can check a file's figures without a server, with the upload's code."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from verification.domain import synthetic_cycling_csv

DOCUMENTED_KEYS = {
    "format",
    "units",
    "cycles",
    "discharge_capacity_ah",
    "cycle_used",
    "soh_pct",
    "soh_definition",
    "dcir",
    "cell_spread_mv",
    "weakest_cell",
    "capacity_test",
    "counter_check",
    "pack_fit",
    "warnings",
}


def verify(*args: object) -> dict:
    out = StringIO()
    call_command("verify_file", *map(str, args), "--json", stdout=out)
    return json.loads(out.getvalue())


def test_json_has_the_documented_keys_and_matches_the_reference(cycler, reference):
    result = verify(cycler.path("arbin_example.csv"), "--nominal-ah", "1.1")
    assert set(result) >= DOCUMENTED_KEYS
    assert result["format"] == "arbin_csv"
    assert result["units"]["current"] == "A"
    assert all(
        set(c) >= {"cycle", "charge_capacity_ah", "discharge_capacity_ah", "discharge_energy_wh"}
        for c in result["cycles"]
    )
    expected = reference["arbin_example.csv"]["SOH_vs_1.1Ah_nominal"] * 100
    assert result["soh_pct"] == pytest.approx(expected, rel=0.005)
    assert result["cycle_used"] == 2 and result["soh_definition"] == "capacity"
    assert all(set(d) >= {"cycle", "duration_s", "resistance_mohm"} for d in result["dcir"])
    assert result["weakest_cell"] is None and result["cell_spread_mv"] is None


def test_baseline_and_energy_definition(tmp_path):
    path = tmp_path / "module.csv"
    path.write_text(
        synthetic_cycling_csv(
            chemistry="NMC",
            nominal_capacity_ah=94,
            cells_series=12,
            soh_pct=85,
            resistance_mohm=30,
            step_detail_s=12,
        )
    )
    result = verify(path, "--nominal-ah", "94", "--baseline-mohm", "24")
    assert result["soh_pct"] == pytest.approx(85, abs=0.2)
    pulses = {d["duration_s"] for d in result["dcir"]}
    assert pulses == {1.0, 10.0}
    assert all(
        d["ratio_to_baseline"] == pytest.approx(d["resistance_mohm"] / 24) for d in result["dcir"]
    )
    by_energy = verify(
        path, "--nominal-ah", "94", "--nominal-wh", "4174", "--soh-definition", "energy"
    )
    assert by_energy["soh_definition"] == "energy"
    assert by_energy["soh_pct"] == pytest.approx(by_energy["soh_by_definition"]["energy"])
    assert by_energy["soh_pct"] != pytest.approx(result["soh_pct"], abs=0.5)


def test_a_declared_format_is_used_and_a_wrong_one_is_a_clear_error(cycler):
    with pytest.raises(CommandError, match=r"arbin_example\.csv: .*Maccor"):
        verify(cycler.path("arbin_example.csv"), "--nominal-ah", "1.1", "--format", "maccor_txt")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary\xff" * 100, ""),
        (b"time_s,current_a,voltage_v,cycle,step\n0,-1,3.3,1,1\n1,-1,abc,1,1\n", "voltage_v"),
    ],
)
def test_unreadable_files_raise_with_the_reason(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=rf"bad\.csv: .*{message}"):
        verify(path, "--nominal-ah", "10")


def test_exit_status_and_stderr_from_the_shell(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    manage = Path(settings.BASE_DIR) / "manage.py"
    done = subprocess.run(
        [sys.executable, str(manage), "verify_file", str(junk), "--nominal-ah", "5", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert done.stdout == ""
    assert "junk.bin:" in done.stderr and "Traceback" not in done.stderr
    missing = subprocess.run(
        [
            sys.executable,
            str(manage),
            "verify_file",
            str(tmp_path / "nope.csv"),
            "--nominal-ah",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert missing.returncode != 0 and "no such file" in missing.stderr


def test_human_readable_summary(cycler):
    out = StringIO()
    call_command("verify_file", str(cycler.path("maccor_001.txt")), "--nominal-ah", "5", stdout=out)
    text = out.getvalue()
    assert "maccor_txt" in text and "SOH 90.9 %" in text and "warning:" in text


def _cut_mid_discharge(tmp_path) -> Path:
    """A one-cycle NMC cell test cut off halfway through its discharge (a manual stop)."""
    lines = synthetic_cycling_csv(
        chemistry="NMC", nominal_capacity_ah=2.0, cells_series=1, soh_pct=90, cycles=1
    ).splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    discharging = [i for i, row in enumerate(rows) if float(row.split(",")[1]) < 0]
    keep = rows[: discharging[len(discharging) // 2]]
    path = tmp_path / "stopped.csv"
    path.write_text(header + "".join(keep))
    return path


def test_no_complete_capacity_test_gives_a_null_soh_and_says_why(tmp_path):
    path = _cut_mid_discharge(tmp_path)
    result = verify(path, "--nominal-ah", "2", "--chemistry", "NMC", "--cells-series", "1")
    assert result["soh_pct"] is None
    assert result["discharge_capacity_ah"] is None
    assert result["capacity_test"]["complete"] is False
    assert any("SOH not measured: no complete capacity test" in w for w in result["warnings"])
    # The partial discharge keeps its per-cycle figures.
    assert result["cycles"][0]["discharge_capacity_ah"] == pytest.approx(0.9, rel=0.1)
    out = StringIO()
    call_command("verify_file", str(path), "--nominal-ah", "2", stdout=out)
    assert "no SOH: no complete capacity test" in out.getvalue()


@pytest.mark.parametrize("name", ["arbin_example.csv", "maccor_002.txt", "neware_uio.csv"])
def test_the_nominal_changes_only_the_soh_not_the_measured_capacity(cycler, name):
    """No threshold depends on the nominal: the same file gives the same Ah and cycles."""

    def measured(result):
        keys = ("cycle", "charge_capacity_ah", "discharge_capacity_ah", "discharge_energy_wh")
        return [tuple(c[k] for k in keys) for c in result["cycles"]]

    one = verify(cycler.path(name), "--nominal-ah", "1")
    tiny = verify(cycler.path(name), "--nominal-ah", "0.000136")
    assert measured(one) == measured(tiny)
    assert one["cycles"]


def test_a_single_cell_test_does_not_fit_a_16_cell_pack(cycler):
    result = verify(
        cycler.path("maccor_001.txt"),
        "--nominal-ah", "100", "--chemistry", "LFP", "--cells-series", "16", "--nominal-v", "51.2",
    )  # fmt: skip
    assert result["pack_fit"]["fits"] is False
    assert "this looks like a single-cell test" in result["pack_fit"]["reasons"][0]
    assert "16-cell pack's" in result["pack_fit"]["reasons"][0]
    as_cell = verify(
        cycler.path("maccor_001.txt"),
        "--nominal-ah", "5", "--chemistry", "NMC", "--cells-series", "16", "--test-level", "cell",
    )  # fmt: skip
    assert as_cell["pack_fit"] == {"fits": True, "reasons": []}


def test_bad_pack_options_are_refused(cycler):
    with pytest.raises(CommandError, match="--cells-series must be at least 1"):
        verify(cycler.path("arbin_example.csv"), "--nominal-ah", "1.1", "--cells-series", "0")


def test_the_shell_gives_the_same_figures_as_call_command_without_loading_django(cycler):
    """manage.py runs verify_file without Django: no app, admin, Celery or Django module is
    loaded, and the figures are those of the command run inside Django."""
    path = cycler.path("arbin_example.csv")
    manage = Path(settings.BASE_DIR) / "manage.py"
    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['manage.py', 'verify_file', {str(path)!r}, '--nominal-ah', '1.1', '--json']\n"
        "try:\n"
        f"    runpy.run_path({str(manage)!r}, run_name='__main__')\n"
        "except SystemExit as stop:\n"
        "    assert not stop.code, stop.code\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery'))\n"
        "print('loaded:', loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=settings.BASE_DIR,
    )
    assert done.returncode == 0, done.stderr
    output, _, loaded = done.stdout.rpartition("loaded:")
    assert loaded.strip() == "[]"
    assert json.loads(output) == verify(path, "--nominal-ah", "1.1")


def test_the_shell_hands_django_options_to_django(cycler):
    manage = Path(settings.BASE_DIR) / "manage.py"
    path = cycler.path("arbin_example.csv")
    command = [sys.executable, str(manage), "verify_file", str(path), "--nominal-ah", "1.1"]
    done = subprocess.run(
        [*command, "--json", "--verbosity", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == verify(path, "--nominal-ah", "1.1")
