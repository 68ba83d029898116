"""docs/_ext/mdsection.py: the Markdown subset of README.md as reST.

The documentation's guide pages are the README's sections converted at build
time; these tests pin the conversion of every construct the README and
bench/README.md use, by parsing the reST with docutils and looking at the
document tree (not at the text), and check the real README converts with no
reST error.
"""
import io
import os
import sys

import pytest

pytest.importorskip("sphinx")       # the `docs` extra (docutils comes with it)
from docutils import nodes  # noqa: E402
from docutils.core import publish_doctree  # noqa: E402
from docutils.parsers.rst import roles  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "docs", "_ext"))
import mdsection  # noqa: E402


def _doc_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """Sphinx's :doc: role, as a plain reference (docutils alone lacks it)."""
    title, _, target = text.partition(" <")
    return [nodes.reference(rawtext, title, refuri="doc:" + target.rstrip(">"))], []


roles.register_local_role("doc", _doc_role)


def _tree(markdown):
    rst = "\n".join(mdsection.markdown_to_rst(markdown.split("\n")))
    stream = io.StringIO()
    tree = publish_doctree(rst, settings_overrides={"report_level": 2, "halt_level": 5,
                                                    "warning_stream": stream})
    assert stream.getvalue() == "", f"reST errors:\n{stream.getvalue()}\n--- in ---\n{rst}"
    return tree


def test_inline_markup_across_line_breaks():
    tree = _tree("A `code span\nover two lines`, **bold\ntext**, *em* and `coef_`s.")
    literals = [n.astext() for n in tree.findall(nodes.literal)]
    assert literals == ["code span over two lines", "coef_"]
    assert [n.astext() for n in tree.findall(nodes.strong)] == ["bold text"]
    assert [n.astext() for n in tree.findall(nodes.emphasis)] == ["em"]


def test_characters_special_to_rest_are_text():
    tree = _tree("|x_i| <= t_i, 2**63 - 1, a_b_ and *, outside code")
    assert tree.astext() == "|x_i| <= t_i, 2**63 - 1, a_b_ and *, outside code"


def test_code_inside_bold_is_bold_text():
    tree = _tree("**A drop-in for `scipy.optimize.minimize`** with BFGS")
    assert [n.astext() for n in tree.findall(nodes.strong)] == [
        "A drop-in for scipy.optimize.minimize"]


def test_links_images_and_files():
    tree = _tree("See [the site](https://example.org/x) and [bench](bench/README.md#a), "
                 "[a file](fastopt/x.py).\n\n![a picture](docs/quadratic.png)")
    refs = [(n.astext(), n.get("refuri")) for n in tree.findall(nodes.reference)]
    assert refs == [("the site", "https://example.org/x"), ("bench", "doc:/benchmarks")]
    assert "a file" in [n.astext() for n in tree.findall(nodes.literal)]
    images = list(tree.findall(nodes.image))
    assert [(i["uri"], i["alt"]) for i in images] == [("/quadratic.png", "a picture")]


def test_lists_nested_and_after_a_paragraph():
    tree = _tree("Semantics:\n- one `a`\n  continued\n- two\n  * nested\n    more\n- three\n\nAfter.")
    top = next(tree.findall(nodes.bullet_list))
    items = top.children
    assert len(items) == 3
    assert items[0].astext() == "one a continued"
    nested = list(items[1].findall(nodes.bullet_list))
    assert len(nested) == 1 and nested[0].astext() == "nested more"
    assert tree.children[-1].astext() == "After."


def test_table_fence_and_headings():
    md = ("## Top\n\n| a | b |\n|---|---:|\n| `x` | 1 |\n\n```python\n# not a heading\n"
          "x = 1\n```\n\n### Sub\n\ntext")
    tree = _tree(md)
    assert [t.astext() for t in tree.findall(nodes.title)] == ["Top", "Sub"]
    entries = [e.astext() for e in tree.findall(nodes.entry)]
    assert entries == ["a", "b", "x", "1"]
    blocks = list(tree.findall(nodes.literal_block))
    assert blocks[0].astext() == "# not a heading\nx = 1"


def test_extract_section():
    lines = "# T\nintro\n## A\na\n### A1\na1\n## B\nb".split("\n")
    assert mdsection.extract_section(lines, "A", subsections=False) == ["a"]
    assert mdsection.extract_section(lines, "A", subsections=True) == ["a", "### A1", "a1"]
    assert mdsection.extract_section(lines, "B", subsections=False) == ["b"]
    with pytest.raises(ValueError, match="no heading 'C'"):
        mdsection.extract_section(lines, "C", subsections=False)


@pytest.mark.parametrize("path", ["README.md", "bench/README.md"])
def test_the_real_files_convert_without_rest_errors(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        markdown = f.read()
    tree = _tree(markdown)
    assert len(list(tree.findall(nodes.section))) > 5
