"""A Shamir unseal attempt whose quorum cannot be combined is dropped whatever the reason, and
the answer says so: operators who gathered shares must know to start over (a share of another
split, or of another length, e.g. from another store)."""

from __future__ import annotations

import base64
import hashlib
import os

from test_root_of_trust import nonce_of, operator_init, servers  # noqa: F401 (fixture)


def _share_of_another_length(index: int) -> str:
    """A well-formed share (the arcs1- text with its checksum) of a 16-byte secret."""
    raw = bytes([index]) + os.urandom(16)
    raw += hashlib.sha256(raw).digest()[:4]
    return "arcs1-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_a_share_of_another_length_at_the_threshold_says_progress_was_reset(tmp_path, servers):
    shares = operator_init(tmp_path)
    server = servers().start()
    first = server.cli("operator", "unseal", shares[0], creds=False)
    nonce = nonce_of(first.stdout)
    server.cli("operator", "unseal", "--nonce", nonce, shares[1], creds=False)
    assert server.status()["progress"] == 2
    p = server.cli("operator", "unseal", "--nonce", nonce, _share_of_another_length(5),
                   creds=False, check=False)
    assert p.returncode != 0
    assert "shares have different lengths; unseal progress was reset" in p.stderr, p.stderr
    st = server.status()
    assert st["sealed"] is True and st["progress"] == 0
