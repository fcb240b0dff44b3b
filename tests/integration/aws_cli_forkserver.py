"""A fork server for the aws CLI (used by aws_cli.py; run by Debian's /usr/bin/python3).

It imports the CLI once (what /usr/bin/aws imports), then for each request, one JSON line on
stdin {"argv", "env", "cwd", "out", "err"}, forks a child that takes exactly that environment
and working directory, points its standard output and error at the given files, runs the CLI's
entry point as /usr/bin/aws does and exits with its code; the answer is one JSON line
{"rc": code} (or {"rc": null, "timeout": true} after 60 s, the child killed). Each call is
still a process of its own, with the CLI's start-up (importing awscli and its botocore, about
1-2 s of CPU here) paid once instead of per call."""

import json
import os
import shutil
import signal
import sys
import tempfile
import time

# The CLI and its botocore work out paths under the home directory when their modules are
# imported (awscli.customizations.assumerole.CACHE_DIR, the history database, the SSO token
# cache, JSONFileCache's default...), i.e. once here for every call. They are imported with
# HOME at a symbolic link that each child points at its own call's HOME before running, so
# those paths are that call's, as for /usr/bin/aws started with its environment. Calls are
# served one at a time, so the link is never in use by two calls.
_LINK_DIR = tempfile.mkdtemp(prefix="aws-cli-forkserver-")
_HOME_LINK = os.path.join(_LINK_DIR, "home")
os.environ["HOME"] = _HOME_LINK

# /usr/bin/aws's own first lines.
import awscli  # noqa: F401  (sets AWS_DATA_PATH for this process; recomputed per child)
import awscli.clidriver

# What every call would redo the same way, done once here and inherited by each child: the
# CLI's customizations (imported by load_plugins on each start) and the distribution's name
# in the User-Agent (the distro package caches it after one look at the system).
import awscli.handlers  # noqa: E402,F401
awscli.clidriver._get_distribution()

_AWSCLI_DATA = os.path.join(os.path.dirname(os.path.abspath(awscli.__file__)), "data")
TIMEOUT_S = 60


def _data_path(env: dict) -> str:
    # What awscli/__init__.py computes at import from the environment it starts with.
    paths = []
    if "AWS_DATA_PATH" in env:
        for p in env["AWS_DATA_PATH"].split(os.pathsep):
            paths.append(os.path.expanduser(os.path.expandvars(p)))
    paths.append(_AWSCLI_DATA)
    return os.pathsep.join(paths)


def _point_home_at(home: str) -> None:
    # Replaced in one step (rename over the old link).
    tmp = _HOME_LINK + ".new"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(home, tmp)
    os.replace(tmp, _HOME_LINK)


def _child(req: dict) -> None:
    env = dict(req["env"])
    # What expanduser("~") is for this call: its HOME, or without one the user's own home.
    import pwd
    _point_home_at(env.get("HOME") or pwd.getpwuid(os.getuid()).pw_dir)
    if env.get("LC_CTYPE", "") == "UTF-8":  # as /usr/bin/aws
        env["LC_CTYPE"] = "en_US.UTF-8"
    env["AWS_DATA_PATH"] = _data_path(env)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(req["cwd"])
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    for fd, path in ((1, req["out"]), (2, req["err"])):
        f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(f, fd)
        os.close(f)
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.argv = ["/usr/bin/aws", *req["argv"]]
    rc = 1
    try:
        rc = awscli.clidriver.main() or 0
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc & 0xFF)


def main() -> None:
    for line in sys.stdin:
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                _child(req)
            finally:
                os._exit(1)
        deadline = time.monotonic() + TIMEOUT_S
        answer = None
        while answer is None:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                answer = {"rc": os.waitstatus_to_exitcode(status)}
            elif time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                answer = {"rc": None, "timeout": True}
            else:
                time.sleep(0.002)
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(_LINK_DIR, ignore_errors=True)
