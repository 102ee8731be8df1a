"""Text as officials read it: laid out for a terminal, where a Chinese character takes two
columns, shown as it is stored, dates written as letters write them, and numbers read in
Chinese numerals."""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata

from cohandle._errors import expect

__all__ = ["CHINESE_NUMERALS", "chinese_date", "chinese_int", "ideographs", "pad", "shown", "width"]


def chinese_date(day: _dt.date) -> str:
    """2023年4月10日: Arabic numerals, the year in full, no zero padding."""
    return f"{day.year}年{day.month}月{day.day}日"


_DIGIT = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "Ｏ": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CHINESE_NUMERALS = "〇○零Ｏ一二三四五六七八九十"


def chinese_int(text: str) -> int | None:
    """A number written in Arabic or Chinese numerals up to 99 (十三, 二十, 一), or a year (二〇二二)."""
    expect("text", text, str, "text")
    text = text.strip()
    if text.isdecimal():  # not isdigit(), which takes ² and ①, which int() refuses
        return int(text)
    if not text or any(ch not in CHINESE_NUMERALS for ch in text):
        return None
    if "十" not in text:
        value = 0
        for ch in text:
            value = value * 10 + _DIGIT[ch]
        return value
    tens, _, ones = text.partition("十")
    high = _DIGIT.get(tens) if tens else 1
    low = _DIGIT.get(ones) if ones else 0
    if not high or low is None:  # 十十三, 十四五, 一二十, 〇十: not a number
        return None
    return high * 10 + low


def width(text: str) -> int:
    """Terminal columns of ``text``: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    """``text`` padded to ``columns`` terminal columns."""
    return text + " " * max(0, columns - width(text))


# Characters that act on a terminal or on how the text around them is laid out, instead of
# showing: control characters (an escape sequence recolours or clears the screen, a carriage
# return or a backspace lets what follows overwrite what came before), format characters
# (a right-to-left override turns the text after it around; a zero-width space makes two names
# look the same) and the line and paragraph separators.
_ACTING = frozenset(("Cc", "Cf", "Zl", "Zp"))
_SHORT = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _escape(ch: str) -> str:
    short = _SHORT.get(ch)
    if short is not None:
        return short
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # as JSON writes it: a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def shown(text: str, *, lines: bool = False) -> str:
    """``text`` with every character that would act on a terminal instead of showing written
    as its escape (``\\u001b``, ``\\r``, ``\\u202e``), so that what an official reads is what
    is stored. With ``lines``, line feeds and tabs are kept (and a carriage return before a
    line feed dropped). The escapes are JSON's: JSON stays the same JSON.

    Ideographic and other spaces, private-use characters (some systems keep rare characters of
    names there) and characters newer than this Python's Unicode tables are shown as they are.
    """
    if not lines:
        return text if text.isprintable() else _escaped(text, "")
    if text.replace("\n", "").replace("\t", "").isprintable():
        return text
    return "\n".join(  # only the lines that need it are looked at character by character
        line if line.replace("\t", "").isprintable() else _escaped(line, "\t")
        for line in text.replace("\r\n", "\n").split("\n")
    )


def _escaped(text: str, kept: str) -> str:
    return "".join(
        ch if ch in kept or unicodedata.category(ch) not in _ACTING else _escape(ch) for ch in text
    )


# The radicals (U+2E80 to U+2FDF) that look like whole characters, and those characters: text
# taken out of a PDF often carries the radical (⼈⺠政府, ⻓江) where the document showed the
# character (人民政府, 长江). Each pair is one of the Unicode Character Database's
# EquivalentUnifiedIdeograph.txt (version 15.0.0); of the Kangxi radicals, exactly the
# characters NFKC gives them.
_RADICALS = (
    "⺁⺂⺃⺄⺅⺆⺇⺈⺉⺊⺋⺌⺍⺎⺏⺐⺑⺒⺓⺔⺕⺖⺗⺘⺙⺛⺜⺝⺞⺟⺠⺡⺢⺣⺤⺥⺦⺧⺨⺩"
    "⺪⺫⺬⺭⺮⺯⺰⺱⺲⺳⺴⺵⺶⺷⺸⺹⺺⺻⺼⺽⺾⺿⻀⻁⻂⻃⻄⻅⻆⻇⻈⻉⻊⻋⻌⻍⻎⻏⻐⻑"
    "⻒⻓⻔⻕⻖⻗⻘⻙⻚⻛⻜⻝⻞⻟⻠⻡⻢⻣⻤⻥⻦⻧⻨⻩⻪⻫⻬⻭⻮⻯⻰⻱⻲⻳⼀⼁⼂⼃⼄⼅"
    "⼆⼇⼈⼉⼊⼋⼌⼍⼎⼏⼐⼑⼒⼓⼔⼕⼖⼗⼘⼙⼚⼛⼜⼝⼞⼟⼠⼡⼢⼣⼤⼥⼦⼧⼨⼩⼪⼫⼬⼭"
    "⼮⼯⼰⼱⼲⼳⼴⼵⼶⼷⼸⼹⼺⼻⼼⼽⼾⼿⽀⽁⽂⽃⽄⽅⽆⽇⽈⽉⽊⽋⽌⽍⽎⽏⽐⽑⽒⽓⽔⽕"
    "⽖⽗⽘⽙⽚⽛⽜⽝⽞⽟⽠⽡⽢⽣⽤⽥⽦⽧⽨⽩⽪⽫⽬⽭⽮⽯⽰⽱⽲⽳⽴⽵⽶⽷⽸⽹⽺⽻⽼⽽"
    "⽾⽿⾀⾁⾂⾃⾄⾅⾆⾇⾈⾉⾊⾋⾌⾍⾎⾏⾐⾑⾒⾓⾔⾕⾖⾗⾘⾙⾚⾛⾜⾝⾞⾟⾠⾡⾢⾣⾤⾥"
    "⾦⾧⾨⾩⾪⾫⾬⾭⾮⾯⾰⾱⾲⾳⾴⾵⾶⾷⾸⾹⾺⾻⾼⾽⾾⾿⿀⿁⿂⿃⿄⿅⿆⿇⿈⿉⿊⿋⿌⿍"
    "⿎⿏⿐⿑⿒⿓⿔⿕"
)
_EQUIVALENTS = (
    "厂乛乚乙亻冂𠘨刀刂卜㔾小小兀尣尢𡯂巳幺彑𫜹忄心扌攵旡日月歺母民氵氺灬爫爫丬牛犭王"
    "𤴔目示礻𥫗糹纟罓罒㓁冗𦉫羊𦍌𦍋耂肀聿肉𦥑艹艹艹虎衤覀西见角𧢲讠贝𧾷车辶辶辶邑钅長"
    "镸长门𨸏阝雨青韦页风飞食𩙿飠饣𩠐马骨鬼鱼鸟卤麦黄黾斉齐歯齿竜龙龜亀龟一丨丶丿乙亅"
    "二亠人儿入八冂冖冫几凵刀力勹匕匚匸十卜卩厂厶又口囗土士夂夊夕大女子宀寸小尢尸屮山"
    "巛工己巾干幺广廴廾弋弓彐彡彳心戈戶手支攴文斗斤方无日曰月木欠止歹殳毋比毛氏气水火"
    "爪父爻爿片牙牛犬玄玉瓜瓦甘生用田疋疒癶白皮皿目矛矢石示禸禾穴立竹米糸缶网羊羽老而"
    "耒耳聿肉臣自至臼舌舛舟艮色艸虍虫血行衣襾見角言谷豆豕豸貝赤走足身車辛辰辵邑酉釆里"
    "金長門阜隶隹雨靑非面革韋韭音頁風飛食首香馬骨高髟鬥鬯鬲鬼魚鳥鹵鹿麥麻黃黍黑黹黽鼎"
    "鼓鼠鼻齊齒龍龜龠"
)
# The CJK compatibility ideographs (金 U+F90A for 金 U+91D1), which conversions from older
# character sets leave, are the characters Unicode makes them equal to (NFC), one for one too.
_COMPATIBLE = {
    code: equal
    for code in (*range(0xF900, 0xFB00), *range(0x2F800, 0x2FA20))
    if (equal := unicodedata.normalize("NFC", chr(code))) != chr(code)
}
_AS_IDEOGRAPHS = str.maketrans(_RADICALS, _EQUIVALENTS) | str.maketrans(_COMPATIBLE)
_STANDS_FOR_AN_IDEOGRAPH = re.compile("[\u2e80-\u2fdf\uf900-\ufaff\U0002f800-\U0002fa1f]")


def ideographs(text: str) -> str:
    """``text`` with every radical that stands for a character (⼈, ⺠), and every
    compatibility ideograph (金), written as that character (人, 民, 金), one for one, so that
    what is found in the text keeps its place."""
    if text.isascii() or _STANDS_FOR_AN_IDEOGRAPH.search(text) is None:
        return text
    return text.translate(_AS_IDEOGRAPHS)
