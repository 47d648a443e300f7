"""Hostile step submissions: whatever arrives, a person gets a friendly page.

Random form bodies with unknown, missing and repeated fields, control
characters, invalid UTF-8, garbage tokens and steps, other methods and content
types, and bodies up to and past the request limit. Whatever is sent, the
answer is never a 5xx or a traceback, it is an HTML page that says what to do,
and the database never gains a submission from an invalid walk.
"""

import io
import json
import re
import secrets
import shutil
from urllib.parse import quote, urlencode

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from formserver.app import create_app

from ..conftest import EXAMPLE_SPECS, SECRET, fuzzing, step_of, token_of
from .test_prospects import FORM

LIMIT = 256 * 1024
OTHER_FORM = "/f/northwind-software/demo-request"
INVESTMENT = {"ticket_size": "2m", "asset_classes": "office", "markets": "europe"}


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    """One app for every example: no rate limit, since the examples come fast."""
    folder = tmp_path_factory.mktemp("hostile")
    shutil.copytree(EXAMPLE_SPECS, folder / "specs")
    return create_app(
        {
            "TESTING": True,
            "FORMSERVER_SECRET_KEY": SECRET,
            "FORMSERVER_SPECS": str(folder / "specs"),
            "FORMSERVER_DB": str(folder / "formserver.db"),
            "FORMSERVER_MIN_FILL_SECONDS": 0,
            "FORMSERVER_RATE_LIMIT_ADDRESS": "",
            "FORMSERVER_RATE_LIMIT_FORM": "",
        }
    )


@pytest.fixture(scope="module")
def web(hostile_app):
    # Without cookies, no example is recognised as the lead an earlier one made.
    return hostile_app.test_client(use_cookies=False)


@pytest.fixture(scope="module")
def db(storage):
    return storage.db


@pytest.fixture(scope="module")
def storage(hostile_app):
    return hostile_app.extensions["formserver"].storage


def submission_ids(db):
    return {row["id"] for row in db.query("SELECT id FROM submissions")}


def assert_friendly(response, method="GET"):
    """A page a person can act on: no 5xx, no traceback, a polite sentence."""
    body = response.get_data(as_text=True)
    status = response.status_code
    assert status < 500, body[:800]
    assert "Traceback" not in body
    if status == 303:
        assert response.headers["Location"].startswith(("/f/", "https://"))
        return
    if method in ("HEAD", "OPTIONS"):
        return
    assert response.mimetype == "text/html", (status, response.mimetype)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    if status == 200:
        assert 'name="_t"' in body or 'class="fs-thanks"' in body, body[:800]
    elif status == 422:
        assert 'class="fs-error-summary" role="alert"' in body
        assert "Please check" in body
    elif status == 405:
        # The 405 page is polite but asks nothing of the reader.
        assert "This page cannot be used that way." in body
    else:
        assert "Please" in body, body[:800]


def follow(web, response):
    """The page a redirect leads to, when it stays on this server."""
    location = response.headers.get("Location", "")
    if response.status_code == 303 and location.startswith("/f/"):
        assert_friendly(web.get(location))


def fresh_token(web, form=FORM):
    return token_of(web.get(form))


def walk_to_contact(web):
    page = web.get(FORM)
    for step, answers in (("role", {"role": "investor"}), ("investment", INVESTMENT)):
        assert step_of(page) == step
        data = {"_t": token_of(page), "_step": step, **answers}
        page = web.get(web.post(FORM, data=data).headers["Location"])
    assert step_of(page) == "contact"
    return page


# What a hostile or broken client may post.

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}",
    "'; DROP TABLE submissions; --",
    '=HYPERLINK("http://x")',
]
CONTROL = st.text(st.characters(max_codepoint=0x1F), min_size=1, max_size=20)
LONG = st.builds(
    lambda char, count: char * count,
    st.sampled_from(["x", "<", "\u202e", "\ufeff", "é"]),
    st.integers(1000, 30_000),
)
XSS_TEXT = st.sampled_from(XSS)
VALUE = st.one_of(
    st.sampled_from(
        ["investor", "developer", "occupier", "", " ", "back", "next", "role"]
        + ["contact", "investment", "null", "[]", "{}", "0", "-1", "1e309", "NaN"]
        + ["y", "true", "on", "2m", "office", "europe", "ann@example.com"]
    ),
    XSS_TEXT,
    st.text(max_size=60),
    CONTROL,
    LONG,
)
KEY = st.one_of(
    st.sampled_from(
        ["_t", "_step", "_action", "role", "ticket_size", "asset_classes"]
        + ["markets", "email", "full_name", "consent", "Website", "ROLE"]
        + ["role[]", "_t ", "", "__proto__", "constructor"]
    ),
    st.text(max_size=20),
)
PAIRS = st.lists(st.tuples(KEY, VALUE), max_size=12)
TOKENS = st.sampled_from(
    ["real", "none", "empty", "garbage", "huge", "tampered", "other-form"]
)


def token_for(web, kind):
    if kind == "real":
        return fresh_token(web)
    if kind == "tampered":
        token = fresh_token(web)
        return token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    if kind == "other-form":
        return fresh_token(web, OTHER_FORM)
    return {"none": None, "empty": "", "garbage": "a.b.c", "huge": "x" * 5000}[kind]


@fuzzing(40)
@given(
    pairs=PAIRS,
    token=TOKENS,
    where=st.integers(0, 12),
    step=st.one_of(st.just("role"), st.just("role"), VALUE),
)
def test_random_bodies_on_the_first_step_get_friendly_pages(
    web, db, pairs, token, where, step
):
    before = submission_ids(db)
    body = MultiDict(pairs)
    signed = token_for(web, token)
    if signed is not None:
        items = list(body.items(multi=True))
        items.insert(min(where, len(items)), ("_t", signed))
        items.append(("_step", step))
        body = MultiDict(items)

    response = web.post(FORM, data=body)

    event(f"status {response.status_code}")
    assert_friendly(response, "POST")
    follow(web, response)
    assert submission_ids(db) == before


def mostly(valid, other, times=5):
    """One of ``valid`` ``times`` times in ``times + 1``, else ``other``."""
    usual = st.sampled_from(valid)
    return st.one_of(*[usual] * times, other)


SHORT_VALUE = st.one_of(st.text(max_size=60), CONTROL, XSS_TEXT)
CONTACT_VALUES = {
    "full_name": mostly(
        ["Ann Lee", " Ann  Lee ", "Zoë\x00 O'Brien", XSS[0], XSS[1]], SHORT_VALUE
    ),
    "email": mostly(
        ["ann@example.com", " Ann@Example.COM ", "=1+2@example.com"], SHORT_VALUE
    ),
    "phone": mostly(["+44 20 7946 0018", "020 7946 0018", ""], SHORT_VALUE),
    "company": mostly(["", "Acme", "=SUM(A1:A9)", "x" * 160], SHORT_VALUE),
    "consent": mostly(["y"], SHORT_VALUE),
}
CONTACT_BODY = st.fixed_dictionaries(
    {
        name: st.lists(values, min_size=1, max_size=2)
        for name, values in CONTACT_VALUES.items()
    }
)
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UNSHOWABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def assert_valid_submission(storage, row):
    """A stored submission holds valid answers and belongs to a lead by email.

    A typed email that matches a known lead lets the form skip what that lead
    already told us, so a submission may lack the name and email: its lead
    holds them.
    """
    answers = json.loads(row["answers"])
    assert json.loads(row["path"]) == ["role", "investment", "contact"]
    assert answers["consent"] is True
    lead = storage.lead(row["lead_id"])
    assert EMAIL.match(lead["email"]) and lead["email"] == lead["email"].lower()
    if "email" in answers:
        assert answers["email"] == lead["email"]
    if "full_name" in answers:
        assert answers["full_name"] == answers["full_name"].strip() != ""
        assert len(answers["full_name"]) <= 120
    assert answers.get("phone") is None or E164.match(answers["phone"])
    assert answers.get("company") is None or len(answers["company"]) <= 160
    for value in answers.values():
        assert not (isinstance(value, str) and UNSHOWABLE.search(value)), value


@fuzzing(40)
@given(
    answers=CONTACT_BODY,
    step=mostly(["contact"], st.sampled_from(["role", "nope", "", "contact "]), 9),
    action=mostly(["next"], st.sampled_from(["back", "", "delete", "next\x00"]), 9),
    extra=st.lists(st.tuples(KEY, SHORT_VALUE), max_size=4),
)
def test_hostile_answers_to_the_last_step_store_only_valid_submissions(
    web, db, storage, answers, step, action, extra
):
    page = walk_to_contact(web)
    before = submission_ids(db)
    body = MultiDict([("_t", token_of(page)), ("_step", step), ("_action", action)])
    for name, values in answers.items():
        for value in values:
            body.add(name, value)
    for name, value in extra:
        if not name.startswith("_"):
            body.add(name, value)

    response = web.post(FORM, data=body)

    assert_friendly(response, "POST")
    follow(web, response)
    new = submission_ids(db) - before
    event(f"status {response.status_code}, {'stored' if new else 'nothing stored'}")
    if response.status_code != 303:
        assert not new
    for submission_id in new:
        row = next(db.query("SELECT * FROM submissions WHERE id = ?", [submission_id]))
        assert_valid_submission(storage, row)


@pytest.mark.parametrize(
    ("field", "values", "message"),
    [
        ("email", ["", "ann@example.com"], "Please fill in “Work email”."),
        ("email", ["\x1f\x05", "ann@example.com"], "Please fill in “Work email”."),
        ("full_name", [" ", "Ann Lee"], "Please fill in “Full name”."),
        ("full_name", ["\x0f", "Ann Lee"], "Please fill in “Full name”."),
    ],
)
def test_a_blank_first_value_of_a_repeated_field_is_a_missing_answer(
    web, db, field, values, message
):
    """The first of repeated values is the answer; a later one cannot stand in."""
    page = walk_to_contact(web)
    before = submission_ids(db)
    body = MultiDict(
        [("_t", token_of(page)), ("_step", "contact"), ("consent", "y")]
        + [("full_name", "Ann Lee"), ("email", "ann@example.com")]
    )
    body.setlist(field, values)

    response = web.post(FORM, data=body)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert submission_ids(db) == before


# Bodies as raw bytes: invalid UTF-8, encoded lone surrogates, broken parts.

PERCENT_ENCODED = st.binary(max_size=60).map(lambda raw: quote(raw, safe="").encode())
RAW_VALUE = st.one_of(
    st.binary(max_size=120),
    PERCENT_ENCODED,
    PERCENT_ENCODED,
    st.sampled_from(
        [b"\xed\xa0\x80", b"\xff\xfe", b"%ED%A0%80", b"%FF%FE", b"\xc0\xaf"]
        + [b"investor\x00", b"%00", b"\xef\xbf\xbf", b"investor", b"%"]
    ),
)
RAW_KEY = st.one_of(
    st.sampled_from([b"_t", b"_step", b"_action", b"role", b"Website"]),
    st.sampled_from([b"_t", b"_step", b"_action", b"role", b"Website"]),
    st.binary(max_size=12),
)


def urlencoded(parts):
    return b"&".join(key + b"=" + value for key, value in parts)


def multipart(parts, boundary, cut):
    body = b""
    for key, value in parts:
        body += (
            b"--" + boundary + b"\r\n"
            b'Content-Disposition: form-data; name="' + key + b'"\r\n\r\n'
            + value + b"\r\n"
        )  # fmt: skip
    body += b"--" + boundary + b"--\r\n"
    return body[: len(body) - cut]


@fuzzing(30)
@given(
    parts=st.lists(st.tuples(RAW_KEY, RAW_VALUE), max_size=8),
    kind=st.sampled_from(["urlencoded", "multipart"]),
    with_token=st.sampled_from([True, True, True, False]),
    boundary=st.sampled_from([b"fsB0undary", b"x", b"-" * 70, b"\xff"]),
    cut=st.sampled_from([0, 0, 0, 3, 30]),
)
def test_raw_bodies_with_invalid_utf8_get_friendly_pages(
    web, db, parts, kind, with_token, boundary, cut
):
    before = submission_ids(db)
    if with_token:
        parts = [(b"_t", fresh_token(web).encode()), (b"_step", b"role"), *parts]
    if kind == "urlencoded":
        body, content_type = urlencoded(parts), "application/x-www-form-urlencoded"
    else:
        body = multipart(parts, boundary, cut)
        content_type = "multipart/form-data; boundary=" + boundary.decode("latin-1")

    response = web.post(FORM, data=body, content_type=content_type)

    event(f"{kind}: status {response.status_code}")
    assert_friendly(response, "POST")
    follow(web, response)
    assert submission_ids(db) == before


QUERY_NAME = st.one_of(
    st.sampled_from(
        ["t", "step", "host", "lead", "fresh", "test", "utm_source", "utm_campaign"]
        + ["referrer", "ref", "gclid", "t[]"]
    ),
    st.text(max_size=10),
)
QUERY_VALUE = st.one_of(
    st.text(max_size=40).map(quote),
    st.binary(max_size=40).map(lambda raw: quote(raw, safe="")),
    st.sampled_from(
        ["%ED%A0%80", "%00", "%FF", "%", "%%", "javascript:alert(1)", "1"]
        + ["http://127.0.0.1:" + "9" * 40, "https://acme-realty.example"]
        + [quote(text) for text in XSS]
    ),
)


@fuzzing(25)
@given(
    params=st.lists(st.tuples(QUERY_NAME, QUERY_VALUE), max_size=6),
    with_token=st.booleans(),
)
def test_garbage_query_strings_on_a_form_get_friendly_pages(
    web, db, params, with_token
):
    before = submission_ids(db)
    query = "&".join(f"{quote(name)}={value}" for name, value in params)
    if with_token:
        page = web.post(
            FORM, data={"_t": fresh_token(web), "_step": "role", "role": "investor"}
        )
        query = page.headers["Location"].split("?", 1)[1] + "&" + query

    response = web.get(f"{FORM}?{query}")

    event(f"status {response.status_code}")
    assert_friendly(response)
    assert submission_ids(db) == before


@pytest.mark.parametrize(
    "method", ["PUT", "PATCH", "DELETE", "TRACE", "PROPFIND", "BREW", "HEAD", "OPTIONS"]
)
def test_other_methods_get_a_friendly_answer(web, method):
    response = web.open(FORM, method=method, data={"_t": fresh_token(web)})

    assert_friendly(response, method)
    assert response.status_code in (200, 405)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "text/plain",
        "text/xml",
        "application/octet-stream",
        "image/png",
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/mixed; boundary=x",
        "application/x-www-form-urlencoded; charset=utf-16",
        "application/x-www-form-urlencoded; charset=ebcdic",
        "",
    ],
)
def test_odd_content_types_get_a_friendly_page(web, db, content_type):
    before = submission_ids(db)
    body = urlencode({"_t": fresh_token(web), "_step": "role", "role": "investor"})

    response = web.post(FORM, data=body.encode(), content_type=content_type)

    assert_friendly(response, "POST")
    assert submission_ids(db) == before


# The request limit: up to it a body is read, past it the friendly 413 page.


def body_of_length(kind, length, token):
    """A step body of exactly ``length`` bytes, padded in one answer."""
    if kind == "multipart":
        boundary = b"fsB0undary"
        head = multipart([(b"_t", token.encode()), (b"_step", b"role")], boundary, 0)
        head = head[: -len(b"--" + boundary + b"--\r\n")]
        start = b"--" + boundary + b'\r\nContent-Disposition: form-data; name="role"'
        start += b"\r\n\r\n"
        end = b"\r\n--" + boundary + b"--\r\n"
        padding = length - len(head) - len(start) - len(end)
        body = head + start + b"x" * padding + end
        return body, "multipart/form-data; boundary=fsB0undary"
    if kind == "urlencoded":
        head = f"_t={token}&_step=role&role=".encode()
        body = head + b"x" * (length - len(head))
        return body, "application/x-www-form-urlencoded"
    return b"x" * length, "application/octet-stream"


def assert_the_413_page(response):
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "<title>That was too much to send</title>" in html
    assert "Your answers were too long to accept." in html
    assert "Please shorten them and try again." in html
    assert "Traceback" not in html
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("kind", ["urlencoded", "multipart", "octet-stream"])
@pytest.mark.parametrize(
    ("length", "too_large"),
    [
        (LIMIT - 1, False),
        (LIMIT, False),
        (LIMIT + 1, True),
        (LIMIT + 4096, True),
        (4 * LIMIT, True),
    ],
)
def test_the_request_limit_gives_the_friendly_413_page(
    web, db, kind, length, too_large
):
    before = submission_ids(db)
    body, content_type = body_of_length(kind, length, fresh_token(web))
    assert len(body) == length

    response = web.post(FORM, data=body, content_type=content_type)

    if too_large:
        assert_the_413_page(response)
    else:
        assert_friendly(response, "POST")
        assert response.status_code != 413
    assert submission_ids(db) == before


def test_a_body_without_a_length_is_cut_off_at_the_limit(web):
    """A chunked upload has no Content-Length; reading stops at the limit."""
    body = urlencode({"_t": fresh_token(web), "role": "x" * (LIMIT + 10)}).encode()

    response = web.post(
        FORM,
        input_stream=io.BytesIO(body),
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input_terminated": True},
    )

    assert_the_413_page(response)


@fuzzing(15)
@given(
    length=st.one_of(
        st.integers(LIMIT - 300, LIMIT + 300), st.integers(2000, LIMIT + 50_000)
    ),
    field=st.sampled_from(["role", "unknown", "_step", "Website"]),
)
def test_a_huge_answer_is_refused_exactly_when_the_body_passes_the_limit(
    web, db, length, field
):
    before = submission_ids(db)
    head = f"_t={fresh_token(web)}&_step=role&{field}=".encode()
    body = head + b"y" * (length - len(head))

    response = web.post(
        FORM, data=body, content_type="application/x-www-form-urlencoded"
    )

    if length > LIMIT:
        assert_the_413_page(response)
    else:
        assert_friendly(response, "POST")
        assert response.status_code != 413
    assert submission_ids(db) == before


@pytest.mark.parametrize(
    "token", ["", " ", "\x00", "a" * 4097, "..", secrets.token_urlsafe(64), "é"]
)
def test_a_garbage_token_of_any_shape_gives_the_start_again_page(web, token):
    response = web.post(FORM, data={"_t": token, "_step": "role"})

    assert response.status_code == 400
    assert "Please start the form again." in response.get_data(as_text=True)
