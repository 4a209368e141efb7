"""Property-based tests: random, messy input to every reader and checker either works or fails with a LeptonError that
names the problem; never another exception, a hang or a silently wrong answer.

`make test` runs a few examples of each (profile `ci`, derandomized so CI is repeatable); `make fuzz` runs the long
profile (`LEPTON_NB_FUZZ=1`: 600 examples each, or `LEPTON_NB_FUZZ_EXAMPLES`, a fresh random seed each run)."""
import csv
import io
import os
import sqlite3
import string
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st

from lepton_nb.core import LeptonError

settings.register_profile("ci", max_examples=15, deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("fuzz", max_examples=int(os.environ.get("LEPTON_NB_FUZZ_EXAMPLES", 600)), deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("fuzz" if os.environ.get("LEPTON_NB_FUZZ") else "ci")

ROOT = Path(__file__).resolve().parents[1]
CUSTOMERS = ROOT / "reports" / "customers"

# text a client's export may hold: right-to-left and combining marks, an override character, NUL, quotes, separators
AWKWARD = ["", " ", "NaN", "nan", "inf", "-inf", "Infinity", "n/a", "NULL", "-", "?", "1e308", "-1e308", "1e-320",
           "9" * 40, "0x1F", "1,200", "$950", "12%", "04/11/2023", "04/13/2023", "13/04/2023", "2023-04-11",
           "Apr 11, 2023", "2023-04-11T10:30:00", "עברית", "مرحبا بالعالم", "\u202egnp.exe", "e\u0301", "😀",
           "a;b", 'say "hi"', "tab\there", "\x00", "true", "no"]
CELL = st.one_of(st.sampled_from(AWKWARD), st.integers(-10**20, 10**20).map(str),
                 st.floats(allow_nan=True, allow_infinity=True).map(repr),
                 st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=12))
NAME = st.text(string.ascii_letters + "_ éß", min_size=1, max_size=10).map(str.strip).filter(bool)


@st.composite
def tables(draw, min_columns=2):
    "A header of distinct names and 0-12 rows of awkward cells; some columns are typed (all numbers or all dates)."
    names = draw(st.lists(NAME, min_size=min_columns, max_size=5, unique_by=str.lower))
    n = draw(st.integers(0, 12))
    columns = []
    for _ in names:
        kind = draw(st.sampled_from(["mixed", "int", "float", "date"]))
        cell = {"mixed": CELL, "int": st.integers(-10**6, 10**6).map(str),
                "float": st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.3f}"),
                "date": st.dates().map(lambda d: d.isoformat())}[kind]
        columns.append(draw(st.lists(cell, min_size=n, max_size=n)))
    return names, [list(r) for r in zip(*columns)] if n else []


def _csv_text(names, rows, delimiter=","):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(names)
    writer.writerows(rows)
    return out.getvalue()


def _lepton_or_works(fn):
    "Run `fn`; a LeptonError is an answer (its message must say something), any other exception fails the test."
    try: out = fn()
    except LeptonError as e:
        assert e.problem.strip(), "a LeptonError with no problem stated"
        note(f"refused: {e.problem}")
        event(f"refused: {type(e).__name__}")
        return None
    event("worked")
    return out


@given(table=tables(), ragged=st.one_of(st.none(), st.integers(0, 20)))
def test_a_csv_is_read_whole_or_refused_naming_the_ragged_line(table, ragged):
    from lepton_nb.data import Source, Warehouse
    names, rows = table
    lines = _csv_text(names, rows).rstrip("\n").split("\n")  # not splitlines: \x1e or \u2028 end no CSV line
    if ragged is not None:  # one data line gets a field too many
        at = 1 + ragged % max(len(lines) - 1, 1)
        assume(at < len(lines))
        lines[at] += ",extra"
    with tempfile.TemporaryDirectory() as tmp, Warehouse() as wh:
        (Path(tmp) / "t.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        try: wh.add("t", Source(path="t.csv"), Path(tmp))
        except LeptonError as e:
            if ragged is not None and "\x00" not in "".join(lines):
                assert f"line {at + 1} has" in e.problem, e.problem
            elif not rows: assert "empty" in e.problem, e.problem
            note(e.problem)
            return
        assert ragged is None, f"line {at + 1} has an extra field, and the file was read without a word"
        assert wh.count("t") == len(rows), "rows were lost or made up"
        assert wh.columns("t") == names


@given(table=tables(), how=st.sampled_from(["repeated", "empty"]), at=st.integers(0, 4))
def test_a_header_with_repeated_or_empty_names_is_refused_naming_them(table, how, at):
    from lepton_nb.data import Source, Warehouse
    names, rows = table
    names, i = list(names), at % len(names)
    names[i] = names[(i + 1) % len(names)] if how == "repeated" else ""
    with tempfile.TemporaryDirectory() as tmp, Warehouse() as wh:
        (Path(tmp) / "t.csv").write_text(_csv_text(names, rows), encoding="utf-8")
        with pytest.raises(LeptonError) as refused:
            wh.add("t", Source(path="t.csv"), Path(tmp))
    expected = f"names {names[i]!r} more than once" if how == "repeated" else f"no name for column(s) {i + 1}"
    assert "the header" in refused.value.problem and expected in refused.value.problem, refused.value.problem


@given(table=tables(), kind=st.sampled_from(["parquet", "jsonl", "sqlite", "tsv"]))
def test_every_source_kind_reads_a_messy_table_or_names_the_file(table, kind):
    from lepton_nb.data import Source, Warehouse
    names, rows = table
    df = pd.DataFrame(rows, columns=names, dtype=object)
    with tempfile.TemporaryDirectory() as tmp, Warehouse() as wh:
        path = Path(tmp) / f"t.{'db' if kind == 'sqlite' else kind}"
        if kind == "parquet": df.astype("string").to_parquet(path)
        elif kind == "jsonl": df.to_json(path, orient="records", lines=True)
        elif kind == "tsv": path.write_text(_csv_text(names, rows, "\t"), encoding="utf-8")
        else:
            with sqlite3.connect(path) as con: df.astype("string").to_sql("t", con, index=False)
        source = Source(path=path.name, table="t") if kind == "sqlite" else Source(path=path.name)
        added = _lepton_or_works(lambda: wh.add("t", source, Path(tmp)))
        if added is None:
            return
        assert wh.count("t") == len(rows)


def _step(action, i, extra, names):
    "A cleaning step on column `i` of `names`; past the end, on a column that does not exist."
    from lepton_nb.data import CleaningStep
    column = names[i] if i < len(names) else "no_such_column"
    arg = {"coerce": {column: extra}, "normalize": [column], "missing": {column: extra}, "clip": {column: extra},
           "drop_duplicates": {"keys": [column]} if extra else "all"}[action]
    return CleaningStep(table="t", **{action: arg})


CLEANING = st.one_of(
    st.tuples(st.just("coerce"), st.integers(0, 5),
              st.sampled_from(["number", "date", "text", {"date": "%m/%d/%Y"}, {"date": "%d.%m.%Y"}])),
    st.tuples(st.just("normalize"), st.integers(0, 5), st.none()),
    st.tuples(st.just("missing"), st.integers(0, 5), st.sampled_from(["impute", "indicator", "drop"])),
    st.tuples(st.just("clip"), st.integers(0, 5), st.sampled_from([[0.0, 0.99], [0.01, 0.5]])),
    st.tuples(st.just("drop_duplicates"), st.integers(0, 5), st.booleans()),
)


@given(table=tables(), steps=st.lists(CLEANING, min_size=1, max_size=3))
def test_cleaning_steps_clean_or_name_the_step_and_column(table, steps):
    from lepton_nb.data import Source, Warehouse, clean
    names, rows = table
    assume(rows)
    steps = [_step(*s, names) for s in steps]
    with tempfile.TemporaryDirectory() as tmp, Warehouse() as wh:
        (Path(tmp) / "t.csv").write_text(_csv_text(names, rows), encoding="utf-8")
        if _lepton_or_works(lambda: wh.add("t", Source(path="t.csv"), Path(tmp))) is None:
            return
        log = _lepton_or_works(lambda: clean(wh, steps))
        if log is None:
            return
        assert len(log) == len(steps) and (log.values_changed >= 0).all()
        assert log.rows_after.iloc[-1] == wh.count("t")


def _frame(draw, n):
    "A frame with one column of each awkward kind a client's table holds."
    kinds = draw(st.lists(st.sampled_from(["number", "huge", "int", "mixed", "text", "bool", "date", "empty", "nan",
                                           "category"]), min_size=1, max_size=5))
    out = {}
    for i, kind in enumerate(kinds):
        if kind == "number": v = draw(st.lists(st.floats(-1e9, 1e9) | st.none(), min_size=n, max_size=n))
        elif kind == "huge": v = draw(st.lists(st.sampled_from([1e308, -1e308, 1e-308, 5e-324, 0.0]), min_size=n,
                                               max_size=n))
        elif kind == "int": v = draw(st.lists(st.integers(-2**62, 2**62), min_size=n, max_size=n))
        elif kind == "mixed": v = draw(st.lists(st.one_of(st.integers(-5, 5), st.sampled_from(AWKWARD), st.none()),
                                                min_size=n, max_size=n))
        elif kind == "text": v = draw(st.lists(st.sampled_from(AWKWARD) | st.text(max_size=6), min_size=n, max_size=n))
        elif kind == "bool": v = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        elif kind == "date": v = pd.to_datetime(draw(st.lists(st.dates() | st.none(), min_size=n, max_size=n)))
        elif kind == "category": v = pd.Categorical(draw(st.lists(st.sampled_from(["a", "b", None]), min_size=n,
                                                                  max_size=n)))
        elif kind == "nan": v = [np.nan] * n
        else: v = [""] * n
        out[f"{kind}_{i}"] = v if kind != "mixed" else pd.Series(v, dtype=object)
    return pd.DataFrame(out)


@st.composite
def frames(draw):
    return _frame(draw, draw(st.integers(0, 8)))


@given(X=frames())
def test_the_preprocessor_gives_finite_numbers_or_names_the_column(X):
    from lepton_nb.preprocess import Preprocessor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pre = Preprocessor()
        Z = _lepton_or_works(lambda: pre.fit_transform(X))
        if Z is None:
            return
        assert Z.shape[0] == len(X) and np.isfinite(Z).all(), "the Preprocessor gave non-finite numbers"
        np.testing.assert_array_equal(pre.transform(X), Z)


@given(text=st.text(max_size=200) | st.sampled_from(AWKWARD), negation=st.integers(0, 3),
       punct=st.booleans(), chars=st.sampled_from([None, (3, 5)]))
def test_the_tokenizer_takes_any_text(text, negation, punct, chars):
    from lepton_nb.text import tokenize
    tokens = tokenize(text, ngrams=2, chars=chars, punct=punct, negation=negation)
    assert all(isinstance(t, str) and t for t in tokens)
    assert tokens == tokenize(text, ngrams=2, chars=chars, punct=punct, negation=negation)


@st.composite
def panels(draw):
    n = draw(st.integers(0, 30))
    time = draw(st.sampled_from(["days", "months", "text", "mixed", "ints"]))
    if time == "days": t = list(pd.date_range("2024-01-01", periods=n, freq="D"))
    elif time == "months": t = [str(d.date()) for d in pd.date_range("2020-01-01", periods=n, freq="MS")]
    elif time == "ints": t = list(range(n))
    else: t = draw(st.lists(CELL if time == "text" else st.dates().map(str) | st.none(), min_size=n, max_size=n))
    y = draw(st.lists(st.floats(-1e6, 1e6) | st.sampled_from([np.nan, np.inf, None, "7", "x"]) | st.integers(0, 9),
                      min_size=n, max_size=n))
    series = draw(st.lists(st.sampled_from(["a", "b", None, 1]), min_size=n, max_size=n))
    return pd.DataFrame({"t": pd.Series(t, dtype=object), "y": pd.Series(y, dtype=object),
                         "s": pd.Series(series, dtype=object)})


@given(panel=panels(), with_series=st.booleans(), fill=st.sampled_from(["zero", "interpolate", "none"]))
def test_time_series_checks_take_any_panel_or_name_the_problem(panel, with_series, fill):
    from lepton_nb.forecast import prepare_series
    out = _lepton_or_works(lambda: prepare_series(panel, "t", "y", "s" if with_series else None, fill=fill))
    if out is None:
        return
    regular, report = out
    assert np.isfinite(regular["y"].to_numpy(float)).all() or fill == "none"


@st.composite
def events(draw):
    n = draw(st.integers(0, 20))
    ids = st.one_of(st.integers(-3, 3), st.sampled_from(["u", "v", "", "עברית", None]), st.floats(allow_nan=True))
    rating = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5),
                       st.sampled_from(["4", "five", "", None, True]))
    return pd.DataFrame({"user": pd.Series(draw(st.lists(ids, min_size=n, max_size=n)), dtype=object),
                         "item": pd.Series(draw(st.lists(ids, min_size=n, max_size=n)), dtype=object),
                         "rating": pd.Series(draw(st.lists(rating, min_size=n, max_size=n)), dtype=object)})


@given(df=events(), key=st.sampled_from(["rating", "weight"]), valued=st.booleans())
def test_interaction_tables_count_every_event_or_name_the_column(df, key, valued):
    from lepton_nb.recsys import interactions
    m = _lepton_or_works(lambda: interactions(df, "user", "item", "rating" if valued else None, key=key))
    if m is None:
        return
    assert np.isfinite(m.matrix.data).all()
    assert m.matrix.shape == (len(m.users), len(m.items))
    known = df.user.notna() & df.item.notna()
    assert set(m.users) <= set(df.user[known]) and set(m.items) <= set(df.item[known])


def _mutations():
    "A change to a config: a key set to an awkward value, a key removed, or an unknown key added."
    value = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                                   st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(AWKWARD),
                                   st.text(max_size=10)),
                         lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAME, inner, max_size=3),
                         max_leaves=6)
    return st.lists(st.tuples(st.sampled_from(["set", "drop", "add"]), st.integers(0, 40), value), min_size=1,
                    max_size=3)


def _paths(node, prefix=()):
    "Every key path of a nested mapping, parents before children."
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))


@pytest.mark.parametrize("client", sorted(p.name for p in CUSTOMERS.glob("*.yaml")))
@given(changes=_mutations())
def test_every_kind_config_loads_or_names_the_key(client, changes):
    from lepton_nb.solutions import load_config
    raw = yaml.safe_load((CUSTOMERS / client).read_text())
    for how, at, value in changes:
        paths = list(_paths(raw))
        path = paths[at % len(paths)]
        parent = raw
        for k in path[:-1]: parent = parent[k]
        if not isinstance(parent, dict): continue
        if how == "set": parent[path[-1]] = value
        elif how == "drop": parent.pop(path[-1], None)
        else: parent[f"unknown_{at}"] = value
    note(repr(raw))
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / client
        config.write_text(yaml.safe_dump(raw, allow_unicode=True))
        for source in (CUSTOMERS / client).parent.iterdir():  # the demo's data files, where its config names them
            if source.is_dir(): (Path(tmp) / source.name).symlink_to(source)
        _lepton_or_works(lambda: load_config(config))


YEARS = st.dates(pd.Timestamp("1900-01-01").date(), pd.Timestamp("2100-12-31").date())


@given(days=st.lists(YEARS, min_size=1, max_size=20), first=st.sampled_from(["day", "month"]),
       sep=st.sampled_from("/.-"))
def test_dates_are_read_as_written_or_refused_never_swapped(days, first, sep):
    from lepton_nb.data import read_dates
    fmt = f"%d{sep}%m{sep}%Y" if first == "day" else f"%m{sep}%d{sep}%Y"
    read = _lepton_or_works(lambda: read_dates(pd.Series([d.strftime(fmt) for d in days]), "d"))
    settled = any(d.day > 12 for d in days)
    same_both_ways = all(d.day == d.month for d in days)
    if read is None:
        assert not settled and not same_both_ways, "dates whose order the values settle were refused"
        return
    assert settled or same_both_ways, "dates that read both ways were read one way: a guess"
    pd.testing.assert_series_equal(read, pd.to_datetime(pd.Series(days)), check_names=False, check_dtype=False)
