"""``wisemind homework assign|list``, run as a therapist's admin runs them (a subprocess)."""

from __future__ import annotations

from tests.test_cli import cli_env, wisemind  # noqa: F401 (cli_env is a fixture)


def test_a_therapist_assigns_skill_homework_and_lists_it(cli_env: dict[str, str]) -> None:  # noqa: F811
    assert wisemind(cli_env, "demo", "seed").returncode == 0
    assigned = wisemind(
        cli_env, "homework", "assign", "--client", "DEMO0001",
        "--therapist", "therapist@demo.clinic", "--skill", "dear man", "--due", "2026-12-03",
    )  # fmt: skip
    assert assigned.returncode == 0, assigned.stderr
    assert "Practice DEAR MAN" in assigned.stdout
    listed = wisemind(cli_env, "homework", "list", "--client", "DEMO0001")
    assert listed.returncode == 0
    # Due by the end of Dec 3 in New York: 05:00 UTC on Dec 4.
    assert "Practice DEAR MAN | due 2026-12-04 05:00 UTC | assigned" in listed.stdout


def test_a_worksheet_needs_no_skill_and_an_unknown_skill_is_a_one_line_error(
    cli_env: dict[str, str],  # noqa: F811
) -> None:
    wisemind(cli_env, "demo", "seed")
    worksheet = wisemind(
        cli_env, "homework", "assign", "--client", "DEMO0001",
        "--therapist", "therapist@demo.clinic", "--title", "Chain analysis worksheet",
        "--due", "2026-12-01",
    )  # fmt: skip
    assert worksheet.returncode == 0, worksheet.stderr
    unknown = wisemind(
        cli_env, "homework", "assign", "--client", "DEMO0001",
        "--therapist", "therapist@demo.clinic", "--skill", "juggling", "--due", "2026-12-01",
    )  # fmt: skip
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "wisemind: error: No skill called 'juggling' in the library."
