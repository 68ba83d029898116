"""Sphinx directive ``.. md-section::``: a section of a Markdown file as reST.

The README (and bench/README.md) stay the single source of the prose; the
pages of the documentation take their sections from them at build time, so the
two never drift.  Only the Markdown the project writes is understood:
ATX headings, paragraphs, fenced code blocks, pipe tables, ``-`` bullet lists
(continuation lines indented), images, links, inline code and bold.  Anything
else is passed through as text, escaped, so it cannot break the build.

Usage::

    .. md-section:: The rules and the reference each reproduces
       :file: README.md
       :subsections:

The argument is a heading's text; the section runs to the next heading
(``:subsections:``: to the next heading of the same or a higher level).
The heading itself is not repeated: the page has its own title.  With
``:whole:`` (and no argument) the whole file is taken.  Links to
``bench/README.md`` become links to the benchmarks page, links to other
files of the repository become literal file names, and images under
``docs/`` are the pictures beside this page.
"""
import os
import re

from docutils import nodes
from docutils.parsers.rst import Directive, directives
from docutils.statemachine import StringList
from sphinx.util.nodes import nested_parse_with_titles

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^(\s*)```\s*([\w+-]*)\s*$")
_BULLET = re.compile(r"^(\s*)[-*]\s+")
_TABLE_SEP = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
# inline tokens, tried in this order at each position
_INLINE = re.compile(
    r"(?P<code>`+)(?P<code_body>.+?)(?P=code)"
    r"|!\[(?P<img_alt>[^\]]*)\]\((?P<img_src>[^)\s]+)\)"
    r"|\[(?P<link_text>[^\]]+)\]\((?P<link_url>[^)\s]+)\)"
    r"|\*\*(?P<bold>[^*]+?)\*\*"
    r"|(?<![\w*])\*(?P<em>[^*\s](?:[^*]*?[^*\s])?)\*(?![\w*])"
)
_UNDERLINES = "=-~^\"'"
_LANGS = {"python": "python", "py": "python", "bash": "console", "sh": "console",
          "console": "console", "": "text", "text": "text"}


def _escape(text):
    return re.sub(r"([\\*_|`])", r"\\\1", text)


def _literal(body):
    body = body.strip()
    if "``" in body or body.startswith("`") or body.endswith("`"):
        return ":code:`" + body.replace("\\", "\\\\").replace("`", "\\`") + "`"
    return "``" + body + "``"


def _link(text, url):
    if url.startswith(("http://", "https://", "mailto:")):
        return f"`{_escape(text)} <{url}>`__"
    if url.split("#")[0].endswith("bench/README.md"):
        return f":doc:`{_escape(text)} </benchmarks>`"
    return _literal(text)        # a file of the repository: shown, not linked


def convert_inline(text):
    """Markdown inline markup of one line -> reST inline markup."""
    out = []
    pos = 0
    for m in _INLINE.finditer(text):
        out.append(_escape(text[pos:m.start()]))
        if m.group("code"):
            piece = _literal(m.group("code_body"))
        elif m.group("img_src"):
            piece = _escape(m.group("img_alt"))
        elif m.group("link_url"):
            piece = _link(m.group("link_text"), m.group("link_url"))
        elif m.group("bold") is not None:
            # reST cannot nest markup: code inside bold text is shown bold
            piece = "**" + _escape(m.group("bold").replace("`", "")) + "**"
        else:
            piece = "*" + _escape(m.group("em")) + "*"
        # reST inline markup must be delimited by whitespace or punctuation:
        # an escaped space joins it to letters or digits without a gap.
        if m.start() > 0 and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_"):
            piece = "\\ " + piece
        if m.end() < len(text) and (text[m.end()].isalnum() or text[m.end()] in "_("):
            piece = piece + "\\ "
        out.append(piece)
        pos = m.end()
    out.append(_escape(text[pos:]))
    return "".join(out)


def _table(rows):
    def cells(line):
        line = line.strip()
        if line.startswith("|"):
            line = line[1:]
        if line.endswith("|"):
            line = line[:-1]
        return [c.strip() for c in re.split(r"(?<!\\)\|", line)]
    header = cells(rows[0])
    body = [cells(r) for r in rows[2:]]
    out = [".. list-table::", "   :header-rows: 1", ""]
    for row in [header] + body:
        row = (row + [""] * len(header))[:len(header)]
        for i, c in enumerate(row):
            lead = "   * - " if i == 0 else "     - "
            out.append(lead + (convert_inline(c) if c else ""))
    out.append("")
    return out


def markdown_to_rst(lines, image_dir="docs/"):
    """Convert Markdown lines (the subset described above) to reST lines.

    Heading levels are renumbered from the shallowest heading in `lines`,
    which becomes a section one level below the page title.
    """
    levels = sorted({len(_HEADING.match(lines[k]).group(1)) for k in _headings(lines)})
    out = []
    # The paragraph or list item being read: its lines are joined before
    # the inline markup is converted, since a code span or bold text may run
    # over a line break.  item_indent: None for a paragraph, else the list
    # item's nesting level (0 top, 1 nested, ...).
    text, item_indent, bullet_cols = [], None, []

    def flush():
        if text:
            body = convert_inline(" ".join(t.strip() for t in text))
            if item_indent is None:
                out.extend(["", body])
            else:
                out.extend(["", "  " * item_indent + "- " + body])
            out.append("")
        text.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            flush()
            item_indent, bullet_cols = None, []
            lang = _LANGS.get(fence.group(2).lower(), "text")
            i += 1
            block = []
            while i < len(lines) and not _FENCE.match(lines[i]):
                block.append(lines[i])
                i += 1
            i += 1
            out += ["", f".. code-block:: {lang}", ""]
            out += ["   " + b if b.strip() else "" for b in block]
            out.append("")
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            item_indent, bullet_cols = None, []
            title = convert_inline(heading.group(2))
            depth = levels.index(len(heading.group(1))) + 1
            out += ["", title, _UNDERLINES[depth] * max(len(title), 4), ""]
            i += 1
            continue
        if line.lstrip().startswith("|") and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1]):
            flush()
            item_indent, bullet_cols = None, []
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(lines[i])
                i += 1
            out += [""] + _table(rows)
            continue
        image = re.match(r"^\s*!\[([^\]]*)\]\(([^)\s]+)\)\s*$", line)
        if image:
            flush()
            item_indent, bullet_cols = None, []
            src = image.group(2)
            if src.startswith(image_dir):
                src = "/" + src[len(image_dir):]
            out += ["", f".. image:: {src}", f"   :alt: {image.group(1)}", ""]
            i += 1
            continue
        bullet = _BULLET.match(line)
        if bullet:
            flush()
            col = len(bullet.group(1))
            while bullet_cols and bullet_cols[-1] > col:
                bullet_cols.pop()
            if not bullet_cols or bullet_cols[-1] < col:
                bullet_cols.append(col)
            item_indent = len(bullet_cols) - 1
            text.append(line[bullet.end():])
        elif not line.strip():
            flush()
            if item_indent is not None and i + 1 < len(lines) and lines[i + 1].startswith(" "):
                pass                      # a list item's next paragraph: kept in the list
            else:
                item_indent, bullet_cols = None, []
        elif item_indent is not None and not line.startswith(" ") and not text:
            item_indent, bullet_cols = None, []
            text.append(line)
        else:
            if item_indent is not None and not line.startswith(" "):
                flush()
                item_indent, bullet_cols = None, []
            text.append(line)
        i += 1
    flush()
    return out


def extract_section(lines, title, subsections):
    """The lines under the heading whose text is `title` (heading excluded)."""
    start = level = None
    for k in _headings(lines):
        m = _HEADING.match(lines[k])
        if start is None:
            if m.group(2).strip() == title:
                start, level = k + 1, len(m.group(1))
        elif not subsections or len(m.group(1)) <= level:
            return lines[start:k]
    if start is None:
        raise ValueError(f"no heading {title!r}")
    return lines[start:]


def _headings(lines):
    """Indices of the heading lines (a '#' line inside fenced code is code)."""
    fenced = False
    for k, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and _HEADING.match(line):
            yield k


class MarkdownSection(Directive):
    required_arguments = 0
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec = {"file": directives.unchanged, "subsections": directives.flag,
                   "whole": directives.flag}

    def run(self):
        env = self.state.document.settings.env
        relfile = self.options.get("file", "README.md")
        path = os.path.normpath(os.path.join(env.srcdir, "..", relfile))
        env.note_dependency(path)
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        if "whole" in self.options:
            section = lines
        else:
            if not self.arguments:
                raise self.error("md-section needs a heading (or :whole:)")
            try:
                section = extract_section(lines, self.arguments[0],
                                          "subsections" in self.options)
            except ValueError as e:
                raise self.error(f"{relfile}: {e}") from None
        rst = markdown_to_rst(section)
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(rst, source=path), node)
        return node.children


def setup(app):
    app.add_directive("md-section", MarkdownSection)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
