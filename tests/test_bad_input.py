"""Whatever a caller passes to a public method of a workflow, the answer is a typed error of
cohandle, never a raw ``TypeError``, ``KeyError`` or ``AttributeError``."""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path
from typing import Any

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cohandle
from cohandle import Status
from cohandle.stores import EventStore, MemoryStore, SQLiteStore, verify
from helpers import A_CO1, A_COMMITTEE, A_LEAD, A_PROPOSER, bring_to, data, workflow

BAD_VALUES: list[Any] = [None, 1, 1.5, ["x"], {"a": 1}, b"x", "", "  ", object(), True, float("nan")]
# called with its first argument given by position; the others by name
POSITIONAL = {"proposal_id", "proposal", "letter", "path"}
NOT_COMMANDS = {"open"}  # a constructor


def _methods() -> list[str]:
    return sorted(
        name
        for name, member in inspect.getmembers(cohandle.Workflow, inspect.isfunction)
        if not name.startswith("_") and name not in NOT_COMMANDS
    )


def _calls(
    wf: cohandle.Workflow, pid: str, name: str, actor: cohandle.Actor
) -> list[tuple[str, Any, list[Any], dict[str, Any]]]:
    """Every call of ``name`` with one parameter given a wrong value and the rest plausible."""
    parameters = [
        p
        for p in inspect.signature(getattr(wf, name)).parameters.values()
        if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]
    calls = []
    for wrong in parameters:
        for bad in BAD_VALUES:
            args: list[Any] = []
            kwargs: dict[str, Any] = {}
            for p in parameters:
                if p is wrong:
                    value = bad
                elif p.name == "proposal_id":
                    value = pid
                elif p.name == "actor":
                    value = actor
                elif p.default is not inspect.Parameter.empty:
                    continue
                else:
                    value = "x"
                if p.name in POSITIONAL and p.kind is p.POSITIONAL_OR_KEYWORD:
                    args.append(value)
                else:
                    kwargs[p.name] = value
            calls.append((wrong.name, bad, args, kwargs))
    return calls


@pytest.mark.parametrize("name", _methods())
def test_a_wrong_argument_is_a_typed_error(name: str) -> None:
    # as each role in turn, so that the permission check does not stop every call before its
    # arguments are read
    for actor in (A_COMMITTEE, A_LEAD, A_CO1, A_PROPOSER):
        wf = workflow()
        pid = bring_to(wf, Status.ASSIGNED)
        for parameter, bad, args, kwargs in _calls(wf, pid, name, actor):
            try:
                getattr(wf, name)(*args, **kwargs)
            except cohandle.CohandleError:
                pass
            except Exception as exc:
                pytest.fail(f"{name}({parameter}={bad!r}) by {actor} raised {exc!r}, not a CohandleError")


def test_the_cases_found_are_named() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.RECEIVED)
    with pytest.raises(cohandle.InvalidInput, match="proposal_id must be text"):
        wf.get(["x"])  # type: ignore[arg-type]
    with pytest.raises(cohandle.InvalidInput, match="proposal_id must be text"):
        wf.file(["x"], actor=A_COMMITTEE)  # type: ignore[arg-type]
    with pytest.raises(cohandle.InvalidInput, match="co_handlers must be a list"):
        wf.assign(pid, lead=cohandle.Unit(name="省科技厅"), co_handlers=1, actor=A_COMMITTEE)  # type: ignore[arg-type]
    with pytest.raises(cohandle.InvalidInput, match="version must be a whole number"):
        wf.state_at(pid, None)  # type: ignore[arg-type]
    with pytest.raises(cohandle.InvalidInput, match="signed_by must be a list"):
        wf.withdraw(pid, signed_by=None, reason="x", actor=A_PROPOSER)  # type: ignore[arg-type]
    with pytest.raises(cohandle.InvalidInput, match="progress must be a function"):
        verify(MemoryStore(), 5)  # type: ignore[arg-type]


UNIT = cohandle.Unit(name="省科技厅")
SESSION = cohandle.Session(
    body=cohandle.Body.CPPCC, level=cohandle.Level.PROVINCE, region="湖北省", term=13, meeting=1
)
SECTIONS = [cohandle.Section(text="现答复如下。")]
# one well-formed set of arguments for every public value object
SAMPLES: dict[type[Any], dict[str, Any]] = {
    cohandle.Unit: {"name": "省科技厅"},
    cohandle.Contact: {"name": "程浩", "phone": "027-86759052"},
    cohandle.Proposer: {"name": "李明"},
    cohandle.Actor: {"name": "王芳", "unit": UNIT},
    cohandle.Section: {"heading": "一、", "text": "认真办理。"},
    cohandle.Session: {
        "body": cohandle.Body.CPPCC,
        "level": cohandle.Level.PROVINCE,
        "region": "湖北省",
        "term": 13,
        "meeting": 1,
    },
    cohandle.ProposalData: {
        "number": "1",
        "title": "关于促进基础研发的建议",
        "session": SESSION,
        "proposers": [cohandle.Proposer(name="李明")],
    },
    cohandle.CategoryScheme: {"name": "AB", "categories": [("A", "已解决"), ("B", "正在解决")]},
    cohandle.Opinion: {
        "author": cohandle.Unit(name="湖北省知识产权局"),
        "addressee": UNIT,
        "date": "2023-04-10",
        "sections": SECTIONS,
        "postal_code": "430071",
    },
    cohandle.Reply: {"author": UNIT, "category": "B", "date": "2023-05-10", "sections": SECTIONS},
    cohandle.Feedback: {"satisfaction": cohandle.Satisfaction.SATISFIED},
}


@pytest.mark.parametrize("cls", list(SAMPLES), ids=lambda cls: cls.__name__)
def test_a_value_object_refuses_a_wrong_field_with_a_typed_error(cls: type[Any]) -> None:
    import attrs

    cls(**SAMPLES[cls])  # the sample itself is well formed
    for field in attrs.fields(cls):
        for bad in BAD_VALUES:
            try:
                cls(**{**SAMPLES[cls], field.alias: bad})
            except cohandle.CohandleError:
                pass
            except Exception as exc:
                pytest.fail(f"{cls.__name__}({field.alias}={bad!r}) raised {exc!r}, not a CohandleError")


def test_a_wrong_field_is_named_with_what_it_must_be() -> None:
    with pytest.raises(cohandle.InvalidInput) as found:
        cohandle.Opinion(**{**SAMPLES[cohandle.Opinion], "sections": ["认真办理。"]})
    assert str(found.value) == (
        "Opinion.sections must be a list of Section objects (got '认真办理。', a str, among them)."
    )
    with pytest.raises(
        cohandle.InvalidInput, match=r"Opinion.author must be a Unit \(got '省科技厅', a str\)"
    ):
        cohandle.Opinion(**{**SAMPLES[cohandle.Opinion], "author": "省科技厅"})
    with pytest.raises(cohandle.InvalidInput, match=r"Contact.phone must be text or None \(got 27, an int\)"):
        cohandle.Contact(name="程浩", phone=27)
    with pytest.raises(cohandle.InvalidInput, match=r"Session.body must be a Body \(got 'cppcc', a str\)"):
        cohandle.Session(**{**SAMPLES[cohandle.Session], "body": "cppcc"})
    with pytest.raises(
        cohandle.InvalidInput, match=r"Reply.copies must be a list or tuple \(got 1, an int\)"
    ):
        cohandle.Reply(**{**SAMPLES[cohandle.Reply], "copies": 1})
    scheme = cohandle.CategoryScheme(name="AB", categories=[["A", "已解决"], ["B", "正在解决"]])
    assert scheme.categories == (("A", "已解决"), ("B", "正在解决"))  # lists of lists read as pairs


def test_full_width_digits_and_signs_are_kept_as_ascii() -> None:
    """A Chinese input method types ０２７－８６７５９０５２ as readily as 027-86759052: both are
    the same number, stored one way."""
    assert cohandle.Contact(name="程浩", phone="０２７－８６７５９０５２").phone == "027-86759052"
    assert cohandle.Contact(name="程浩", phone="（０２７）８６７５９０５２").phone == "(027)86759052"
    assert cohandle.Proposer(name="李明", phone="１３９００００１２３４").phone == "13900001234"
    opinion = cohandle.Opinion(**{**SAMPLES[cohandle.Opinion], "postal_code": "４３００７１"})
    assert opinion.postal_code == "430071"
    number = cohandle.ProposalData(**{**SAMPLES[cohandle.ProposalData], "number": "２０２３０５１９"}).number
    assert number == "20230519"


def test_a_unit_is_one_unit_however_its_name_is_typed_or_copied() -> None:
    """省人民政府(办公厅), its brackets typed half width, was another unit than
    省人民政府（办公厅）: an official of the one was refused as an outsider to an item led by the
    other; a name copied from a page with a zero-width space in it, or padded, likewise."""
    same = [
        "省人民政府（办公厅）",
        "省人民政府(办公厅)",
        "省人民政府 (办公厅)",
        " 省人民政府（办公厅）\u200b",
        "\ufeff省人民政府\u3000（办公厅）",
    ]
    assert {cohandle.Unit(name=name).name for name in same} == {"省人民政府（办公厅）"}
    assert cohandle.Unit(name="湖北省 知识产权局") == cohandle.Unit(name="湖北省知识产权局")
    assert cohandle.Unit(name="ＸＸ市第１中学").name == "XX市第1中学"
    assert cohandle.Unit(name="IBM  China (Beijing)").name == "IBM China (Beijing)"  # no Chinese: as typed
    assert cohandle.Contact(name="程\u200b浩").name == "程浩"
    with pytest.raises(cohandle.InvalidInput, match=r"Unit\.name must not be empty"):
        cohandle.Unit(name="\u200b")
    wf = cohandle.Workflow()
    committee = cohandle.Actor(name="王芳", unit=cohandle.Unit(name="省政协提案委员会"))
    data = cohandle.ProposalData(**SAMPLES[cohandle.ProposalData])
    pid = wf.receive(data, actor=committee).id
    wf.assign(pid, lead=cohandle.Unit(name="省人民政府（办公厅）"), actor=committee)
    officer = cohandle.Actor(name="张伟", unit=cohandle.Unit(name="省人民政府(办公厅)"))
    today = wf.clock.now().in_timezone("Asia/Shanghai").date()
    reply = cohandle.Reply(**{**SAMPLES[cohandle.Reply], "author": officer.unit, "date": today})
    assert wf.answer(pid, reply=reply, actor=officer).status is cohandle.Status.ANSWERED


_NAME_PARTS = st.sampled_from(list("省科技厅湖北办公室() （）〔〕ＡＢ１2ab·、\u3000\u200b\ufeff\t\n"))


@given(st.text(_NAME_PARTS, min_size=1, max_size=20) | st.text(min_size=1, max_size=20))
@settings(max_examples=500, deadline=None)
def test_a_units_name_kept_is_kept_as_it_is(written: str) -> None:
    """The form a name is kept in is its own form: read again (from the log, say), it is the
    same name, and the same unit."""
    try:
        kept = cohandle.Unit(name=written).name
    except cohandle.InvalidInput:  # nothing but blanks
        assert not written.translate(dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))).strip()
        return
    assert cohandle.Unit(name=kept).name == kept


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("A", "A"),
        ("A类", "A"),
        ("a", "A"),
        ("Ａ", "A"),
        ("Ｂ类", "B"),
        ("c 类", "C"),
        (" B ", "B"),
        ("乙类", "乙"),
    ],
)
def test_a_category_written_as_officials_write_it_is_kept_as_its_code(written: str, code: str) -> None:
    # an OA system's form says A类; it was refused as "must be one of A/B/C (got 'A类')"
    reply = cohandle.Reply(**{**SAMPLES[cohandle.Reply], "category": written})
    assert reply.category == code
    opinion = cohandle.Opinion(**{**SAMPLES[cohandle.Opinion], "suggested_category": written})
    assert opinion.suggested_category == code


def test_a_category_not_written_as_a_letter_is_kept_for_the_scheme_to_judge() -> None:
    for kept in ("一类", "AB", "A级", "1"):  # a local scheme's codes, or a slip the scheme refuses
        assert cohandle.Reply(**{**SAMPLES[cohandle.Reply], "category": kept}).category == kept


def test_a_phone_number_is_the_whole_text() -> None:
    # the line break at the end, which the check let through, is dropped; one inside is refused
    assert cohandle.Contact(name="程浩", phone="027-86759052\n").phone == "027-86759052"
    with pytest.raises(cohandle.InvalidInput, match=r"Contact\.phone must be a phone number"):
        cohandle.Contact(name="程浩", phone="027-86759052\n\n")
    with pytest.raises(cohandle.InvalidInput, match=r"Contact\.phone must be a phone number"):
        cohandle.Contact(name="程浩", phone="027\n86759052")


def test_a_postal_code_is_six_digits_of_one_script_in_ascii() -> None:
    # digits of any script were taken before: a log of then still reads, as ASCII
    opinion = cohandle.Opinion(**{**SAMPLES[cohandle.Opinion], "postal_code": "٤٣٠٠٧١"})
    assert opinion.postal_code == "430071"
    for bad in ("43007", "4300711", "43007a", "430 071"):
        with pytest.raises(cohandle.InvalidInput, match=r"Opinion\.postal_code must be six digits"):
            cohandle.Opinion(**{**SAMPLES[cohandle.Opinion], "postal_code": bad})


# -- stores and transfer --------------------------------------------------------------------

NOT_TEXT: list[Any] = [value for value in BAD_VALUES if not isinstance(value, str)]


@pytest.mark.parametrize(
    ("option", "values"),
    [
        ("path", [*NOT_TEXT, ""]),
        ("synchronous", [*BAD_VALUES, "SOMETIMES"]),
        ("busy_timeout", [None, "1", -1, float("nan"), float("inf"), True, [1]]),
    ],
)
def test_sqlite_store_options_are_checked(tmp_path: Any, option: str, values: list[Any]) -> None:
    from cohandle.stores import SQLiteStore

    for bad in values:
        options: dict[str, Any] = {"path": tmp_path / "log.db", option: bad}
        with pytest.raises(cohandle.InvalidInput, match=option):
            SQLiteStore(**options)
    assert list(tmp_path.iterdir()) == []  # nothing was created on the way


@pytest.mark.parametrize(
    ("option", "values"),
    [
        ("url", [*NOT_TEXT, "", "  "]),
        # PostgreSQL's own: the log was made among the SQL standard's views in information_schema
        ("schema", [*BAD_VALUES, "Public", "a-b", "information_schema", "pg_catalog", "pg_temp"]),
        ("connect_timeout", [None, "1", 0, -1, float("nan"), True]),
    ],
)
def test_postgres_store_options_are_checked_before_connecting(option: str, values: list[Any]) -> None:
    pytest.importorskip("psycopg")
    from cohandle.stores import PostgresStore

    for bad in values:
        options: dict[str, Any] = {"url": "postgresql://nobody@127.0.0.1:1/none", option: bad}
        with pytest.raises(cohandle.InvalidInput, match=option):
            PostgresStore(**options)


def test_export_and_import_arguments_are_checked(tmp_path: Any) -> None:
    import io

    from cohandle.stores import export_jsonl, import_jsonl

    store = MemoryStore()
    for bad_store in (None, "x", 1):
        with pytest.raises(cohandle.InvalidInput, match="store"):
            export_jsonl(bad_store, io.BytesIO())  # type: ignore[arg-type]
        with pytest.raises(cohandle.InvalidInput, match="store"):
            import_jsonl(bad_store, io.BytesIO())  # type: ignore[arg-type]
    for target in (None, 1, "", ["x"]):
        with pytest.raises(cohandle.InvalidInput, match="target"):
            export_jsonl(store, target)  # type: ignore[arg-type]
    with pytest.raises(cohandle.InvalidInput, match="stream_id"):
        export_jsonl(store, io.BytesIO(), stream_id=1)  # type: ignore[arg-type]
    with pytest.raises(cohandle.InvalidInput, match="progress"):
        export_jsonl(store, io.BytesIO(), progress=1)  # type: ignore[arg-type]
    for source in (None, 1, ["x"]):
        with pytest.raises(cohandle.InvalidInput, match="source"):
            import_jsonl(store, source)  # type: ignore[arg-type]
    with pytest.raises(cohandle.InvalidInput, match="max_line_bytes"):
        import_jsonl(store, io.BytesIO(), max_line_bytes=0)
    with pytest.raises(cohandle.InvalidInput, match="progress"):
        import_jsonl(store, io.BytesIO(), progress="x")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_a_failed_export_leaves_no_file_behind(tmp_path: Any) -> None:
    from cohandle.stores import export_jsonl

    wf = workflow()
    bring_to(wf, Status.ASSIGNED)
    records = list(wf.store.records())

    class Failing:
        def records(self, *, after: int = 0) -> Any:
            yield records[0]
            raise OSError("the disk is full")

    with pytest.raises(OSError, match="the disk is full"):
        export_jsonl(Failing(), tmp_path / "log.jsonl")
    assert list(tmp_path.iterdir()) == []
    assert export_jsonl(wf.store, tmp_path / "log.jsonl") == len(records)
    assert [p.name for p in tmp_path.iterdir()] == ["log.jsonl"]


def test_an_export_onto_a_full_disk_says_to_free_space_and_keeps_the_file_there(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from cohandle.stores import _transfer, export_jsonl

    wf = workflow()
    bring_to(wf, Status.ASSIGNED)
    kept = tmp_path / "log.jsonl"
    kept.write_bytes(b"yesterday's export\n")

    def full(partial: object, path: object) -> None:  # the sync a full disk refuses (NFS, quotas)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(_transfer, "put_in_place", full)
    with pytest.raises(cohandle.InvalidInput) as refused:
        export_jsonl(wf.store, kept)
    assert str(refused.value) == (
        f"target cannot be written ({os.strerror(errno.ENOSPC)}: {kept}); free space on that disk and try again."
    )
    assert kept.read_bytes() == b"yesterday's export\n" and [p.name for p in tmp_path.iterdir()] == [
        "log.jsonl"
    ]


def test_open_refuses_what_names_no_database(tmp_path: Any) -> None:
    for bad in (None, 1, ["x"], b"log.db", ""):
        with pytest.raises(cohandle.InvalidInput, match="path"):
            cohandle.Workflow.open(bad)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_the_workflow_refuses_wrong_settings_when_made() -> None:
    for parameter in inspect.signature(cohandle.Workflow).parameters.values():
        for bad in BAD_VALUES:
            if bad is None and parameter.default is None:
                continue  # None asks for the default
            if parameter.name in FLAGS and isinstance(bad, bool):
                continue
            if parameter.name == "cache_size" and type(bad) is int:
                continue  # a size
            with pytest.raises(cohandle.InvalidInput, match=parameter.name):
                cohandle.Workflow(**{parameter.name: bad})


FLAGS = ("withdrawal_after_assignment", "require_countersign")
SETTINGS = ["store", "clock", "hash_algorithm", *FLAGS, "policy", "calendar"]


@pytest.mark.parametrize("name", SETTINGS)
def test_a_setting_changed_later_is_checked_as_when_made(name: str) -> None:
    wf = cohandle.Workflow(policy=cohandle.deadlines.preset("generic"))
    before = getattr(wf, name)
    for bad in BAD_VALUES:
        if bad is None and name == "policy":
            continue  # None takes the deadlines away
        if name in FLAGS and isinstance(bad, bool):
            continue
        with pytest.raises(cohandle.InvalidInput, match=name):
            setattr(wf, name, bad)
        assert getattr(wf, name) is before  # a refused setting leaves the old one


def test_settings_changed_later_are_the_ones_commands_use() -> None:
    assert cohandle.Workflow().calendar is None
    wf = cohandle.Workflow()
    wf.policy = cohandle.deadlines.preset("generic")
    assert isinstance(wf.calendar, cohandle.deadlines.Calendar)  # as when made with a policy
    wf.withdrawal_after_assignment = False
    wf.hash_algorithm = "sha256"
    store = MemoryStore()
    wf.store = store
    wf.clock = cohandle.FixedClock("2023-04-10T09:00:00+08:00")
    pid = bring_to(wf, Status.ASSIGNED)
    assert [e.occurred_at for e in store.read_stream(pid)][-1] == pendulum.datetime(2023, 4, 10, 1)
    assert any(e.type == "DeadlinesSet" for e in store.read_stream(pid))
    with pytest.raises(cohandle.PreconditionFailed, match="only before it is assigned"):
        wf.withdraw(pid, signed_by=["李明", "王红"], reason="不再需要", actor=A_PROPOSER)
    wf.policy = None
    wf.calendar = None  # allowed once there is no policy


def test_open_refuses_an_unknown_option_before_touching_the_file(tmp_path: Any) -> None:
    with pytest.raises(cohandle.InvalidInput, match=r"synchronus is not an option of Workflow\.open"):
        cohandle.Workflow.open(tmp_path / "log.db", synchronus="NORMAL")
    with pytest.raises(cohandle.InvalidInput, match="schema is not an option"):
        cohandle.Workflow.open(tmp_path / "log.db", schema="x")  # PostgreSQL's, not SQLite's
    assert list(tmp_path.iterdir()) == []


def test_open_closes_the_store_when_the_workflow_refuses_an_option(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cohandle.stores import SQLiteStore

    closed: list[SQLiteStore] = []
    close = SQLiteStore.close

    def counted(self: SQLiteStore) -> None:
        closed.append(self)
        close(self)

    monkeypatch.setattr(SQLiteStore, "close", counted)
    with pytest.raises(cohandle.InvalidInput, match="cache_size"):
        cohandle.Workflow.open(tmp_path / "log.db", cache_size=-1)
    assert len(closed) == 1


# -- every other public function and class ----------------------------------------------------

PUBLIC_MODULES = ["cohandle", "cohandle.deadlines", "cohandle.letters", "cohandle.stores", "cohandle.testing"]


def _public_callables() -> list[tuple[str, Any]]:
    import enum
    import importlib
    import typing

    found = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            member = getattr(module, name)
            if not callable(member) or member is cohandle.Workflow:  # the workflow: tests above
                continue
            if inspect.isclass(member) and issubclass(member, BaseException | enum.Enum):
                continue
            if typing.is_typeddict(member):  # a type for the checker: calling it makes a dict
                continue
            found.append((f"{module_name}.{name}", member))
    return found


@pytest.mark.parametrize(("name", "member"), _public_callables(), ids=lambda value: str(value))
def test_every_public_callable_has_a_signature(name: str, member: Any) -> None:
    try:
        inspect.signature(member)
    except (TypeError, ValueError) as exc:  # as a compiled class would have none
        pytest.fail(f"{name} has no signature ({exc}), so the test below cannot check its arguments")


@pytest.mark.parametrize(("name", "member"), _public_callables(), ids=lambda value: str(value))
def test_every_public_callable_answers_wrong_arguments_with_a_typed_error(
    name: str, member: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # "x" may be taken as a file name
    parameters = [
        p
        for p in inspect.signature(member).parameters.values()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    required = [p for p in parameters if p.default is inspect.Parameter.empty]
    for wrong in parameters:
        for bad in [*BAD_VALUES, "x"]:
            kwargs = {p.name: bad if p is wrong else "x" for p in required}
            kwargs[wrong.name] = bad
            args = [kwargs.pop(p.name) for p in parameters if p.kind is p.POSITIONAL_ONLY]
            try:
                result = member(*args, **kwargs)
                if inspect.isgenerator(result):
                    list(result)
                elif isinstance(result, EventStore):  # a store opened on "x": let go of its file
                    result.close()
            except cohandle.CohandleError:
                pass
            except Exception as exc:
                pytest.fail(f"{name}({wrong.name}={bad!r}) raised {exc!r}, not a CohandleError")


BOARD_METHODS = ["build", "update", "follow", "overdue", "due_within", "due_by", "reminders"]


@pytest.mark.parametrize("name", BOARD_METHODS)
def test_the_deadline_board_answers_wrong_arguments_with_a_typed_error(name: str) -> None:
    from cohandle.deadlines import Calendar, preset

    wf = workflow()
    proposal = wf.get(bring_to(wf, Status.ASSIGNED))
    good = {
        "proposals": [proposal],
        "proposal": proposal,
        "wf": wf,
        "now": pendulum.datetime(2025, 3, 3, tz="Asia/Shanghai"),
        "until": pendulum.datetime(2025, 3, 10, tz="Asia/Shanghai"),
        "working_days": 5,
        "calendar": Calendar.china(),
        "policy": preset("generic"),
    }
    board = cohandle.DeadlineBoard.build([proposal])
    method = getattr(board, name)
    parameters = list(inspect.signature(method).parameters)
    assert parameters, name
    for wrong in parameters:
        for bad in [*BAD_VALUES, "x", [None], [1]]:
            kwargs = {p: bad if p == wrong else good[p] for p in parameters}
            try:
                method(**kwargs)
            except cohandle.CohandleError:
                pass
            except Exception as exc:
                pytest.fail(f"DeadlineBoard.{name}({wrong}={bad!r}) raised {exc!r}, not a CohandleError")


def _objects_with_methods() -> dict[str, tuple[Any, dict[str, Any]]]:
    """Public objects a caller gets back and calls methods on, each with plausible arguments."""
    import datetime as dt

    from cohandle.deadlines import Calendar, preset

    wf = workflow(policy=preset("generic"))
    proposal = wf.get(bring_to(wf, Status.ASSIGNED))
    now = pendulum.datetime(2025, 3, 3, tz="Asia/Shanghai")
    return {
        "Calendar": (
            Calendar.china(),
            {
                "day": dt.date(2025, 3, 3),
                "start": dt.date(2025, 3, 3),
                "end": dt.date(2025, 4, 1),
                "count": 3,
            },
        ),
        "FixedClock": (cohandle.FixedClock(now), {"at": now}),
        "Lifecycle": (cohandle.PROPOSAL, {"state": "assigned", "trigger": "remind", "holder": proposal}),
        "CategoryScheme": (cohandle.ABC, {"code": "A"}),
        "Proposal": (proposal, {"now": now, "party": "省科技厅", "unit": None}),
        "TrackedDeadline": (proposal.deadlines[0], {"now": now}),
    }


# each method's parameters, written out: a compiled class's methods have no signature to read
METHOD_PARAMETERS: dict[str, dict[str, list[str]]] = {
    "Calendar": {
        "add_working_days": ["start", "count"],
        "is_working_day": ["day"],
        "next_working_day": ["day"],
        "working_days_between": ["start", "end"],
    },
    "FixedClock": {"now": [], "set": ["at"]},  # advance takes its units by keyword: below
    "Lifecycle": {
        "allowed": ["state"],
        "fire": ["holder", "trigger"],
        "mermaid": [],
        "target": ["state", "trigger"],
    },
    "CategoryScheme": {"label": ["code"]},
    "Proposal": {
        "category": ["unit"],
        "category_now": ["unit"],
        "co_handler": ["unit"],
        "deadlines_at": ["now"],
        "feedback_on_latest_reply": ["unit"],
        "handler": ["unit"],
        "last_reminded": ["party"],
        "latest_feedback": ["unit"],
        "signed_at": ["unit"],
    },
    "TrackedDeadline": {"status_at": ["now"]},
}


@pytest.mark.parametrize("kind", list(METHOD_PARAMETERS))
def test_methods_of_returned_objects_answer_wrong_arguments_with_a_typed_error(kind: str) -> None:
    obj, good = _objects_with_methods()[kind]
    methods = METHOD_PARAMETERS[kind]
    plain = {
        name: [
            p.name
            for p in inspect.signature(member).parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        for name, member in inspect.getmembers(type(obj), inspect.isfunction)
        if not name.startswith("_") and name != "advance"
    }
    if plain:  # the plain build: the table above lists every public method, as it is
        assert plain == methods, f"{kind}'s methods changed: {plain}"
    for name, parameters in methods.items():
        for wrong in parameters:
            for bad in [*BAD_VALUES, "x", -1, 10**30]:
                kwargs = {p: bad if p == wrong else good[p] for p in parameters}
                try:
                    getattr(obj, name)(**kwargs)
                except cohandle.CohandleError:
                    pass
                except Exception as exc:
                    pytest.fail(f"{kind}.{name}({wrong}={bad!r}) raised {exc!r}, not a CohandleError")


@pytest.mark.parametrize(
    ("delta", "said"),
    [
        ({"days": "x"}, "days must be a whole number"),
        ({"days": 1.5}, "days must be a whole number"),
        ({"fortnights": 1}, "advance takes years, months, weeks, days"),
        ({"days": 10**10}, "would take the clock outside the days a date can hold"),
        ({"years": -3000}, "would take the clock outside the days a date can hold"),
    ],
)
def test_a_fixed_clock_is_advanced_by_whole_units_within_the_dates(delta: dict[str, Any], said: str) -> None:
    clock = cohandle.FixedClock(pendulum.datetime(2025, 3, 3, tz="UTC"))
    with pytest.raises(cohandle.InvalidInput, match=said):
        clock.advance(**delta)
    assert clock.now() == pendulum.datetime(2025, 3, 3, tz="UTC")


def _path_takers() -> dict[str, Any]:
    from cohandle.deadlines import load_schedules, policy_from_toml
    from cohandle.letters import reply_layout, to_docx
    from cohandle.stores import export_jsonl, import_jsonl
    from helpers import data, reply

    return {
        "SQLiteStore": lambda path: SQLiteStore(path),
        "Workflow.open": lambda path: cohandle.Workflow.open(path),
        "export_jsonl": lambda path: export_jsonl(MemoryStore(), path),
        "import_jsonl": lambda path: import_jsonl(MemoryStore(), path),
        "load_schedules": lambda path: load_schedules(path),
        "policy_from_toml": lambda path: policy_from_toml(Path(path)),
        "to_docx": lambda path: to_docx(reply_layout(reply(), data()), path),
    }


@pytest.mark.parametrize("name", list(_path_takers()))
def test_a_file_name_holding_a_nul_is_refused_by_name(name: str, tmp_path: Any) -> None:
    # the system's calls would raise a bare ValueError ("embedded null byte")
    if name == "to_docx":
        pytest.importorskip("docx")
    with pytest.raises(cohandle.InvalidInput, match="holds a NUL character, which no file name can hold"):
        _path_takers()[name](str(tmp_path / "a\x00b"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", list(_path_takers()))
def test_a_file_name_with_a_lone_surrogate_is_refused_by_name(name: str, tmp_path: Any) -> None:
    # U+D800 has no bytes in the file system's encoding (a bare UnicodeEncodeError before)
    if name == "to_docx":
        pytest.importorskip("docx")
    with pytest.raises(
        cohandle.InvalidInput, match=r"holds U\+D800 at position \d+, a lone surrogate, which no file name"
    ):
        _path_takers()[name](str(tmp_path / "a\ud800b"))
    assert list(tmp_path.iterdir()) == []


def test_a_file_name_read_from_bytes_that_are_not_utf8_is_taken(tmp_path: Any) -> None:
    # the command line decodes such bytes to surrogates that stand for them (0xFF is U+DCFF)
    path = tmp_path / "\udcff.db"
    with cohandle.Workflow.open(path) as wf:
        bring_to(wf, Status.RECEIVED)
    assert os.listdir(os.fsencode(tmp_path)) == [b"\xff.db"]


# -- text that not every store can keep --------------------------------------------------------

UNKEEPABLE = {
    "nul": ("A\x00B", "holds a NUL character (at position 1)"),
    "gbk-bytes": ("\udcb2\udce2", "holds U+DCB2 at position 0, a lone surrogate"),
    "long": ("测" * 501, "is 501 characters long, more than the 500 an id may have"),
}


@pytest.mark.parametrize("kind", list(UNKEEPABLE))
@pytest.mark.parametrize("on_file", [False, True], ids=["memory", "sqlite"])
def test_an_id_not_every_store_can_keep_is_refused_by_name(tmp_path: Any, kind: str, on_file: bool) -> None:
    bad, reason = UNKEEPABLE[kind]
    store = SQLiteStore(tmp_path / "log.db") if on_file else MemoryStore()
    wf = workflow(store=store)
    pid = bring_to(wf, Status.RECEIVED)
    before = list(store.read_all())
    keep = "must be text every store can keep as an id, but it"
    with pytest.raises(cohandle.InvalidInput, match=re.escape(f"id {keep} {reason}")):
        wf.receive(data("77"), actor=A_COMMITTEE, id=bad)
    with pytest.raises(cohandle.InvalidInput, match=f"^id made from the session and the number {keep}"):
        wf.receive(data(bad), actor=A_COMMITTEE)
    with pytest.raises(cohandle.InvalidInput, match=re.escape(f"command_id {keep} {reason}")):
        wf.file(pid, actor=A_COMMITTEE, command_id=bad)
    with pytest.raises(cohandle.InvalidInput, match=f"^command_id {keep}"):
        wf.receive(data("78"), actor=A_COMMITTEE, command_id=bad)
    for read in (wf.get, wf.history, lambda i: wf.file(i, actor=A_COMMITTEE)):
        with pytest.raises(cohandle.ProposalNotFound) as missing:
            read(bad)
        assert ("GBK" in str(missing.value)) == (kind == "gbk-bytes")
    assert list(store.read_all()) == before
    store.close()


def test_text_without_a_utf8_form_is_refused_where_it_is() -> None:
    wf = workflow()
    bad = "关于\udcb2\udce2"
    session = data().session
    with pytest.raises(
        cohandle.InvalidInput,
        match=r"^ProposalReceived\.proposal\.title must be valid Unicode text, but it holds U\+DCB2 at position 2",
    ):
        wf.receive(
            cohandle.ProposalData(number="1", title=bad, session=session, proposers=data().proposers),
            actor=A_COMMITTEE,
        )
    with pytest.raises(cohandle.InvalidInput, match=r"^actor\.name must be valid Unicode text"):
        wf.receive(data("2"), actor=cohandle.Actor(name=bad, unit=A_COMMITTEE.unit))
    assert list(wf.store.read_all()) == []


def test_a_path_that_begins_with_a_tilde_no_shell_expanded_is_said_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A path read from a configuration file keeps its ~, which Python does not expand: where
    no such file is, the message says so and gives the path it likely means."""
    from cohandle.deadlines import PolicyError, load_schedules, policy_from_toml
    from cohandle.stores import export_jsonl, import_jsonl

    monkeypatch.setenv("HOME", str(tmp_path))
    hint = f"it begins with ~, which only a shell expands, and only where it is not quoted: write the whole path ({tmp_path}/"
    with pytest.raises(cohandle.InvalidInput, match=re.escape(hint)):
        load_schedules("~/holidays.toml")
    with pytest.raises(PolicyError, match=re.escape(hint)):
        policy_from_toml(Path("~/policy.toml"))
    with pytest.raises(cohandle.InvalidInput, match=re.escape(hint)):
        export_jsonl(MemoryStore(), "~/backups/log.jsonl")
    with pytest.raises(cohandle.InvalidInput, match=re.escape(hint)):
        import_jsonl(MemoryStore(), "~/log.jsonl")
    for create in (True, False):  # the log itself, said by the store for every caller
        with pytest.raises(cohandle.InvalidInput, match=re.escape(hint)):
            cohandle.Workflow.open("~/oa/cohandle.db", create=create)
    # a path that does not begin with ~ is said as before
    with pytest.raises(cohandle.InvalidInput) as elsewhere:
        load_schedules(tmp_path / "none.toml")
    assert "~" not in str(elsewhere.value)
