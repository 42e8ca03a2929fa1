"""Importing backlog files: templates, duplicates, malformed files, formula injection."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from apps.backlog.columns import COLUMNS, column_for_header
from apps.backlog.importer import Importer, ImportReport
from apps.backlog.reader import UnreadableFile
from apps.backlog.store import DatabaseQueueStore, ItemStatus
from apps.backlog.templates import template_csv

from .conftest import TEMPLATES

HEADER_SV = "födelsedatum;kön;efternamn;förnamn;patientgrupp;utdelningsadress;postnummer;ort"
VALID = "2019-04-12;K;Exempelsson;Testa;asylsokande;Testgatan 1;803 20;Gävle"


XLSX_HEADER = [
    "Födelsedatum",
    "Kön",
    "Efternamn",
    "Förnamn",
    "Patientgrupp",
    "Utdelningsadress",
    "Postnummer",
    "Ort",
]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def import_text(importer: Importer, path: Path, text: str, encoding: str = "utf-8") -> ImportReport:
    """Write ``text`` to ``path`` in ``encoding`` and import that file."""
    return importer.import_file(write(path, text, encoding))


def workbook(*rows: list[object]) -> tuple[Workbook, Worksheet]:
    """A workbook whose active sheet holds ``rows``, and that sheet."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    return book, sheet


def _row(birth: object, given: str) -> list[object]:
    return [birth, "K", "Ek", given, "asylsokande", "Gatan 1", "80320", "Gävle"]


def test_shipped_templates_match_the_column_table_and_their_examples_are_refused(
    importer: Importer, store: DatabaseQueueStore
) -> None:
    csv_report = importer.import_file(TEMPLATES / "backlog_mall.csv")
    assert (csv_report.added, csv_report.rejected) == (0, 2)
    assert [(e.row, e.code) for e in csv_report.errors] == [
        (2, "template_example"),
        (3, "template_example"),
    ]
    assert "påhittat exempel ur mallen (MALL-0001)" in csv_report.errors[0].message_sv
    xlsx_report = importer.import_file(TEMPLATES / "backlog_mall.xlsx")
    assert (xlsx_report.added, xlsx_report.rejected) == (0, 2)
    counts = store.counts()
    assert counts[ItemStatus.PENDING] == 0 and counts[ItemStatus.REJECTED] == 2
    shipped = (TEMPLATES / "backlog_mall.csv").read_bytes().decode("utf-8-sig")
    assert shipped == template_csv(), "regenerate config/templates with write_templates()"
    docs = (TEMPLATES / "README.md").read_text("utf-8")
    for column in COLUMNS:
        assert f"`{column.sv}`" in docs and f"`{column.en}`" in docs


def test_importing_the_same_file_twice_adds_nothing_twice(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    f = write(
        tmp_path / "a.csv",
        f"{HEADER_SV}\n{VALID}\n"
        "2018-01-02;M;Ek;Per;papperslos;Gatan 2;811 30;Sandviken\n"
        "2017-03-04;K;Ek;Eva;Asylsökande;Gatan 3;80320;Gävle\n",
    )
    first = importer.import_file(f)
    second = importer.import_file(f)
    assert (first.added, first.duplicates) == (3, 0)
    assert (second.added, second.duplicates) == (0, 3)
    assert store.counts()[ItemStatus.PENDING] == 3
    item = store.items()[2]
    assert item.request is not None and item.request.group == "asylsokande"
    assert item.request.address.postal_code == "803 20"
    assert item.source == "a.csv:4"


def test_same_person_twice_is_queued_once_even_spelled_differently(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    report = import_text(
        importer,
        tmp_path / "b.csv",
        f"{HEADER_SV}\n{VALID}\n"
        "20190412;Kvinna;EXEMPELSSON; testa ;asylsokande;Annan gata 9;811 30;Sandviken\n",
    )
    assert (report.added, report.duplicates) == (1, 1)
    assert [r.outcome for r in report.rows] == ["added", "duplicate"]
    assert len(store.items()) == 1


def test_english_headers_and_comma_delimiter(importer: Importer, tmp_path: Path) -> None:
    report = import_text(
        importer,
        tmp_path / "en.csv",
        "Birth date,Sex,Family name,Given names,Group,Street,Postal code,City,Country,"
        "Reference\n1990-05-06,M,Provmann,Erik,ees_med_kort,Musterstraße 5,80331,München,"
        "Tyskland,EXT-9\n",
    )
    assert report.delimiter == "," and report.added == 1, report.as_dict()
    assert column_for_header(" Födelse-datum ") is None
    assert column_for_header("FODELSEDATUM") == "birth_date"


def test_malformed_file_reports_each_bad_row_and_still_imports_the_good_ones(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    rows = [
        "födelsedatum;kön;efternamn;förnamn;patientgrupp;utdelningsadress;postnummer;ort;"
        "referens;okänd kolumn",
        "2019-04-12;K;Åkesson;Märta;asylsokande;Testgatan 1;803 20;Gävle;R1;x",  # 2 valid
        "2019-02-30;K;Berg;Anna;asylsokande;Gatan 1;80320;Gävle;R2;",  # 3 bad date
        ";;;;;;;;;",  # 4 empty
        "",  # 5 empty
        '2018-01-01;M;=HYPERLINK("http://x");Per;asylsokande;Gatan 2;80320;Gävle;R3;',
        "2018-01-02;M;Ek;Per;asylsokande;Gatan 2;80320",  # 7 short row
        "2017-01-03;Q;Lind;Ola;månen;@SUM(1);123;Gävle;R5;",  # 8 many (X: a valid, unknown sex)
        "2016-06-07;K;Nyström;Åsa;papperslos;Storgatan 5;826 30;Söderhamn;R6;",  # 9 valid
    ]
    report = import_text(importer, tmp_path / "trasig.csv", "\r\n".join(rows) + "\r\n", "cp1252")
    assert report.encoding == "cp1252"
    assert any("Windows-1252" in w for w in report.warnings)
    assert any("okänd kolumn" in w for w in report.warnings)
    assert report.empty_rows == [4, 5]
    assert report.added == 2 and report.rejected == 4
    errors = {(e.row, e.column, e.code) for e in report.errors}
    assert (3, "födelsedatum", "birth_date_invalid") in errors
    assert (6, "efternamn", "formula_refused") in errors
    assert (7, "ort", "field_required") in errors
    assert {
        (8, "kön", "sex_invalid"),
        (8, "patientgrupp", "group_unknown"),
        (8, "utdelningsadress", "formula_refused"),
    } <= errors
    assert all(e.message_sv and str(e).startswith(f"Rad {e.row}, kolumn ") for e in report.errors)
    # Nothing silently lost: every data row is either queued or stored as rejected.
    counts = store.counts()
    assert counts[ItemStatus.PENDING] == 2 and counts[ItemStatus.REJECTED] == 4
    # Umlauts survived the cp1252 decoding.
    names = {i.request.family_name for i in store.items(status=ItemStatus.PENDING) if i.request}
    assert names == {"Åkesson", "Nyström"}


def test_rejected_rows_keep_no_names_only_reasons(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    import_text(
        importer,
        tmp_path / "c.csv",
        f"{HEADER_SV};referens\n"
        "2019-02-30;K;Hemligsson;Hemlig;asylsokande;Lönngatan 1;803 20;Gävle;\n",
    )
    [item] = store.items(status=ItemStatus.REJECTED)
    stored = repr(item)
    assert item.request is None
    assert "Hemlig" not in stored and "Lönngatan" not in stored
    assert item.ref.startswith("ogiltig-")
    assert item.rejection is not None and item.rejection.row == 2
    assert "födelsedatum" in (item.reason_sv or "")


def test_a_corrected_row_replaces_its_rejected_entry(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    header = f"{HEADER_SV};referens\n"
    import_text(
        importer,
        tmp_path / "d.csv",
        header + "2019-13-01;K;Ek;Eva;asylsokande;G 1;803 20;Gävle;M-1\n",
    )
    report = import_text(
        importer,
        tmp_path / "d2.csv",
        header + "2019-12-01;K;Ek;Eva;asylsokande;G 1;803 20;Gävle;M-1\n",
    )
    assert report.added == 1
    [item] = store.items()
    assert item.ref == "M-1" and item.status == ItemStatus.PENDING


def test_xlsx_dates_and_numbers_are_read_and_formulas_refused_never_evaluated(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    book, _ = workbook(
        [*XLSX_HEADER, "Skyddad"],
        [
            dt.datetime(2015, 8, 9),
            "M",
            "Lind",
            "Ola",
            "asylsokande",
            "Gatan 1",
            80320,
            "Gävle",
            True,
        ],
        # An empty row between rows (a trailing row without cells is not kept by openpyxl).
        [None] * 9,
        [dt.date(2014, 1, 2), "K", "Lind", "Eva", "asylsokande", "Gatan 1", "80320", "=1+1", None],
    )
    path = tmp_path / "x.xlsx"
    book.save(path)
    report = importer.import_file(path)
    assert report.kind == "xlsx" and report.added == 1 and report.rejected == 1
    assert report.empty_rows == [3]
    [error] = report.errors
    assert (error.row, error.column, error.code) == (4, "Ort", "formula_refused")
    [item] = store.items(status=ItemStatus.PENDING)
    assert item.request is not None
    assert item.request.birth_date.isoformat() == "2015-08-09" and item.request.protected is True
    assert item.request.address.postal_code == "803 20"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.csv", b"f\xf6delsedatum;k\xf6n\n\x81\x8d\x90;\x9d\n", "teckenkodning"),
        ("bin.csv", b"\x00\x01\x02binary", "inte en textfil"),
        ("empty.csv", b"\n\n", "tom"),
        ("noheader.csv", b"a;b;c\n1;2;3\n", "rubrikrad"),
        ("old.xls", b"whatever", ".xls"),
        ("fake.xlsx", b"not a zip", "Excel-filen"),
    ],
)
def test_unreadable_files_are_refused_with_a_clear_swedish_message(
    importer: Importer, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    with pytest.raises(UnreadableFile) as caught:
        importer.import_file(write_bytes(tmp_path / name, content))
    assert message in caught.value.message


def write_bytes(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def test_missing_required_column_rejects_rows_with_that_column_named(
    importer: Importer, tmp_path: Path
) -> None:
    report = import_text(
        importer,
        tmp_path / "m.csv",
        "födelsedatum;kön;efternamn;förnamn;patientgrupp;"
        "utdelningsadress;ort\n2019-04-12;K;Ek;Eva;asylsokande;Gatan 1;Gävle\n",
    )
    assert any("postnummer" in w and "saknas" in w for w in report.warnings)
    assert report.rejected == 1
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (2, "postnummer", "field_required")
    ]


def test_short_compact_birth_dates_are_rejected_not_misread(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    # Read as 1990-11-05 and 1990-01-01 before: both were queued for registration.
    report = import_text(
        importer,
        tmp_path / "kort.csv",
        f"{HEADER_SV}\n"
        "1990115;K;Ek;Eva;asylsokande;Gatan 1;803 20;Gävle\n"
        "199011;M;Ek;Per;asylsokande;Gatan 1;803 20;Gävle\n"
        "19900115;M;Lind;Ola;asylsokande;Gatan 1;803 20;Gävle\n",
    )
    assert report.added == 1 and report.rejected == 2
    assert {(e.row, e.column, e.code) for e in report.errors} == {
        (2, "födelsedatum", "birth_date_invalid"),
        (3, "födelsedatum", "birth_date_invalid"),
    }
    assert all("ÅÅÅÅ-MM-DD" in e.message_sv for e in report.errors)
    [item] = store.items(status=ItemStatus.PENDING)
    assert item.request is not None and item.request.birth_date.isoformat() == "1990-01-15"


def test_xlsx_birth_date_as_a_short_number_is_rejected(importer: Importer, tmp_path: Path) -> None:
    book, _ = workbook(
        XLSX_HEADER,
        [1990115, "K", "Ek", "Eva", "asylsokande", "Gatan 1", "80320", "Gävle"],
        [dt.datetime(1990, 1, 15), "M", "Ek", "Per", "asylsokande", "Gatan 1", "80320", "Gävle"],
    )
    path = tmp_path / "kort.xlsx"
    book.save(path)
    report = importer.import_file(path)
    assert (report.added, report.rejected) == (1, 1)
    assert [(e.row, e.code) for e in report.errors] == [(2, "birth_date_invalid")]


def test_import_prints_headers_values_and_file_names_as_plain_text(tmp_path: Path) -> None:
    # Rich read "[/]" in a header as markup and crashed after the rows were stored.
    from typer.testing import CliRunner

    from apps.cli.main import app

    env = {
        "RESERVROBOT_DATA_DIR": str(tmp_path / "data"),
        "RESERVROBOT_PSEUDONYM_KEY": "cli-test-key",
        "COLUMNS": "200",
    }
    f = write(
        tmp_path / "[bold]lista [red].csv",
        f"{HEADER_SV};anteckning [/];[bold]fet\n"
        f"{VALID};a [/] b;[bold]c\n"
        "2019-02-30;K;Ek;Eva;asylsokande;Gatan [/] 1;803 20;Gävle;[/];[red]\n",
    )
    cli = CliRunner()
    result = cli.invoke(app, ["backlog", "import", str(f)], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 2, result.output
    assert 'Okänd kolumn "anteckning [/]"' in result.output
    assert 'Okänd kolumn "[bold]fet"' in result.output
    assert "[bold]lista [red].csv (csv" in result.output
    shown = cli.invoke(app, ["backlog", "show", "1"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "källa [bold]lista [red].csv:2" in shown.output


def test_xlsx_reads_the_active_sheet_not_a_hidden_first_one(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    book, old = workbook(XLSX_HEADER, _row("2001-01-01", "Gammal"))
    old.title = "Gammal"
    old.sheet_state = "hidden"
    current = book.create_sheet("Aktuell")
    current.append(XLSX_HEADER)
    current.append(_row("2002-02-02", "Aktuell"))
    book.active = current
    path = tmp_path / "blad.xlsx"
    book.save(path)
    report = importer.import_file(path)
    assert (report.added, report.rejected) == (1, 0)
    [item] = store.items()
    assert item.request is not None and item.request.given_names == "Aktuell"
    assert any('Dolda blad lästes inte: "Gammal"' in w for w in report.warnings)


def test_xlsx_with_rows_on_two_visible_sheets_is_refused_naming_them(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    book, first = workbook(XLSX_HEADER, _row("2001-01-01", "Ett"))
    first.title = "Vecka 1"
    second = book.create_sheet("Vecka 2")
    second.append(XLSX_HEADER)
    second.append(_row("2002-02-02", "Två"))
    path = tmp_path / "tva.xlsx"
    book.save(path)
    with pytest.raises(UnreadableFile) as caught:
        importer.import_file(path)
    assert '"Vecka 1", "Vecka 2"' in caught.value.message
    assert store.items() == []


def test_xlsx_hidden_and_filtered_out_rows_are_rejected_with_a_reason(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    book, sheet = workbook(
        XLSX_HEADER,
        _row("2001-01-01", "Synlig"),  # row 2
        _row("2002-02-02", "Dold"),  # row 3, hidden by hand
        _row("2003-03-03", "Filtrerad"),  # row 4, filtered out
    )
    sheet.row_dimensions[3].hidden = True
    sheet.auto_filter.ref = "A1:H4"
    sheet.auto_filter.add_filter_column(3, ["Synlig", "Dold"])
    sheet.row_dimensions[4].hidden = True  # what Excel writes for a row its filter hides
    path = tmp_path / "dolda.xlsx"
    book.save(path)
    report = importer.import_file(path)
    assert (report.added, report.rejected) == (1, 2)
    assert [(e.row, e.code) for e in report.errors] == [(3, "row_hidden"), (4, "row_hidden")]
    assert all("dold eller bortfiltrerad" in e.message_sv for e in report.errors)
    [queued] = store.items(status=ItemStatus.PENDING)
    assert queued.request is not None and queued.request.given_names == "Synlig"


def test_values_pmo_would_refuse_are_rejected_at_import(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    report = import_text(
        importer,
        tmp_path / "regler.csv",
        f"{HEADER_SV}\n"
        "2019-04-12;K;Ek;Eva;asylsokande;Gatan 1 & 3;803 20;Gävle\n"
        "2019-04-13;K;Ek;Aq\u0303a;asylsokande;Gatan 1;803 20;Gävle\n",
    )
    assert (report.added, report.rejected) == (0, 2)
    assert {(e.row, e.column, e.code) for e in report.errors} == {
        (2, "utdelningsadress", "field_chars_refused"),
        (3, "förnamn", "field_mark_uncomposed"),
    }
    assert store.counts()[ItemStatus.PENDING] == 0


def test_a_protected_identity_is_imported_without_an_address(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    report = import_text(
        importer,
        tmp_path / "skyddad.csv",
        "födelsedatum;kön;efternamn;förnamn;patientgrupp;utdelningsadress;postnummer;ort;skyddad\n"
        "2016-05-06;K;Lind;Eva;asylsokande;;;;ja\n"
        "2016-05-07;K;Lind;Ida;asylsokande;;;;nej\n",
    )
    assert (report.added, report.rejected) == (1, 1)
    # The unprotected row still needs its address, column by column.
    assert {(e.row, e.code) for e in report.errors} == {(3, "field_required")}
    [item] = store.items(status=ItemStatus.PENDING)
    assert item.request is not None and item.request.protected and item.request.address is None


def test_same_person_with_and_without_referens_is_queued_once(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    """Issue 24, point 12: one row with a referens, the same person again in capitals, with
    other spacing, another house letter and no referens: one item and a duplicate report."""
    report = import_text(
        importer,
        tmp_path / "c.csv",
        f"{HEADER_SV};referens\n"
        "2019-04-12;K;Provsson;Anna Maria;asylsokande;Storgatan 4 A;803 20;Gävle;ARENDE-7\n"
        "2019-04-12;K;PROVSSON;anna  maria;asylsokande;Storgatan 4 B;803 20;Gävle;\n"
        "2019-04-12;K;provsson;Anna Maria ;asylsokande;storgatan 4a;80320;Gävle;ARENDE-8\n",
    )
    assert (report.added, report.duplicates) == (1, 2), report.as_dict()
    assert [r.outcome for r in report.rows] == ["added", "duplicate", "duplicate"]
    assert len({r.item_id for r in report.rows}) == 1
    assert len(store.items()) == 1
    # A different person on the same date is still queued.
    other = import_text(
        importer,
        tmp_path / "d.csv",
        f"{HEADER_SV}\n2019-04-12;K;Provsson;Lisa;asylsokande;Storgatan 4 A;803 20;Gävle\n",
    )
    assert other.added == 1
