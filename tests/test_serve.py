"""``ndr serve`` against a running server (uvicorn on 127.0.0.1, a real HTTP client): every
endpoint, the token, the limits, problem details, each provider's webhook with valid and
tampered proofs, and records identical to ``ndr parse``."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("cryptography")

from . import webhook_payloads as P
from .conftest import CORPUS, EXAMPLES, run_ndr
from .serving import TOKEN, running

PROBLEM = "application/problem+json"
MAX_BODY = 64 * 1024
CORPUS_SAMPLES = ("rfc3464-01.eml", "postfix-01.eml", "exim-01.eml", "arf-01.eml", "amazonses-01.eml")


@pytest.fixture(scope="module")
def keys() -> P.Keys:
    return P.make_keys()


@pytest.fixture(scope="module")
def service(tmp_path_factory, keys):
    folder = tmp_path_factory.mktemp("serve")
    (folder / "sns.pem").write_bytes(keys.sns_cert_pem)
    (folder / "sendgrid.key").write_text(keys.sendgrid_public_b64, encoding="utf-8")
    (folder / "mailgun.key").write_text(keys.mailgun_key, encoding="utf-8")
    (folder / "postmark").write_text(keys.postmark_auth, encoding="utf-8")
    with running(folder, "--db", str(folder / "ledger.db"), "--max-body", str(MAX_BODY),
                 "--sns-cert", str(folder / "sns.pem"), "--sns-topic", P.TOPIC,
                 "--sendgrid-key-file", str(folder / "sendgrid.key"),
                 "--mailgun-key-file", str(folder / "mailgun.key"),
                 "--postmark-auth-file", str(folder / "postmark")) as client:
        client.folder = folder  # type: ignore[attr-defined]
        yield client


def is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.text
    return body


def cli_records(path: str) -> list[dict]:
    done = run_ndr("parse", "--all", "--format", "json", path)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else []


def sample_files() -> list[str]:
    files = [str(p.relative_to(EXAMPLES.parent)) for p in sorted(EXAMPLES.glob("*.eml"))]
    files += [str(CORPUS / "eml" / name) for name in CORPUS_SAMPLES if (CORPUS / "eml" / name).is_file()]
    return files


# --- /v1/parse ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", sample_files())
def test_parse_gives_the_records_of_ndr_parse(service, path):
    data = (EXAMPLES.parent / path).read_bytes()
    response = service.post("/v1/parse", params={"source": path}, content=data,
                            headers={"Content-Type": "message/rfc822"})
    assert response.status_code == 200, response.text
    assert response.json() == cli_records(path)


def test_corpus_samples_present_or_skipped():
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    assert any((CORPUS / "eml" / name).is_file() for name in CORPUS_SAMPLES)


def test_parse_an_mbox_like_ndr_parse_reads_one(service, tmp_path):
    one = (EXAMPLES / "postfix-user-unknown.eml").read_bytes()
    two = (EXAMPLES / "exchange-connector-refused.eml").read_bytes()
    mbox = tmp_path / "two.mbox"
    mbox.write_bytes(b"From MAILER-DAEMON Tue Nov 10 09:14:03 2026\n" + one + b"\n"
                     b"From MAILER-DAEMON Tue Nov 10 09:15:00 2026\n" + two + b"\n")
    response = service.post("/v1/parse", params={"source": str(mbox)}, content=mbox.read_bytes(),
                            headers={"Content-Type": "application/mbox"})
    rows = response.json()
    assert rows == cli_records(str(mbox))
    assert {row["message_index"] for row in rows} == {0, 1}


def test_parse_in_portuguese_like_ndr_parse_from_stdin(service):
    data = (EXAMPLES / "exchange-connector-refused.eml").read_bytes()
    portuguese = service.post("/v1/parse", params={"lang": "pt-BR"}, content=data,
                              headers={"Content-Type": "message/rfc822"}).json()
    cli = run_ndr("parse", "--all", "--format", "json", "--lang", "pt-BR", stdin=data)
    assert portuguese == json.loads(cli.stdout)
    assert portuguese[0]["source"] == "-"
    english = service.post("/v1/parse", content=data, headers={"Content-Type": "message/rfc822"}).json()
    assert (english[0]["reason"], english[0]["record_id"]) == (portuguese[0]["reason"], portuguese[0]["record_id"])
    assert english[0]["summary"] != portuguese[0]["summary"]


def test_parse_rejects_the_wrong_content_type(service):
    data = (EXAMPLES / "postfix-user-unknown.eml").read_bytes()
    for kind in ("text/plain", "application/json", None):
        headers = {"Content-Type": kind} if kind else {}
        body = is_problem(service.post("/v1/parse", content=data, headers=headers), 415)
        assert "message/rfc822" in body["detail"]


def test_parse_rejects_oversized_bodies_declared_or_streamed(service):
    big = b"Subject: x\n\n" + b"y" * (MAX_BODY + 10)
    is_problem(service.post("/v1/parse", content=big, headers={"Content-Type": "message/rfc822"}), 413)

    def chunks():  # no Content-Length: the limit holds while reading
        for start in range(0, len(big), 8192):
            yield big[start:start + 8192]

    is_problem(service.post("/v1/parse", content=chunks(), headers={"Content-Type": "message/rfc822"}), 413)


def test_parse_rejects_empty_and_unreadable_bodies(service):
    is_problem(service.post("/v1/parse", content=b"", headers={"Content-Type": "message/rfc822"}), 400)
    is_problem(service.post("/v1/parse", content=b"\x00\x01 not mail at all",
                            headers={"Content-Type": "message/rfc822"}), 422)
    is_problem(service.post("/v1/parse", params={"lang": "klingon"}, content=b"Subject: x\n\nhi",
                            headers={"Content-Type": "message/rfc822"}), 400)


# --- token, errors, docs ---------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("GET", "/healthz"), ("POST", "/v1/parse"), ("GET", "/v1/explain?q=5.1.1"), ("GET", "/v1/suppressions"),
    ("GET", "/v1/findings"), ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/no/such/path"),
])
def test_every_endpoint_but_the_webhooks_needs_the_token(service, method, path):
    for headers in ({"Authorization": "Bearer wrong-token"}, {"Authorization": f"Basic {TOKEN}"}):
        response = httpx.request(method, str(service.base_url) + path, headers=headers)
        is_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
    bare = httpx.request(method, str(service.base_url) + path)
    assert is_problem(bare, 401)["detail"] == "missing bearer token"


def test_unknown_paths_and_methods_are_problems(service):
    is_problem(service.get("/v2/parse"), 404)
    is_problem(service.get("/v1/parse"), 405)
    is_problem(service.post("/v1/webhooks/carrier-pigeon", json={}), 404)


def test_healthz_openapi_and_docs(service):
    assert service.get("/healthz").json()["status"] == "ok"
    spec = service.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    expected = {"/v1/parse", "/v1/explain", "/v1/suppressions", "/v1/findings", "/healthz",
                *(f"/v1/webhooks/{p}" for p in ("ses", "sendgrid", "mailgun", "postmark"))}
    assert expected <= set(spec["paths"])
    assert set(spec["components"]["schemas"]["Record"]["properties"]) >= {"record_id", "reason", "source"}
    page = service.get("/docs")
    assert page.headers["content-type"].startswith("text/html")
    for path in expected:
        assert path in page.text


def test_explain(service):
    body = service.get("/v1/explain", params={"q": "450 4.4.316"}).json()
    assert (body["status"], body["reason"]) == ("4.4.316", "networkerror")
    cli = json.loads(run_ndr("explain", "--format", "json", "450 4.4.316").stdout)
    assert body == cli
    portuguese = service.get("/v1/explain", params={"q": "5.1.1", "lang": "pt-BR"}).json()
    assert portuguese["reason_summary"] != service.get("/v1/explain", params={"q": "5.1.1"}).json()["reason_summary"]
    is_problem(service.get("/v1/explain"), 400)
    is_problem(service.get("/v1/explain", params={"q": "5.1.1", "lang": "xx"}), 400)


# --- webhooks ----------------------------------------------------------------------------------

def post_sns(service, envelope, **headers):
    return service.post("/v1/webhooks/ses", content=json.dumps(envelope),
                        headers={"Content-Type": "text/plain; charset=UTF-8",
                                 "x-amz-sns-message-type": envelope.get("Type", ""), **headers})


@pytest.mark.parametrize("version", ["1", "2"])
def test_ses_through_sns(service, keys, version):
    message = P.ses_bounce("Permanent", "NoEmail", [{"emailAddress": f"nobody{version}@example.net"}])
    response = post_sns(service, P.sns_envelope(keys, message, version=version), Authorization="")
    assert response.status_code == 200, response.text
    [row] = response.json()
    assert (row["source"], row["reason"], row["hard"], row["kind"]) == ("webhook:ses", "userunknown", True, "bounce")
    delay = P.sns_envelope(keys, P.ses_delay("slow@example.net", "MailboxFull", "smtp; 452 4.2.2 full"))
    assert post_sns(service, delay).json()[0]["action"] == "delayed"
    confirmation = post_sns(service, P.sns_envelope(keys, kind="SubscriptionConfirmation", version=version))
    assert (confirmation.status_code, confirmation.json()) == (200, [])


def test_ses_refuses_tampered_or_foreign_envelopes(service, keys):
    envelope = P.sns_envelope(keys, P.ses_complaint("bob@example.net"))
    tampered = dict(envelope, Message=envelope["Message"].replace("bob@", "eve@"))
    assert "signature" in is_problem(post_sns(service, tampered), 401)["type"]
    foreign = P.sns_envelope(keys, P.ses_complaint("bob@example.net"),
                             cert_url="https://sns.eu-west-1.amazonaws.com.evil.example/x.pem")
    is_problem(post_sns(service, foreign), 401)
    other_topic = dict(P.sns_envelope(keys, P.ses_complaint("bob@example.net")))
    other_topic["TopicArn"] = "arn:aws:sns:eu-west-1:999999999999:not-ours"
    is_problem(post_sns(service, other_topic), 401)  # the signature covers the topic
    is_problem(post_sns(service, {"no": "type"}), 400)
    is_problem(service.post("/v1/webhooks/ses", content=b"{bad json", headers={"Content-Type": "text/plain"}), 400)
    is_problem(service.post("/v1/webhooks/ses", content=b"<xml/>", headers={"Content-Type": "application/xml"}), 415)


def test_sendgrid(service, keys):
    body = json.dumps(P.sendgrid_batch()).encode()
    response = service.post("/v1/webhooks/sendgrid", content=body, headers=P.sendgrid_headers(keys, body))
    assert response.status_code == 200, response.text
    reasons = {row["recipient"]: row["reason"] for row in response.json()}
    assert reasons == {"gone@example.com": "userunknown", "listed@example.com": "badreputation",
                       "before@example.com": "suppressed", "slow@example.com": "blocked",
                       "angry@example.com": "feedback"}
    tampered = body.replace(b"gone@", b"gona@")
    is_problem(service.post("/v1/webhooks/sendgrid", content=tampered, headers=P.sendgrid_headers(keys, body)), 401)
    unsigned = service.post("/v1/webhooks/sendgrid", content=body, headers={"Content-Type": "application/json"})
    is_problem(unsigned, 401)
    wrong_shape = b'[{"email": "x@example.com"}]'
    is_problem(service.post("/v1/webhooks/sendgrid", content=wrong_shape,
                            headers=P.sendgrid_headers(keys, wrong_shape)), 422)


def test_mailgun(service, keys):
    payload = P.mailgun_sign(keys, P.mailgun_event("mg-bob@example.net"))
    response = service.post("/v1/webhooks/mailgun", json=payload)
    assert response.status_code == 200, response.text
    assert [(r["reason"], r["source"]) for r in response.json()] == [("userunknown", "webhook:mailgun")]
    forged = dict(payload, signature=dict(payload["signature"], signature="0" * 64))
    is_problem(service.post("/v1/webhooks/mailgun", json=forged), 401)
    altered = json.loads(json.dumps(payload))
    altered["signature"]["token"] = "other-token"
    is_problem(service.post("/v1/webhooks/mailgun", json=altered), 401)
    stale = P.mailgun_sign(keys, P.mailgun_event("mg-bob@example.net"), timestamp="1500000000")
    is_problem(service.post("/v1/webhooks/mailgun", json=stale), 401)
    is_problem(service.post("/v1/webhooks/mailgun", content=b"event=failed",
                            headers={"Content-Type": "application/x-www-form-urlencoded"}), 415)


def test_postmark(service, keys):
    auth = {"Authorization": P.basic(keys.postmark_auth)}
    response = service.post("/v1/webhooks/postmark", json=P.postmark_bounce("pm-bob@example.net"), headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()[0]["reason"] == "userunknown"
    complaint = service.post("/v1/webhooks/postmark", json=P.postmark_complaint("pm-angry@example.net"), headers=auth)
    assert (complaint.json()[0]["kind"], complaint.json()[0]["reason"]) == ("feedback", "feedback")
    wrong = service.post("/v1/webhooks/postmark", json=P.postmark_bounce("pm-bob@example.net"),
                         headers={"Authorization": P.basic("ndr-hook:guess")})
    is_problem(wrong, 401)
    assert wrong.headers["www-authenticate"].startswith("Basic")
    is_problem(service.post("/v1/webhooks/postmark", json=P.postmark_bounce("x@example.net")), 401)
    is_problem(service.post("/v1/webhooks/postmark", content=b"{", headers={**auth, "Content-Type": "application/json"}), 400)


def test_webhook_bodies_are_size_limited(service, keys):
    huge = json.dumps([{"event": "bounce", "email": "x@example.com", "reason": "y" * MAX_BODY}]).encode()
    is_problem(service.post("/v1/webhooks/sendgrid", content=huge, headers=P.sendgrid_headers(keys, huge)), 413)


# --- the ledger ----------------------------------------------------------------------------

def test_ledger_suppressions_and_findings(service, keys):
    for n in range(3):
        payload = P.mailgun_sign(keys, P.mailgun_event(f"user{n}@gone.example", message_id=f"<m{n}@example.org>"))
        assert service.post("/v1/webhooks/mailgun", json=payload).status_code == 200
    again = P.mailgun_sign(keys, P.mailgun_event("user0@gone.example", message_id="<m0@example.org>"), token="t2")
    assert service.post("/v1/webhooks/mailgun", json=again).status_code == 200  # a repeat: stored once
    suppressed = {s["address"]: s for s in service.get("/v1/suppressions").json()["suppressions"]}
    assert {"user0@gone.example", "user1@gone.example", "user2@gone.example"} <= set(suppressed)
    assert suppressed["user0@gone.example"]["reason"] == "userunknown"
    findings = service.get("/v1/findings", params={"min_count": 3}).json()["findings"]
    assert any(f["destination"] == "mx1.example.net" and f["reason"] == "userunknown" for f in findings)
    is_problem(service.get("/v1/findings", params={"group_by": "planet"}), 400)
    is_problem(service.get("/v1/suppressions", params={"soft_count": "0"}), 400)
    with sqlite3.connect(service.folder / "ledger.db") as db:  # type: ignore[attr-defined]
        ids = [row[0] for row in db.execute("SELECT record_id FROM records")]
        assert len(ids) == len(set(ids))
        events = db.execute("SELECT COUNT(*) FROM events WHERE address = 'user0@gone.example'").fetchone()[0]
        assert events == 1


def test_without_a_ledger_the_ledger_endpoints_say_so(tmp_path):
    with running(tmp_path) as client:
        body = is_problem(client.get("/v1/suppressions"), 404)
        assert "--db" in body["detail"]
        is_problem(client.get("/v1/findings"), 404)
        is_problem(client.post("/v1/webhooks/mailgun", json={}), 404)  # no signing key: not served
        assert "Traceback" not in (tmp_path / "server.log").read_text()


def test_access_log_has_no_bodies(service):
    secret = b"Subject: x\nX-Secret: body-marker-0d9e\n\nhello"
    service.post("/v1/parse", content=secret, headers={"Content-Type": "message/rfc822"})
    log = (service.folder / "server.log").read_text(errors="replace")  # type: ignore[attr-defined]
    assert "POST /v1/parse" in log
    assert "body-marker-0d9e" not in log and "Traceback" not in log


def test_the_perl_ticketing_example(service, tmp_path):
    perl = shutil.which("perl")
    if perl is None:
        pytest.skip("no perl on this machine")
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n", encoding="utf-8")
    env = dict(os.environ, NDR_URL=str(service.base_url).rstrip("/"), NDR_TOKEN_FILE=str(token))
    script = EXAMPLES / "ticketing" / "bounce-to-ticket.pl"
    done = subprocess.run([perl, str(script)], input=(EXAMPLES / "postfix-user-unknown.eml").read_bytes(),
                          capture_output=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    record = cli_records(str(EXAMPLES / "postfix-user-unknown.eml"))[0]
    assert done.stdout.decode().startswith(f"ticket {record['record_id']}: bob@example.net 5.1.1 (userunknown)")
    garbage = subprocess.run([perl, str(script)], input=b"\x00 not mail", capture_output=True, env=env, timeout=60)
    assert garbage.returncode == 65
    token.write_text("wrong\n", encoding="utf-8")
    refused = subprocess.run([perl, str(script)], input=b"Subject: x\n\nhi", capture_output=True, env=env, timeout=60)
    assert refused.returncode == 75


@pytest.mark.parametrize("args, code, words", [
    (["--host", "0.0.0.0"], 2, "without --token-file"),
    (["--token-file", "/nonexistent/token"], 65, "cannot read"),
    (["--db", "/nonexistent/folder/ledger.db"], 65, "cannot open ledger"),
    (["--mailgun-key-file", "/nonexistent/key"], 65, "--mailgun-key-file"),
])
def test_serve_refuses_bad_settings_before_listening(args, code, words):
    done = run_ndr("serve", "--port", "1", *args)
    assert done.returncode == code
    assert words in done.stderr.decode() and b"Traceback" not in done.stderr


def test_an_internal_error_is_a_problem_document_not_a_traceback(monkeypatch):
    import asyncio

    from ndr.serve import app as app_module
    from ndr.serve.config import Secrets, ServeConfig

    def broken(*args, **kwargs):
        raise RuntimeError("catalog on fire")

    monkeypatch.setattr(app_module, "explain", broken)
    application = app_module.create_app(ServeConfig(), Secrets())

    async def ask():
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://ndr") as client:
            return await client.get("/v1/explain", params={"q": "5.1.1"})

    body = is_problem(asyncio.run(ask()), 500)
    assert "RuntimeError" in body["detail"] and "catalog on fire" not in body["detail"]
