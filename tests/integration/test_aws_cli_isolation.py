"""The aws CLI as aws_cli.run_aws runs it (fork server or, with ARCANA_AWS_CLI=subprocess,
/usr/bin/aws itself) is isolated per call: what the CLI keeps under its home directory goes
under the HOME of that call's environment, never the test runner's own home. No server."""

from __future__ import annotations

import os
import pwd

from aws_cli import run_aws


def _env(home) -> dict:
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "x", "AWS_PAGER": "", "LC_ALL": "C.UTF-8"}


def test_each_call_keeps_its_files_under_its_own_home(tmp_path):
    # cli_history makes every call write ~/.aws/cli/history/history.db: a path the CLI works
    # out when its modules are imported, which the fork server does once for all calls.
    homes = [tmp_path / "a", tmp_path / "b"]
    for home in homes:
        (home / ".aws").mkdir(parents=True)
        (home / ".aws" / "config").write_text("[default]\ncli_history = enabled\n"
                                             "region = us-east-1\n")
    real = os.path.join(pwd.getpwuid(os.getuid()).pw_dir, ".aws", "cli", "history",
                        "history.db")
    had_real = os.path.exists(real)
    for home in homes:
        p = run_aws(["configure", "list"], _env(home), tmp_path)
        assert p.returncode == 0, p.stderr
        assert (home / ".aws" / "cli" / "history" / "history.db").exists(), home
    if not had_real:
        assert not os.path.exists(real), "the CLI wrote into the runner's own home"
