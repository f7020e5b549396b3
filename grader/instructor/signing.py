"""Reports the batch can trust: each carries an HMAC of its content.

    OUT/batch-key           32 random bytes (hex), readable by the batch's user only
    OUT/reports/alice.json  {..., "signature": HMAC-SHA256(key, the rest of the report)}

``$NNLAB_BATCH_KEY`` (64 hex digits, a CI secret) is the key of every folder when set;
otherwise each output folder has its own, made by its first batch. The key file is not
hidden, so that a CI artifact of the folder carries it to ``nnlab gradebook merge``.

A report is trusted by ``--resume`` and ``nnlab gradebook merge`` only while its
signature verifies under the key of the folder it is in: a report rewritten by anything
but the batch (a process a submission left behind, a student with write access to the
folder) is graded again, or refused, and the batch says so. The key never enters a
child's reach under the sandbox (no folder of the batch is mounted there), nor without
it when the batch runs as root (the child runs as ``nobody``, the key file is 0600).
Without the sandbox and as one same user, the child can read whatever the batch can:
there the signature only detects a report changed by hand or by accident.
"""

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

KEY_FILE = "batch-key"
KEY_VARIABLE = "NNLAB_BATCH_KEY"
FIELD = "signature"


class BadKey(Exception):
    """The folder's key file exists but cannot be read as a key."""


def load_key(folder, create=True):
    """The key of the batch output ``folder`` (made on first use when ``create``), or
    None when it has none."""
    if os.environ.get(KEY_VARIABLE):
        try:
            return bytes.fromhex(os.environ[KEY_VARIABLE])
        except ValueError:
            raise BadKey(f"${KEY_VARIABLE} is not hexadecimal") from None
    path = Path(folder) / KEY_FILE
    if create and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another batch on the same folder made it first
            pass
        else:
            with os.fdopen(handle, "w") as out:
                out.write(secrets.token_hex(32) + "\n")
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise BadKey(f"{path} is not a key ({error}); delete it to grade every report again") from None


def content(report):
    """The bytes that are signed: the report without its signature, canonically."""
    unsigned = {key: value for key, value in report.items() if key != FIELD}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode()


def sign(report, key):
    """``report`` (a dict) with its signature set."""
    report[FIELD] = hmac.new(key, content(report), hashlib.sha256).hexdigest()
    return report


def verifies(report, key):
    """Whether ``report`` carries a valid signature under ``key``."""
    signature = report.get(FIELD) if isinstance(report, dict) else None
    if key is None or type(signature) is not str:
        return False
    expected = hmac.new(key, content(report), hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature, expected)


def split_trusted(reports, key, folder):
    """``(trusted, refused)``: the ``{student: report}`` whose signature verifies under
    ``key``, and the report files of the others."""
    trusted = {student: report for student, report in reports.items() if verifies(report, key)}
    refused = [Path(folder) / "reports" / f"{student}.json" for student in reports if student not in trusted]
    return trusted, refused
