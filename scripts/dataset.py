#!/usr/bin/env python3
"""Fill a mardom database with N realistic requests, quickly, for benchmarks.

    python3 scripts/dataset.py --database-url postgres://postgres@127.0.0.1:5432/bench --requests 1000000
    python3 scripts/dataset.py --database-url sqlite://data/bench.db --requests 10000

Migrates the database with the mardom binary first (`mardom migrate`), then writes requests in
every status, kind and channel, with the citizen's identity, a history of 1 to 4 events, the
tracking-code SMS, a scheduled meeting on the head's calendar for each request in
`meeting_scheduled`, and referrals to a few units for referred requests. PostgreSQL is filled
with COPY (about a minute per million requests on two cores); SQLite with batched inserts in one transaction. Tracking codes carry a valid Damm check
digit, so the public lookup accepts them. Standard library only (psql for PostgreSQL).
"""

import argparse
import io
import os
import random
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta

# The identity keys the benchmark's server runs with (bench/bench.py): identities are written
# sealed the way src/vault seals them, so that the server's first start has nothing to seal (at
# a million rows that took it minutes). Without the `cryptography` package they are written in
# the clear and the server seals them when it starts.
IDENTITY_KEYS = "s1:AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="
BLIND_INDEX_KEY = "BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ="


class Vault:
    """`src/vault`'s envelopes: `v1:<key id>:<base64url(nonce ‖ AES-256-GCM(text, aad=field))>`,
    and the blind index HMAC-SHA-256(field ‖ 0 ‖ value) in base64url, both without padding."""

    def __init__(self):
        import base64
        import hashlib
        import hmac
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        key_id, key = IDENTITY_KEYS.split(":", 1)
        self.key_id, self.cipher = key_id, AESGCM(base64.b64decode(key))
        self.index_key = base64.b64decode(BLIND_INDEX_KEY)
        self.b64, self.hmac, self.sha256 = base64.urlsafe_b64encode, hmac, hashlib.sha256

    def seal(self, field, text):
        nonce = os.urandom(12)
        body = nonce + self.cipher.encrypt(nonce, text.encode(), field.encode())
        return f"v1:{self.key_id}:{self.b64(body).rstrip(b'=').decode()}"

    def index(self, field, value):
        mac = self.hmac.new(self.index_key, field.encode() + b"\0" + value.encode(), self.sha256).digest()
        return self.b64(mac).rstrip(b"=").decode()


def open_vault():
    try:
        return Vault()
    except ImportError:
        return None

DAMM = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3], [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6], [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7], [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
]

KINDS = ["meeting", "suggestion", "criticism", "complaint", "report"]
CHANNELS = ["in_person", "phone", "online"]
NAMES = ["مریم حسینی", "علی رضایی", "زهرا محمدی", "حسین کریمی", "فاطمه احمدی", "رضا موسوی"]
TEXTS = [
    "درخواست ملاقات با ریاست مرکز درباره‌ی تأخیر در پرداخت مطالبات",
    "شکایت از برخورد نامناسب کارکنان واحد پذیرش",
    "پیشنهاد برای بهبود نوبت‌دهی اینترنتی درمانگاه",
    "گزارش خرابی آسانسور ساختمان شماره ۲",
    "انتقاد از طولانی بودن زمان انتظار در بخش اورژانس",
]
# (status, resolution, events after registration)
FATES = [
    ("registered", None, []),
    ("in_review", None, ["classified"]),
    ("referred", None, ["classified", "referred"]),
    ("meeting_scheduled", None, ["classified", "meeting_scheduled"]),
    ("closed", "thanked", ["classified", "thanked"]),
    ("closed", "resolved", ["classified", "referred", "resolved"]),
    ("closed", "withdrawn", ["withdrawn"]),
]


def tracking_code(rng):
    digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(10)]
    interim = 0
    for d in digits:
        interim = DAMM[interim][d]
    return "".join(map(str, digits)) + str(interim)


def search_key(text):
    return text.replace("ي", "ی").replace("ك", "ک").replace("\u200c", " ").lower()


VAULT = open_vault()


def identity(rid, name, mobile):
    """A request_identities row, sealed when the vault can be opened."""
    if VAULT is None:
        return (rid, name, mobile, None, None, None)
    return (rid, VAULT.seal("name", name), VAULT.seal("mobile", mobile), None, None, VAULT.index("mobile", mobile))


def rows(n, rng, units, admin_id, start, codes, first=0):
    """Yields (table, row tuple) for requests first..first+n; `codes` holds every tracking code
    drawn so far (in this run), so that none is drawn twice across chunks."""
    for i in range(first, first + n):
        code = tracking_code(rng)
        while code in codes:
            code = tracking_code(rng)
        codes.add(code)
        rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        created = start + timedelta(seconds=i * 3 + rng.randint(0, 2))
        status, resolution, steps = rng.choice(FATES)
        kind = rng.choice(KINDS)
        if status == "meeting_scheduled":
            kind = "meeting"
        channel = rng.choice(CHANNELS)
        text = rng.choice(TEXTS) + f" (نمونه {i})"
        reviewed = "classified" in steps
        updated = created + timedelta(hours=len(steps))
        closed = updated if status == "closed" else None
        registered_by = None if channel == "online" else admin_id
        yield "requests", (rid, code, channel, text, search_key(text), kind, kind if reviewed else None,
                           None, None, status, resolution, 1 + len(steps), registered_by, created, updated, closed)
        mobile = f"+98912{i % 10_000_000:07d}"
        yield "request_identities", identity(rid, rng.choice(NAMES), mobile)
        actions = ["registered"] + steps
        statuses = ["registered"] + [
            {"classified": "in_review", "referred": "referred", "meeting_scheduled": "meeting_scheduled"}.get(a, "closed")
            for a in steps
        ]
        prev = None
        for seq, (action, to) in enumerate(zip(actions, statuses), start=1):
            actor = "citizen" if action in ("registered", "withdrawn") and channel == "online" or action == "withdrawn" else "staff"
            yield "request_events", (str(uuid.uuid4()), rid, seq, created + timedelta(hours=seq - 1), actor,
                                     admin_id if actor == "staff" else None, action, prev, to, True, "{}")
            prev = to
        params = '{"tracking_code": "%s"}' % code
        recipient = VAULT.seal("mobile", mobile) if VAULT else mobile
        yield "notifications", (str(uuid.uuid4()), rid, "tracking_code_issued", recipient, params, "delivered", 1,
                                created, None, None, None, created, created, created, created, None)
        if status == "meeting_scheduled":
            starts = datetime(2027, 1, 2, 5, 0) + timedelta(minutes=45 * i)
            yield "meetings", (str(uuid.uuid4()), rid, starts, starts + timedelta(minutes=30), "دفتر ریاست مرکز",
                               "scheduled", None, None, 1, updated, updated)
        if "referred" in steps:
            yield "referrals", (str(uuid.uuid4()), rid, f"R-{rng.randint(0, 99_999_999):08d}-{i}", rng.choice(units),
                                "action_required", kind, None, "متن بی‌نام ارجاع", created + timedelta(days=7),
                                "accepted" if status == "closed" else "open", None, None, 1, admin_id, created, updated)


COLUMNS = {
    "requests": "id, tracking_code, channel, body, search_text, proposed_kind, kind, subject, subject_unit_id, status, "
                "resolution, version, registered_by, created_at, updated_at, closed_at",
    "request_identities": "request_id, name, mobile, national_id, email, mobile_index",
    "request_events": "id, request_id, seq, at, actor_kind, actor_id, action, from_status, to_status, public, details",
    "notifications": "id, request_id, template, recipient, params, status, attempts, next_attempt_at, locked_until, "
                     "provider_message_id, last_error, created_at, updated_at, sent_at, delivered_at, claimed_by",
    "meetings": "id, request_id, starts_at, ends_at, place, status, action_required, notes, version, created_at, "
                "updated_at",
    "referrals": "id, request_id, reference, unit_id, reason, kind, subject, body, due_at, status, answer, "
                 "return_reason, version, created_by, created_at, updated_at",
}
ORDER = ["requests", "request_identities", "request_events", "notifications", "meetings", "referrals"]


def copy_value(v):
    if v is None:
        return "\\N"
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def fill_postgres(url, n, rng, chunk=100_000):
    def psql(sql, data=None):
        done = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                              input=data, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"psql failed on {sql[:60]}…: {done.stderr}")
        return done.stdout
    admin_id = psql("SELECT id FROM users ORDER BY created_at LIMIT 1").strip()
    units = ensure_units_pg(psql, admin_id)
    codes = set(psql("SELECT tracking_code FROM requests").split())
    done = 0
    while done < n:
        size = min(chunk, n - done)
        buffers = {t: io.StringIO() for t in ORDER}
        for table, row in rows(size, rng, units, admin_id, datetime(2025, 1, 1), codes, first=done):
            buffers[table].write("\t".join(copy_value(v) for v in row) + "\n")
        for table in ORDER:
            psql(f"COPY {table} ({COLUMNS[table]}) FROM STDIN", buffers[table].getvalue())
        done += size
        print(f"  {done}/{n} requests", file=sys.stderr)
    psql("ANALYZE")


def ensure_units_pg(psql, admin_id):
    existing = [u for u in psql("SELECT id FROM units").split() if u]
    if existing:
        return existing
    ids = []
    for name in ["واحد امور مالی", "واحد پذیرش", "معاونت درمان", "واحد فناوری اطلاعات"]:
        uid = str(uuid.uuid4())
        psql(f"INSERT INTO units (id, name, kind, active, created_at, updated_at) VALUES ('{uid}', '{name}', 'unit', true, now(), now())")
        ids.append(uid)
    return ids


def fill_sqlite(path, n, rng):
    db = sqlite3.connect(path)
    admin_id = db.execute("SELECT id FROM users ORDER BY created_at LIMIT 1").fetchone()[0]
    units = [r[0] for r in db.execute("SELECT id FROM units")]
    if not units:
        for name in ["واحد امور مالی", "واحد پذیرش", "معاونت درمان", "واحد فناوری اطلاعات"]:
            uid = str(uuid.uuid4())
            db.execute("INSERT INTO units (id, name, kind, active, created_at, updated_at) VALUES (?, ?, 'unit', 1, ?, ?)",
                       (uid, name, datetime.utcnow().isoformat(sep=" "), datetime.utcnow().isoformat(sep=" ")))
            units.append(uid)
    batches = {t: [] for t in ORDER}

    def flush():
        for table in ORDER:
            if batches[table]:
                width = len(batches[table][0])
                db.executemany(f"INSERT INTO {table} ({COLUMNS[table]}) VALUES ({', '.join('?' * width)})",
                               batches[table])
                batches[table].clear()

    with db:
        codes = {r[0] for r in db.execute("SELECT tracking_code FROM requests")}
        for count, (table, row) in enumerate(rows(n, rng, units, admin_id, datetime(2025, 1, 1), codes)):
            batches[table].append([v.isoformat(sep=" ") if isinstance(v, datetime) else v for v in row])
            if count % 200_000 == 0:
                flush()
        flush()
    db.execute("ANALYZE")
    db.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--binary", default="target/debug/mardom")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    env = dict(os.environ, DATABASE_URL=args.database_url, MARDOM_JWT_SECRET="dataset-secret-0123456789abcdef01234567",
               MARDOM_IDENTITY_KEYS=IDENTITY_KEYS, MARDOM_BLIND_INDEX_KEY=BLIND_INDEX_KEY,
               MARDOM_ADMIN_PASSWORD="dataset-admin-password")
    # `migrate` creates no account; an admin named `dataset` (password above) owns the staff rows
    # and signs the benchmark's staff calls. Already there on a second run: that is fine.
    subprocess.run([args.binary, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([args.binary, "create-user", "--username", "dataset", "--role", "admin", "--password-stdin"],
                   env=env, input="dataset-admin-password\n", text=True, capture_output=True)
    rng = random.Random(args.seed)
    started = time.monotonic()
    if args.database_url.startswith("postgres"):
        fill_postgres(args.database_url, args.requests, rng)
    else:
        fill_sqlite(args.database_url.removeprefix("sqlite://"), args.requests, rng)
    print(f"dataset: {args.requests} requests in {time.monotonic() - started:.1f} s into {args.database_url}")


if __name__ == "__main__":
    main()
