"""Fuzzing the spec loader and checker with mutated example files and bytes.

The example specs, client files and scenario files are edited at random:
keys deleted, values of the wrong type, huge, deep and unusual unicode values,
JsonLogic rules of every operator and shape, copies of list entries. Random
bytes stand in for whole files too. Whatever a file holds, ``load_spec``
raises nothing but :class:`SpecError`, ``check_paths`` and the catalog raise
nothing at all and never fall back on "the checker failed", and
``formserver check`` prints problems, never a traceback.
"""

import contextlib
import copy
import json
import shutil
import signal
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import event, given
from hypothesis import strategies as st

from formserver.catalog import CLIENT_FILE, TESTS_SUFFIX, Catalog, load_spec
from formserver.checker import check_paths
from formserver.cli import main
from formserver.problems import Problem, SpecError
from formserver.spec import Spec

from .conftest import EXAMPLE_SPECS, fuzzing

CHECKER_FAILED = "the checker failed on this file"
EXAMPLE_LIMIT_SECONDS = 10

CLIENTS = sorted(p.parent.name for p in EXAMPLE_SPECS.glob(f"*/{CLIENT_FILE}"))
FORMS = {
    client: next(
        p.stem
        for p in sorted((EXAMPLE_SPECS / client).glob("*.json"))
        if p.name != CLIENT_FILE and not p.name.endswith(TESTS_SUFFIX)
    )
    for client in CLIENTS
}


def document(client, kind):
    """An example file of ``client`` as JSON: its spec, client file or tests."""
    name = {
        "spec": f"{FORMS[client]}.json",
        "client": CLIENT_FILE,
        "tests": f"{FORMS[client]}{TESTS_SUFFIX}",
    }[kind]
    return json.loads((EXAMPLE_SPECS / client / name).read_text())


# Values to put anywhere.

UNUSUAL_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\u202e\u200b\ufeff",
        "\U0001f600" * 50,
        "\ud800",
        "\udfff\ud800",
        "<script>alert(1)</script>",
        "{{7*7}}",
        "../../etc/passwd",
        "today",
        "https://",
        "https://x\r\n",
        "(a+)+$",
        "[",
    ]
)
# Built, not listed: a strategy's description must stay short.
HUGE_TEXT = st.builds(
    lambda char, count: char * count,
    st.sampled_from("xé\U0001f600"),
    st.sampled_from([5001, 20_000]),
)
TEXT = st.one_of(
    st.text(max_size=20),
    HUGE_TEXT,
    st.text(st.characters(categories=["Cs", "Cc", "Zs", "Mn", "So"]), max_size=8),
    UNUSUAL_TEXT,
)
NUMBER = st.one_of(
    st.integers(),
    st.integers(-(2**80), 2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e308, -0.0]),
    st.builds(pow, st.just(10), st.sampled_from([20, 400])),
)
LEAF = st.one_of(st.none(), st.booleans(), NUMBER, TEXT)
KNOWN_KEY = st.sampled_from(
    ["id", "type", "label", "title", "steps", "fields", "next", "goto", "when"]
    + ["end", "options", "value", "required", "validation", "visible_if", "min"]
    + ["max", "pattern", "min_length", "max_length", "min_date", "max_date"]
    + ["min_choices", "max_choices", "segments", "scoring", "knockouts", "tiers"]
    + ["routes", "redirect", "track", "thank_you", "from", "to", "points"]
    + ["reason", "profile_key", "ask_once", "priority", "refresh_after_days"]
    + ["lead_fields", "capture", "profiling", "max_new_questions", "consent_text"]
    + ["qualification", "name", "branding", "embed_origins", "webhooks", "url"]
    + ["secret_env", "scenarios", "answers", "expect", "profile", "path", "tier"]
)
JSON_VALUE = st.recursive(
    LEAF,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.text(max_size=8), KNOWN_KEY), children, max_size=4
        ),
    ),
    max_leaves=12,
)

OPERATORS = (
    ["==", "===", "!=", "!==", "!", "!!", "or", "and", "if", "?:", ">", ">="]
    + ["<", "<=", "max", "min", "+", "-", "*", "/", "%", "map", "filter"]
    + ["reduce", "all", "none", "some", "merge", "in", "cat", "substr", "var"]
    + ["missing", "missing_some", "log", "method", "preserve", "nope", ""]
)
VARIABLE = st.builds(
    lambda name: {"var": name},
    st.one_of(
        st.sampled_from(["role", "ticket_size", "segment", "email", "", "a.b"]),
        st.sampled_from(["asset_classes", "consent", "company_size", "0"]),
        LEAF,
        st.lists(LEAF, max_size=3),
    ),
)
LOGIC = st.recursive(
    st.one_of(LEAF, VARIABLE),
    lambda children: st.one_of(
        st.builds(
            lambda op, args: {op: args},
            st.sampled_from(OPERATORS),
            st.one_of(children, st.lists(children, max_size=4)),
        ),
        st.dictionaries(st.sampled_from(OPERATORS), children, min_size=2, max_size=3),
    ),
    max_leaves=15,
)

# Deep nesting cannot pass through json.dumps, so a marker stands in for it
# and is replaced in the text.
DEPTHS = [40, 300, 480, 495, 900, 990, 1500, 60_000]
SHAPES = {
    "list": ("[", "1", "]"),
    "object": ('{"a":', "1", "}"),
    "not": ('{"!":[', '{"var":"role"}', "]}"),
    "and": ('{"and":[true,', "true", "]}"),
    "var": ('{"var":[', '"role"', "]}"),
}
DEEP = st.builds(
    "__deep_{}_{}__".format, st.sampled_from(DEPTHS), st.sampled_from(sorted(SHAPES))
)


def render(value):
    """The JSON text of ``value``, with deep markers replaced by deep nesting."""
    text = json.dumps(value, allow_nan=True)
    for depth in DEPTHS:
        for shape, (opening, leaf, closing) in SHAPES.items():
            marker = f'"__deep_{depth}_{shape}__"'
            if marker in text:
                nested = opening * depth + leaf + closing * depth
                text = text.replace(marker, nested)
    return text


# Mutations: walk down from the top of a document and change what is found.

ACTIONS = ["delete", "replace", "retype", "insert", "logic", "deep", "copy"]


def retyped(value):
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return {"items": value}
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return {}
    return str(value)


def mutate(data, node):
    """``node`` with one change somewhere inside it, as ``data`` chooses."""
    if not isinstance(node, dict | list) or not node:
        return data.draw(st.one_of(JSON_VALUE, LOGIC, DEEP))

    key = data.draw(
        st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node)))
    )
    child = node[key]
    if isinstance(child, dict | list) and child and data.draw(st.integers(0, 3)):
        node[key] = mutate(data, child)
        return node

    action = data.draw(st.sampled_from(ACTIONS))
    event(f"mutation: {action}")
    if action == "delete":
        del node[key]
    elif action == "replace":
        node[key] = data.draw(JSON_VALUE)
    elif action == "retype":
        node[key] = retyped(child)
    elif action == "logic":
        node[key] = data.draw(LOGIC)
    elif action == "deep":
        node[key] = data.draw(DEEP)
    elif action == "copy" and isinstance(node, list):
        node.insert(data.draw(st.integers(0, len(node))), copy.deepcopy(child))
    elif isinstance(node, dict):
        node[data.draw(st.one_of(KNOWN_KEY, st.text(max_size=8)))] = data.draw(
            st.one_of(JSON_VALUE, LOGIC)
        )
    else:
        node.insert(data.draw(st.integers(0, len(node))), data.draw(JSON_VALUE))
    return node


def mutated(data, original):
    found = copy.deepcopy(original)
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        found = mutate(data, found)
    return found


# Edits that keep a spec within its schema, so that the checker reads it.

FIELD_TYPES = ["text", "email", "phone", "number", "money", "select", "radio"]
FIELD_TYPES += ["checkboxes", "textarea", "date", "consent", "hidden"]
CONDITION = st.one_of(
    st.booleans(), LOGIC.filter(lambda rule: isinstance(rule, dict) and rule)
)


def places(node, keys, found=None):
    """Every (container, key) under ``node`` whose key is one of ``keys``."""
    found = [] if found is None else found
    children = node.items() if isinstance(node, dict) else enumerate(node)
    for key, child in children:
        if key in keys:
            found.append((node, key))
        if isinstance(child, dict | list):
            places(child, keys, found)
    return found


def edited(data, original):
    """``original`` with conditions, targets and types changed in place."""
    spec = copy.deepcopy(original)
    steps = [step["id"] for step in spec["steps"]]
    fields = [f["id"] for step in spec["steps"] for f in step.get("fields", [])]
    name = st.one_of(
        st.sampled_from(steps + fields),
        st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True),
    )
    edits = {
        ("when", "visible_if"): CONDITION,
        ("goto",): name,
        ("next",): st.one_of(
            name,
            st.lists(
                st.fixed_dictionaries({"goto": name}, optional={"when": CONDITION}),
                max_size=3,
            ),
        ),
        ("type",): st.sampled_from(FIELD_TYPES),
        ("lead_fields", "steps"): st.lists(name, max_size=4),
        ("end", "required", "ask_once"): st.booleans(),
        ("points", "from", "to", "min", "max", "priority"): st.one_of(
            st.integers(-(10**9), 10**9),
            st.floats(allow_nan=False, allow_infinity=False),
        ),
        ("profile_key", "id"): name,
    }
    for _ in range(data.draw(st.integers(1, 5), label="edits")):
        keys = data.draw(st.sampled_from(sorted(edits)))
        found = places(spec, keys)
        if not found:
            continue
        container, key = data.draw(st.sampled_from(found))
        if key == "steps" and container is spec:
            continue
        event(f"edit: {key}")
        container[key] = data.draw(edits[keys])
    return spec


# Running the loader, the checker, the catalog and the command line.


class TooSlow(BaseException):
    """Past every ``except Exception`` (and OSError, which TimeoutError is)."""


@contextlib.contextmanager
def time_limit(seconds):
    """Fail an example that runs for longer than ``seconds``."""

    def expire(signum, frame):
        raise TooSlow(f"one file took more than {seconds} s to check")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def client_folder(client_id, **texts):
    """A specs folder holding one example client, some of its files replaced."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shutil.copytree(EXAMPLE_SPECS / client_id, root / client_id)
        names = {
            "spec": f"{FORMS[client_id]}.json",
            "client": CLIENT_FILE,
            "tests": f"{FORMS[client_id]}{TESTS_SUFFIX}",
        }
        for kind, text in texts.items():
            path = root / client_id / names[kind]
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(text, encoding="utf-8", errors="surrogatepass")
        yield root


def assert_loaded_or_refused(root, client):
    """Every way of reading the folder ends in a spec or in problems."""
    spec_path = root / client / f"{FORMS[client]}.json"
    with time_limit(EXAMPLE_LIMIT_SECONDS):
        try:
            spec = load_spec(spec_path)
        except SpecError as error:
            assert error.problems
            assert all(isinstance(p, Problem) for p in error.problems)
            event("load_spec: SpecError")
        else:
            assert isinstance(spec, Spec)
            event("load_spec: loaded")

        problems = check_paths([root])
        assert all(isinstance(p, Problem) for p in problems)
        failed = [str(p) for p in problems if CHECKER_FAILED in p.message]
        assert not failed, failed
        event(f"check: {sum(p.severity == 'error' for p in problems) > 0} errors")

        catalog = Catalog(root)
        served = catalog.spec(client, FORMS[client])
        catalog.problems(client, FORMS[client])
        catalog.client(client)
        assert served is None or isinstance(served, Spec)

        result = CliRunner().invoke(main, ["check", str(root)])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


@fuzzing(70)
@given(data=st.data(), client=st.sampled_from(CLIENTS))
def test_mutated_specs_are_loaded_or_refused_with_problems(data, client):
    text = render(mutated(data, document(client, "spec")))

    with client_folder(client, spec=text) as root:
        assert_loaded_or_refused(root, client)


@fuzzing(60)
@given(data=st.data(), client=st.sampled_from(CLIENTS))
def test_specs_with_random_rules_and_targets_are_checked_not_crashed(data, client):
    text = render(edited(data, document(client, "spec")))

    with client_folder(client, spec=text) as root:
        assert_loaded_or_refused(root, client)


@fuzzing(20)
@given(data=st.data(), client=st.sampled_from(CLIENTS))
def test_mutated_client_files_are_loaded_or_refused_with_problems(data, client):
    text = render(mutated(data, document(client, "client")))

    with client_folder(client, client=text) as root:
        assert_loaded_or_refused(root, client)


@fuzzing(20)
@given(data=st.data(), client=st.sampled_from(CLIENTS))
def test_mutated_scenario_files_are_played_or_refused_with_problems(data, client):
    text = render(mutated(data, document(client, "tests")))

    with client_folder(client, tests=text) as root:
        assert_loaded_or_refused(root, client)


def example_text(client, kind):
    return json.dumps(document(client, kind)).encode()


@fuzzing(30)
@given(
    data=st.data(),
    client=st.sampled_from(CLIENTS),
    kind=st.sampled_from(["spec", "client", "tests"]),
)
def test_random_bytes_in_any_file_are_refused_with_problems(data, client, kind):
    valid = example_text(client, kind)
    raw = data.draw(
        st.one_of(
            st.binary(max_size=2000),
            st.builds(
                lambda cut, tail: valid[:cut] + tail,
                st.integers(0, len(valid)),
                st.binary(max_size=50),
            ),
            st.sampled_from(
                [
                    b"",
                    b"\xef\xbb\xbf{}",
                    b"\xff\xfe{\x00}\x00",
                    b"null",
                    b"[]",
                    b"1e999999",
                    b"-",
                    b'"\\ud800"',
                    b"{" * 10_000,
                ]
            ),
        )
    )

    with client_folder(client, **{kind: raw}) as root:
        assert_loaded_or_refused(root, client)


# Regressions: nesting just under what the JSON parser takes, half characters.


def nested_rule(depth):
    return '{"!":[' * depth + '{"var":"role"}' + "]}" * depth


def with_stack_depth(frames, function):
    """Call ``function`` from ``frames`` frames further down the stack."""
    if frames <= 0:
        return function()
    return with_stack_depth(frames - 1, function)


@pytest.mark.parametrize("frames", [0, 150, 400])
def test_a_rule_nested_near_the_parsers_limit_is_a_problem_not_a_crash(
    tmp_path, frames
):
    """However deep the caller's stack, deep JSON is a SpecError."""
    text = json.dumps(document("acme-realty", "spec"))
    target = json.dumps(document("acme-realty", "spec")["segments"][0]["when"])
    path = tmp_path / "acme-realty" / "spec.json"
    path.parent.mkdir()
    for depth in range(300, 520, 6):
        path.write_text(text.replace(target, nested_rule(depth), 1))

        def load(path=path):
            try:
                return load_spec(path)
            except SpecError as error:
                return error

        found = with_stack_depth(frames, load)

        assert isinstance(found, Spec | SpecError), (depth, found)


@pytest.mark.parametrize(
    "escape", ["\\ud800", "\\udfff", "\\udc00\\ud800", "x\\ud83d", "\\ud83d y"]
)
@pytest.mark.parametrize("kind", ["spec", "client"])
def test_a_lone_surrogate_escape_is_refused_before_it_reaches_a_page(
    tmp_path, kind, escape
):
    """Half a character cannot be encoded into any page, log or database."""
    folder = tmp_path / "acme-realty"
    shutil.copytree(EXAMPLE_SPECS / "acme-realty", folder)
    name = "property-enquiry.json" if kind == "spec" else CLIENT_FILE
    original = (folder / name).read_text()
    key = '"title": "' if kind == "spec" else '"name": "'
    (folder / name).write_text(original.replace(key, key + escape, 1))

    problems = check_paths([folder])

    assert any("lone surrogate" in p.message for p in problems), problems
    catalog = Catalog(tmp_path)
    if kind == "spec":
        with pytest.raises(SpecError):
            load_spec(folder / name)
        assert catalog.spec("acme-realty", "property-enquiry") is None
    else:
        assert catalog.client("acme-realty") is None


#: Where each kind of example file gets a number no spec can compute with.
UNUSABLE_AT = {
    "spec": ("/segments/0/scoring/0/points", ("segments", 0, "scoring", 0, "points")),
    "client": ("/branding/size", ("branding", "size")),
    "tests": ("/scenarios/0/expect/score", ("scenarios", 0, "expect", "score")),
}


@pytest.mark.parametrize("number", ["NaN", "-Infinity", "1e999", "9" * 400])
@pytest.mark.parametrize("kind", sorted(UNUSABLE_AT))
def test_a_number_no_spec_can_compute_with_is_refused_where_it_stands(kind, number):
    """NaN would make a score that no tier holds and a tag that is not JSON."""
    pointer, path = UNUSABLE_AT[kind]
    edited = document("acme-realty", kind)
    *parents, last = path
    target = edited
    for key in parents:
        target = target[key]
    target[last] = "__unusable__"
    text = json.dumps(edited).replace('"__unusable__"', number).encode()

    with client_folder("acme-realty", **{kind: text}) as root:
        problems = check_paths([root])
        catalog = Catalog(root)
        served = catalog.spec("acme-realty", FORMS["acme-realty"])

    form = FORMS["acme-realty"]
    name = {"spec": f"{form}.json", "client": CLIENT_FILE}.get(
        kind, form + TESTS_SUFFIX
    )
    assert [(Path(p.source).name, p.pointer, p.severity) for p in problems] == [
        (name, pointer, "error")
    ]
    assert "write a number" in problems[0].message
    assert (served is None) == (kind == "spec")


def test_a_valid_surrogate_pair_escape_is_read_as_one_character(tmp_path):
    folder = tmp_path / "acme-realty"
    shutil.copytree(EXAMPLE_SPECS / "acme-realty", folder)
    path = folder / "property-enquiry.json"
    path.write_text(
        path.read_text().replace('"title": "', '"title": "\\ud83d\\ude00 ', 1)
    )

    assert load_spec(path).title.startswith("\U0001f600 ")
