"""Unit tests of the local stack launcher (local/stack.py): config generation, ports, process
clean-up. They start no Rust binaries and need no network beyond loopback."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import stack  # noqa: E402
import stack_config  # noqa: E402
import stack_processes as procs  # noqa: E402


def make_alb_config(**overrides):
    args = dict(
        listen_port=18080,
        allowed_cidrs=["127.0.0.0/8", "::1/128"],
        mock_google_url="http://127.0.0.1:4000",
        watch_url="http://127.0.0.1:9000",
        gate_client_secret="s3cret-for-test",
        app_url="http://127.0.0.1:8501",
        session_timeout_seconds=43200,
    )
    args.update(overrides)
    return stack_config.alb_config(**args)


def test_alb_config_has_exactly_the_emulator_schema():
    config = make_alb_config()

    assert set(config) == {"listen", "public_keys_listen", "allowed_cidrs", "signer_arn", "oidc", "rules"}
    assert set(config["oidc"]) == {
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "user_info_endpoint",
        "client_id",
        "client_secret",
        "scope",
        "session_cookie_name",
        "session_timeout_seconds",
        "authentication_request_extra_params",
    }
    assert config["listen"] == "127.0.0.1:18080"
    assert config["public_keys_listen"] == "127.0.0.1:0"
    assert config["oidc"]["client_secret"] == "s3cret-for-test"
    assert config["oidc"]["issuer"] == "http://127.0.0.1:4000"
    assert config["oidc"]["authorization_endpoint"] == "http://127.0.0.1:4000/o/oauth2/v2/auth"
    assert config["oidc"]["token_endpoint"] == "http://127.0.0.1:9000/lambda-url/callback/token"
    assert config["oidc"]["user_info_endpoint"] == "http://127.0.0.1:9000/lambda-url/authorizer/userinfo"
    assert config["oidc"]["authentication_request_extra_params"] == {"prompt": "select_account", "hd": "example.com"}


def test_alb_rules_mirror_the_terraform_listener():
    rules = {rule["priority"]: rule for rule in make_alb_config(app_url="http://127.0.0.1:1234")["rules"]}

    assert sorted(rules) == [10, 11, 12]
    auth = rules[10]
    assert auth["path_patterns"] == ["/_auth/*"]
    assert auth["action"]["type"] == "lambda"
    assert auth["action"]["invoke_url"] == "http://127.0.0.1:9000/2015-03-31/functions/authorizer/invocations"
    assert auth["action"]["multi_value_headers"] is True
    assert rules[11]["path_patterns"] == ["/_stcore/*"]
    assert rules[11]["action"] == {
        "type": "authenticate-oidc",
        "on_unauthenticated_request": "deny",
        "forward": "http://127.0.0.1:1234",
    }
    assert rules[12]["path_patterns"] == ["*"]
    assert rules[12]["action"]["on_unauthenticated_request"] == "authenticate"


def test_alb_config_carries_session_timeout_and_cidrs():
    config = make_alb_config(session_timeout_seconds=15, allowed_cidrs=("10.0.0.0/8",), listen_port=0)

    assert config["oidc"]["session_timeout_seconds"] == 15
    assert config["allowed_cidrs"] == ["10.0.0.0/8"]
    assert config["listen"] == "127.0.0.1:0"


def test_google_client_json_is_in_the_console_download_format():
    client = stack_config.google_client_json("http://127.0.0.1:4000", stack_config.redirect_uris([8080]))

    web = client["web"]
    assert set(web) == {
        "client_id",
        "project_id",
        "auth_uri",
        "token_uri",
        "auth_provider_x509_cert_url",
        "client_secret",
        "redirect_uris",
    }
    assert web["client_id"] == "local-demo-client.apps.googleusercontent.com"
    assert web["token_uri"] == "http://127.0.0.1:4000/token"
    assert web["redirect_uris"] == [
        "http://127.0.0.1:8080/oauth2/idpresponse",
        "http://localhost:8080/oauth2/idpresponse",
    ]


def test_gate_environment_points_the_lambdas_at_the_local_services():
    env = stack_config.gate_environment(
        mock_google_url="http://127.0.0.1:4000",
        moto_url="http://127.0.0.1:5000",
        alb_ports=[8080, 8181],
        session_seconds=900,
        rust_log="info",
    )

    assert env["GATE_ALLOWED_HOSTS"] == "127.0.0.1:8080,localhost:8080,127.0.0.1:8181,localhost:8181"
    assert env["GATE_ALLOWED_DOMAINS"] == "example.com"
    assert env["GATE_ALLOWED_EMAILS"] == "carol@contractor.io"
    assert env["GATE_DEV_ALLOW_HTTP_LOOPBACK"] == "true"
    assert env["GATE_CLIENT_SECRET_PARAM"] == "/streamlit/gate-client-secret"
    assert env["GATE_GOOGLE_TOKEN_URL"] == "http://127.0.0.1:4000/token"
    assert env["GATE_GOOGLE_JWKS_URL"] == "http://127.0.0.1:4000/oauth2/v3/certs"
    assert env["GATE_GOOGLE_ISSUER"] == "http://127.0.0.1:4000"
    assert env["GATE_SESSION_SECONDS"] == "900"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000"
    assert env["AWS_REGION"] == "us-east-1"


def test_env_file_lines_keep_commas_and_reject_newlines(tmp_path):
    path = tmp_path / "lambda.env"
    stack_config.write_env_file(path, {"A": "1,2", "B": "x"})

    assert path.read_text().splitlines() == ["A=1,2", "B=x"]
    with pytest.raises(procs.StackError, match="B"):
        stack_config.write_env_file(path, {"B": "two\nlines"})


def test_free_port_can_be_bound_and_skips_taken_ports():
    taken: set[int] = set()
    first = procs.free_port(taken=taken)
    second = procs.free_port(taken=taken)

    assert first != second
    assert taken == {first, second}
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", first))


def test_port_is_free_sees_a_listener():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not procs.port_is_free(port)
    assert procs.port_is_free(port)


@pytest.mark.parametrize(("value", "expected"), [(None, 8080), ("", 8080), ("9090", 9090)])
def test_demo_port_from_env(value, expected):
    env = {} if value is None else {"DEMO_PORT": value}
    assert stack.demo_port_from_env(env) == expected


@pytest.mark.parametrize("value", ["abc", "0", "70000", "-1", "80 80"])
def test_bad_demo_port_is_a_clear_error(value):
    with pytest.raises(procs.StackError, match="DEMO_PORT"):
        stack.demo_port_from_env({"DEMO_PORT": value})


def test_demo_exits_1_with_a_message_when_the_port_is_taken(capsys, tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        started = time.monotonic()
        code = stack.main(["demo", "--port", str(port)])

    err = capsys.readouterr().err
    assert code == 1
    assert f"port {port}" in err
    assert "already in use" in err
    # Refused before any build or process start.
    assert time.monotonic() - started < 5


def test_stopping_a_child_ends_grandchildren_in_other_groups_and_sessions(tmp_path):
    pid_file = tmp_path / "grandchildren.pid"
    script = textwrap.dedent(
        f"""
        import subprocess, sys, time
        sleep = [sys.executable, "-c", "import time; time.sleep(300)"]
        # Like cargo lambda watch: functions get a process group, or even a session, of their own.
        in_group = subprocess.Popen(sleep, process_group=0)
        in_session = subprocess.Popen(sleep, start_new_session=True)
        open({str(pid_file)!r}, "w").write(f"{{in_group.pid}} {{in_session.pid}}")
        print("ready", flush=True)
        time.sleep(300)
        """
    )
    child = procs.Child("sleeper", [sys.executable, "-c", script], tmp_path / "sleeper.log", stack.child_env())
    try:
        procs.wait_for_log_line(child, re.compile("ready"), timeout=20)
        in_group, in_session = (int(pid) for pid in pid_file.read_text().split())
        assert procs._pid_running(in_group) and procs._pid_running(in_session)
        assert in_group in procs.session_members(child.pid)
        assert in_session not in procs.session_members(child.pid)
        assert {in_group, in_session} <= procs.descendants(child.pid)
    finally:
        child.stop()

    assert not procs._pid_running(child.pid)
    assert not procs._pid_running(in_group)
    assert not procs._pid_running(in_session)


def test_wait_for_log_line_reports_an_early_exit_with_the_log(tmp_path):
    child = procs.Child(
        "quitter", [sys.executable, "-c", "print('boom: bad config'); raise SystemExit(3)"], tmp_path / "q.log", stack.child_env()
    )
    try:
        with pytest.raises(procs.StackError, match="exited") as err:
            procs.wait_for_log_line(child, re.compile("listening on"), timeout=20)
    finally:
        child.stop()
    assert err.value.log_path == tmp_path / "q.log"
    assert "boom: bad config" in procs.tail(err.value.log_path)


def test_wait_for_log_line_gives_up_at_its_deadline(tmp_path):
    child = procs.Child("silent", [sys.executable, "-c", "import time; time.sleep(60)"], tmp_path / "s.log", stack.child_env())
    try:
        started = time.monotonic()
        with pytest.raises(procs.StackError, match="within"):
            procs.wait_for_log_line(child, re.compile("never printed"), timeout=0.5)
        assert time.monotonic() - started < 5
    finally:
        child.stop()


def test_function_answered_accepts_only_gate_client_errors():
    class Response:
        def __init__(self, status_code):
            self.status_code = status_code

    assert stack.function_answered(Response(401))
    assert stack.function_answered(Response(400))
    assert not stack.function_answered(Response(502))
    assert not stack.function_answered(Response(200))


def test_stack_refuses_a_taken_port_before_starting_anything(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        s = stack.Stack(stack.StackOptions(albs=[stack.AlbSpec("main", port=port)], log_dir=tmp_path, say=lambda _: None))
        with pytest.raises(procs.StackError, match=f"port {port}.*already in use"):
            s.start()
    assert s.children == []


def test_script_runs_from_any_directory(tmp_path):
    # `python local/stack.py --help` must work outside the repo root (it uses absolute paths).
    result = subprocess.run(
        [sys.executable, str(Path(stack.__file__)), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0
    assert "demo" in result.stdout
