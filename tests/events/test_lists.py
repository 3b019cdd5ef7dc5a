from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from edge.events.lists import PlateListError, load_plate_lists, parse_plate_lists, save_plate_lists
from edge.settings.plate_lists import PlateEntry, PlateLists, WeeklyWindow, normalise_plate, render_plate_lists

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "plates.example.toml"


def error_of(text: str) -> str:
    with pytest.raises(PlateListError) as caught:
        parse_plate_lists(text, "plates.toml")
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_example_file_shows_every_field() -> None:
    lists = load_plate_lists(EXAMPLE)
    ana = lists.allow[0]
    assert ana.plate == "B58DTK" and ana.name == "Ana Popescu"
    assert ana.gates == ("front-gate", "garage") and ana.directions == "both"
    assert ana.valid_from == date(2026, 1, 1) and ana.valid_until == date(2026, 12, 31)
    assert [str(w) for w in ana.hours] == ["mon-fri 07:00-19:00", "sat 08:00-12:00"]
    assert ana.note
    van = lists.allow[1]
    assert van.plate == "CJ01ABC" and van.directions == "entering" and van.hours[0].end < van.hours[0].start
    visitor = lists.allow[2]
    assert visitor.name == "Visitor: Müller GmbH"
    assert visitor.valid_until == datetime(2026, 11, 26, 18, tzinfo=timezone(timedelta(hours=1)))
    assert [e.plate for e in lists.deny] == ["B02YKD"] and [e.plate for e in lists.watch] == ["JKS3724"]
    fields = set(PlateEntry.model_fields)
    written = {line.split("=")[0].strip() for line in EXAMPLE.read_text().splitlines() if "=" in line
               and not line.startswith("#")}
    assert written == fields


def test_plates_are_normalised() -> None:
    assert normalise_plate("b-58 dtk") == "B58DTK"
    assert normalise_plate("\tCJ 01-ABC ") == "CJ01ABC"
    for bad in ("B58·DTK", "BÄ58", "straße", "B58_DTK", "", "-", "X", "A" * 13, "B58–DTK"):
        with pytest.raises(ValueError, match=r"0-9 A-Z|characters"):
            normalise_plate(bad)


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    lists = load_plate_lists(EXAMPLE)
    odd = PlateEntry(plate="AB123", name='Zoë "Z" \\ Ünal 🚗\n\tline\x01', note="ß ø 東京", gates=("gate #1",),
                     valid_from=datetime(2026, 1, 1, 8, 30, 15, 250000),
                     valid_until=datetime(2027, 1, 1, tzinfo=UTC),
                     hours=(WeeklyWindow.parse("Sat-Mon 22:00-24:00"),), directions="leaving")
    lists = lists.model_copy(update={"watch": (*lists.watch, odd)})
    path = tmp_path / "plates.toml"
    save_plate_lists(lists, path)
    assert load_plate_lists(path) == lists
    assert parse_plate_lists(render_plate_lists(PlateLists())) == PlateLists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_save_replaces_atomically_and_keeps_mode(tmp_path: Path) -> None:
    path = tmp_path / "plates.toml"
    path.write_text("")
    path.chmod(0o640)
    inode = path.stat().st_ino
    save_plate_lists(load_plate_lists(EXAMPLE), path)
    assert path.stat().st_ino != inode and path.stat().st_mode & 0o777 == 0o640


def test_bad_toml_names_the_line() -> None:
    message = error_of('[[allow]]\nplate = "B58DTK\n')
    assert message.startswith("plates.toml: not valid TOML") and "line 2" in message


def test_unknown_field_is_named() -> None:
    message = error_of('[[allow]]\nplate = "B58DTK"\ncolour = "red"\n')
    assert message == "plates.toml: allow[0] (B58DTK).colour: unknown field"
    assert "alow: unknown field" in error_of('[[alow]]\nplate = "B58DTK"\n')


def test_bad_plate_characters_name_entry_and_field() -> None:
    message = error_of('[[allow]]\nplate = "B58DTK"\n[[deny]]\nplate = "OK1"\n[[deny]]\nplate = "B58 ÄX"\n')
    assert "deny[1] (B58 ÄX).plate:" in message and "0-9 A-Z" in message
    assert "deny[0].plate: missing" in error_of('[[deny]]\nname = "no plate"\n')


@pytest.mark.parametrize("window", ["mon-fri 7-19", "funday 07:00-09:00", "mon 25:00-26:00", "mon 07:00-07:00",
                                    "mon 07:60-08:00", "mon 24:00-01:00", "mon-fri", "", "mon-fri 07:00-19:00 x"])
def test_bad_time_window(window: str) -> None:
    message = error_of(f'[[allow]]\nplate = "B58DTK"\nhours = ["daily 00:00-24:00", "{window}"]\n')
    assert message.startswith("plates.toml: allow[0] (B58DTK).hours")
    assert "hours: item 1:" in message


def test_other_bad_fields() -> None:
    assert "hours" in error_of('[[allow]]\nplate = "B58DTK"\nhours = "mon 07:00-08:00"\n')
    assert "hours" in error_of('[[allow]]\nplate = "B58DTK"\nhours = [7]\n')
    assert "directions" in error_of('[[allow]]\nplate = "B58DTK"\ndirections = "in"\n')
    assert "after valid_until" in error_of('[[allow]]\nplate = "B58DTK"\nvalid_from = 2027-01-01\n'
                                           'valid_until = 2026-01-01\n')
    assert "gates" in error_of('[[allow]]\nplate = "B58DTK"\ngates = [""]\n')
    assert "allow" in error_of('allow = "B58DTK"\n')
    assert "name" in error_of(f'[[allow]]\nplate = "B58DTK"\nname = "{"x" * 500}"\n')


def test_many_errors_stay_one_line() -> None:
    text = "".join(f'[[allow]]\nplate = "BAD!{i}"\n' for i in range(50))
    message = error_of(text)
    assert message.count("plate:") == 5 and message.endswith("and 45 more")


def test_huge_and_binary_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.toml"
    junk.write_bytes(b"x" * 1024 * 1024)
    with pytest.raises(PlateListError, match="not valid TOML"):
        load_plate_lists(junk)
    with pytest.raises(PlateListError, match="larger than 524288 bytes"):
        load_plate_lists(junk, max_bytes=512 * 1024)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b'[[allow]]\nplate = "\xff\xfe"\n')
    with pytest.raises(PlateListError, match="not UTF-8"):
        load_plate_lists(binary)
    with pytest.raises(PlateListError, match="cannot read"):
        load_plate_lists(tmp_path / "missing.toml")
    with pytest.raises(PlateListError, match="cannot read"):
        load_plate_lists(tmp_path)


def test_ten_thousand_entries_of_a_megabyte(tmp_path: Path) -> None:
    entries = [PlateEntry(plate=f"B{i:05d}XY", name=f"Ünal {i} 名前", gates=("front-gate",) if i % 2 else (),
                          hours=(WeeklyWindow.parse("mon-fri 07:00-19:00"),), note="n" * 40) for i in range(10_000)]
    lists = PlateLists(allow=tuple(entries[:9000]), deny=tuple(entries[9000:9500]), watch=tuple(entries[9500:]))
    path = tmp_path / "plates.toml"
    save_plate_lists(lists, path)
    assert path.stat().st_size > 1024 * 1024
    loaded = load_plate_lists(path)
    assert len(loaded) == 10_000 and loaded == lists


def test_strings_from_an_api_parse_like_toml_values() -> None:
    entry = PlateEntry.model_validate({"plate": "b58dtk", "valid_from": "2026-01-01",
                                       "valid_until": "2026-01-01T18:00:00", "hours": ["Daily 08:00-09:00"]})
    assert entry.valid_from == date(2026, 1, 1) and entry.valid_until == datetime(2026, 1, 1, 18)
    assert entry.hours[0].text == "daily 08:00-09:00"
    with pytest.raises(ValueError, match="plate"):
        PlateEntry.model_validate({"plate": 12345})
    with pytest.raises(ValueError):
        PlateLists().entries("grey")


@pytest.mark.parametrize(("window", "moment", "inside"), [
    ("mon-fri 07:00-19:00", datetime(2026, 11, 23, 7, 0), True),  # Monday
    ("mon-fri 07:00-19:00", datetime(2026, 11, 23, 19, 0), False),
    ("mon-fri 07:00-19:00", datetime(2026, 11, 28, 10, 0), False),  # Saturday
    ("fri 22:00-06:00", datetime(2026, 11, 27, 23, 30), True),  # Friday night
    ("fri 22:00-06:00", datetime(2026, 11, 28, 5, 59), True),  # Saturday early: still Friday's window
    ("fri 22:00-06:00", datetime(2026, 11, 28, 6, 0), False),
    ("fri 22:00-06:00", datetime(2026, 11, 27, 5, 0), False),  # Friday early belongs to Thursday
    ("sun 23:00-01:00", datetime(2026, 11, 23, 0, 30), True),  # Monday 00:30, from Sunday
    ("sat-mon 10:00-11:00", datetime(2026, 11, 29, 10, 30), True),  # Sunday within sat-mon
    ("sat-mon 10:00-11:00", datetime(2026, 11, 25, 10, 30), False),  # Wednesday
    ("mon,wed 00:00-24:00", datetime(2026, 11, 25, 23, 59), True),
    ("daily 12:00-13:00", datetime(2026, 11, 26, 12, 59, 59), True),
])
def test_weekly_windows(window: str, moment: datetime, inside: bool) -> None:
    assert WeeklyWindow.parse(window).contains(moment) is inside
