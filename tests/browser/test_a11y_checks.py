"""assert_accessible fails on what issue 11 asks it to: an axe-core best-practice finding of
moderate impact, and a table with actions that scrolls sideways on a tablet."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.a11y import assert_accessible

pytestmark = [pytest.mark.browser]

_PAGE = """<!doctype html><html lang="en"><head><title>Check</title></head><body>
<header><nav aria-label="Main"><a href="#main">Home</a></nav></header>
<main id="main"><h1>Check</h1>{content}</main></body></html>"""


def test_a_moderate_best_practice_finding_fails_the_check(page: Page) -> None:
    # Two navigation landmarks with one name: axe's landmark-unique (moderate, best practice).
    page.set_content(_PAGE.format(content='<nav aria-label="Main"><a href="#x">X</a></nav>'))
    with pytest.raises(AssertionError, match=r"landmark-unique \(moderate\)"):
        assert_accessible(page)


def test_a_table_with_actions_that_scrolls_on_a_tablet_fails_the_check(page: Page) -> None:
    wide_table = """<div class="table-scroll" role="region" aria-labelledby="c" tabindex="0"
      style="overflow-x: auto"><table style="width: 1000px"><caption id="c">Rows</caption>
      <tr><th scope="col">Name</th><th scope="col">Action</th></tr>
      <tr><td>One</td><td><button type="button">Do it</button></td></tr></table></div>"""
    page.set_content(_PAGE.format(content=wide_table))
    with pytest.raises(AssertionError) as failed:
        assert_accessible(page)
    message = str(failed.value)
    assert "a table with actions scrolls sideways at tablet 820x1180: Rows" in message
    assert "at phone" not in message  # on a phone the table may scroll inside its box
