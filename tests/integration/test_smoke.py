from workflows import consent, demo


def test_demo_seed_runs_every_path(app):
    with app.db.transaction() as session:
        made = demo.seed_cases(session, app.runtime)
    assert len(made) == len(demo.DEMO_CASES)


def test_demo_cases_keep_the_age_band_they_were_opened_with(app):
    # The verification's sample confirms an age in the request's band: the demo's case list
    # shows the bands it was seeded with, not the band of one fixed age.
    with app.db.transaction() as session:
        made = demo.seed_cases(session, app.runtime)
        bands = {case.youth_pseudonym: case.age_band for case in made}
        adult = next(case for case in made if case.age_band == "18-23" and case.status == "open")
        people = {row.person for row in consent.current(session, adult)}
    expected = {pseudonym: band for _step, pseudonym, band, _kind in demo.DEMO_CASES}
    expected["Jeune M."] = "24+"  # found too old at verification: not eligible
    assert bands == expected
    assert people == {"youth"}  # an adult decides alone: no legal representative asked
