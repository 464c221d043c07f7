"""Registering a pack model through the API: errors name the real problem."""

import pytest

from suppliers.models import PackModel

BODY = {
    "manufacturer": "BYD", "model": "Blade 2", "chemistry": "LFP", "nominal_voltage_v": "51.2",
    "nominal_capacity_ah": "100", "nominal_energy_kwh": "5.12", "cells_series": 16,
}  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"nominal_voltage_v": "-51.2"}, "nominal_voltage_v", "must be above zero"),
        ({"nominal_capacity_ah": "0"}, "nominal_capacity_ah", "must be above zero"),
        (
            {"nominal_energy_kwh": "6.0"},
            "nominal_energy_kwh",
            "51.20 V x 100.00 Ah is 5.120 kWh, not 6.000 kWh",
        ),
        ({"manufacturer": "catl", "model": "tb48100"}, "model", "already exists"),
    ],
)
def test_bad_pack_models_get_the_real_reason(api, alice, lfp_telecom_pack, overrides, field,
                                             message):  # fmt: skip
    api.force_authenticate(alice)
    before = PackModel.objects.count()
    response = api.post("/api/pack-models/", {**BODY, **overrides}, format="json")
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()[field])
    assert PackModel.objects.count() == before


def test_ratings_within_one_percent_are_accepted(api, alice):
    api.force_authenticate(alice)
    response = api.post("/api/pack-models/", {**BODY, "nominal_energy_kwh": "5.16"}, format="json")
    assert response.status_code == 201, response.content
