import json
import re
import xml.etree.ElementTree as ET

import pytest

from formserver.catalog import load_spec
from formserver.graph import flow_graph, mermaid, svg
from formserver.specfile import compile_spec

from .conftest import EXAMPLE_SPECS

SVG = "{http://www.w3.org/2000/svg}"
EXAMPLES = sorted(
    p
    for p in EXAMPLE_SPECS.glob("*/*.json")
    if p.name != "client.json" and not p.name.endswith(".tests.json")
)


def step(step_id, title="", **more):
    return {
        "id": step_id,
        "title": title,
        "fields": [{"id": f"{step_id}_q", "type": "text", "label": "Q"}],
        **more,
    }


def spec_of(*steps):
    return compile_spec({"title": "Graph", "steps": list(steps)})


def branch_count(document):
    """The edges a spec's steps lead on by, counted from its JSON."""
    count = 0
    steps = document["steps"]
    for index, raw in enumerate(steps):
        following = raw.get("next")
        if raw.get("end"):
            continue
        if isinstance(following, str):
            count += 1
            continue
        branches = following or []
        count += len(branches)
        has_default = any("when" not in b for b in branches)
        if not has_default and index + 1 < len(steps):
            count += 1
    return count


def step_edges(text):
    return re.findall(r"^\s+s\d+ --\>(?:\|[^|]*\|)? [sm]\d+$", text, re.MULTILINE)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_mermaid_shows_every_step_and_one_edge_per_branch(path):
    spec = load_spec(path)

    text = mermaid(spec)

    assert text.startswith("flowchart TD\n")
    for step_ in spec.steps:
        assert step_.id in text
    assert len(step_edges(text)) == branch_count(json.loads(path.read_text()))


def routes_of(spec):
    """Every (segment label, tier, track, redirect) a prospect can end on.

    A segment's own route carries its label; a tier it takes from the form's
    routes is shared, so it carries none.
    """
    expected = set()
    for segment in spec.segments:
        tiers = [band.tier for band in spec.tiers_for(segment)] or ["unrated"]
        if spec.knockouts or segment.knockouts:
            tiers.append("disqualified")
        for tier in tiers:
            route = spec.route_for(segment, tier)
            label = segment.label if tier in segment.routes else ""
            track = route.track if route else "no route"
            expected.add((label, tier, track, route.redirect if route else ""))
    return expected


def ending_nodes(text):
    """The ending nodes of a Mermaid flowchart: node id -> its lines."""
    nodes = re.findall(r'^\s+(r\d+)\(\["(.*)"\]\)$', text, re.MULTILINE)
    return {
        node: [re.sub(r"#(\d+);", lambda m: chr(int(m[1])), line) for line in lines]
        for node, label in nodes
        for lines in [label.split("<br/>")]
    }


def said(route):
    label, tier, track, redirect = route
    lines = [label] if label else []
    lines.append(f"{tier} → {track}")
    if redirect:
        lines.append(f"redirects to {redirect}")
    return lines


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_mermaid_draws_one_ending_per_route_from_the_steps_that_end(path):
    spec = load_spec(path)
    expected = routes_of(spec)

    text = mermaid(spec)

    nodes = ending_nodes(text)
    assert sorted(nodes.values()) == sorted(said(route) for route in expected)
    ending_steps = {
        f"s{i}"
        for i, step_ in enumerate(spec.steps)
        if step_.end or i == len(spec.steps) - 1
    }
    for node in nodes:
        sources = re.findall(rf"^\s+(s\d+) --> {node}$", text, re.MULTILINE)
        assert sources and set(sources) <= ending_steps
    assert "unreachable" not in text.split("classDef missing")[1]
    assert f"class {','.join(nodes)} ending" in text


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_svg_draws_one_ending_per_route(path):
    spec = load_spec(path)

    drawing = ET.fromstring(svg(spec))

    ends = [g for g in drawing.iter(f"{SVG}g") if g.get("class") == "end"]
    titles = {g.find(f"{SVG}title").text for g in ends}
    assert titles == {"; ".join(said(route)) for route in routes_of(spec)}


def segmented(**qualification):
    """Two segments with their own step and ending step, and the given routes."""
    return compile_spec(
        {
            "title": "Segmented",
            "steps": [
                step("start", next=[{"when": {"var": "start_q"}, "goto": "a"}]),
                step("b", next="b-end"),
                step("a", next="a-end"),
                step("a-end", end=True),
                step("b-end", end=True),
            ],
            "segments": [
                {
                    "id": "seg-a",
                    "label": "Segment A",
                    "when": {"var": "start_q"},
                    "steps": ["a"],
                    "routes": {"hot": {"track": "a-desk"}},
                },
                {"id": "seg-b", "label": "Segment B", "steps": ["b"]},
            ],
            "qualification": {
                "tiers": [{"tier": "hot", "from": 10}, {"tier": "cold", "to": 10}],
                **qualification,
            },
        }
    )


def test_segments_without_their_own_route_share_the_form_wide_ending():
    spec = segmented(routes={"hot": {"track": "main-desk"}})

    text = mermaid(spec)

    nodes = {tuple(lines): node for node, lines in ending_nodes(text).items()}
    assert set(nodes) == {
        ("Segment A", "hot → a-desk"),
        ("form-wide", "cold → no route"),
        ("form-wide", "hot → main-desk"),
    }
    # Prospects of segment A never pass b, so they cannot end at b-end.
    a_desk = nodes[("Segment A", "hot → a-desk")]
    assert re.findall(rf"^\s+(s\d+) --> {a_desk}$", text, re.MULTILINE) == ["s3"]
    main_desk = nodes[("form-wide", "hot → main-desk")]
    assert re.findall(rf"^\s+(s\d+) --> {main_desk}$", text, re.MULTILINE) == ["s4"]
    cold = nodes[("form-wide", "cold → no route")]
    assert re.findall(rf"^\s+(s\d+) --> {cold}$", text, re.MULTILINE) == ["s3", "s4"]


def test_a_knock_out_adds_the_disqualified_ending():
    knockout = {"when": {"var": "start_q"}, "reason": "Out", "id": "out"}
    spec = segmented(
        knockouts=[knockout], routes={"disqualified": {"track": "decline"}}
    )

    lines = ending_nodes(mermaid(spec)).values()

    assert ["form-wide", "disqualified → decline"] in lines


def test_acme_branches_are_labelled_in_plain_words():
    spec = load_spec(EXAMPLE_SPECS / "acme-realty" / "property-enquiry.json")

    text = mermaid(spec)

    assert 's0 -->|"the segment is Investor"| s1' in text
    assert 's0 -->|"the segment is Developer"| s2' in text
    assert 's0 -->|"otherwise"| s3' in text
    assert "s4 --> r0" in text
    assert (
        'r0(["Investor<br/>hot → investor-desk<br/>redirects to '
        'https://calendar.acme-realty.example/investor-desk"])'
    ) in text


def test_steps_without_next_fall_through_and_the_last_one_ends():
    spec = spec_of(step("a"), step("b"), step("c"))

    text = mermaid(spec)

    assert "s0 --> s1" in text and "s1 --> s2" in text and "s2 --> r0" in text
    assert 'r0(["unrated → no route"])' in text


def test_branches_that_all_have_when_fall_through_otherwise():
    spec = spec_of(
        step("a", next=[{"when": {"==": [{"var": "a_q"}, "x"]}, "goto": "c"}]),
        step("b", end=True),
        step("c", end=True),
    )

    text = mermaid(spec)

    assert 's0 -->|"Q is “x”"| s2' in text
    assert 's0 -->|"otherwise"| s1' in text
    assert "s1 --> r0" in text and "s2 --> r0" in text


def test_branches_after_the_default_are_never_taken_and_not_drawn():
    spec = spec_of(
        step("a", next=[{"goto": "b"}, {"when": True, "goto": "c"}]),
        step("b", end=True),
        step("c", end=True),
    )

    graph = flow_graph(spec)

    assert [(e.source, e.target) for e in graph.edges] == [(0, 1)]
    assert graph.unreachable == [2]


def test_unreachable_steps_are_marked():
    spec = spec_of(
        step("start", "Start", next="done"),
        step("orphan", "Nobody comes here", next="done"),
        step("done", "Done", end=True),
    )

    text = mermaid(spec)
    drawing = ET.fromstring(svg(spec))

    assert "classDef unreachable" in text
    assert re.search(r"^\s+class s1 unreachable$", text, re.MULTILINE)
    greyed = [g for g in drawing.iter(f"{SVG}g") if g.get("class") == "unreachable"]
    assert [g.find(f"{SVG}title").text for g in greyed] == ["Nobody comes here orphan"]


def test_a_branch_to_a_step_nobody_defines_is_shown():
    spec = spec_of(step("a", next="contact-us"), step("contact", end=True))

    text = mermaid(spec)

    assert "s0 --> m0" in text
    assert "no step 'contact-us'" in text
    assert "class m0 missing" in text
    assert "class s1 unreachable" in text


HOSTILE_TITLE = 'Say "hi" [now] (or {later}) #1 <b>bold</b> & more | `x`; \x01end'


def test_mermaid_escapes_titles_and_labels():
    spec = compile_spec(
        {
            "title": "Graph",
            "steps": [
                {
                    "id": "a",
                    "title": HOSTILE_TITLE,
                    "fields": [
                        {"id": "q", "type": "text", "label": 'The "best" [x] #1'}
                    ],
                    "next": [{"when": {"==": [{"var": "q"}, "<y>"]}, "goto": "b"}],
                },
                step("b", "B", end=True),
            ],
        }
    )

    text = mermaid(spec)

    node = re.search(r'^\s+s0\["(.*)"\]$', text, re.MULTILINE).group(1)
    bare = re.sub(r"#\d+;", "", node.replace("<br/>", "\n"))
    assert not set(bare) & set('"[](){}#<>|`;\x01')
    assert "#34;hi#34;" in node and "#91;now#93;" in node and "#35;1" in node
    assert "#60;b#62;bold#60;/b#62;" in node and "#38; more" in node
    assert "\x01" not in text
    edge = re.search(r'^\s+s0 -->\|"(.*)"\| s1$', text, re.MULTILINE).group(1)
    assert '"' not in edge and "[" not in edge and "<" not in edge
    assert "#34;best#34;" in edge and "#60;y#62;" in edge


def test_svg_escapes_titles_and_still_parses():
    spec = spec_of(step("a", HOSTILE_TITLE), step("b", "B", end=True))

    drawing = ET.fromstring(svg(spec))

    titles = [t.text for t in drawing.iter(f"{SVG}title")]
    assert HOSTILE_TITLE.replace("\x01", "") + " a" in titles


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_svg_parses_and_shows_every_step_title(path):
    spec = load_spec(path)

    drawing = ET.fromstring(svg(spec))

    assert drawing.tag == f"{SVG}svg"
    titles = " | ".join(t.text or "" for t in drawing.iter(f"{SVG}title"))
    shown = " ".join(t.text or "" for t in drawing.iter(f"{SVG}text"))
    for step_ in spec.steps:
        assert step_.title in titles
        assert step_.id in shown
    assert not list(drawing.iter(f"{SVG}script"))
    assert not list(drawing.iter(f"{SVG}style"))
    assert "@font-face" not in svg(spec) and "href" not in svg(spec)


def test_svg_lays_out_a_hundred_steps():
    steps = [
        step(
            f"s{i}",
            f"Step {i}",
            next=[
                {
                    "when": {">": [{"var": f"s{i}_q"}, 5]},
                    "goto": f"s{(i * 7 + 3) % 100}",
                },
                {"goto": f"s{i + 1}"},
            ],
        )
        for i in range(99)
    ]
    spec = spec_of(*steps, step("s99", "Last", end=True))

    drawing = ET.fromstring(svg(spec))

    boxes = [g for g in drawing.iter(f"{SVG}g") if g.get("class") == "step"]
    assert len(boxes) == 100
    assert float(drawing.get("width")) < 20_000
    assert float(drawing.get("height")) < 20_000


def test_prospects_in_no_segment_end_on_the_form_wide_routes_anywhere():
    spec = segmented(routes={"hot": {"track": "main-desk"}})
    document = json.loads(json.dumps(spec.document))
    document["segments"][1]["when"] = {"!": {"var": "start_q"}}
    spec = compile_spec(document)

    text = mermaid(spec)

    nodes = {tuple(lines): node for node, lines in ending_nodes(text).items()}
    main_desk = nodes[("form-wide", "hot → main-desk")]
    sources = re.findall(rf"^\s+(s\d+) --> {main_desk}$", text, re.MULTILINE)
    assert sorted(sources) == ["s3", "s4"]
