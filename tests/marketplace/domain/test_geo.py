import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.domain.geo import Point, bounding_box, distance_km, point_parse

BERLIN, PARIS = Point(52.52, 13.405), Point(48.8566, 2.3522)


def test_known_distances():
    assert distance_km(BERLIN, PARIS) == pytest.approx(878, abs=2)
    assert distance_km(BERLIN, BERLIN) == 0
    # Half the way round the Earth, and across the 180th meridian.
    assert distance_km(Point(0, 0), Point(0, 180)) == pytest.approx(math.pi * 6371.0088)
    assert distance_km(Point(0, 179.5), Point(0, -179.5)) == pytest.approx(111.2, abs=0.1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("52.52, 13.405", BERLIN), (" -33.9,18.4 ", Point(-33.9, 18.4)), ("90,-180", Point(90, -180))],
)
def test_a_point_reads_latitude_then_longitude(text, expected):
    assert point_parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("52.52", "a latitude and a longitude"),
        ("1,2,3", "a latitude and a longitude"),
        ("north, east", "are numbers"),
        ("91, 0", "between -90 and 90"),
        ("0, 180.5", "between -180 and 180"),
        ("nan, 0", "between -90 and 90"),
        ("0, inf", "between -180 and 180"),
    ],
)
def test_a_bad_point_says_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        point_parse(text)


points = st.builds(Point, st.floats(-89.9, 89.9), st.floats(-180, 180))


@given(centre=points, other=points, radius_km=st.floats(1, 5000))
def test_every_point_within_the_radius_lies_in_the_box(centre, other, radius_km):
    if distance_km(centre, other) > radius_km:
        return
    box = bounding_box(centre, radius_km)
    assert box.south <= other.latitude <= box.north
    if box.west is not None:
        assert box.west <= other.longitude <= box.east


def test_the_box_gives_up_on_longitude_near_a_pole_and_across_the_date_line():
    assert bounding_box(Point(89.5, 0), 100).west is None
    assert bounding_box(Point(0, 179.9), 100).west is None
    box = bounding_box(BERLIN, 100)
    assert box.west == pytest.approx(13.405 - 1.49, abs=0.02) and box.north < 53.5
