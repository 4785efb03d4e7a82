"""Run by test_crash.py in a separate process: complete a task, flush everything, never commit."""

import json
import sys
import time

from workflows import tasks
from workflows.bootstrap import build
from workflows.settings import Settings
from workflows.users import find_active


def main() -> None:
    url, task_id, username, data = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    app = build(Settings(database_url=url))
    with app.db.transaction() as session:
        user = find_active(session, username)
        tasks.complete(session, app.runtime, user, task_id, data)
        session.flush()  # every row is written: instance, derived rows, audit, domain records
        print("FLUSHED", flush=True)
        time.sleep(120)  # killed here, between writing and committing


if __name__ == "__main__":
    main()
