"""The case page's diagram: opened at the current step, and fitted to the page's width on request."""

from __future__ import annotations

import pytest

from workflows import demo

from .test_journey import sign_in

pytestmark = pytest.mark.sqlite_only


def test_the_diagram_fits_the_width_and_back_without_a_script_error(app, live_server, page):
    with app.db.transaction() as session:
        reference = demo.seed_cases(session, app.runtime)[0].reference
    sign_in(page, live_server, "anne")
    page.goto(f"{live_server}/cases/{reference}")
    box = page.locator(".diagram")
    drawn = page.locator(".diagram svg").bounding_box()
    page.get_by_role("button", name="Ajuster à la largeur").click()
    fitted = page.locator(".diagram svg").bounding_box()
    frame = box.bounding_box()
    assert fitted["width"] <= frame["width"] + 1 < drawn["width"]  # the whole width in view
    ratio = drawn["height"] / drawn["width"]
    assert abs(fitted["height"] - fitted["width"] * ratio) < 2  # its proportions kept
    page.get_by_role("button", name="Ajuster à la largeur").click()
    again = page.locator(".diagram svg").bounding_box()
    assert (round(again["width"]), round(again["height"])) == (round(drawn["width"]), round(drawn["height"]))
    assert not page.script_problems, page.script_problems


def test_the_diagram_zooms_out_and_in_around_what_is_in_view(app, live_server, page):
    # On a tablet its natural size shows a small part, and fitted to the width its text is tiny.
    with app.db.transaction() as session:
        reference = demo.seed_cases(session, app.runtime)[0].reference
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, live_server, "anne")
    page.goto(f"{live_server}/cases/{reference}")
    drawn = page.locator(".diagram svg").bounding_box()
    zoom_out = page.get_by_role("button", name="Zoom arrière")
    zoom_out.click()
    smaller = page.locator(".diagram svg").bounding_box()
    assert abs(smaller["width"] - drawn["width"] * 0.8) < 2 and abs(smaller["height"] - drawn["height"] * 0.8) < 2
    for _ in range(6):
        if zoom_out.is_enabled():
            zoom_out.click()
    assert zoom_out.is_disabled()  # 30 % at least: still a shape per step
    page.get_by_role("button", name="Ajuster à la largeur").click()
    page.get_by_role("button", name="Zoom avant").click()  # from the fitted view back to a zoom level
    assert page.get_by_role("button", name="Ajuster à la largeur").get_attribute("aria-pressed") == "false"
    assert not page.script_problems, page.script_problems


@pytest.mark.parametrize("size", [(768, 1024), (1280, 800)], ids=["tablet", "laptop"])
def test_the_diagram_opens_with_the_current_step_in_the_middle_of_its_box(app, live_server, page, size):
    # It opened with the first current shape a third of the way in (a sub-process around the
    # step, when it is current too, aimed at by its corner): now the step itself, in the middle.
    from sqlalchemy import select

    from engine.models import HumanTask

    with app.db.transaction() as session:
        demo.seed_cases(session, app.runtime)
    with app.db.transaction(write=False) as session:
        reference = session.scalar(select(HumanTask.business_key).where(HumanTask.spec_name == "report_action"))
    page.set_viewport_size({"width": size[0], "height": size[1]})
    sign_in(page, live_server, "anne")
    page.goto(f"{live_server}/cases/{reference}")
    box = page.locator(".diagram").bounding_box()
    step = page.locator('.diagram [data-element="report_action"]').bounding_box()
    middle = (step["x"] + step["width"] / 2, step["y"] + step["height"] / 2)
    assert box["x"] + box["width"] * 0.45 < middle[0] < box["x"] + box["width"] * 0.55, (box, step)
    # Up and down as far as the drawing goes (a step near its bottom stays low), whole in the box.
    assert box["y"] <= step["y"] and step["y"] + step["height"] <= box["y"] + box["height"], (box, step)
