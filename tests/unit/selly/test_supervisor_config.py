"""supervisord.conf, what `make run` and bench/soak.py start: every process comes back when it exits."""

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _programs() -> dict[str, configparser.SectionProxy]:
    config = configparser.RawConfigParser(inline_comment_prefixes=(";",))
    config.read(ROOT / "supervisord.conf")
    return {name.removeprefix("program:"): config[name] for name in config.sections() if name.startswith("program:")}


def test_make_run_starts_web_worker_beat_and_the_emulator():
    assert set(_programs()) == {"web", "worker", "beat", "emulator"}


def test_every_process_is_restarted_whatever_its_exit_and_killed_with_its_children():
    for name, program in _programs().items():
        assert program.get("autorestart") == "true", name
        assert int(program.get("startretries", "3")) >= 100, name
        assert program.get("killasgroup") == "true", name


def test_exactly_one_beat_and_a_worker_stopped_warm():
    programs = _programs()
    assert sum("celery" in p["command"] and " beat" in p["command"] for p in programs.values()) == 1
    assert programs["beat"].get("numprocs", "1") == "1"
    worker = programs["worker"]
    assert worker["stopsignal"] == "TERM"  # Celery's warm shutdown, sent to the main process only
    assert worker.get("stopasgroup") == "false"


def test_make_run_starts_supervisord_with_this_file():
    makefile = (ROOT / "Makefile").read_text()
    assert "supervisord -c supervisord.conf" in makefile
    assert "honcho" not in makefile
