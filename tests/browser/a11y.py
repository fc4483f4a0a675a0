"""Accessibility and layout checks for browser tests: axe-core at three sizes.

Call ``assert_accessible(page)`` on every page state a test visits. It runs axe-core's WCAG 2.2
A/AA rules and its best-practice rules (``landmark-unique``, ``region``, ``heading-order``, ...)
at phone, tablet and desktop viewport sizes and fails on any finding, whatever its impact (minor
included). It also checks that the page never scrolls sideways (tables scroll inside their own
``.table-scroll`` container instead), that a table with actions fits from a tablet's width up
without scrolling even there (issue 11.4), and restores the viewport afterwards. The ``page``
fixture of the browser tests fails a test that navigated to a URL it never checked.
"""

from __future__ import annotations

import os
import re
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Frame, Page, ViewportSize


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int

    @property
    def size(self) -> ViewportSize:
        return {"width": self.width, "height": self.height}


PHONE = Viewport("phone", 390, 844)
TABLET = Viewport("tablet", 820, 1180)
DESKTOP = Viewport("desktop", 1280, 800)
VIEWPORTS: tuple[Viewport, ...] = (PHONE, TABLET, DESKTOP)

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# axe-core's own rules beyond WCAG: unique landmarks, content inside landmarks, heading order...
AXE_TAGS = [*WCAG_TAGS, "best-practice"]
AXE_OPTIONS: dict[str, Any] = {
    "runOnly": {"type": "tag", "values": AXE_TAGS},
    "resultTypes": ["violations"],
}
# Set to a directory to keep a full-page screenshot of every checked page at every size.
SCREENSHOT_DIR_ENV = "KAP_VIEWPORT_SCREENSHOTS"

_AXE = Axe()
# URL paths each page navigated to, and those checked: the ``page`` fixture's guard compares them.
_VISITED: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()
_CHECKED: weakref.WeakKeyDictionary[Page, set[str]] = weakref.WeakKeyDictionary()

# Elements sticking out past the right edge of the viewport, outside a table's own scroll box.
_OVERFLOW_SCRIPT = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    [...el.classList].map((c) => '.' + c).join('');
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.table-scroll') && !el.classList.contains('table-scroll')) continue;
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 0.5) {
      out.push(describe(el) + ' (right edge ' + Math.round(box.right) + 'px)');
    }
  }
  return out.length ? out.slice(0, 10) : ['document wider than ' + width + 'px'];
}"""


# Tables with actions (buttons, or a list table that stacks on phones) wider than their scroll box.
_CRAMPED_TABLES_SCRIPT = """() => {
  const out = [];
  for (const box of document.querySelectorAll('.table-scroll')) {
    if (!box.querySelector('button, [role="button"], .stack-table')) continue;
    if (box.scrollWidth > box.clientWidth + 0.5) {
      const table = box.querySelector('table');
      const name = (table && table.caption ? table.caption.textContent : '').trim();
      out.push((name || box.getAttribute('aria-labelledby') || 'a table') +
        ' (' + box.scrollWidth + 'px in ' + box.clientWidth + 'px)');
    }
  }
  return out;
}"""


def path_of(url: str) -> str:
    """The part of a URL that names a page: its path and query, without the origin."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def checked_paths(page: Page) -> set[str]:
    return _CHECKED.setdefault(page, set())


def track_navigation(page: Page) -> None:
    """Record every http(s) URL the page's main frame navigates to (redirects included)."""
    visited = _VISITED.setdefault(page, [])

    def on_navigated(frame: Frame) -> None:
        if frame is page.main_frame and frame.url.startswith("http"):
            visited.append(path_of(frame.url))

    page.on("framenavigated", on_navigated)


def unchecked_paths(page: Page) -> list[str]:
    """Pages the page navigated to that ``assert_accessible`` never checked, in visit order."""
    checked = checked_paths(page)
    return list(dict.fromkeys(p for p in _VISITED.get(page, []) if p not in checked))


def excuse_visited(page: Page) -> None:
    """Count the pages visited so far as checked: for fixtures (like signing in) that only pass
    through pages whose own tests check them."""
    checked_paths(page).update(_VISITED.get(page, []))


def _target(node: dict[str, Any]) -> str:
    return " ".join(str(t) for t in node.get("target", []))


def format_violations(
    violations: list[dict[str, Any]], sizes: list[list[str]] | None = None
) -> str:
    """One paragraph per axe violation: rule id, impact, help text and the offending nodes
    (their targets, markup and what to fix), with the viewport sizes it occurs at if given."""
    lines: list[str] = []
    for index, violation in enumerate(violations):
        where = f" at {', '.join(sizes[index])}" if sizes else ""
        lines.append(
            f"- {violation['id']} ({violation.get('impact') or 'n/a'}){where}: "
            f"{violation['help']} <{violation.get('helpUrl', '')}>"
        )
        for node in violation.get("nodes", []):
            lines.append(f"    target: {_target(node)}")
            html = " ".join(str(node.get("html", "")).split())
            if html:
                lines.append(f"      html: {html[:200]}")
            summary = str(node.get("failureSummary") or "").strip()
            for detail in summary.splitlines():
                lines.append(f"      {detail.strip()}")
    return "\n".join(lines)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The violations of any impact axe-core finds on the page as it is now (WCAG 2.2 A/AA and
    best practice)."""
    # Inject axe-core once per document (a third of a run's time), then run it.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_AXE.axe_script)
    results: dict[str, Any] = page.evaluate("(options) => axe.run(document, options)", AXE_OPTIONS)
    violations: list[dict[str, Any]] = results["violations"]
    return violations


def horizontal_overflow(page: Page) -> list[str]:
    """Elements that make the page scroll sideways (empty when it does not)."""
    overflow: list[str] = page.evaluate(_OVERFLOW_SCRIPT)
    return overflow


def cramped_action_tables(page: Page) -> list[str]:
    """Tables with actions that scroll inside their box (empty when every one fits)."""
    cramped: list[str] = page.evaluate(_CRAMPED_TABLES_SCRIPT)
    return cramped


def _save_screenshot(page: Page, viewport: Viewport) -> None:
    directory = os.environ.get(SCREENSHOT_DIR_ENV)
    if not directory:
        return
    slug = re.sub(r"[^A-Za-z0-9]+", "-", path_of(page.url)).strip("-") or "root"
    path = Path(directory) / f"{slug}-{viewport.name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path, full_page=True)


def assert_accessible(page: Page, viewports: tuple[Viewport, ...] = VIEWPORTS) -> None:
    """Fail unless the page has no axe-core finding and no sideways scroll at each size, and
    its tables with actions fit without scrolling from a tablet's width up.

    Checks the page in its current state (so a form with its errors shown is checked as such)
    and puts the viewport back as it was. The same violation at several sizes is listed once.
    """
    original = page.viewport_size
    # (rule id, node targets) -> the violation and the sizes it was found at
    found: dict[tuple[str, tuple[str, ...]], tuple[dict[str, Any], list[str]]] = {}
    overflows: list[str] = []
    try:
        for viewport in viewports:
            page.set_viewport_size(viewport.size)
            # Let layout settle at the new size before looking.
            page.evaluate("() => new Promise((r) => requestAnimationFrame(() => r(null)))")
            _save_screenshot(page, viewport)
            size = f"{viewport.name} {viewport.width}x{viewport.height}"
            for violation in axe_violations(page):
                key = (violation["id"], tuple(_target(n) for n in violation.get("nodes", [])))
                found.setdefault(key, (violation, []))[1].append(size)
            overflow = horizontal_overflow(page)
            if overflow:
                overflows.append(
                    f"- page scrolls sideways at {size}; too wide: {', '.join(overflow)}"
                )
            cramped = cramped_action_tables(page) if viewport.width >= TABLET.width else []
            if cramped:
                overflows.append(
                    f"- a table with actions scrolls sideways at {size}: {', '.join(cramped)}"
                )
    finally:
        if original is not None:
            page.set_viewport_size(original)
    checked_paths(page).add(path_of(page.url))
    problems: list[str] = []
    if found:
        violations = [violation for violation, _ in found.values()]
        sizes = [where for _, where in found.values()]
        problems.append(
            f"{len(found)} axe-core finding(s) (WCAG 2.2 A/AA and best practice):\n"
            + format_violations(violations, sizes)
        )
    problems.extend(overflows)
    assert not problems, f"{path_of(page.url)} is not accessible:\n" + "\n".join(problems)
