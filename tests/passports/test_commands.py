import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from suppliers.choices import LotStatus
from suppliers.models import Pack
from tests.factories import LotFactory, PackFactory, PackModelFactory
from tests.passports.scenarios import EXAMPLE, assert_valid, example, row_counts

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def example_model(db):
    return PackModelFactory(
        manufacturer="Example Cells",
        model="123-0.740-3434-A",
        chemistry="NMC",
        nominal_voltage_v="3.7",
        nominal_capacity_ah="4",
        nominal_energy_kwh="0.015",
        cells_series=1,
    )


@pytest.fixture
def draft(volta, lfp_telecom_pack):
    return LotFactory(
        supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT, reference="V-DRAFT"
    )


def test_export_prints_the_passport_whatever_the_serials_case(draft):
    PackFactory(lot=draft, serial="Volta-0042", cycle_count=12)
    out = StringIO()
    call_command("export_passport", "VOLTA-0042", stdout=out)
    document = json.loads(out.getvalue())
    assert_valid(document)
    assert document["identification"]["identification"]["serial"][0]["value"] == "Volta-0042"


def test_export_of_an_unknown_serial_fails(db):
    with pytest.raises(CommandError, match="No live pack has the serial 'NOPE'"):
        call_command("export_passport", "NOPE")


def test_import_creates_a_pack_in_a_new_draft_lot(volta, example_model):
    out, err = StringIO(), StringIO()
    call_command("import_passport", str(EXAMPLE), "--supplier", "volta", stdout=out, stderr=err)
    pack = Pack.objects.get(serial="SN12345678")
    assert pack.lot.supplier == volta and pack.lot.status == LotStatus.DRAFT
    assert "Created pack SN12345678 in new draft lot" in out.getvalue()
    assert "7172-75-08" in err.getvalue()


def test_import_into_a_named_lot(volta, draft, example_model):
    draft.pack_model = example_model
    draft.save(update_fields=["pack_model"])
    call_command(
        "import_passport",
        str(EXAMPLE),
        "--supplier",
        "volta",
        "--lot",
        "V-DRAFT",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    assert Pack.objects.get(serial="SN12345678").lot == draft


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (b"{oops", [], "not imported"),
        (json.dumps({**example(), "sustainability": {}}).encode(), [], "not imported"),
        (EXAMPLE.read_bytes(), ["--lot", "NO-SUCH"], "not imported"),
    ],
)
def test_import_failures_change_nothing(tmp_path, volta, example_model, content, args, message):
    path = tmp_path / "passport.json"
    path.write_bytes(content)
    before, err = row_counts(), StringIO()
    with pytest.raises(CommandError, match=message):
        call_command("import_passport", str(path), "--supplier", "volta", *args, stderr=err)
    assert err.getvalue().strip()  # each problem on stderr
    assert row_counts() == before


def test_import_names_a_missing_supplier_or_file(tmp_path, db):
    with pytest.raises(CommandError, match="No supplier organisation has the slug 'ghost'"):
        call_command("import_passport", str(EXAMPLE), "--supplier", "ghost")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_passport", str(tmp_path / "missing.json"), "--supplier", "ghost")


@pytest.mark.django_db(transaction=True)
def test_the_commands_as_real_processes(tmp_path):
    """The contract as an operator meets it: exit codes, stdout and stderr of real processes
    on a database file of their own."""
    database = tmp_path / "commands.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
    }

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert manage("migrate", "--noinput", "-v", "0").returncode == 0
    seed = (
        "from suppliers.models import Organisation, PackModel; from django.utils import timezone;"
        "Organisation.objects.create(name='Volta', slug='volta', kind='supplier');"
        "PackModel.objects.create(manufacturer='Example Cells', model='123-0.740-3434-A',"
        " chemistry='NMC', nominal_voltage_v='3.7', nominal_capacity_ah='4',"
        " nominal_energy_kwh='0.015', cells_series=1, approved_at=timezone.now())"
    )
    assert manage("shell", "-c", seed).returncode == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**example(), "metadata": {"passportIdentifier": "x"}}))
    refused = manage("import_passport", str(bad), "--supplier", "volta")
    assert refused.returncode != 0 and "metadata.passportIdentifier" in refused.stderr
    missing = manage("export_passport", "SN12345678")
    assert missing.returncode != 0 and "No live pack" in missing.stderr
    imported = manage("import_passport", str(EXAMPLE), "--supplier", "volta")
    assert imported.returncode == 0, imported.stderr
    exported = manage("export_passport", "sn12345678")
    assert exported.returncode == 0, exported.stderr
    document = json.loads(exported.stdout)
    assert_valid(document)
    assert document["metadata"]["predecessor"] == example()["metadata"]["passportIdentifier"]
    assert document["performance"]["dynamic"]["fullCycles"]["value"] == 1500
