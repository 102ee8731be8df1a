"""The reference page is what the code says (regenerate it with ``python tests/reference_page.py``)."""

from __future__ import annotations

from reference_page import PAGE, render


def test_the_reference_page_is_generated_from_the_code() -> None:
    assert PAGE.read_text(encoding="utf-8") == render(), "run: python tests/reference_page.py"
