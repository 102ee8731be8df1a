"""Reading a Word document (.docx) as the text its reader sees.

python-docx's own ``text`` leaves out what a letter or a form often holds: content controls (a
template's fields), check boxes, boxes and ticks in symbol fonts, text boxes (a category's
letter boxed in a corner), and the numbers of Word's automatic numbering (Word turns 一、 typed
at a line's start into a numbered list, so a letter's headings, 一、主要工作情况, are often not
in its text at all). It repeats a cell merged down in every row it spans, and keeps text
deleted with changes tracked. The document is read here from its XML, as it prints.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

from cohandle._model import chinese_number
from cohandle.letters._parse import LetterError

__all__ = ["word_text"]


def word_text(data: bytes) -> str:
    """The text of a Word document (.docx): its paragraphs, and its tables a row to a line
    with a tab between cells (as Word saves a document as text), in the order they stand. Text
    in content controls is read too, a check box as ☒ or □, a numbered paragraph with its
    number (一、, （一）, 1.) as Word prints it, and a text box's lines before the paragraph it
    is anchored in."""
    try:
        import docx
    except ImportError:
        raise LetterError(
            "The input is a Word document (.docx), which needs python-docx to be read: "
            "pip install 'cohandle[letters]'."
        ) from None
    from docx.opc.exceptions import OpcError
    from lxml.etree import LxmlError

    try:
        _within_limits(zipfile.ZipFile(io.BytesIO(data)).infolist())
        document = docx.Document(io.BytesIO(data))
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        KeyError,
        ValueError,
        OpcError,
    ) as exc:
        # cut short, its bytes damaged, packed in a way Word never packs, or an Excel file, say
        raise LetterError(
            f"The input is a ZIP archive but not a Word document (.docx) that can be read ({exc})."
        ) from None
    except LxmlError as exc:  # a part that is not well-formed XML
        raise LetterError(
            f"The input is a damaged Word document (.docx): a part of it is not XML ({exc})."
        ) from None
    body = document.element.find(_W + "body")
    if body is None:
        raise LetterError("The input is a damaged Word document (.docx): it has no body.")
    return "\n".join(_blocks(body, _Numbering(document)))


# Every part of a Word document is read whole, and an XML part takes several times its size in
# memory once parsed. A ZIP archive's parts may unpack to a thousand times what they take in it,
# so a file of a megabyte can unpack to a gigabyte; its listing says how much each part unpacks
# to (which reading it never exceeds), and a document beyond these is refused unread. A letter
# of a hundred pages unpacks to a few megabytes.
MAX_XML_BYTES = 64 * 2**20  # the parts read as XML (.xml, .rels), together
MAX_UNPACKED_BYTES = 512 * 2**20  # every part, pictures included


def _within_limits(parts: list[zipfile.ZipInfo]) -> None:
    if any(part.flag_bits & 0x1 for part in parts):  # Word encrypts a whole file, never a part
        raise LetterError("The input is a damaged Word document (.docx): a part of it is marked encrypted.")
    xml = sum(part.file_size for part in parts if part.filename.endswith((".xml", ".rels")))
    whole = sum(part.file_size for part in parts)
    for size, limit, what in ((xml, MAX_XML_BYTES, "XML parts"), (whole, MAX_UNPACKED_BYTES, "parts")):
        if size > limit:
            raise LetterError(
                f"The input is a Word document (.docx) whose {what} unpack to {size / 2**20:,.1f} MiB, "
                f"more than the {limit / 2**20:g} MiB read of one: it is refused unread."
            )


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
# what holds no text of the paragraph: properties (a paragraph's tab stops are w:tab too),
# drawings (a text box in one is read as lines of its own, by _boxes), a field's code, text
# deleted or moved away with changes tracked, the other form of what is written twice for older
# readers
_NOT_TEXT = frozenset(
    (
        *(_W + tag for tag in ("pPr", "rPr", "sdtPr", "drawing", "pict", "instrText", "del", "moveFrom")),
        _MC + "AlternateContent",
    )
)
# Boxes and ticks drawn in a symbol font, by the letter the font draws them for: inserted as a
# symbol (w:sym), or typed (R in Wingdings 2 is a ticked box, the common way to tick a box in a
# Chinese form: type R, set the font to Wingdings 2). Other characters of these fonts are
# pictures, not text, and are left out.
_SYMBOL_FONTS = {
    "wingdings": {
        "\xfe": "☑", "\xfd": "☒", "x": "☒", "\xfc": "✓", "\xfb": "✗", "\xa8": "□", "o": "□", "q": "□", "r": "□",
        "\xa1": "□", "n": "■",  # \xa1 is a white circle, an empty choice as a box is
    },
    "wingdings 2": {"R": "☑", "Q": "☒", "S": "☒", "T": "☒", "P": "✓", "O": "✗", "\xa3": "□", "\xa2": "■"},
}  # fmt: skip


def _blocks(parent: Any, numbering: _Numbering) -> Iterator[str]:
    """The lines of a Word body, a table cell or a content control: a paragraph a line, a
    table a row to a line."""
    for child in parent:
        if child.tag == _W + "p":
            for box in _boxes(child):  # a text box's lines before the paragraph it is anchored in
                yield from _blocks(box, numbering)
            yield numbering.label(child) + _runs(child)
        elif child.tag == _W + "tbl":
            for row in child.iter(_W + "tr"):
                if row.getparent() is not child:
                    continue  # a row of a table nested in a cell: read with its cell
                cells = []
                for cell in row.iter(_W + "tc"):
                    if cell.getparent() is not row:
                        continue
                    merge = cell.find(f"{_W}tcPr/{_W}vMerge")
                    if merge is not None and merge.get(_W + "val", "continue") == "continue":
                        continue  # the lower part of a cell merged down: said once, above
                    cells.append("\n".join(_blocks(cell, numbering)))
                yield "\t".join(cells)
        elif child.tag == _W + "sdt":  # a content control around whole paragraphs or a table
            content = child.find(_W + "sdtContent")
            if content is not None:
                yield from _blocks(content, numbering)


def _boxes(paragraph: Any) -> Iterator[Any]:
    """The text boxes anchored in ``paragraph`` (a category's letter boxed in a corner, a
    header laid out in boxes), each once: Word writes a box twice, as a drawing and as VML for
    older readers (mc:Fallback), and a box inside a box is read with the box it is in."""
    if paragraph.find(f".//{_W}txbxContent") is None:  # most paragraphs: one search in C
        return
    for box in paragraph.iter(_W + "txbxContent"):
        node = box.getparent()
        while node is not paragraph and node.tag not in (_MC + "Fallback", _W + "txbxContent"):
            node = node.getparent()
        if node is paragraph:
            yield box


def _symbols(text: str, font: str) -> str:
    """What ``text`` set in a symbol font shows, as far as it is a box or a tick."""
    table = _SYMBOL_FONTS[font]
    # Word may keep a symbol font's character in the private use area, U+F000 above its code
    return "".join(table.get(chr(ord(char) - 0xF000) if ord(char) >= 0xF000 else char, "") for char in text)


# Word's 带圈字符 (enclosed characters): a field, EQ \o\ac(□,√), that draws one over the other;
# the other common way to tick a box. Its code is all there is of it: it has no result text.
_ENCLOSED = re.compile(r"(?i)^\s*eq\s+\\o(?:\s*\\a[clr])?\s*\((?P<chars>[^()]*)\)\s*$")
_SHAPES = frozenset("□☐○◯◇△")
_TICKS, _CROSSES = frozenset("√✓✔"), frozenset("×✗✘Xxｘ")


def _enclosed_characters(code: str) -> str:
    """What a field of enclosed characters shows: ☑ for a tick in a box (or a circle), ☒ for
    a cross, else the characters enclosed (a box with nothing in it, the box); "" for any other
    field, whose result is its text."""
    match = _ENCLOSED.match(code)
    if match is None:
        return ""
    chars = [char for char in match.group("chars") if char not in ",，" and not char.isspace()]
    inside = "".join(char for char in chars if char not in _SHAPES)
    shaped = len(inside) < len(chars)
    if shaped and inside in _TICKS:
        return "☑"
    if shaped and inside in _CROSSES:
        return "☒"
    return inside or "".join(chars)  # a shape with nothing in it: the shape


def _symbol_font(run: Any) -> str | None:
    """The symbol font a run is set in (one of :data:`_SYMBOL_FONTS`), or None."""
    fonts = run.find(f"{_W}rPr/{_W}rFonts")
    if fonts is None:
        return None
    name = (fonts.get(_W + "ascii") or fonts.get(_W + "hAnsi") or "").strip().lower()
    return name if name in _SYMBOL_FONTS else None


def _runs(node: Any, font: str | None = None) -> str:
    """The text of a paragraph, as it reads: its runs, those in content controls, hyperlinks
    and insertions among them; a tab, a line break, a check box as ☒ or □, a box or a tick
    set in a symbol font as the box or tick it shows, a tick enclosed in a box (带圈字符) as ☑."""
    out: list[str] = []
    field: list[str] | None = None  # a field's code, read from its start to its result
    for child in node:
        tag = child.tag
        if tag in _NOT_TEXT:
            continue
        if tag == _W + "t":
            out.append((child.text or "") if font is None else _symbols(child.text or "", font))
        elif tag == _W + "r":
            marks = [mark.get(_W + "fldCharType") for mark in child.iterfind(_W + "fldChar")]
            if "begin" in marks:
                field = []
            if field is not None:
                field.extend(text.text or "" for text in child.iterfind(_W + "instrText"))
            out.append(_runs(child, _symbol_font(child)))
            if field is not None and ("separate" in marks or "end" in marks):
                out.append(_enclosed_characters("".join(field)))  # a field shows its result, or this
                field = None
        elif tag in (_W + "tab", _W + "ptab"):
            out.append("\t")
        elif tag in (_W + "br", _W + "cr"):
            out.append("\n")
        elif tag == _W + "sym":  # a symbol inserted: a code of its font, often U+F000 above it
            named = (child.get(_W + "font") or "wingdings").strip().lower()
            try:
                code = chr(int(child.get(_W + "char") or "", 16))
            except (ValueError, OverflowError):
                continue
            out.append(_symbols(code, named) if named in _SYMBOL_FONTS else "")
        elif tag == _W + "checkBox":  # a legacy form field: checked, or checked by default
            value = child.find(_W + "checked")
            if value is None:
                value = child.find(_W + "default")
                ticked = value is not None and value.get(_W + "val", "0") in ("1", "true", "on")
            else:
                ticked = value.get(_W + "val", "1") in ("1", "true", "on")
            out.append("☒" if ticked else "□")
        else:
            out.append(_runs(child, font))
    return "".join(out)


def _val(node: Any, path: str) -> str | None:
    """The ``w:val`` of the first element at ``path`` under ``node``, or None."""
    found = None if node is None else node.find(path)
    return None if found is None else found.get(_W + "val")


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


_ROMAN: tuple[tuple[int, str], ...] = (
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
    (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
)  # fmt: skip
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_CAPITALS = "零壹贰叁肆伍陆柒捌玖"


def _roman(value: int) -> str:
    out = []
    for size, letters in _ROMAN:
        count, value = divmod(value, size)
        out.append(letters * count)
    return "".join(out)


def _letters(value: int) -> str:
    """A, B, …, Z, AA, BB, … as Word counts in letters."""
    repeat, index = divmod(value - 1, 26)
    return chr(ord("A") + index) * (repeat + 1)


def _capitals(value: int) -> str:
    """壹, 贰, …, 壹拾, 壹拾壹: the financial numerals, for 1 to 99."""
    if not 0 < value < 100:
        return str(value)
    tens, ones = divmod(value, 10)
    return (_CAPITALS[tens] + "拾" if tens else "") + (_CAPITALS[ones] if ones else "")


def _in_block(first: int, last: int) -> Any:
    """Numbers written as the characters of a Unicode block from ``first`` (①, ⑴, ⒈)."""
    return lambda value: chr(first + value - 1) if 0 < value <= last else str(value)


# Word's number formats (ST_NumberFormat) as each writes a number; one not here is written in
# digits, as Word falls back
_FORMATS: dict[str, Any] = {
    "decimal": str,
    "decimalZero": lambda value: f"{value:02d}",
    "decimalFullWidth": lambda value: str(value).translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    ),
    "chineseCounting": chinese_number,
    "chineseCountingThousand": chinese_number,
    "japaneseCounting": chinese_number,
    "taiwaneseCounting": chinese_number,
    "taiwaneseCountingThousand": chinese_number,
    "ideographDigital": lambda value: "".join("〇一二三四五六七八九"[int(digit)] for digit in str(value)),
    "chineseLegalSimplified": _capitals,
    "ideographTraditional": lambda value: _STEMS[value - 1] if 0 < value <= 10 else str(value),
    "decimalEnclosedCircle": _in_block(0x2460, 20),
    "decimalEnclosedCircleChinese": _in_block(0x2460, 20),
    "ideographEnclosedCircle": _in_block(0x3280, 10),
    "decimalEnclosedParen": _in_block(0x2474, 20),
    "decimalEnclosedFullstop": _in_block(0x2488, 20),
    "upperLetter": _letters,
    "lowerLetter": lambda value: _letters(value).lower(),
    "upperRoman": _roman,
    "lowerRoman": lambda value: _roman(value).lower(),
    "none": lambda value: "",
}
# after a number ending in one of these, the tab Word puts before the text only aligns it
_CLOSING_MARKS = frozenset("、，．。：）〕】」』")


class _Level:
    """One level of a list: where it starts, how its number is written and what follows it."""

    __slots__ = ("form", "legal", "start", "suffix", "text")

    def __init__(self, node: Any) -> None:
        self.start = _int(_val(node, _W + "start"), 1)
        self.form = _val(node, _W + "numFmt") or "decimal"
        self.text = _val(node, _W + "lvlText")
        self.suffix = {"nothing": "", "space": " "}.get(_val(node, _W + "suff") or "tab", "\t")
        self.legal = node.find(_W + "isLgl") is not None


class _Numbering:
    """Word's automatic numbering: the number each numbered paragraph prints before its text,
    counted in the document's order, a list's deeper levels starting again after a higher one."""

    def __init__(self, document: Any) -> None:
        self._levels: dict[str, dict[int, _Level]] = {}  # abstract list -> its levels
        self._lists: dict[str, tuple[str, dict[int, int]]] = {}  # list -> abstract list, restarts
        self._styles: dict[str, tuple[str | None, str | None, str | None]] = {}  # numId, ilvl, basedOn
        self._counts: dict[str, dict[int, int]] = {}
        self._used: set[str] = set()  # lists whose first paragraph has been read
        # a part may be missing, or not of its type (its content type misnamed): a document's
        # lists are then not numbered, and a style names no list
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        try:
            styles = document.styles.element.iterfind(_W + "style")
        except (KeyError, NotImplementedError, AttributeError):
            styles = iter(())
        for style in styles:
            properties = style.find(_W + "pPr")
            self._styles[style.get(_W + "styleId") or ""] = (
                _val(properties, f"{_W}numPr/{_W}numId"),
                _val(properties, f"{_W}numPr/{_W}ilvl"),
                _val(style, _W + "basedOn"),
            )
        links: dict[str, str] = {}  # an abstract list that only names a list style
        for abstract in numbering.iterfind(_W + "abstractNum"):
            key = abstract.get(_W + "abstractNumId") or ""
            self._levels[key] = {
                _int(lvl.get(_W + "ilvl"), 0): _Level(lvl) for lvl in abstract.iterfind(_W + "lvl")
            }
            link = _val(abstract, _W + "numStyleLink")
            if link is not None:
                links[key] = link
        for instance in numbering.iterfind(_W + "num"):
            restarts = {
                _int(override.get(_W + "ilvl"), 0): _int(_val(override, _W + "startOverride"), 1)
                for override in instance.iterfind(_W + "lvlOverride")
                if override.find(_W + "startOverride") is not None
            }
            self._lists[instance.get(_W + "numId") or ""] = (
                _val(instance, _W + "abstractNumId") or "",
                restarts,
            )
        for key, style in links.items():  # the levels are the list style's list's
            linked = self._lists.get(self._styles.get(style, (None, None, None))[0] or "")
            if linked is not None and linked[0] in self._levels:
                self._levels[key] = self._levels[linked[0]]

    def _of_style(self, style: str | None) -> tuple[str | None, str | None]:
        """The list and the level a paragraph style numbers its paragraphs with, through the
        styles it is based on."""
        seen: set[str] = set()
        while style is not None and style not in seen:
            seen.add(style)
            number, level, based = self._styles.get(style, (None, None, None))
            if number is not None:
                return number, level
            style = based
        return None, None

    def label(self, paragraph: Any) -> str:
        """The number the paragraph prints before its text, and what follows it; "" for a
        paragraph that is not numbered."""
        properties = paragraph.find(_W + "pPr")
        if properties is None or not self._lists:
            return ""
        number, level = _val(properties, f"{_W}numPr/{_W}numId"), _val(properties, f"{_W}numPr/{_W}ilvl")
        if number is None:
            number, style_level = self._of_style(_val(properties, _W + "pStyle"))
            level = level if level is not None else style_level
        if number is None or number == "0" or number not in self._lists:
            return ""  # not numbered, or numbering taken off (numId 0)
        abstract, restarts = self._lists[number]
        levels = self._levels.get(abstract, {})
        depth = _int(level, 0)
        this = levels.get(depth)
        if this is None or this.text is None:
            return ""
        # lists that share an abstract list count on together, unless one starts again
        counts = self._counts.setdefault(abstract, {})
        if number not in self._used:
            self._used.add(number)
            for restarted, start in restarts.items():
                counts[restarted] = start - 1
        counts[depth] = counts.get(depth, this.start - 1) + 1
        for deeper in [key for key in counts if key > depth]:
            del counts[deeper]  # 一、 after （三） starts its （一） again
        if this.form == "bullet":
            text = this.text if this.text and not "\ue000" <= this.text[0] <= "\uf8ff" else "•"
            return text + this.suffix
        text = this.text
        for index in range(8, -1, -1):  # %1 … %9, each the number of its level
            mark = f"%{index + 1}"
            if mark in text:
                other = levels.get(index)
                value = counts.get(index, other.start if other is not None else 1)
                form = "decimal" if this.legal else (other.form if other is not None else "decimal")
                text = text.replace(mark, _FORMATS.get(form, str)(value))
        if not text:
            return ""  # a level that prints no number
        suffix = "" if text[-1] in _CLOSING_MARKS and this.suffix == "\t" else this.suffix
        return text + suffix
