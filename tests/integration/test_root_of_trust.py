"""The root of trust (issue 4): Shamir-sealed start, unseal / seal through `arcana operator`,
PKCS#11 auto-unseal with SoftHSM2, and rotate-root while serving. Operator requests carry the
operator token (<data-dir>/operator.token, read by the CLI) or root SigV4 credentials; Shamir
shares carry the nonce of their attempt (issue 8).

Self-contained fixtures (the shared conftest.py's server helper waits for a healthy server,
and a Shamir server is deliberately unhealthy until unsealed).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import cli_store_args, store_args

REPO_ROOT = Path(__file__).resolve().parents[2]
ARCANAD = Path(os.environ.get("ARCANAD", REPO_ROOT / "build" / "arcanad"))
ARCANA = ARCANAD.parent / "arcana"
SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
AKID = "AKIAROOTOFTRUST00001"
SECRET = "root-of-trust/Secret+Key/ForIntegration01"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """arcanad over one data dir; start() waits until it answers (sealed or not)."""

    def __init__(self, data_dir: Path, args: list[str] | None = None, env: dict | None = None):
        self.data_dir = data_dir
        self.args = list(args or [])
        self.env = dict(os.environ)
        self.env.update({"ARCANA_ROOT_ACCESS_KEY_ID": AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": SECRET})
        self.env.update(env or {})
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None
        self.log = data_dir.parent / f"{data_dir.name}.log"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, expect_exit: bool = False) -> "Server":
        keyfile = "--seal" not in self.args and not shares_sealed(self.data_dir)
        cmd = [str(ARCANAD), "--listen", f"127.0.0.1:{self.port}",
               *store_args(self.data_dir, root_key_file=keyfile), *self.args]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=self.env)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if expect_exit:
                    return self
                pytest.fail(f"arcanad exited {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                requests.get(self.endpoint + "/_arcana/seal-status", timeout=1)
                if expect_exit:
                    pytest.fail("arcanad started although it should have refused to")
                return self
            except requests.RequestException:
                time.sleep(0.05)
        pytest.fail("arcanad did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self) -> "Server":
        self.stop()
        return self.start()

    def status(self) -> dict:
        return requests.get(self.endpoint + "/_arcana/seal-status", timeout=5).json()

    def health(self) -> requests.Response:
        return requests.get(self.endpoint + "/_arcana/health", timeout=5)

    def sm(self):
        return boto3.client(
            "secretsmanager", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id=AKID, aws_secret_access_key=SECRET,
            config=Config(retries={"total_max_attempts": 1}))

    @property
    def token(self) -> str:
        return (self.data_dir / "operator.token").read_text().strip()

    def cli(self, *args, stdin: str | None = None, creds: bool = True, check: bool = True,
            token: bool | None = None):
        """creds: root AWS credentials in the environment; token: let the CLI find the operator
        token in the data dir (default: same as creds)."""
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "ARCANA_ENDPOINT": self.endpoint}
        if creds:
            env.update({"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": SECRET})
        if not (creds if token is None else token):
            env["ARCANA_OPERATOR_TOKEN_FILE"] = str(self.data_dir / "no-such-token-file")
        p = subprocess.run([str(ARCANA), "--data-dir", str(self.data_dir), *args], input=stdin,
                           capture_output=True, text=True, timeout=120, env=env)
        if check:
            assert p.returncode == 0, f"arcana {' '.join(args)} -> {p.returncode}\n{p.stdout}\n{p.stderr}"
        return p


@pytest.fixture
def servers(tmp_path):
    started: list[Server] = []

    def make(name: str = "data", **kw) -> Server:
        s = Server(tmp_path / name, **kw)
        started.append(s)
        return s

    yield make
    for s in started:
        s.stop()


_SHAMIR_DIRS: set[str] = set()  # data dirs whose store `operator init` sealed with shares


def shares_sealed(data_dir: Path) -> bool:
    """True when data_dir's store was initialised with Shamir shares (no root key file)."""
    return str(Path(data_dir).resolve()) in _SHAMIR_DIRS


def operator_init(tmp_path: Path, name: str = "data", shares: int = 5, threshold: int = 3):
    data = tmp_path / name  # not made here: `operator init` makes a new node's data dir
    _SHAMIR_DIRS.add(str(data.resolve()))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "ARCANA_ROOT_ACCESS_KEY_ID": AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": SECRET}
    p = subprocess.run([str(ARCANA), *cli_store_args(data), "operator", "init",
                        "--shares", str(shares), "--threshold", str(threshold)],
                       capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 0, p.stderr
    found = [line.split(": ", 1)[1].strip() for line in p.stdout.splitlines()
             if line.strip().startswith("Share ")]
    assert len(found) == shares
    assert all(s.startswith("arcs1-") for s in found)
    assert SECRET not in p.stdout  # taken from the environment, never echoed
    return found


def assert_sealed_refusal(server: Server):
    with pytest.raises(ClientError) as e:
        server.sm().list_secrets()
    err = e.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert err["Error"]["Code"] == "ServiceUnavailableException"
    assert "sealed" in err["Error"]["Message"]
    # Every service behind X-Amz-Target is refused the same way, even unknown ones.
    for target in ("TrentService.ListKeys", "AmazonSSM.DescribeParameters", "Nope.Nothing"):
        r = requests.post(server.endpoint + "/", data="{}", timeout=5,
                          headers={"X-Amz-Target": target,
                                   "Content-Type": "application/x-amz-json-1.1"})
        assert r.status_code == 503, target
        assert r.json()["__type"].endswith("ServiceUnavailableException")
    h = server.health()
    assert h.status_code == 503 and h.json() == {"status": "sealed"}
    assert server.status()["sealed"] is True


def nonce_of(out: str, label: str = "Unseal nonce:") -> str:
    found = [line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith(label)]
    assert found, out
    return found[0]


def unseal(server: Server, shares: list[str], via_stdin: int | None = None):
    """Submits shares as separate share holders would: the first starts the attempt and
    prints its nonce, the others pass it with --nonce."""
    out = None
    nonce: list[str] = []
    for i, share in enumerate(shares):
        extra = ["--nonce", nonce[0]] if nonce else []
        if i == via_stdin:
            out = server.cli("operator", "unseal", *extra, stdin=share + "\n", creds=False)
        else:
            out = server.cli("operator", "unseal", *extra, share, creds=False)
        if i < len(shares) - 1:
            assert f"Unseal progress: {i + 1}/3" in out.stdout
        if i == 0:
            nonce.append(nonce_of(out.stdout))
    assert "Sealed:        false" in out.stdout
    assert server.status()["sealed"] is False


def test_shamir_sealed_start_unseal_seal_restart(tmp_path, servers):
    shares = operator_init(tmp_path)
    assert not (tmp_path / "data" / "root.key").exists()  # the root key is nowhere at rest
    server = servers().start()
    st = server.status()
    assert st == {"sealed": True, "type": "shamir", "threshold": 3, "shares": 5, "progress": 0}
    assert_sealed_refusal(server)

    unseal(server, [shares[4], shares[1], shares[2]], via_stdin=1)
    assert server.health().status_code == 200
    sm = server.sm()
    sm.create_secret(Name="rot/db", SecretString='{"password":"hunter2"}')
    assert sm.get_secret_value(SecretId="rot/db")["SecretString"] == '{"password":"hunter2"}'

    # seal needs operator credentials (the token, or a root identity's signature).
    p = server.cli("operator", "seal", creds=False, check=False)
    assert p.returncode != 0
    r = requests.post(server.endpoint + "/_arcana/operator/seal", data="{}", timeout=5)
    assert r.status_code == 401
    server.cli("operator", "seal", token=False)  # SigV4 by the root identity
    assert_sealed_refusal(server)

    # A different subset works; progress is reported and a wrong share resets it.
    other = operator_init(tmp_path, name="other")
    first = server.cli("operator", "unseal", other[0], creds=False)
    nonce = nonce_of(first.stdout)
    server.cli("operator", "unseal", "--nonce", nonce, other[1], creds=False)
    p = server.cli("operator", "unseal", "--nonce", nonce, other[2], creds=False, check=False)
    assert p.returncode != 0 and "do not reconstruct" in p.stderr
    assert server.status()["progress"] == 0
    bad = shares[0][:-4] + ("AAAA" if not shares[0].endswith("AAAA") else "BBBB")
    p = server.cli("operator", "unseal", bad, creds=False, check=False)
    assert p.returncode != 0 and ("checksum" in p.stderr or "malformed" in p.stderr)
    unseal(server, [shares[0], shares[3], shares[2]])
    assert server.sm().get_secret_value(SecretId="rot/db")["SecretString"] == '{"password":"hunter2"}'

    # A restart comes back sealed; the data is still there after unsealing.
    server.restart()
    assert_sealed_refusal(server)
    unseal(server, [shares[1], shares[2], shares[3]])
    assert server.sm().get_secret_value(SecretId="rot/db")["SecretString"] == '{"password":"hunter2"}'


def test_shamir_rotate_root_prints_new_shares_and_retires_old_ones(tmp_path, servers):
    shares = operator_init(tmp_path)
    server = servers().start()
    unseal(server, shares[:3])
    server.sm().create_secret(Name="rot/shamir", SecretString="v1")
    old_id = server.status()["root_key_id"]
    # Starting the rotation hands out nothing but a nonce; a quorum of current shares follows.
    p = server.cli("operator", "rotate-root")
    assert "Share " not in p.stdout
    rnonce = nonce_of(p.stdout, "Rotation nonce:")
    for s in shares[3:5]:
        p = server.cli("operator", "rotate-root", "--nonce", rnonce, s, creds=False)
        assert "Share " not in p.stdout and "Rotation progress" in p.stdout
        assert server.status()["root_key_id"] == old_id
    p = server.cli("operator", "rotate-root", "--nonce", rnonce, stdin=shares[0] + "\n",
                   creds=False)
    new_shares = [line.split(": ", 1)[1].strip() for line in p.stdout.splitlines()
                  if line.strip().startswith("Share ")]
    assert len(new_shares) == 5
    assert server.status()["root_key_id"] != old_id
    assert server.sm().get_secret_value(SecretId="rot/shamir")["SecretString"] == "v1"
    server.cli("operator", "seal")
    out = server.cli("operator", "unseal", shares[0], creds=False)
    nonce = nonce_of(out.stdout)
    server.cli("operator", "unseal", "--nonce", nonce, shares[1], creds=False)
    p = server.cli("operator", "unseal", "--nonce", nonce, shares[2], creds=False, check=False)
    assert p.returncode != 0  # the old shares no longer rebuild the root key
    unseal(server, new_shares[2:])
    assert server.sm().get_secret_value(SecretId="rot/shamir")["SecretString"] == "v1"


def test_softhsm_auto_unseal(tmp_path, servers):
    util = shutil.which("softhsm2-util")
    if util is None or not Path(SOFTHSM_MODULE).exists():
        pytest.fail("SoftHSM2 is not installed (scripts/install-deps.sh installs softhsm2)",
                    pytrace=False)
    hsm = tmp_path / "softhsm"
    (hsm / "tokens").mkdir(parents=True)
    conf = hsm / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {hsm / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
    env = {"SOFTHSM2_CONF": str(conf)}
    subprocess.run([util, "--init-token", "--free", "--label", "arcana-it", "--pin", "4321",
                    "--so-pin", "8765"], check=True, capture_output=True,
                   env={**os.environ, **env})
    args = ["--seal", "pkcs11", "--pkcs11-module", SOFTHSM_MODULE,
            "--pkcs11-token-label", "arcana-it"]
    server = servers(args=args, env={**env, "ARCANA_PKCS11_PIN": "4321"}).start()
    assert server.health().status_code == 200  # serves at once
    st = server.status()
    assert st["sealed"] is False and st["type"] == "pkcs11"
    assert not (server.data_dir / "root.key").exists()
    server.sm().create_secret(Name="hsm/secret", SecretString="from-the-hsm")

    server.restart()
    assert server.health().status_code == 200
    assert server.sm().get_secret_value(SecretId="hsm/secret")["SecretString"] == "from-the-hsm"

    # rotate-root: the new root is wrapped by the token key; a restart unwraps it.
    old_id = server.status()["root_key_id"]
    server.cli("operator", "rotate-root")
    new_id = server.status()["root_key_id"]
    assert new_id != old_id
    server.restart()
    assert server.status()["root_key_id"] == new_id
    assert server.sm().get_secret_value(SecretId="hsm/secret")["SecretString"] == "from-the-hsm"

    # A wrong PIN: the server refuses to start (it never falls back to anything weaker).
    server.stop()
    bad = servers(name="data", args=args, env={**env, "ARCANA_PKCS11_PIN": "0000"})
    bad.start(expect_exit=True)
    assert bad.proc.returncode != 0
    assert "C_Login" in bad.log.read_text()


def test_rotate_root_while_serving_keyfile(tmp_path, servers):
    server = servers().start()
    assert server.status()["type"] == "keyfile"
    sm = server.sm()
    names = [f"rot/keyfile/{i}" for i in range(20)]
    for i, n in enumerate(names):
        sm.create_secret(Name=n, SecretString=f"value-{i}")
    old_key = (server.data_dir / "root.key").read_bytes()
    old_id = server.status()["root_key_id"]

    errors: list[str] = []
    written: list[tuple[str, str]] = []
    stop = threading.Event()

    def load(t: int):
        c = server.sm()
        k = 0
        while not stop.is_set():
            n = names[k % len(names)]
            try:
                got = c.get_secret_value(SecretId=n)["SecretString"]
                if got != f"value-{names.index(n)}":
                    errors.append(f"{n}: {got}")
                # New secrets sealed before, during and after the rotation.
                w = f"rot/keyfile/w{t}-{k}"
                c.create_secret(Name=w, SecretString=f"written-{t}-{k}")
                written.append((w, f"written-{t}-{k}"))
            except ClientError as e:  # pragma: no cover - reported below
                errors.append(str(e))
            k += 1

    threads = [threading.Thread(target=load, args=(t,)) for t in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    p = server.cli("operator", "rotate-root")
    assert "Root key rotated" in p.stdout
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert written, "the load did not run"
    new_id = server.status()["root_key_id"]
    assert new_id != old_id
    new_key = (server.data_dir / "root.key").read_bytes()
    assert new_key != old_key and len(new_key) == 32
    assert oct((server.data_dir / "root.key").stat().st_mode & 0o777) == "0o600"
    assert not (server.data_dir / "root.key.new").exists()
    for i, n in enumerate(names):
        assert sm.get_secret_value(SecretId=n)["SecretString"] == f"value-{i}"
    for n, v in written:
        assert sm.get_secret_value(SecretId=n)["SecretString"] == v

    # After a restart everything still reads, with the new key file.
    server.restart()
    assert server.status()["root_key_id"] == new_id
    for i, n in enumerate(names):
        assert server.sm().get_secret_value(SecretId=n)["SecretString"] == f"value-{i}"
    for n, v in written:
        assert server.sm().get_secret_value(SecretId=n)["SecretString"] == v

    # The old root key no longer opens this store: put it back and the server refuses it.
    server.stop()
    keyfile = server.data_dir / "root.key"
    keyfile.write_bytes(old_key)
    keyfile.chmod(0o600)
    refused = servers(name="data")
    refused.start(expect_exit=True)
    assert refused.proc.returncode != 0
    assert "does not match" in refused.log.read_text()
