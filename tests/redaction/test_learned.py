"""Secrets learned while a run goes: the redactor masks them from then on, in every text."""

from __future__ import annotations

from surge.metrics import Aggregator, Recorder
from surge.metrics.errors import ErrorKind
from surge.redaction import MASK, NO_REDACTION, Redactor
from surge.runner.observer import Level, Notice, Observer, Observers, Progress

TOKEN = "S3CR3T"  # shorter than the pattern rules' bearer credentials: only learning masks it


def test_a_secret_header_is_learned_and_masked_from_then_on() -> None:
    redactor = Redactor.build(values=["static-secret-1"])
    message = f"token check failed for {{'Authorization': 'Bearer {TOKEN}'}}"
    assert TOKEN in redactor.text(message)  # not known yet
    redactor.learn_header("Authorization", f"Bearer {TOKEN}")
    assert redactor.text(message) == f"token check failed for {{'Authorization': '{MASK}'}}"
    assert redactor.text(f"sent {TOKEN} twice: {TOKEN}") == f"sent {MASK} twice: {MASK}"
    redactor.learn_header("X-Api-Key", "k3y/with space")
    assert redactor.text("?key=k3y%2Fwith%20space") == f"?key={MASK}"  # percent-encoded too
    assert redactor.text("static-secret-1") == MASK  # the secrets named before still are


def test_headers_that_are_not_secret_are_not_learned() -> None:
    redactor = Redactor.build(names=["x-tenant"])
    redactor.learn_header("Accept", "application/json")
    redactor.learn_header("X-Tenant", "acme-prod")  # named by --redact
    assert redactor.text("application/json for acme-prod") == f"application/json for {MASK}"


def test_cookies_by_name_or_length() -> None:
    redactor = Redactor.build()
    redactor.learn_cookie("sid", "abcd1234")
    redactor.learn_cookie("theme", "dark")
    redactor.learn_cookie("prefs", "a-long-cookie-value-0123")
    text = redactor.text("sid=abcd1234 theme=dark prefs=a-long-cookie-value-0123")
    assert text == f"sid={MASK} theme=dark prefs={MASK}"


def test_a_learned_secret_longer_than_a_known_one_is_masked_whole() -> None:
    redactor = Redactor.build(values=["abcd1234"])
    redactor.learn("abcd1234-and-more")
    assert redactor.text("got abcd1234-and-more") == f"got {MASK}"


def test_the_shared_no_redaction_learns_nothing() -> None:
    NO_REDACTION.learn_header("Authorization", f"Bearer {TOKEN}")
    assert NO_REDACTION.text(TOKEN) == TOKEN


def test_listeners_hear_each_new_secret_once() -> None:
    redactor = Redactor.build()
    heard: list[str] = []
    assert redactor.learned is not None
    redactor.learned.subscribe(heard.append)
    for _ in range(3):
        redactor.learn_header("Authorization", f"Bearer {TOKEN}")
    assert heard == [f"Bearer {TOKEN}", TOKEN]


def test_an_unchanged_value_is_returned_as_is() -> None:
    recorder = Recorder()
    recorder.endpoint("GET", "/a").ok(1000, 200, 1)
    snap = recorder.snapshot(0.0, 1.0, 1)
    assert Redactor.build(values=["zzzz-secret"]).scrub(snap) is snap


class _Heard(Observer):
    def __init__(self) -> None:
        self.notices: list[Notice] = []
        self.progress: list[Progress] = []

    def on_notice(self, notice: Notice) -> None:
        self.notices.append(notice)

    def on_progress(self, progress: Progress) -> None:
        self.progress.append(progress)


def test_observers_hear_only_masked_text() -> None:
    """Notices, script errors and the live figures (endpoint names, error messages) all pass
    through the run's redactor, learned secrets included."""
    redactor = Redactor.build()
    heard = _Heard()
    observers = Observers([heard], redactor)
    redactor.learn_header("Authorization", f"Bearer {TOKEN}")
    observers.warning(f"the token {TOKEN} expired")
    observers.script_error("User.task", f"RuntimeError: bad {TOKEN}")
    recorder = Recorder()
    recorder.endpoint("GET", f"/me/{TOKEN}").fail(
        900, ErrorKind.SCRIPT, 0, 0, f"RuntimeError: bad {TOKEN}"
    )
    aggregator = Aggregator()
    snap = recorder.snapshot(0.0, 1.0, 1)
    aggregator.add(snap)
    observers.progress(
        Progress(1.0, aggregator.live(), aggregator.total(), aggregator.endpoints(), (snap,))
    )
    assert [n.level for n in heard.notices] == [Level.WARNING, Level.ERROR]
    assert all(TOKEN not in repr(n) for n in heard.notices)
    (progress,) = heard.progress
    assert TOKEN not in repr(progress.endpoints) + repr(progress.snapshots)
    assert progress.endpoints[0].name == f"/me/{MASK}"
    assert progress.endpoints[0].error_messages == {f"script: RuntimeError: bad {MASK}": 1}
