"""The README's "API access" script, run as written (bash, curl, jq) against a live server with a
personal token: create a lot, upload a real cycler file, poll the test record, read the
verification."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from accounts.models import PersonalToken
from suppliers.models import Lot
from tests.conftest import need
from tests.factories import PackModelFactory, personal_token
from verification.models import Verification

ROOT = Path(__file__).resolve().parents[2]


def readme_script() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## API access", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```bash\n(.*?)```", section, re.DOTALL)[1]


@pytest.fixture
def shell_tools():
    for tool in ("bash", "curl", "jq"):
        need(shutil.which(tool) is not None, f"needs {tool} (apt-get install {tool})")


@pytest.mark.django_db(transaction=True)
def test_the_readme_walkthrough_runs_with_a_personal_token(
    require_postgres, shell_tools, live_server, alice, volta
):
    # The cell of arbin_example.csv (A123 APR18650M1A, LFP, 1.1 Ah; tests/data/cycler/README.md).
    cell = PackModelFactory(
        manufacturer="A123",
        model="APR18650M1A",
        chemistry="LFP",
        nominal_voltage_v="3.30",
        nominal_capacity_ah="1.10",
        nominal_energy_kwh="0.004",
        cells_series=1,
        baseline_resistance_mohm=None,
    )
    secret = personal_token(alice, name="README walkthrough")
    env = {
        "PATH": os.environ["PATH"],
        "BASE": live_server.url,
        "TOKEN": secret,
        "PACK_MODEL": str(cell.pk),
        "REFERENCE": "README-1",
    }
    result = subprocess.run(
        ["bash", "-c", readme_script()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)

    lot = Lot.objects.get(reference="README-1")
    assert lot.supplier == volta
    pack = lot.packs.get()
    run = Verification.objects.get(pack=pack)
    assert run.test_record.original_name == "arbin_example.csv"
    assert printed["verdict"] == run.verdict
    assert printed["measured_soh_pct"] is not None
    assert float(printed["measured_soh_pct"]) == pytest.approx(float(run.measured_soh_pct))
    assert PersonalToken.objects.get().last_used_at is not None
