from workflows import demo


def test_demo_seed_runs_every_path(app):
    with app.db.transaction() as session:
        made = demo.seed_cases(session, app.runtime)
    assert len(made) == len(demo.DEMO_CASES)
