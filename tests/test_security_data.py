"""Issue 17 on the data side: config SQL, source paths, personal data, memory and time limits (small tables only)."""
import sqlite3
import threading
import time

import numpy as np
import pandas as pd
import pytest

from lepton_nb.core import DataError
from lepton_nb.data import CleaningStep, Source, Warehouse, clean, detect_pii, integrate, literal, resolve_source
from lepton_nb.datasets import load_breast_cancer, load_credit_data, load_wa_churn


@pytest.fixture
def client(tmp_path):
    "A client's folder with one small CSV, and a folder beside it that the client must not reach."
    folder, outside = tmp_path / "acme", tmp_path / "elsewhere"
    folder.mkdir(), outside.mkdir()
    (folder / "loans.csv").write_text("id,amount,home\n1,100,rent\n2,250,own\n3,75,rent\n")
    (outside / "secret.csv").write_text("secret\ntop-secret-value\n")
    return folder, outside


@pytest.fixture
def wh(client):
    with Warehouse() as w:
        w.add("loans", Source(path="loans.csv"), client[0])
        yield w


def test_filter_cannot_smuggle_a_second_statement(wh, tmp_path):
    "The filter that wrote a file through `COPY ... TO` is refused before anything runs."
    target = tmp_path / "x.csv"
    attack = f"1=1), false); COPY (select 'x') TO {literal(target)}; select coalesce((1"
    with pytest.raises(DataError, match="cleaning step 1 .filter on 'loans'.: filter"):
        clean(wh, [CleaningStep(table="loans", filter=attack)])
    assert not target.exists() and wh.count("loans") == 3


@pytest.mark.parametrize("evil", ["(select count(*) from read_csv({secret})) > 0", "getenv('HOME') is not null",
                                  "amount > (select count(*) from read_text({secret}))"])
def test_filter_reads_no_file_once_locked(wh, client, evil):
    with pytest.raises(DataError, match="cleaning step 1"):
        clean(wh, [CleaningStep(table="loans", filter=evil.format(secret=literal(client[1] / "secret.csv")))])
    assert wh.locked and wh.count("loans") == 3


def test_query_is_one_select_and_cannot_unlock(wh, client):
    secret = literal(client[1] / "secret.csv")
    for query, message in [(f"select * from read_text({secret})", "disabled by configuration"),
                           ("set enable_external_access = true", "exactly one SELECT"),
                           (f"select 1; copy loans to {secret}", "exactly one SELECT"),
                           ("select * from query('set enable_external_access = true')", "the query failed")]:
        with pytest.raises(DataError, match=message): integrate(wh, query)
    assert wh.locked and "top-secret" in (client[1] / "secret.csv").read_text()
    with pytest.raises(Exception, match="configuration has been locked"):
        wh.con.execute("SET enable_external_access = true")


def test_clean_and_integrate_lock_the_warehouse(client):
    for run in (lambda w: clean(w, []), lambda w: integrate(w, "select * from loans")):
        with Warehouse() as w:
            w.add("loans", Source(path="loans.csv"), client[0])
            assert not w.locked
            run(w)
            assert w.locked
            with pytest.raises(DataError, match="the warehouse is locked"):
                w.add("again", Source(path="loans.csv"), client[0])


def test_database_sources_read_no_files(client):
    import duckdb
    folder, outside = client
    with duckdb.connect(str(folder / "evil.duckdb")) as db:
        db.execute(f"create view people as select * from read_csv({literal(outside / 'secret.csv')})")
        db.execute("create table fine as select 1 as id")
    db = sqlite3.connect(folder / "evil.db")
    db.execute("create view people as select readfile('/etc/passwd') as x")
    db.close()
    with Warehouse() as w:
        with pytest.raises(DataError, match="disabled by configuration"):
            w.add("p", Source(path="evil.duckdb", table="people"), folder)
        with pytest.raises(DataError, match="no such function: readfile"):
            w.add("q", Source(path="evil.db", table="people"), folder)
        assert w.add("fine", Source(path="evil.duckdb", table="fine"), folder)["rows"] == 1


def test_sources_stay_in_the_clients_folder(client, monkeypatch):
    folder, outside = client
    (folder / "sub").mkdir()
    (folder / "sub" / "ok.csv").write_text("a\n1\n")
    (folder / "out.csv").symlink_to(outside / "secret.csv")
    (folder / "outdir").symlink_to(outside, target_is_directory=True)
    (folder / "in.csv").symlink_to(folder / "sub" / "ok.csv")
    monkeypatch.delenv("LEPTON_NB_DATA_ROOTS", raising=False)
    for path in ["../../../../etc/passwd", "/etc/passwd", "out.csv", "outdir/secret.csv", str(folder / "loans.csv")]:
        with pytest.raises(DataError, match="--data-root DIR"): resolve_source(folder, path)
    assert resolve_source(folder, "sub/ok.csv") == (folder / "sub" / "ok.csv").resolve()
    assert resolve_source(folder, "in.csv") == (folder / "sub" / "ok.csv").resolve()
    assert resolve_source(folder, str(outside / "secret.csv"), roots=[outside]) == (outside / "secret.csv").resolve()
    monkeypatch.setenv("LEPTON_NB_DATA_ROOTS", str(outside))
    assert resolve_source(folder, "outdir/secret.csv") == (outside / "secret.csv").resolve()
    monkeypatch.delenv("LEPTON_NB_DATA_ROOTS")
    with Warehouse() as w, pytest.raises(DataError, match="leads outside the client's folder"):
        w.add("x", Source(path="out.csv"), folder)


def planted_credit() -> pd.DataFrame:
    "The credit data's first 300 rows with the three personal columns the old detection missed."
    df = load_credit_data().head(300).copy()
    first = ["Maria", "James", "Aiko", "Omar", "Chloe", "Pedro", "Nina", "Liam", "Sofia", "Ravi", "Emma", "Yusuf"]
    last = ["Lopez", "Smith", "Tanaka", "Haddad", "Martin", "Silva", "Novak", "O'Brien", "Rossi", "Patel", "Kim"]
    rng = np.random.default_rng(0)
    df["owner"] = [f"{rng.choice(first)} {rng.choice(last)}" for _ in range(len(df))]
    df["contact"] = [f"client{i}@example.com" if i % 20 < 9 else f"C{i:04d}" for i in range(len(df))]  # 45% e-mails
    df["memo"] = [f"Spoke to the client, call back on +1 415 555 {i:04d} next week." if i % 25 == 0
                  else "Documents received and checked, nothing to add." for i in range(len(df))]
    return df


def test_detect_pii_finds_the_planted_columns_and_nothing_else():
    df = planted_credit()
    assert df.contact.str.contains("@").mean() == pytest.approx(0.45)
    found = detect_pii(df)
    assert found == {"owner": "values look like person names", "contact": "values contain e-mail addresses",
                     "memo": "values contain phone numbers"}


@pytest.mark.parametrize("load", [load_credit_data, load_wa_churn, load_breast_cancer])
def test_detect_pii_leaves_the_demo_data_alone(load):
    assert detect_pii(load()) == {}


def test_normalize_refuses_numeric_columns(wh):
    with pytest.raises(DataError, match="normalize is for text categories; column 'amount' is numeric"):
        clean(wh, [CleaningStep(table="loans", normalize=["amount"])])


def test_cross_join_is_refused_before_pandas(monkeypatch):
    with Warehouse() as w:
        w.add_frame("a", pd.DataFrame({"k": np.arange(2000)}))
        w.add_frame("b", pd.DataFrame({"j": np.arange(2000)}))
        with pytest.raises(DataError, match=r"more than 500,000 rows × 2 columns.*\n.*cross join"):
            integrate(w, "select * from a, b", max_cells=1_000_000)
        monkeypatch.setenv("LEPTON_NB_MAX_CELLS", "3999")
        with pytest.raises(DataError, match="over the limit of 3,999 cells"):
            integrate(w, "select * from a join b on k = j")
        monkeypatch.setenv("LEPTON_NB_MAX_CELLS", "4000")
        assert len(integrate(w, "select * from a join b on k = j")) == 2000
        assert w.tables == ["a", "b"]


@pytest.mark.parametrize("stage", ["clean", "integrate"])
def test_interrupt_from_a_thread_stops_a_long_query(stage):
    w = Warehouse()
    w.add_frame("t", pd.DataFrame({"x": [1, 2, 3]}))
    long = "(select count(*) from range(100000000000)) > 0"
    run = {"clean": lambda: clean(w, [CleaningStep(table="t", filter=long)]),
           "integrate": lambda: integrate(w, f"select {long} as slow")}[stage]
    timer = threading.Timer(0.5, w.con.interrupt)
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(DataError, match="interrupted"): run()
    finally: timer.cancel()
    assert time.monotonic() - start < 3
    assert w.count("t") == 3
    w.close()
