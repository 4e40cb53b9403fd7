"""The deployment files agree with the code: every setting, command, port, probe and pin they name.

Nothing here builds or runs a container (CI has no Docker engine); the files are read as data and
checked against `bot.settings.Settings`, the `pathfinder` argument parser, the Makefile and the
lock, and the image's healthcheck script is run against a real HTTP server on loopback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import re
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from dotenv import dotenv_values
from pydantic import ValidationError

from bot import cli
from bot.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
ENV_EXAMPLE = DEPLOY / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
K8S = sorted((DEPLOY / "k8s").glob("*.yaml"))
HEALTHCHECK = DEPLOY / "healthcheck.py"

# Named by the production issue and used by these files before the code has them. Each has a
# test below that skips, naming it, until it lands, and then checks the assumed default.
PENDING_SETTINGS: dict[str, Any] = {"PATHFINDER_HEALTH_PORT": 8081, "PATHFINDER_DRAIN_SECONDS": 25}
PENDING_COMMANDS = {"worker"}
# In the env example for compose.yaml only; Pathfinder ignores them.
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "COMPOSE_PROFILES"}
SECRETS = {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "OPENAI_API_KEY"}
SETTING_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$")


# --- what the code says ---------------------------------------------------------------------


def setting_fields() -> dict[str, Any]:
    """Env name -> pydantic field, from the Settings class."""
    fields = {}
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        assert isinstance(alias, str), f"Settings.{name} has no single env name"
        fields[alias] = field
    return fields


def setting_default(env_name: str) -> Any:
    """The default Settings gives an env name, or the issue's assumed default until it lands."""
    field = setting_fields().get(env_name)
    if field is None:
        return PENDING_SETTINGS[env_name]
    return field.get_default(call_default_factory=True)


def parser() -> argparse.ArgumentParser:
    """The `pathfinder` argument parser, built by bot.cli's own function."""
    for name in ("build_parser", "make_parser", "parser", "_parser"):
        make = getattr(cli, name, None)
        if callable(make):
            built = make()
            if isinstance(built, argparse.ArgumentParser):
                return built
    pytest.fail("bot.cli has no function that builds its ArgumentParser (looked for _parser)")


def subcommands() -> set[str]:
    return {
        name
        for action in parser()._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    }


def http_port() -> int:
    """The HTTP port `pathfinder serve --http` listens on by default."""
    return int(parser().parse_args(["serve", "--http"]).port)


def health_port() -> int:
    return int(setting_default("PATHFINDER_HEALTH_PORT"))


def drain_seconds() -> float:
    return float(setting_default("PATHFINDER_DRAIN_SECONDS"))


# --- what the deploy files say --------------------------------------------------------------


def env_example() -> dict[str, str | None]:
    """Every NAME=value line of the env example, commented out or not, parsed as a .env file."""
    lines = [m for line in ENV_EXAMPLE.read_text().splitlines() if (m := SETTING_LINE.match(line))]
    names = [m[1] for m in lines]
    assert len(names) == len(set(names)), (
        f"named twice: {sorted({n for n in names if names.count(n) > 1})}"
    )
    text = "\n".join(f"{m[1]}={m[2]}" for m in lines)
    return dotenv_values(stream=io.StringIO(text))


def live_env_example() -> set[str]:
    """The names set (not commented out) in the env example."""
    return {
        m[1]
        for line in ENV_EXAMPLE.read_text().splitlines()
        if (m := re.match(r"^([A-Z][A-Z0-9_]*)=", line))
    }


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def pathfinder_services() -> dict[str, dict[str, Any]]:
    return {n: s for n, s in compose()["services"].items() if "build" in s}


def k8s_docs() -> list[tuple[Path, dict[str, Any]]]:
    return [(path, doc) for path in K8S for doc in yaml.safe_load_all(path.read_text()) if doc]


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    kind = doc["kind"]
    if kind in ("Deployment", "Job"):
        return doc["spec"]["template"]["spec"]
    if kind == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def containers() -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(kind/name, pod spec, container) for every container in the Kubernetes example."""
    for _, doc in k8s_docs():
        spec = pod_spec(doc)
        for container in (spec or {}).get("containers", []):
            yield f"{doc['kind']}/{doc['metadata']['name']}", spec, container


def k8s_data(kind: str) -> dict[str, str]:
    [doc] = [d for _, d in k8s_docs() if d["kind"] == kind]
    return {**doc.get("data", {}), **doc.get("stringData", {})}


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), split into stages."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]
    stages: list[list[str]] = [[]]
    for line in lines:
        if (
            line.upper().startswith("FROM ")
            and stages[-1]
            and any(s.upper().startswith("FROM ") for s in stages[-1])
        ):
            stages.append([])
        stages[-1].append(line)
    return stages


def instructions(stage: list[str], keyword: str) -> list[str]:
    return [ln[len(keyword) + 1 :].strip() for ln in stage if ln.upper().startswith(keyword + " ")]


def dockerfile_cmd() -> list[str]:
    [cmd] = instructions(dockerfile_stages()[-1], "CMD")
    return list(yaml.safe_load(cmd))  # exec form is a JSON array


def argvs(command: list[str]) -> list[list[str]]:
    """The commands one container runs: `sh -c "a && b"` is two."""
    if command[:2] in (["sh", "-c"], ["/bin/sh", "-c"]):
        return [shlex.split(part) for part in re.split(r"&&|;", command[2])]
    return [command]


def deployed_commands() -> list[tuple[str, list[str]]]:
    found = [("Dockerfile CMD", dockerfile_cmd())]
    for name, service in pathfinder_services().items():
        found.append((f"compose {name}", service.get("command") or dockerfile_cmd()))
    for where, _, container in containers():
        found.append((where, [*container.get("command", []), *container.get("args", [])]))
    return [(where, argv) for where, command in found for argv in argvs(command)]


def seconds(value: str | int) -> float:
    match = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", str(value))
    if isinstance(value, int) or not match:
        return float(value)
    return 60 * int(match[1] or 0) + int(match[2] or 0)


# --- (a) settings ---------------------------------------------------------------------------


def test_every_setting_has_a_line_in_the_env_example() -> None:
    missing = sorted(set(setting_fields()) - set(env_example()))
    assert not missing, f"Settings fields missing from {ENV_EXAMPLE.name}: {missing}"


def test_the_env_example_names_nothing_settings_does_not_know() -> None:
    unknown = sorted(
        set(env_example()) - set(setting_fields()) - set(PENDING_SETTINGS) - COMPOSE_ONLY
    )
    assert not unknown, f"not Settings fields: {unknown}"


def test_every_setting_line_has_a_comment_above_it() -> None:
    lines = ENV_EXAMPLE.read_text().splitlines()
    bare = [
        m[1]
        for before, line in zip(["", *lines], lines, strict=False)
        if (m := SETTING_LINE.match(line))
        and not (before.startswith("#") and not SETTING_LINE.match(before))
    ]
    assert not bare, f"settings without a one-line comment above them: {bare}"


@pytest.mark.parametrize("name", sorted(PENDING_SETTINGS))
def test_settings_assumed_from_the_production_issue_have_landed(name: str) -> None:
    if name not in setting_fields():
        pytest.skip(f"{name} is not in bot.settings yet (assumed default {PENDING_SETTINGS[name]})")
    assert setting_fields()[name].get_default() == PENDING_SETTINGS[name]


def test_the_env_example_values_are_valid_and_show_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = {k: v for k, v in env_example().items() if k not in SECRETS | COMPOSE_ONLY}
    # Read as Pathfinder reads a .env file (JSON settings decoded), nothing from this machine.
    for name in setting_fields():
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    settings = Settings(_env_file=env_file)
    assert settings.coordinator_channels == {"North West": "C0123ABCD"}
    fields = setting_fields()
    differ = []
    for env_name, value in values.items():
        field = fields.get(env_name)
        if field is None:  # pending: compare as text with the assumed default
            if str(PENDING_SETTINGS[env_name]) != value:
                differ.append(env_name)
            continue
        if field.default_factory is not None or field.default in (None, ""):
            continue  # no single default to show: the line is an example
        attribute = next(n for n, f in Settings.model_fields.items() if f is field)
        if getattr(settings, attribute) != field.default:
            differ.append(env_name)
    assert not differ, f"lines showing a value other than the default: {differ}"


def secret_values(where: str) -> dict[str, str]:
    if where == "env example":
        return {k: v or "" for k, v in env_example().items() if k in SECRETS}
    return k8s_data("Secret")


@pytest.mark.parametrize("where", ["env example", "k8s Secret"])
def test_secret_placeholders_are_refused_by_settings(where: str) -> None:
    values = secret_values(where)
    slack = {k: v for k, v in values.items() if k.startswith("SLACK_")}
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"} <= set(slack)
    with pytest.raises(SettingsError) as http_mode:
        Settings(_env_file=None, **slack).require_slack(socket_mode=False)
    assert "SLACK_BOT_TOKEN" in str(http_mode.value)
    assert "SLACK_SIGNING_SECRET" in str(http_mode.value)
    if "SLACK_APP_TOKEN" in slack:
        with pytest.raises(SettingsError, match="SLACK_APP_TOKEN"):
            Settings(_env_file=None, **slack).require_slack(socket_mode=True)
    with pytest.raises(ValidationError, match="OPENAI_API_KEY"):
        Settings(_env_file=None, PATHFINDER_LLM="openai", OPENAI_API_KEY=values["OPENAI_API_KEY"])


def test_secrets_are_set_only_in_the_secret() -> None:
    assert set(k8s_data("Secret")) <= SECRETS | {"DATABASE_URL"}
    assert not SECRETS & set(k8s_data("ConfigMap")), "a secret in the ConfigMap"
    for service in compose()["services"].values():
        assert not SECRETS & set(service.get("environment") or {}), (
            "a secret written into compose.yaml"
        )


def test_kubernetes_and_compose_set_only_known_settings() -> None:
    known = set(setting_fields()) | set(PENDING_SETTINGS)
    for kind in ("ConfigMap", "Secret"):
        unknown = sorted(set(k8s_data(kind)) - known)
        assert not unknown, f"{kind} sets names Settings does not know: {unknown}"
    for name, service in pathfinder_services().items():
        unknown = sorted(set(service.get("environment") or {}) - known)
        assert not unknown, f"compose {name} sets names Settings does not know: {unknown}"


def test_compose_only_names_in_the_env_example_are_used_by_compose() -> None:
    text = COMPOSE.read_text()
    assert "${POSTGRES_PASSWORD" in text
    profiles = {p for s in compose()["services"].values() for p in s.get("profiles", [])}
    wanted = set((env_example()["COMPOSE_PROFILES"] or "").split(","))
    assert wanted <= profiles, f"COMPOSE_PROFILES names {wanted - profiles}, compose has {profiles}"
    assert COMPOSE_ONLY <= live_env_example()


# --- (b) compose and Kubernetes: they parse, run real commands, probe the right paths and ports


def test_compose_and_every_kubernetes_manifest_parse() -> None:
    assert set(compose()["services"]) >= {"postgres", "migrate", "app", "app-socket", "worker"}
    assert K8S, "no Kubernetes manifests"
    kinds = set()
    for path, doc in k8s_docs():
        assert {"apiVersion", "kind", "metadata"} <= set(doc), path.name
        assert doc["metadata"].get("name"), path.name
        kinds.add(doc["kind"])
    assert kinds >= {
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "Job",
        "CronJob",
        "ConfigMap",
        "Secret",
    }


def test_deploy_files_run_real_pathfinder_commands() -> None:
    names = subcommands()
    wrong = []
    for where, argv in deployed_commands():
        assert argv[0] == "pathfinder", f"{where} runs {argv[0]!r}, not pathfinder"
        if argv[1] in PENDING_COMMANDS and argv[1] not in names:
            continue  # checked (or skipped, named) by the next test
        with contextlib.redirect_stderr(io.StringIO()) as err:
            try:
                args = parser().parse_args(argv[1:])
            except SystemExit:
                wrong.append(
                    f"{where}: {shlex.join(argv)}: {err.getvalue().strip().splitlines()[-1]}"
                )
                continue
        if getattr(args, "handler", None) is None:
            wrong.append(f"{where}: {shlex.join(argv)} names no command")
    assert not wrong, "\n".join(wrong)


def test_commands_assumed_from_the_production_issue_have_landed() -> None:
    used = {argv[1] for _, argv in deployed_commands()} & PENDING_COMMANDS
    assert used, "no pending command is used any more: empty PENDING_COMMANDS"
    missing = sorted(used - subcommands())
    if missing:
        pytest.skip(
            f"not `pathfinder` subcommands yet: {', '.join(missing)} (used by compose.yaml and deploy/k8s)"
        )


def test_migrations_run_schema_then_catalogue_in_compose_and_kubernetes() -> None:
    expected = [["pathfinder", "db", "upgrade"], ["pathfinder", "catalogue", "load"]]
    assert argvs(compose()["services"]["migrate"]["command"]) == expected
    [job] = [c for where, _, c in containers() if where.startswith("Job/")]
    assert argvs(job["command"]) == expected
    [cron] = [c for where, _, c in containers() if where.startswith("CronJob/")]
    assert cron["command"] == ["pathfinder", "retention", "run"]


def named_port(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    [number] = [p["containerPort"] for p in container.get("ports", []) if p.get("name") == port]
    return int(number)


def test_deployments_probe_livez_and_readyz_on_their_own_port() -> None:
    expected = {"app": http_port(), "worker": health_port()}
    seen = set()
    for where, _, container in containers():
        if not where.startswith("Deployment/"):
            continue
        role = "worker" if container["command"][1:2] == ["worker"] else "app"
        seen.add(role)
        paths = {"livenessProbe": "/livez", "readinessProbe": "/readyz", "startupProbe": "/livez"}
        for probe, path in paths.items():
            if probe == "startupProbe" and probe not in container:
                continue
            get = container[probe]["httpGet"]
            assert get["path"] == path, f"{where} {probe}"
            assert named_port(container, get["port"]) == expected[role], f"{where} {probe} port"
    assert seen == {"app", "worker"}


def test_ports_agree_across_the_cli_settings_dockerfile_compose_and_kubernetes() -> None:
    http, health = http_port(), health_port()
    exposed = {
        int(p.split("/")[0])
        for line in instructions(dockerfile_stages()[-1], "EXPOSE")
        for p in line.split()
    }
    assert exposed == {http, health}
    cmd = dockerfile_cmd()
    assert (
        cmd[:3] == ["pathfinder", "serve", "--http"] and int(cmd[cmd.index("--port") + 1]) == http
    )
    app = compose()["services"]["app"]
    assert int(app["command"][app["command"].index("--port") + 1]) == http
    assert [int(p.rsplit(":", 1)[1]) for p in app["ports"]] == [http]
    assert int(k8s_data("ConfigMap").get("PATHFINDER_HEALTH_PORT", health)) == health
    [service] = [d for _, d in k8s_docs() if d["kind"] == "Service"]
    [app_container] = [c for w, _, c in containers() if w == "Deployment/pathfinder-app"]
    assert [named_port(app_container, p["targetPort"]) for p in service["spec"]["ports"]] == [http]
    script = healthcheck_module()
    assert (script.HTTP_PORT, script.HEALTH_PORT) == (http, health)


def test_orchestrators_wait_longer_than_the_drain() -> None:
    drain = float(k8s_data("ConfigMap").get("PATHFINDER_DRAIN_SECONDS", drain_seconds()))
    assert drain == drain_seconds()
    for where, spec, container in containers():
        if not where.startswith("Deployment/"):
            continue
        pre_stop = (
            container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
        )
        pause = float(pre_stop[1]) if pre_stop[:1] == ["sleep"] else 0.0
        assert spec["terminationGracePeriodSeconds"] > drain + pause, where
    for name, service in pathfinder_services().items():
        if name != "migrate":
            assert seconds(service["stop_grace_period"]) > drain, f"compose {name}"


def test_compose_starts_pathfinder_after_a_healthy_database_and_a_finished_migration() -> None:
    services = compose()["services"]
    assert services["postgres"]["healthcheck"]["test"]
    assert any(v.endswith("/var/lib/postgresql/data") for v in services["postgres"]["volumes"])
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["migrate"]["restart"] == "no"
    for name in ("app", "app-socket", "worker"):
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name
    for name, service in pathfinder_services().items():
        assert service["env_file"] == ".env", name
        assert service["environment"]["DATABASE_URL"].startswith("postgresql://"), name


def test_every_pathfinder_container_runs_one_image_as_non_root() -> None:
    images = {c["image"] for _, _, c in containers()}
    assert len(images) == 1, images
    assert len({s["image"] for s in pathfinder_services().values()}) == 1
    for where, spec, container in containers():
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["runAsUser"] != 0, where
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, where
        assert (
            set(container["resources"]["requests"])
            == set(container["resources"]["limits"])
            == {"cpu", "memory"}
        ), where


def test_kubernetes_pods_read_the_config_map_and_secret_in_the_example() -> None:
    names = {(d["kind"], d["metadata"]["name"]) for _, d in k8s_docs()}
    for where, _, container in containers():
        refs = {
            ("ConfigMap", e["configMapRef"]["name"])
            if "configMapRef" in e
            else ("Secret", e["secretRef"]["name"])
            for e in container["envFrom"]
        }
        assert refs <= names and len(refs) == 2, where


def test_selectors_match_their_pod_labels() -> None:
    labels = {
        d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"]
        for _, d in k8s_docs()
        if d["kind"] == "Deployment"
    }
    for _, doc in k8s_docs():
        selector = doc.get("spec", {}).get("selector")
        if not selector:
            continue
        wanted = selector.get("matchLabels", selector)
        matched = [n for n, lab in labels.items() if wanted.items() <= lab.items()]
        assert len(matched) == 1, f"{doc['kind']}/{doc['metadata']['name']} selects {matched}"


# --- (c) and (d) the Dockerfile ---------------------------------------------------------------


def test_the_dockerfile_pins_the_makefiles_uv() -> None:
    [make] = re.findall(r"^UV_VERSION\s*:?=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M)
    build = dockerfile_stages()[0]
    [docker] = [
        a.split("=", 1)[1] for a in instructions(build, "ARG") if a.startswith("UV_VERSION=")
    ]
    assert docker == make
    assert any('"uv==${UV_VERSION}"' in run for run in instructions(build, "RUN"))


def test_the_dockerfile_installs_exactly_the_lock() -> None:
    build = dockerfile_stages()[0]
    assert any("uv.lock" in copy.split() for copy in instructions(build, "COPY"))
    runs = " ".join(instructions(build, "RUN"))
    from_export = "uv export --locked" in runs and "--require-hashes" in runs
    from_sync = re.search(r"uv sync [^&]*--(locked|frozen)", runs) is not None
    assert from_export or from_sync, "the image does not install from uv.lock"
    assert "--no-dev" in runs and "--extra postgres" in runs


def test_the_runtime_stage_is_slim_non_root_and_checks_its_health() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2, "not a multi-stage build"
    runtime = stages[-1]
    default = dict(a.split("=", 1) for a in instructions(stages[0], "ARG") if "=" in a)
    image = re.sub(
        r"\$\{(\w+)\}",
        lambda m: default.get(m[1], m[0]),
        instructions(runtime, "FROM")[0].split()[0],
    )
    assert image.startswith("python:3.11-slim"), image
    users = instructions(runtime, "USER")
    assert users and users[-1].split(":")[0] not in ("root", "0"), users
    [check] = instructions(runtime, "HEALTHCHECK")
    assert "healthcheck.py" in check and "CMD" in check
    copies = instructions(runtime, "COPY")
    assert all(
        c.startswith("--from=build") or c.startswith("deploy/healthcheck.py") for c in copies
    ), copies
    env = " ".join(instructions(runtime, "ENV"))
    assert "PATHFINDER_DATA_DIR=/var/lib/pathfinder" in env
    assert dockerfile_cmd()[:2] == ["pathfinder", "serve"]


def ignore_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regex: `**/` any folders, `*` and `?` within one name."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] in "*?":
            out, i = out + ("[^/]*" if pattern[i] == "*" else "[^/]"), i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignored(path: str) -> bool:
    """Whether .dockerignore leaves `path` out of the build context (the last matching rule wins;
    a rule matching a folder covers what is inside it)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        rule = line.strip()
        if not rule or rule.startswith("#"):
            continue
        regex = ignore_regex(rule.removeprefix("!"))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            ignored = not rule.startswith("!")
    return ignored


def test_dockerignore_keeps_out_local_state_but_not_what_the_image_copies() -> None:
    for local in (
        ".git",
        ".venv",
        ".tools",
        ".env",
        "tests",
        "pathfinder.db",
        "bot/__pycache__/x.pyc",
    ):
        assert dockerignored(local), f"{local} would be sent to the build"
    sources = [
        src
        for stage in dockerfile_stages()
        for copy in instructions(stage, "COPY")
        if not copy.startswith("--from")
        for src in copy.split()[:-1]
    ]
    assert "uv.lock" in sources and "deploy/healthcheck.py" in sources
    kept_out = [s for s in sources if dockerignored(s)]
    assert not kept_out, f".dockerignore leaves out what the Dockerfile copies: {kept_out}"


# --- the healthcheck script, against a real server ---------------------------------------------


def healthcheck_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy_healthcheck", HEALTHCHECK)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def server(status: int) -> Iterator[int]:
    """A loopback server answering GET /livez with `status` (404 elsewhere); yields its port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status if self.path == "/livez" else 404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_healthcheck(*ports: int, env: dict[str, str] | None = None) -> int:
    return subprocess.run(
        [sys.executable, HEALTHCHECK, *map(str, ports)], env=env, capture_output=True, timeout=30
    ).returncode


def test_the_healthcheck_passes_when_livez_answers_200() -> None:
    with server(200) as port:
        assert run_healthcheck(port) == 0
        assert run_healthcheck(closed_port(), port) == 0  # any of the ports will do


def test_the_healthcheck_fails_on_an_error_status_or_a_closed_port() -> None:
    with server(503) as port:
        assert run_healthcheck(port) == 1
    assert run_healthcheck(closed_port()) == 1


def test_the_healthcheck_reads_the_health_port_setting_with_no_arguments() -> None:
    with server(200) as port:
        assert run_healthcheck(env={"PATHFINDER_HEALTH_PORT": str(port)}) == 0


# --- deploy/README.md ---------------------------------------------------------------------------


def test_the_deploy_readme_names_only_files_that_exist() -> None:
    text = (DEPLOY / "README.md").read_text()
    named = set(re.findall(r"`((?:deploy/)?(?:k8s/)?[\w.-]+\.(?:yaml|example|py))`", text))
    assert named, "the README names no deploy files"
    missing = [
        n for n in named if not any((base / n).exists() for base in (ROOT, DEPLOY, DEPLOY / "k8s"))
    ]
    assert not missing, missing
