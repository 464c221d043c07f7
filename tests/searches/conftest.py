"""Personas and supply for saved searches: Bianca (TowerGrid, a buyer) and Carlos (GridStore,
buyer and supplier) save searches; Alice supplies; lots are set up browsable or not."""

from decimal import Decimal

import pytest

from suppliers.choices import LotStatus, OrganisationKind
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, UserFactory


@pytest.fixture
def carlos(db):
    """Carlos buys for GridStore, an ESS integrator that also resells (kind: both)."""
    gridstore = OrganisationFactory(name="GridStore", slug="gridstore", kind=OrganisationKind.BOTH)
    return MembershipFactory(user=UserFactory(username="carlos"), organisation=gridstore).user


@pytest.fixture
def verified_lfp(volta, lfp_telecom_pack):
    """An LFP lot buyers browse: reuse-ESS, 86 % measured, in Leeds."""
    return LotFactory(
        supplier=volta,
        pack_model=lfp_telecom_pack,
        reference="LFP-ESS-1",
        status=LotStatus.VERIFIED,
        summary__route="reuse-ESS",
        summary__route_provisional=False,
        summary__measured_soh_pct=Decimal("86"),
    )
