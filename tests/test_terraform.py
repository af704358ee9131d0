"""Offline checks of the Google Cloud deployment: terraform/, the Dockerfile and docs/deploy.md.

No cloud access and no provider download:
- every `.tf` file parses (python-hcl2);
- the Cloud Run service and ingestion jobs set only `FLUXORI_<FIELD>` variables for fields of the app's settings
  classes (derived from `Settings.model_fields`), set every setting gcp mode needs, and the values Terraform
  writes make `Settings` validate;
- the Firestore composite indexes are exactly the ones the code's queries need; the ingestion job follows the
  `--shard auto` contract; IAM, probes, buckets, vector index, outputs and environments have the required shape;
- billing: the billing bucket, the BigQuery dataset with its external ledger table (the columns
  assistant/billing/export.py writes) and the margin view joined on the `org_id` label of Vertex AI usage, the
  daily export job and its scheduler with their own service accounts, and the PayFast secrets of the service;
- the daily briefing (issue 24): its Cloud Run job (`fluxori briefing send`) and Cloud Scheduler trigger, with
  their own service accounts, Firestore only;
- operations (issue 26): the Managed Service for Prometheus sidecar scraping the app's /metrics, the three SLOs
  (goals, 28 days, filters on the metrics and labels domain/metrics.py exports), the fast and slow burn-rate
  alerts, the dashboard's widgets, PITR next to the daily backup, the audit log's TTL, and Cloud Run's sizes
  from the load benchmark;
- `terraform fmt -check` is clean, `terraform validate` passes (skipped, with the reason, when the google
  provider is not available offline), and checkov (in its own virtualenv, scripts/install-checkov.sh) reports no
  failed check, every skipped check carrying its reason beside the resource;
- the Dockerfile is multi-stage, non-root, without build tools in its final stage, with a HEALTHCHECK;
- the commands of docs/deploy.md name outputs and variables that exist.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
import pytest
from pydantic import BaseModel, ValidationError
from pydantic_settings import BaseSettings

from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TERRAFORM = ROOT / "terraform"
MODULES = TERRAFORM / "modules"
ENVS = ("dev", "prod")
CHECKOV_VENV = ROOT / ".venv-checkov"
INSTALL_CHECKOV = ROOT / "scripts" / "install-checkov.sh"
DOCKERFILE = ROOT / "Dockerfile"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"

PREFIX = "FLUXORI_"


def _settings_classes() -> list[type[BaseSettings]]:
    """Every settings class of the app that reads FLUXORI_* variables (the HTTP layer has its own limits, billing
    its own configuration)."""
    from app.api.config import ApiSettings
    from assistant.billing.settings import BillingSettings

    return [Settings, ApiSettings, BillingSettings]


def _env_names(cls: type[BaseSettings]) -> set[str]:
    prefix = cls.model_config.get("env_prefix", "")
    assert prefix == PREFIX, f"{cls.__name__} reads {prefix}*, not {PREFIX}*"
    return {prefix + name.upper() for name in cls.model_fields}


SETTING_ENV_NAMES = set().union(*(_env_names(cls) for cls in _settings_classes()))
SECRET_ENV_NAMES = {
    PREFIX + name.upper()
    for cls in _settings_classes()
    for name, info in cls.model_fields.items()
    if "SecretStr" in str(info.annotation)
}
PAYFAST_SECRETS = {PREFIX + name for name in ("PAYFAST_MERCHANT_ID", "PAYFAST_MERCHANT_KEY", "PAYFAST_PASSPHRASE")}
# Settings that gcp mode cannot start without (Settings.resolve_defaults), plus where the data lives.
GCP_REQUIRED = {
    PREFIX + name.upper()
    for name in (
        "mode",
        "project",
        "region",
        "vertex_region",
        "firestore_database",
        "kb_bucket",
        "vector_index_id",
        "vector_endpoint_id",
        "vector_deployed_index_id",
    )
}
# Billing settings the service must receive in gcp mode (assistant/billing/settings.py).
BILLING_SERVICE_ENV = {
    PREFIX + name.upper()
    for name in (
        "payfast_mode",
        "public_url",
        "trusted_proxy_hops",
        "billing_bucket",
        "supplier_name",
        "supplier_address",
        "supplier_vat_number",
    )
}
ENV_TOKEN = re.compile(r"\bFLUXORI_[A-Z0-9_]+\b")
LOCAL_REF = re.compile(r"\blocal\.([A-Za-z_][A-Za-z0-9_-]*)")


def test_required_names_are_settings_fields() -> None:
    """The lists above are derived from / checked against the settings class, never a stale copy."""
    assert GCP_REQUIRED <= SETTING_ENV_NAMES
    assert SECRET_ENV_NAMES, "Settings has SecretStr fields (read from Secret Manager on Cloud Run)"
    assert PAYFAST_SECRETS <= SECRET_ENV_NAMES, "the PayFast merchant values are SecretStr fields"
    assert BILLING_SERVICE_ENV <= SETTING_ENV_NAMES


# The composite indexes the code's queries need (collection id => field lists), with the file and the field
# names of the query each one serves. Single-field queries (equality or range + sort on the same field) use
# Firestore's automatic indexes and are not listed.
EXPECTED_INDEXES: list[tuple[str, list[str], str]] = [
    ("orders", ["status ASC", "created_at DESC"], "domain/orders.py"),
    ("orders", ["channel ASC", "created_at DESC"], "domain/orders.py"),
    ("orders", ["status ASC", "channel ASC", "created_at DESC"], "domain/orders.py"),
    ("stock", ["sku ASC", "warehouse ASC"], "domain/inventory.py"),
    ("stock_movements", ["sku ASC", "created_at DESC"], "domain/inventory.py"),
    ("ledger", ["kind ASC", "created_at DESC"], "domain/credits.py"),
    ("products", ["category ASC", "sku ASC"], "domain/catalog.py"),
    ("checkpoints", ["ns ASC", "checkpoint_id DESC"], "domain/checkpoints.py"),
    ("audit", ["action ASC", "id DESC"], "domain/audit.py"),
]


# --- Reading the HCL ------------------------------------------------------------------------------------
# python-hcl2 >= 7 keeps string quotes ('"gcp"'), wraps expressions in ${...} and marks blocks with
# __is_block__; older versions return bare strings. The helpers accept both.


def unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def strip_markers(value: Any) -> Any:
    """Plain Python data: quotes removed from strings and keys, block markers dropped."""
    if isinstance(value, dict):
        return {unquote(k): strip_markers(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [strip_markers(v) for v in value]
    return unquote(value)


def labelled_blocks(doc: dict, kind: str) -> Iterator[tuple[tuple[str, ...], dict]]:
    """Yield (labels, body) of every `kind "a" "b" { ... }` block of a parsed file."""
    for entry in doc.get(kind, []):
        yield from _unnest(entry, ())


def _unnest(node: dict, labels: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], dict]]:
    if node.get("__is_block__") or not any(isinstance(v, dict) for v in node.values()):
        yield labels, node
        return
    for key, value in node.items():
        if isinstance(value, dict):
            yield from _unnest(value, (*labels, unquote(key)))


def strings(value: Any) -> Iterator[str]:
    """Every string in a parsed structure, keys included (comments are not part of the parse)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k.startswith("__"):
                continue
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, str):
        yield value


@dataclass
class TfDir:
    """One Terraform directory (a module or an env root)."""

    path: Path
    docs: dict[Path, dict] = field(default_factory=dict)

    def blocks(self, kind: str) -> Iterator[tuple[tuple[str, ...], dict]]:
        for doc in self.docs.values():
            yield from labelled_blocks(doc, kind)

    def resources(self, rtype: str) -> list[dict]:
        return [body for labels, body in self.blocks("resource") if labels[0] == rtype]

    def resource(self, rtype: str) -> dict:
        found = self.resources(rtype)
        assert len(found) == 1, f"{self.path}: expected one {rtype}, found {len(found)}"
        return strip_markers(found[0])

    def variables(self) -> dict[str, dict]:
        return {labels[0]: body for labels, body in self.blocks("variable")}

    def outputs(self) -> dict[str, dict]:
        return {labels[0]: strip_markers(body) for labels, body in self.blocks("output")}

    @property
    def locals(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for doc in self.docs.values():
            for entry in doc.get("locals", []):
                merged.update({k: v for k, v in entry.items() if not k.startswith("__")})
        return merged

    def module_calls(self) -> Iterator[tuple[str, dict, Path]]:
        """(name, body, resolved source directory) of every local module call."""
        for labels, body in self.blocks("module"):
            source = unquote(body.get("source", ""))
            if source.startswith("."):
                yield labels[0], body, (self.path / source).resolve()


def tf_files() -> list[Path]:
    return sorted(p for p in TERRAFORM.rglob("*.tf") if ".terraform" not in p.parts)


@pytest.fixture(scope="module")
def tree() -> dict[Path, TfDir]:
    dirs: dict[Path, TfDir] = {}
    for path in tf_files():
        with path.open(encoding="utf-8") as fh:
            doc = hcl2.load(fh)
        d = dirs.setdefault(path.parent.resolve(), TfDir(path.parent.resolve()))
        d.docs[path] = doc
    return dirs


def module(tree: dict[Path, TfDir], name: str) -> TfDir:
    return tree[(MODULES / name).resolve()]


def env_root(tree: dict[Path, TfDir], stage: str) -> TfDir:
    return tree[(TERRAFORM / "envs" / stage).resolve()]


def test_every_tf_file_parses(tree: dict[Path, TfDir]) -> None:
    assert sum(len(d.docs) for d in tree.values()) == len(tf_files()) > 0


def test_small_modules_and_one_root_per_stage(tree: dict[Path, TfDir]) -> None:
    expected = {
        "artifact_registry",
        "budget",
        "cloud_run_service",
        "firestore",
        "ingest_job",
        "monitoring",
        "project_services",
        "secrets",
        "stack",
        "storage",
        "vector_search",
        "scheduled_job",
        "billing_analytics",
    }
    assert expected <= {p.name for p in MODULES.iterdir() if p.is_dir()}
    for stage in ENVS:
        root = env_root(tree, stage)
        calls = [(name, target) for name, _, target in root.module_calls()]
        assert calls == [("stack", (MODULES / "stack").resolve())], f"envs/{stage} should call modules/stack once"
        assert (root.path / "terraform.tfvars.example").is_file(), f"envs/{stage}: no terraform.tfvars.example"


# --- Environment variables of the service and jobs --------------------------------------------------------


def _env_names_of_map_expression(expr: Any, caller: TfDir, seen: frozenset[str] = frozenset()) -> set[str]:
    """Names in an env map given to a module: keys of a literal map, of the literal maps it references
    (local.X, also inside merge(...)), and any FLUXORI_* name written in the expression itself. Keys computed
    from variables (the for expression over var.secrets) are checked where the variable is validated."""
    if isinstance(expr, dict):
        return {unquote(k) for k in expr if not k.startswith("__")}
    text = str(expr)
    names = set(ENV_TOKEN.findall(text))  # keys of inline maps, e.g. merge(local.a, { FLUXORI_X = ... })
    for ref in LOCAL_REF.findall(text):
        assert ref in caller.locals, f"{caller.path}: local.{ref} is not defined"
        if ref not in seen:
            names |= _env_names_of_map_expression(caller.locals[ref], caller, seen | {ref})
    return names


def _static_env_names(body: Any) -> Iterator[str]:
    """Names of literal `env { name = "..." }` blocks anywhere inside a resource body."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key == "env" and isinstance(value, list):
                for block in value:
                    name = unquote(block.get("name", "")) if isinstance(block, dict) else ""
                    if name and "${" not in name:
                        yield name
            yield from _static_env_names(value)
    elif isinstance(body, list):
        for value in body:
            yield from _static_env_names(value)


@dataclass
class Workload:
    """A Cloud Run service or job as deployed by one module call, with the env names it receives."""

    where: str
    kind: str  # "service" or "job"
    env: set[str]
    secret_env: set[str]
    call: dict


def workloads(tree: dict[Path, TfDir]) -> list[Workload]:
    """Every Cloud Run service and job: env names written as literal `env` blocks in the resource plus, when
    the resource sits in a module, the env maps each module call passes to it."""
    kinds = {"google_cloud_run_v2_service": "service", "google_cloud_run_v2_job": "job"}
    calls: dict[Path, list[tuple[TfDir, str, dict]]] = {}
    for d in tree.values():
        for name, body, target in d.module_calls():
            calls.setdefault(target, []).append((d, name, body))
    found: list[Workload] = []
    for d in tree.values():
        for rtype, kind in kinds.items():
            for resource in d.resources(rtype):
                static = set(_static_env_names(resource))
                if d.path not in calls:  # the resource is deployed as written
                    found.append(Workload(f"{d.path} ({rtype})", kind, static, set(), {}))
                for caller, name, body in calls.get(d.path, []):
                    env = static | _env_names_of_map_expression(body.get("env", {}), caller)
                    secret_env = _env_names_of_map_expression(body.get("secret_env", {}), caller)
                    found.append(Workload(f"{caller.path} module.{name} ({rtype})", kind, env, secret_env, body))
    return found


def test_cloud_run_env_names_are_settings_fields(tree: dict[Path, TfDir]) -> None:
    found = workloads(tree)
    assert {w.kind for w in found} == {"service", "job"}, "expected a Cloud Run service and an ingestion job"
    for w in found:
        for name in sorted(w.env | w.secret_env):
            assert name.startswith(PREFIX), f"{w.where}: env {name} is not a FLUXORI_* setting"
            assert name in SETTING_ENV_NAMES, (
                f"{w.where}: {name} is not a field of assistant.settings.Settings "
                f"(known: {', '.join(sorted(SETTING_ENV_NAMES))})"
            )
        # Cloud Run sets PORT; the image runs `fluxori serve --port $PORT`.
        assert "FLUXORI_PORT" not in w.env, f"{w.where}: leave the port to Cloud Run's PORT"


def test_every_fluxori_name_anywhere_in_terraform_is_a_setting(tree: dict[Path, TfDir]) -> None:
    for d in tree.values():
        for path, doc in d.docs.items():
            for text in strings(doc):
                for name in ENV_TOKEN.findall(text):
                    assert name in SETTING_ENV_NAMES, f"{path.relative_to(ROOT)}: {name} is not a Settings field"


def test_service_and_jobs_set_the_settings_gcp_mode_requires(tree: dict[Path, TfDir]) -> None:
    found = workloads(tree)
    for w in found:
        missing = GCP_REQUIRED - w.env
        assert not missing, f"{w.where} ({w.kind}) does not set {sorted(missing)}"
    services = [w for w in found if w.kind == "service"]
    assert services and all("FLUXORI_HOST" in w.env for w in services), "the service must listen on 0.0.0.0"
    jobs = [w for w in found if w.kind == "job"]
    assert jobs and all(not w.secret_env for w in jobs), "the ingestion job needs none of the service's secrets"


# Inputs of modules/stack without a default, as a user would give them.
REQUIRED_INPUTS = {"project_id": "fluxori-dev-123456"}


def _resolve(expr: Any, d: TfDir, placeholder: str) -> Any:
    """The value of a simple stack expression: a literal, `${var.X}` (its default, or REQUIRED_INPUTS),
    `${local.X}`; anything computed by a resource or module becomes `placeholder`."""
    if not isinstance(expr, str):
        return expr
    if not expr.startswith("${"):
        return unquote(expr)
    inner = expr[2:-1]
    if m := re.fullmatch(r"var\.([A-Za-z0-9_]+)", inner):
        if m.group(1) in REQUIRED_INPUTS:
            return REQUIRED_INPUTS[m.group(1)]
        variable = d.variables()[m.group(1)]
        assert "default" in variable, f"var.{m.group(1)} has no default to check"
        return _resolve(variable["default"], d, placeholder)
    if m := re.fullmatch(r"local\.([A-Za-z0-9_]+)", inner):
        return _resolve(d.locals[m.group(1)], d, placeholder)
    return placeholder


def test_terraform_values_make_the_settings_validate(tree: dict[Path, TfDir], monkeypatch) -> None:
    """The settings the service receives (with the stack's defaults and placeholder resource ids) are accepted
    by Settings in gcp mode: no missing id, no value of the wrong type or outside its bounds."""
    stack = module(tree, "stack")
    env: dict[str, str] = {}
    for local_name in ("app_env", "service_env", "billing_env", "payfast_env"):
        for key, expr in stack.locals[local_name].items():
            value = _resolve(expr, stack, placeholder=f"projects/p/locations/europe-west4/things/{key.lower()}")
            if value is not None:
                env[key] = str(value).lower() if isinstance(value, bool) else str(value)
    for name in list(os.environ):
        if name.startswith(PREFIX):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        settings = Settings(_env_file=None)
    except ValidationError as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"Settings refuse the Terraform values {env}: {exc}")
    assert settings.mode == "gcp"
    assert settings.vector_backend == "vertex" and settings.embedding_provider == "vertex"
    assert settings.embedding_model == "text-embedding-005"
    for cls in _settings_classes()[1:]:
        cls(_env_file=None)

    from assistant.billing.settings import BillingSettings

    billing = BillingSettings(_env_file=None)
    assert billing.payfast_mode == "sandbox" and billing.trusted_proxy_hops == 1 and billing.billing_bucket
    # Prod runs live: accepted once the merchant values come from Secret Manager, refused without them.
    monkeypatch.setenv(PREFIX + "PAYFAST_MODE", "live")
    with pytest.raises(ValidationError):
        BillingSettings(_env_file=None)
    for name in PAYFAST_SECRETS:
        monkeypatch.setenv(name, f"value-of-{name.lower()}")
    assert BillingSettings(_env_file=None).payfast_mode == "live"


def test_env_values_pin_gcp_mode_and_vertex_models(tree: dict[Path, TfDir]) -> None:
    stack = module(tree, "stack")
    app_env = strip_markers(stack.locals["app_env"])
    service_env = strip_markers(stack.locals["service_env"])
    assert app_env["FLUXORI_MODE"] == "gcp"
    assert app_env["FLUXORI_EMBEDDING_PROVIDER"] == "vertex"
    assert app_env["FLUXORI_VECTOR_BACKEND"] == "vertex"
    assert strip_markers(stack.locals["embedding_model"]) == "text-embedding-005"
    assert strip_markers(stack.locals["embedding_dimensions"]) == 768
    assert service_env["FLUXORI_HOST"] == "0.0.0.0"


def test_secret_settings_are_secret_fields(tree: dict[Path, TfDir]) -> None:
    stack = module(tree, "stack")
    secrets_var = stack.variables()["secrets"]
    allowed = set(ENV_TOKEN.findall(json.dumps(secrets_var.get("validation", []))))
    assert allowed, "variable secrets must name the settings it allows"
    assert allowed <= SECRET_ENV_NAMES, (
        f"only SecretStr settings belong in Secret Manager: {allowed - SECRET_ENV_NAMES}"
    )
    # The UI's session-token key is always a secret, shared by every instance of the service.
    always = set(ENV_TOKEN.findall(json.dumps(stack.locals["secrets"])))
    assert always == {"FLUXORI_SESSION_SECRET"} and always <= SECRET_ENV_NAMES
    assert "local.secrets" in json.dumps(stack.locals["service_secret_env"])
    # The PayFast merchant account, always in Secret Manager too.
    assert "local.payfast_secrets" in json.dumps(stack.locals["secrets"])
    payfast = strip_markers(stack.locals["payfast_secrets"])
    assert set(payfast) == PAYFAST_SECRETS <= SECRET_ENV_NAMES
    assert len(set(payfast.values())) == 3 and all("${local.name}-payfast-" in v for v in payfast.values())


# --- Cloud Run service, ingestion job, IAM --------------------------------------------------------------


def test_service_probes_scaling_and_identity(tree: dict[Path, TfDir]) -> None:
    crs = module(tree, "cloud_run_service")
    service = crs.resource("google_cloud_run_v2_service")
    template = service["template"][0]
    assert template["service_account"] == "${var.service_account_email}", "the service runs as its own account"
    assert template["scaling"][0]["min_instance_count"] == "${var.min_instances}"
    assert template["scaling"][0]["max_instance_count"] == "${var.max_instances}"
    assert template["max_instance_request_concurrency"] == "${var.concurrency}"
    container = template["containers"][0]
    assert container["resources"][0]["limits"] == {"cpu": "${var.cpu}", "memory": "${var.memory}"}
    variables = {name: strip_markers(body) for name, body in crs.variables().items()}
    startup = container["startup_probe"][0]["http_get"][0]["path"]
    liveness = container["liveness_probe"][0]["http_get"][0]["path"]
    assert variables[startup.removeprefix("${var.").removesuffix("}")]["default"] == "/readyz"
    assert variables[liveness.removeprefix("${var.").removesuffix("}")]["default"] == "/healthz"
    for name in ("min_instances", "max_instances", "concurrency", "cpu", "memory"):
        assert "validation" in variables[name], f"cloud_run_service: variable {name} is not validated"
    assert container["resources"][0]["cpu_idle"] == "${var.cpu_idle}"
    # Prod indexes uploads in a background thread after answering: its CPU must not be throttled between requests.
    stacks = {name: body for name, body, _ in env_root(tree, "prod").module_calls()}
    assert strip_markers(stacks["stack"]["cpu_idle"]) is False
    # Secrets come from Secret Manager references, never as plain values.
    secret_env = [d for d in container["dynamic"] if "env" in d and "value_source" in json.dumps(d)]
    assert secret_env, "the service reads its secrets with value_source.secret_key_ref"


def test_ingest_job_uses_shard_auto_and_its_own_scheduler_identity(tree: dict[Path, TfDir]) -> None:
    job_dir = module(tree, "ingest_job")
    args = strip_markers(job_dir.locals["args"])
    assert args[:2] == ["ingest", "kb"]
    assert args[2].startswith("${var.source_uri"), "the job ingests gs://BUCKET/PREFIX"
    assert args[args.index("--shard") + 1] == "auto", "Cloud Run does not expand $CLOUD_RUN_TASK_INDEX in args"
    assert args[args.index("--org") + 1] == "${var.org_id}"
    job = job_dir.resource("google_cloud_run_v2_job")
    template = job["template"][0]
    assert template["parallelism"] == template["task_count"] == "${var.task_count}"
    assert template["template"][0]["service_account"] == "${var.service_account_email}"
    assert template["template"][0]["containers"][0]["command"] == ["fluxori"]
    calls = [body for name, body, _ in module(tree, "stack").module_calls() if name == "ingest_job"]
    assert len(calls) == 1
    source = strip_markers(calls[0])["source_uri"]
    assert "each.value" in source or "each.key" in source, "each organisation's job reads its own folder"
    invoker = job_dir.resource("google_cloud_run_v2_job_iam_member")
    assert invoker["role"] == "roles/run.invoker"
    assert invoker["member"] == "serviceAccount:${var.scheduler_service_account_email}"
    scheduler = job_dir.resource("google_cloud_scheduler_job")
    target = scheduler["http_target"][0]
    assert target["uri"].endswith(":run") and "run.googleapis.com/v2/" in target["uri"]
    assert target["oauth_token"][0]["service_account_email"] == "${var.scheduler_service_account_email}"


def test_workloads_get_least_privilege_roles(tree: dict[Path, TfDir]) -> None:
    stack = module(tree, "stack")
    roles = set(strip_markers(stack.locals["runtime_roles"]))
    assert roles == {
        "roles/datastore.user",
        "roles/aiplatform.user",
        "roles/logging.logWriter",
        "roles/monitoring.metricWriter",
    }
    project_roles = strip_markers(stack.locals["project_roles"])
    assert set(project_roles) == {"api", "ingest", "billing", "brief"}, "the scheduler accounts get no project role"
    assert project_roles["billing"] == ["roles/datastore.viewer"], "the billing export only reads the ledger"
    assert project_roles["brief"] == ["roles/datastore.user"], "the briefing job reads the data, claims deliveries"
    text = "\n".join(p.read_text(encoding="utf-8") for p in (MODULES / "stack").glob("*.tf"))
    assert "roles/owner" not in text and "roles/editor" not in text
    bindings = [strip_markers(b) for b in stack.resources("google_storage_bucket_iam_member")]
    kb = [b for b in bindings if "kb" in b["bucket"]]
    assert len(kb) == 1 and kb[0]["role"] == "roles/storage.objectViewer"
    billing = [b for b in bindings if '"billing"' in b["bucket"]]
    assert len(billing) == 1 and billing[0]["role"] == "roles/storage.objectUser"
    assert 'this["billing"]' in billing[0]["member"], "only the export job writes the billing bucket"
    assert len(bindings) == 2, "no other bucket bindings"
    secrets = module(tree, "secrets").resource("google_secret_manager_secret_iam_member")
    assert secrets["role"] == "roles/secretmanager.secretAccessor", "secret access is granted per secret"
    for d in tree.values():
        for body in d.resources("google_project_iam_member"):
            role = strip_markers(body)["role"]
            assert "secretmanager" not in role and "storage" not in role, f"{d.path}: project-wide {role}"


# --- Data: Firestore, buckets, vector index -------------------------------------------------------------


def test_firestore_composite_indexes_are_exactly_the_queried_ones(tree: dict[Path, TfDir]) -> None:
    fs = module(tree, "firestore")
    declared = strip_markers(fs.locals["composite_indexes"])
    got = sorted((i["collection"], i["fields"]) for i in declared)
    want = sorted((collection, fields) for collection, fields, _ in EXPECTED_INDEXES)
    assert got == want, f"Firestore indexes differ from the code's queries:\n declared {got}\n expected {want}"
    for index in declared:
        assert len(index.get("query", "")) > 10, f"index {index['collection']} {index['fields']}: name its query"
    # Each expected index still matches a query in the code (a renamed field would make it stale).
    for collection, fields, source in EXPECTED_INDEXES:
        code = (ROOT / source).read_text(encoding="utf-8")
        assert f'"{collection}"' in code, f"{source} no longer queries {collection}"
        for f in fields:
            assert f'"{f.split()[0]}"' in code, f"{source}: no query on {collection}.{f.split()[0]} any more"
    for d in tree.values():
        if d is not fs:
            assert not d.resources("google_firestore_index"), f"{d.path}: declare indexes in modules/firestore"


def test_firestore_native_in_johannesburg_with_backups(tree: dict[Path, TfDir]) -> None:
    fs = module(tree, "firestore")
    database = fs.resource("google_firestore_database")
    assert database["type"] == "FIRESTORE_NATIVE"
    assert database["location_id"] == "${var.location}"
    assert strip_markers(module(tree, "stack").variables()["region"])["default"] == "africa-south1"
    schedule = fs.resource("google_firestore_backup_schedule")
    assert "daily_recurrence" in schedule or "weekly_recurrence" in schedule
    assert "POINT_IN_TIME_RECOVERY_ENABLED" in database["point_in_time_recovery_enablement"]


def test_short_lived_documents_have_a_ttl_policy_on_the_field_the_code_writes(tree: dict[Path, TfDir]) -> None:
    fs = module(tree, "firestore")
    ttl = fs.resource("google_firestore_field")
    assert "ttl_config" in ttl and "index_config" in ttl, "a TTL field nothing queries: no single-field indexes"
    assert ttl["for_each"] == "${local.ttl_fields}"
    assert ttl["collection"] == "${each.key}" and ttl["field"] == "${each.value}"
    fields = strip_markers(fs.locals["ttl_fields"])
    from assistant.application.job_records import IngestJob
    from domain.answer_log import COLLECTION as ANSWERS
    from domain.answer_log import AnswerLogRepository, AnswerRecord
    from domain.audit import COLLECTION as AUDIT
    from domain.audit import AuditEntry, AuditRepository
    from domain.confirmations import Confirmation, StoredAnswer
    from domain.feedback import COLLECTION as FEEDBACK
    from domain.feedback import Feedback

    records: dict[str, tuple[type[BaseModel], str]] = {
        "confirmations": (Confirmation, "delete_after"),
        "responses": (StoredAnswer, "delete_after"),
        "ingest_jobs": (IngestJob, "delete_after"),
        # The audit log's retention (Settings.audit_retention_days): AuditRepository.append sets expires_at.
        AUDIT: (AuditEntry, "expires_at"),
        # The answer log's and the ratings' (answer_retention_days, feedback_retention_days), set the same way.
        ANSWERS: (AnswerRecord, "expires_at"),
        FEEDBACK: (Feedback, "expires_at"),
    }
    assert fields == {collection: field for collection, (_, field) in records.items()}
    for collection, (model, field_name) in records.items():  # each collection's documents carry the field
        assert field_name in model.model_fields, collection
        if collection not in (AUDIT, ANSWERS, FEEDBACK):
            assert model.model_fields[field_name].is_required(), collection
    code = "".join((ROOT / f).read_text(encoding="utf-8") for f in ("domain/confirmations.py", "domain/ingest_jobs.py"))
    for collection in set(fields) - {AUDIT, ANSWERS, FEEDBACK}:
        assert f'"{collection}"' in code
    assert '"expires_at"' in inspect.getsource(AuditRepository.append), "append sets each record's expiry"
    assert '"expires_at"' in inspect.getsource(AnswerLogRepository.record), "record sets each answer's expiry"
    app_env = strip_markers(module(tree, "stack").locals["app_env"])
    for setting in ("audit", "answer", "feedback"):  # each retention is a setting
        assert app_env[f"FLUXORI_{setting.upper()}_RETENTION_DAYS"] == f"${{var.{setting}_retention_days}}"


def test_buckets_are_private_versioned_and_expire_old_data(tree: dict[Path, TfDir]) -> None:
    bucket = module(tree, "storage").resource("google_storage_bucket")
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == "enforced"
    assert bucket["versioning"][0]["enabled"] is True
    assert len(bucket["lifecycle_rule"]) >= 2, "lifecycle rules bound the cost of old versions"
    stack_text = (MODULES / "stack" / "main.tf").read_text(encoding="utf-8")
    assert "kb = {" in stack_text and "firestore-exports = {" in stack_text and "billing = {" in stack_text


def test_vector_search_streams_768_dimensions_in_europe(tree: dict[Path, TfDir]) -> None:
    vs = module(tree, "vector_search")
    index = vs.resource("google_vertex_ai_index")
    assert index["index_update_method"] == "STREAM_UPDATE"
    config = index["metadata"][0]["config"][0]
    assert config["dimensions"] == "${var.dimensions}"
    assert strip_markers(vs.variables()["dimensions"])["default"] == 768
    endpoint = vs.resource("google_vertex_ai_index_endpoint")
    assert endpoint["public_endpoint_enabled"] is True
    deployed = vs.resource("google_vertex_ai_index_endpoint_deployed_index")
    assert deployed["index"] == "${google_vertex_ai_index.this.id}"
    assert strip_markers(module(tree, "stack").variables()["vertex_region"])["default"] == "europe-west4"


def test_alerts_on_5xx_rate_and_p95_latency_and_a_budget(tree: dict[Path, TfDir]) -> None:
    mon = module(tree, "monitoring")
    filters = json.dumps([strip_markers(p) for p in mon.resources("google_monitoring_alert_policy")])
    assert "response_code_class" in filters and "5xx" in filters
    assert "request_latencies" in filters and "REDUCE_PERCENTILE_95" in filters
    budget = module(tree, "budget").resource("google_billing_budget")
    assert budget.get("threshold_rules") or budget.get("dynamic")


# --- Operations: metrics sidecar, SLOs, burn-rate alerts, dashboard, PITR (issue 26) ------------------------

GMP_SIDECAR_IMAGE = "us-docker.pkg.dev/cloud-ops-agents-artifacts/cloud-run-gmp-sidecar/cloud-run-gmp-sidecar"
GMP_METRIC = re.compile(r"prometheus\.googleapis\.com/(\w+)/(counter|histogram|gauge)")
FILTER_LABEL = re.compile(r"metric\.labels?\.(\w+)")
SLO_KEYS = {"availability", "latency", "first_token"}


def _metric_contract() -> dict[str, tuple[str, set[str]]]:
    """The metrics of domain/metrics.py as Managed Service for Prometheus names them: exported name (a counter's
    with `_total`) => (kind, label names)."""
    from prometheus_client.metrics import MetricWrapperBase

    import domain.metrics as metrics

    contract: dict[str, tuple[str, set[str]]] = {}
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            kind = str(value._type)
            name = value._name + ("_total" if kind == "counter" else "")
            contract[name] = (kind, set(value._labelnames))
        elif isinstance(value, metrics.OpenReservations):
            contract["fluxori_open_reservations"] = ("gauge", set())
    return contract


def _unescaped(value: Any) -> str:
    """A parsed structure as one text, HCL's escapes dropped (filters quote their values)."""
    return json.dumps(value).replace("\\", "")


def _with_locals(d: TfDir, value: Any) -> str:
    """The text of an expression with the text of every local it names (transitively) appended."""
    text, seen = _unescaped(value), set[str]()
    while refs := set(LOCAL_REF.findall(text)) - seen:
        for ref in sorted(refs):
            seen.add(ref)
            if ref in d.locals:
                text += " " + _unescaped(d.locals[ref])
    return text


def _named_resources(d: TfDir, rtype: str) -> dict[str, Any]:
    return {labels[1]: strip_markers(body) for labels, body in d.blocks("resource") if labels[0] == rtype}


def test_metrics_sidecar_scrapes_the_app_on_8080_every_30_s(tree: dict[Path, TfDir]) -> None:
    crs = module(tree, "cloud_run_service")
    template = crs.resource("google_cloud_run_v2_service")["template"][0]
    sidecars = [d["containers"] for d in template.get("dynamic", []) if "containers" in d]
    assert len(sidecars) == 1, "the Managed Service for Prometheus sidecar is the service's second container"
    sidecar = sidecars[0]
    assert sidecar["for_each"] == "${var.metrics_sidecar ? [var.metrics_sidecar_image] : []}"
    content = sidecar["content"][0]
    assert content["image"] == "${containers.value}"
    assert content["depends_on"] == ["${local.app_container}"], "started after the app is ready"
    assert "ports" not in content, "only the app container takes requests"
    assert template["containers"][0]["name"] == "${local.app_container}"
    assert strip_markers(crs.locals["app_container"]) == "app"
    variables = {name: strip_markers(body) for name, body in crs.variables().items()}
    assert variables["metrics_sidecar"]["default"] is True
    image = variables["metrics_sidecar_image"]["default"]
    assert re.fullmatch(re.escape(GMP_SIDECAR_IMAGE) + r":\d+\.\d+\.\d+", image), f"a pinned release: {image}"
    assert "validation" in variables["metrics_sidecar_image"]
    # No config is mounted, so the sidecar runs its documented default RunMonitoring: port 8080, /metrics, 30 s.
    assert strip_markers(crs.locals["metrics_scrape"]) == {"port": 8080, "path": "/metrics", "interval": "30s"}
    assert "volumes" not in template and "volume_mounts" not in json.dumps(sidecar)
    assert variables["port"]["default"] == 8080
    service = crs.resource("google_cloud_run_v2_service")
    preconditions = service["lifecycle"][0]["precondition"]
    assert any("local.metrics_scrape.port" in p["condition"] for p in preconditions), "port pinned to 8080"
    # The app serves /metrics to loopback callers without a key (the sidecar shares the instance's loopback).
    from app.api.routes_metrics import router

    assert "/metrics" in {route.path for route in router.routes}  # type: ignore[attr-defined]
    # Nothing turns it off in a stage, and the service account may write metrics.
    for stage in ENVS:
        stack_call = strip_markers(next(body for _, body, _ in env_root(tree, stage).module_calls()))
        assert "metrics_sidecar" not in stack_call
    api_call, _ = _stack_call(tree, "api")
    assert "metrics_sidecar" not in api_call
    assert "roles/monitoring.metricWriter" in strip_markers(module(tree, "stack").locals["runtime_roles"])


def test_slos_availability_latency_and_first_token_over_28_days(tree: dict[Path, TfDir]) -> None:
    mon = module(tree, "monitoring")
    service = mon.resource("google_monitoring_custom_service")
    assert service["service_id"] == "${var.name}"
    slos = _named_resources(mon, "google_monitoring_slo")
    assert set(slos) == {"availability", "latency", "first_token"}
    goals = {name: (slo["goal"], slo["rolling_period_days"]) for name, slo in slos.items()}
    assert goals == {"availability": (0.999, 28), "latency": (0.95, 28), "first_token": (0.95, 28)}
    for name, slo in slos.items():
        assert slo["service"] == "${google_monitoring_custom_service.this.service_id}", name
        assert slo["count"] == "${var.enable_slos ? 1 : 0}", name
        text = _with_locals(mon, slo["request_based_sli"])
        # Only this service's series, written by the sidecar.
        assert 'resource.type = "prometheus_target"' in text and "resource.labels.namespace" in text, name

    availability = slos["availability"]["request_based_sli"][0]["good_total_ratio"][0]
    assert set(availability) == {"good_service_filter", "total_service_filter"}
    good = _with_locals(mon, availability["good_service_filter"])
    total = _with_locals(mon, availability["total_service_filter"])
    for text in (good, total):
        assert "fluxori_http_requests_total/counter" in text
        assert 'metric.labels.route = starts_with("/v1/")' in text, "the API's routes only"
    assert 'status_class = one_of("2xx", "3xx")' in good, "good: neither a client's nor the server's error"
    assert 'status_class = one_of("2xx", "3xx", "5xx")' in total, "total: every /v1 request but the 4xx"

    latency = slos["latency"]["request_based_sli"][0]["distribution_cut"][0]
    text = _with_locals(mon, latency["distribution_filter"])
    assert "fluxori_http_request_duration_seconds/histogram" in text
    assert 'metric.labels.route = starts_with("/v1/")' in text and 'metric.labels.streaming = "false"' in text
    assert 'NOT metric.labels.route = one_of("/v1/chat", "/v1/chat/confirm")' in text  # the chat SLO's
    assert latency["range"][0] == {"max": "${var.latency_slo_seconds}"}

    first_token = slos["first_token"]["request_based_sli"][0]["distribution_cut"][0]
    assert "fluxori_chat_time_to_first_token_seconds/histogram" in _with_locals(mon, first_token["distribution_filter"])
    assert first_token["range"][0] == {"max": "${var.ttft_slo_seconds}"}

    # The thresholds come from the stack, where the benchmarks' figures are written (BENCHMARKS.md), and are
    # bounds of the contract's histogram buckets (a cut between two bounds cannot be counted).
    from domain.metrics import BUCKETS

    mon_vars = {name: strip_markers(body) for name, body in mon.variables().items()}
    stack_vars = {name: strip_markers(body) for name, body in module(tree, "stack").variables().items()}
    for name in ("latency_slo_seconds", "ttft_slo_seconds"):
        assert "default" not in mon_vars[name], f"{name}: one default, in modules/stack"
        assert str(list(BUCKETS)).replace(" ", "") in _unescaped(mon_vars[name]["validation"]).replace(" ", "")
        assert "from BENCHMARKS.md, SLO thresholds" in stack_vars[name]["description"], name
        assert stack_vars[name]["default"] in BUCKETS, name
    monitoring_call, _ = _stack_call(tree, "monitoring")
    assert monitoring_call["latency_slo_seconds"] == "${var.latency_slo_seconds}"
    assert monitoring_call["ttft_slo_seconds"] == "${var.ttft_slo_seconds}"
    # Cloud Monitoring refuses an SLO on a metric it has not received: each stage turns them on once it has.
    assert monitoring_call["enable_slos"] == "${var.enable_slos}"
    for stage in ENVS:
        root = env_root(tree, stage)
        assert strip_markers(root.variables()["enable_slos"])["default"] is False
        stack_call = strip_markers(next(body for _, body, _ in root.module_calls()))
        assert stack_call["enable_slos"] == "${var.enable_slos}"
    assert "enable_slos = true" in DEPLOY_DOC.read_text(encoding="utf-8")


def test_slo_and_dashboard_queries_name_metrics_and_labels_of_the_contract(tree: dict[Path, TfDir]) -> None:
    """Every metric and label the SLOs and the dashboard read is one domain/metrics.py exports, of that kind."""
    contract = _metric_contract()
    mon = module(tree, "monitoring")
    for name, slo in _named_resources(mon, "google_monitoring_slo").items():
        text = _with_locals(mon, slo["request_based_sli"])
        metrics = set(GMP_METRIC.findall(text))
        assert len(metrics) == 1, f"SLO {name} reads one metric: {metrics}"
        [(metric, kind)] = list(metrics)
        assert metric in contract and contract[metric][0] == kind, f"SLO {name}: {metric}/{kind} is not exported"
        labels = set(FILTER_LABEL.findall(text))
        assert labels <= contract[metric][1], f"SLO {name}: {labels - contract[metric][1]} not labels of {metric}"
        assert "org" not in " ".join(labels), "no organisation label, ever"
    dashboard = (MODULES / "monitoring" / "dashboard.tf").read_text(encoding="utf-8")
    queries = [q.replace("\\", "") for q in re.findall(r'prometheusQuery\s*=\s*"((?:[^"\\]|\\.)*)"', dashboard)]
    assert len(queries) == 4
    for query in queries:
        names = re.findall(r"\b(fluxori_\w+?)(_bucket)?\{", query)
        assert len(names) == 1, query
        metric, bucket = names[0]
        assert metric in contract, f"{query}: {metric} is not exported"
        kind, labels = contract[metric]
        assert bool(bucket) == (kind == "histogram"), query
        grouped = {g.strip() for by in re.findall(r"by \(([^)]*)\)", query) for g in by.split(",")}
        assert grouped <= labels | ({"le"} if bucket else set()), f"{query}: groups by {grouped - labels}"
        assert "{${local.ns}}" in query, f"{query}: this service's series only"
    assert strip_markers(mon.locals["ns"]) == 'namespace=\\"${var.service_name}\\"'


def test_burn_rate_alerts_fast_and_slow_on_every_slo(tree: dict[Path, TfDir]) -> None:
    mon = module(tree, "monitoring")
    burn_rates = strip_markers(mon.locals["burn_rates"])
    windows = {k: (v["burn_rate"], v["long_window_s"], v["short_window_s"]) for k, v in burn_rates.items()}
    # Google's SRE workbook, "Alerting on SLOs": 14.4x over 1 h and 5 min, 6x over 6 h and 30 min.
    assert windows == {"fast": (14.4, 3600, 300), "slow": (6, 21600, 1800)}
    assert "setproduct(keys(local.slos), keys(local.burn_rates))" in strip_markers(mon.locals["burn_rate_alerts"])
    assert set(re.findall(r"(\w+) = \{name = google_monitoring_slo", _unescaped(mon.locals["slos"]))) == SLO_KEYS
    policies = _named_resources(mon, "google_monitoring_alert_policy")
    policy = policies["burn_rate"]
    assert policy["for_each"] == "${local.burn_rate_alerts}"
    assert policy["combiner"] == "AND", "the long AND the short window burn"
    assert policy["notification_channels"] == ["${google_monitoring_notification_channel.email.id}"]
    conditions = [d["conditions"] for d in policy["dynamic"] if "conditions" in d]
    assert len(conditions) == 1
    assert conditions[0]["for_each"] == {"long": "${each.value.long_window_s}", "short": "${each.value.short_window_s}"}
    threshold = conditions[0]["content"][0]["condition_threshold"][0]
    assert threshold["filter"].startswith('select_slo_burn_rate(\\"${local.slos[each.value.slo].name}\\"')
    assert "${conditions.value}s" in threshold["filter"]
    assert threshold["comparison"] == "COMPARISON_GT" and threshold["threshold_value"] == "${each.value.burn_rate}"
    assert {"error_rate", "latency_p95"} <= set(policies), "Cloud Run's own alerts stay"


def test_dashboard_shows_slos_budget_first_token_credits_status_and_reservations(tree: dict[Path, TfDir]) -> None:
    mon = module(tree, "monitoring")
    dashboard = mon.resource("google_monitoring_dashboard")
    assert dashboard["dashboard_json"].startswith("${jsonencode(")
    assert "concat(local.slo_tiles, local.detail_tiles)" in dashboard["dashboard_json"]
    slo_tiles = _unescaped(mon.locals["slo_tiles"])
    assert "for index, key in keys(local.slos)" in slo_tiles, "tiles for every SLO"
    assert 'select_slo_compliance("${local.slos[key].name}")' in slo_tiles
    assert 'select_slo_budget_fraction("${local.slos[key].name}")' in slo_tiles
    charts = _unescaped(mon.locals["detail_charts"])
    for needed in (
        "histogram_quantile(${q}, sum by (model, le) (rate(fluxori_chat_time_to_first_token_seconds_bucket",
        "for q in [0.5, 0.95]",
        "sum by (model) (increase(fluxori_credits_used_total",
        "[1h]",
        "sum by (status_class) (rate(fluxori_http_requests_total",
        "max(fluxori_open_reservations",
    ):
        assert needed in charts, f"dashboard lacks {needed}"


def test_firestore_point_in_time_recovery_next_to_the_daily_backup(tree: dict[Path, TfDir]) -> None:
    fs = module(tree, "firestore")
    database = fs.resource("google_firestore_database")
    assert database["point_in_time_recovery_enablement"] == (
        '${var.point_in_time_recovery ? "POINT_IN_TIME_RECOVERY_ENABLED" : "POINT_IN_TIME_RECOVERY_DISABLED"}'
    )
    assert strip_markers(fs.variables()["point_in_time_recovery"])["default"] is True
    call, _ = _stack_call(tree, "firestore")
    assert call["point_in_time_recovery"] is True, "every stage keeps PITR on"
    assert "daily_recurrence" in fs.resource("google_firestore_backup_schedule")
    assert "point_in_time_recovery" in fs.outputs()


def test_capacity_comes_from_the_load_benchmark(tree: dict[Path, TfDir]) -> None:
    """Cloud Run's sizes are the measured ones (BENCHMARKS.md, load), cited where they are set, and an instance is
    never sent more requests than the app runs chat turns at once."""
    from app.api.config import ApiSettings

    stack_vars = {name: strip_markers(body) for name, body in module(tree, "stack").variables().items()}
    defaults = {name: stack_vars[name]["default"] for name in ("concurrency", "cpu", "min_instances", "max_instances")}
    assert defaults == {"concurrency": 60, "cpu": "2", "min_instances": 1, "max_instances": 10}
    for name in defaults:
        assert "BENCHMARKS.md, load" in stack_vars[name]["description"], f"stack variable {name} cites no figure"
    chat_bound = ApiSettings.model_fields["chat_concurrency"].default
    assert defaults["concurrency"] < chat_bound, "Cloud Run spreads the load before the app answers 503"
    calls = {stage: strip_markers(next(body for _, body, _ in env_root(tree, stage).module_calls())) for stage in ENVS}
    assert "concurrency" not in calls["prod"] and "cpu" not in calls["prod"], "prod runs the measured shape"
    assert calls["dev"]["cpu"] == "1" and calls["dev"]["concurrency"] <= defaults["concurrency"]
    for stage in ENVS:
        variables = {name: strip_markers(body) for name, body in env_root(tree, stage).variables().items()}
        for name in ("min_instances", "max_instances"):
            assert "BENCHMARKS.md, load" in variables[name]["description"], f"envs/{stage}: {name} cites no figure"
    assert strip_markers(env_root(tree, "prod").variables()["min_instances"])["default"] >= 1


# --- Billing: bucket, BigQuery, export job, PayFast secrets ---------------------------------------------

# The columns of gs://BUCKET/ledger/day=YYYY-MM-DD/ledger.ndjson (BigQuery types as the API names them).
# `day` is the Hive partition key, read from the folder name, so it is not a column of the files' schema.
LEDGER_COLUMNS = {
    "org_id": ("STRING", "NULLABLE"),
    "entry_id": ("STRING", "NULLABLE"),
    "kind": ("STRING", "NULLABLE"),
    "at": ("TIMESTAMP", "NULLABLE"),
    "request_id": ("STRING", "NULLABLE"),
    "key_id": ("STRING", "NULLABLE"),
    "model": ("STRING", "NULLABLE"),
    "tools": ("STRING", "REPEATED"),
    "tool_calls": ("INTEGER", "NULLABLE"),
    "input_tokens": ("INTEGER", "NULLABLE"),
    "output_tokens": ("INTEGER", "NULLABLE"),
    "credits_mc": ("INTEGER", "NULLABLE"),
    "credits": ("FLOAT", "NULLABLE"),
    "rand_value": ("FLOAT", "NULLABLE"),
}


def _stack_call(tree: dict[Path, TfDir], name: str) -> tuple[dict[str, Any], Path]:
    calls = [(body, target) for call, body, target in module(tree, "stack").module_calls() if call == name]
    assert len(calls) == 1, f"modules/stack should call module {name} once"
    return strip_markers(calls[0][0]), calls[0][1]


def test_billing_bucket_is_private_versioned_and_named_in_the_settings(tree: dict[Path, TfDir]) -> None:
    storage, target = _stack_call(tree, "storage")
    assert target == (MODULES / "storage").resolve(), "the billing bucket is one of modules/storage's buckets"
    assert "billing" in storage["buckets"], "no billing bucket"
    billing = storage["buckets"]["billing"]
    assert billing.get("delete_after_days") is None, "the ledger export is the margin history: no expiry"
    env = strip_markers(module(tree, "stack").locals["billing_env"])
    assert env["FLUXORI_BILLING_BUCKET"] == '${module.storage.names["billing"]}'


def test_billing_dataset_and_external_ledger_table(tree: dict[Path, TfDir]) -> None:
    call, target = _stack_call(tree, "billing_analytics")
    assert target == (MODULES / "billing_analytics").resolve()
    assert call["location"] == "${var.region}" and call["bucket"] == '${module.storage.names["billing"]}'
    assert strip_markers(module(tree, "stack").variables()["region"])["default"] == "africa-south1"
    analytics = module(tree, "billing_analytics")
    dataset = analytics.resource("google_bigquery_dataset")
    assert dataset["location"] == "${var.location}"
    tables = {strip_markers(t)["table_id"]: strip_markers(t) for t in analytics.resources("google_bigquery_table")}
    assert set(tables) == {"ledger", "org_day_margin"}, f"expected the ledger table and the margin view: {tables}"
    ledger = tables["ledger"]
    assert ledger["dataset_id"] == "${google_bigquery_dataset.this.dataset_id}"
    external = ledger["external_data_configuration"][0]
    assert external["source_format"] == "NEWLINE_DELIMITED_JSON"
    assert external["autodetect"] is False, "an explicit schema, not a guess from the first files"
    assert external["schema"] == "${jsonencode(local.ledger_schema)}"
    uri = strip_markers(analytics.locals["ledger_uri"])
    assert uri == "gs://${var.bucket}/${var.ledger_prefix}"
    assert strip_markers(analytics.variables()["ledger_prefix"])["default"] == "ledger"
    assert external["source_uris"] == ["${local.ledger_uri}/*"]
    hive = external["hive_partitioning_options"][0]
    assert hive["mode"] == "CUSTOM" and hive["source_uri_prefix"] == "${local.ledger_uri}/{day:DATE}"
    schema = strip_markers(analytics.locals["ledger_schema"])
    got = {c["name"]: (c["type"], c.get("mode", "NULLABLE")) for c in schema}
    assert got == LEDGER_COLUMNS, f"ledger schema differs:\n got {got}\n want {LEDGER_COLUMNS}"


def test_ledger_columns_are_what_the_export_writes() -> None:
    """The external table reads exactly the fields of assistant/billing/export.py's rows (plus `day`, which it
    takes from the folder the row's file is in)."""
    from datetime import UTC, date, datetime

    from assistant.billing.export import partition, row
    from domain.credits import EntryKind, LedgerEntry

    entry = LedgerEntry(
        id="settle-r1",
        kind=EntryKind.settle,
        amount_mc=0,
        balance_after_mc=0,
        request_id="r1",
        details={"charged_mc": 1500, "tools": ["stock_lookup"], "tool_calls": 1},
        created_at=datetime(2025, 3, 1, 10, 0, tzinfo=UTC),
    )
    day = date(2025, 3, 1)
    exported = row("bergveld", entry)
    assert exported is not None
    assert set(exported) == set(LEDGER_COLUMNS)  # the day is the folder: a Hive key may not be in the files
    assert partition(day) == f"ledger/day={day.isoformat()}/"


def test_margin_view_joins_vertex_ai_cost_on_the_org_id_label(tree: dict[Path, TfDir]) -> None:
    analytics = module(tree, "billing_analytics")
    views = [strip_markers(t) for t in analytics.resources("google_bigquery_table") if "view" in strip_markers(t)]
    assert len(views) == 1, "no margin view"
    view = views[0]
    assert view["count"] == "${var.billing_export_table == null ? 0 : 1}", "created once the export table is named"
    sql = view["view"][0]["query"]
    assert view["view"][0]["use_legacy_sql"] is False
    flat = " ".join(sql.split())
    # The org_id label of Vertex AI usage rows in the Cloud Billing export, this project only.
    assert "UNNEST(b.labels)" in flat and "l.key = 'org_id'" in flat, "the view must read the org_id label"
    assert "FROM `${var.billing_export_table}` AS b" in flat
    assert "b.service.description = '${var.vertex_service_description}'" in flat
    assert strip_markers(analytics.variables()["vertex_service_description"])["default"] == "Vertex AI"
    assert "b.project.id = '${var.project_id}'" in flat, "dev and prod share a billing account: filter the project"
    assert "DATE(b.usage_start_time, 'Africa/Johannesburg')" in flat, "the ledger's days are SAST days"
    ledger = "${var.project_id}.${google_bigquery_dataset.this.dataset_id}.${google_bigquery_table.ledger.table_id}"
    assert f"FROM `{ledger}`" in flat
    assert "ON s.org_id = v.org_id AND s.day = v.day" in flat, "joined per organisation and day"
    for column in ("org_id", "day", "credits", "rand_value_sold", "vertex_cost", "vertex_cost_zar", "margin_zar"):
        assert re.search(rf"\bAS {column}\b", flat), f"the view has no column {column}"
    call, _ = _stack_call(tree, "billing_analytics")
    assert call["billing_export_table"] == "${var.billing_export_table}"
    for stage in ENVS:
        variables = env_root(tree, stage).variables()
        assert "billing_export_table" in variables and "validation" in variables["billing_export_table"]


def test_daily_billing_export_job_and_its_scheduler(tree: dict[Path, TfDir]) -> None:
    call, target = _stack_call(tree, "billing_export")
    assert target == (MODULES / "scheduled_job").resolve()
    assert call["args"] == ["billing", "export"], "without --day the CLI exports yesterday (SAST)"
    assert call["time_zone"] == "Africa/Johannesburg"
    assert call["schedule"] == "${var.billing_export_schedule}"
    assert strip_markers(module(tree, "stack").variables()["billing_export_schedule"])["default"] == "0 2 * * *"
    assert call["service_account_email"] == '${google_service_account.this["billing"].email}'
    assert call["scheduler_service_account_email"] == '${google_service_account.this["billing-sched"].email}'
    assert call["env"] == "${merge(local.app_env, local.billing_env)}", "gcp settings and the billing bucket"
    assert "secret_env" not in call, "the export job reads no secret"
    accounts = strip_markers(module(tree, "stack").locals["service_accounts"])
    assert {"billing", "billing-sched"} <= set(accounts)
    assert all(len(f"fluxori-abcdefgh-{key}") <= 30 for key in accounts), "service account ids have 30 chars"

    job_dir = module(tree, "scheduled_job")
    job = job_dir.resource("google_cloud_run_v2_job")
    container = job["template"][0]["template"][0]["containers"][0]
    assert container["command"] == "${var.command}" and container["args"] == "${var.args}"
    assert strip_markers(job_dir.variables()["command"])["default"] == ["fluxori"]
    assert job["template"][0]["template"][0]["service_account"] == "${var.service_account_email}"
    invoker = job_dir.resource("google_cloud_run_v2_job_iam_member")
    assert invoker["role"] == "roles/run.invoker"
    assert invoker["member"] == "serviceAccount:${var.scheduler_service_account_email}"
    scheduler = job_dir.resource("google_cloud_scheduler_job")
    assert scheduler["time_zone"] == "${var.time_zone}" and scheduler["schedule"] == "${var.schedule}"
    target_ = scheduler["http_target"][0]
    assert target_["uri"].endswith(":run") and "run.googleapis.com/v2/" in target_["uri"]
    assert target_["oauth_token"][0]["service_account_email"] == "${var.scheduler_service_account_email}"


def test_daily_briefing_job_and_its_scheduler(tree: dict[Path, TfDir]) -> None:
    call, target = _stack_call(tree, "briefing")
    assert target == (MODULES / "scheduled_job").resolve(), "the same job + trigger module as the billing export"
    assert call["args"] == ["briefing", "send"], "every organisation with a webhook, once a day"
    assert call["count"] == "${local.deploy_app ? 1 : 0}", "deployed with the first image, like the service"
    assert call["time_zone"] == "Africa/Johannesburg"
    assert call["schedule"] == "${var.briefing_schedule}"
    assert call["schedule_paused"] == "${var.briefing_schedule_paused}"
    variables = module(tree, "stack").variables()
    assert strip_markers(variables["briefing_schedule"])["default"] == "0 7 * * *", "before the working day"
    assert strip_markers(variables["briefing_schedule_paused"])["default"] is False
    assert call["service_account_email"] == '${google_service_account.this["brief"].email}'
    assert call["scheduler_service_account_email"] == '${google_service_account.this["brief-sched"].email}'
    assert call["env"] == "${local.app_env}", "the gcp settings; no billing bucket, no PayFast"
    assert "secret_env" not in call, "the briefing job reads no secret (the signing secrets are the orgs' data)"
    assert int(call["max_retries"]) <= 1, "a claimed day is never posted twice: a retry only helps a run that died"
    accounts = strip_markers(module(tree, "stack").locals["service_accounts"])
    assert {"brief", "brief-sched"} <= set(accounts)
    jobs = [w for w in workloads(tree) if "module.briefing" in w.where]
    assert len(jobs) == 1 and jobs[0].env >= GCP_REQUIRED and not jobs[0].secret_env
    for stage in ENVS:
        assert "briefing_job" in env_root(tree, stage).outputs(), f"envs/{stage}: no output briefing_job"


def test_service_gets_billing_settings_and_the_payfast_secrets(tree: dict[Path, TfDir]) -> None:
    found = workloads(tree)
    services = [w for w in found if w.kind == "service"]
    assert services
    for w in services:
        missing = BILLING_SERVICE_ENV - w.env
        assert not missing, f"{w.where} does not set {sorted(missing)}"
        assert w.secret_env >= PAYFAST_SECRETS, f"{w.where} does not read the PayFast secrets"
    for w in found:  # live mode refuses to start without the merchant's values
        if PREFIX + "PAYFAST_MODE" in w.env:
            assert w.secret_env >= PAYFAST_SECRETS, f"{w.where} sets FLUXORI_PAYFAST_MODE without the merchant"
    exports = [w for w in found if "module.billing_export" in w.where]
    assert len(exports) == 1 and {PREFIX + "BILLING_BUCKET"} | GCP_REQUIRED <= exports[0].env
    stack = module(tree, "stack")
    payfast_env = strip_markers(stack.locals["payfast_env"])
    assert payfast_env["FLUXORI_TRUSTED_PROXY_HOPS"] == 1, "Cloud Run's front end is one X-Forwarded-For hop"
    assert payfast_env["FLUXORI_PAYFAST_MODE"] == "${var.payfast_mode}"
    assert strip_markers(stack.variables()["payfast_mode"])["default"] == "sandbox"
    defaults = {stage: strip_markers(env_root(tree, stage).variables()["payfast_mode"])["default"] for stage in ENVS}
    assert defaults == {"dev": "sandbox", "prod": "live"}
    public_url = strip_markers(stack.locals["public_url"])
    assert "var.public_url" in public_url, "a custom domain when there is one"
    assert ".run.app" in public_url and "data.google_project.this.number" in public_url, "else the run.app URL"
    # Created empty (values are added with gcloud, never through Terraform state), readable by the service only.
    secrets_call, _ = _stack_call(tree, "secrets")
    assert secrets_call["secret_ids"] == "${values(local.secrets)}"
    assert set(secrets_call["accessors"]) == {"api"}
    for d in tree.values():
        assert not d.resources("google_secret_manager_secret_version"), f"{d.path}: a secret value in Terraform"


def test_billing_outputs_in_both_stages(tree: dict[Path, TfDir]) -> None:
    for stage in ENVS:
        outputs = env_root(tree, stage).outputs()
        for name in ("billing_bucket", "billing_dataset", "billing_ledger_table", "billing_margin_view"):
            assert name in outputs, f"envs/{stage}: no output {name}"
        for name in ("billing_export_job", "public_url", "payfast_secrets"):
            assert name in outputs, f"envs/{stage}: no output {name}"


# --- Environments ---------------------------------------------------------------------------------------


APP_OUTPUTS = {
    "vector_index_id": "FLUXORI_VECTOR_INDEX_ID",
    "vector_endpoint_id": "FLUXORI_VECTOR_ENDPOINT_ID",
    "vector_deployed_index_id": "FLUXORI_VECTOR_DEPLOYED_INDEX_ID",
    "kb_bucket": "FLUXORI_KB_BUCKET",
    "firestore_database": "FLUXORI_FIRESTORE_DATABASE",
}


@pytest.mark.parametrize("stage", ENVS)
def test_env_roots_have_backend_validated_inputs_and_app_outputs(tree: dict[Path, TfDir], stage: str) -> None:
    root = env_root(tree, stage)
    terraform_blocks = [b for doc in root.docs.values() for b in doc.get("terraform", [])]
    backends = [b for tb in terraform_blocks for b in tb.get("backend", [])]
    assert any("gcs" in strip_markers(b) for b in backends), f"envs/{stage}: no GCS backend"
    variables = root.variables()
    for name in ("project_id", "region", "vertex_region", "min_instances", "max_instances", "ingest_task_count"):
        assert "validation" in variables[name], f"envs/{stage}: variable {name} is not validated"
    outputs = root.outputs()
    for name, setting in APP_OUTPUTS.items():
        assert name in outputs, f"envs/{stage}: no output {name}"
        assert setting in outputs[name]["description"], f"envs/{stage}: output {name} should say it is {setting}"
    for name in ("service_url", "firestore_exports_bucket", "image_repository", "ingest_jobs", "workstation_env"):
        assert name in outputs, f"envs/{stage}: no output {name}"
    example = (root.path / "terraform.tfvars.example").read_text(encoding="utf-8")
    for assigned in re.findall(r"^#?\s*([a-z_]+)\s*=", example, flags=re.M):
        assert assigned in variables, f"envs/{stage}/terraform.tfvars.example sets unknown variable {assigned}"


def test_providers_are_pinned(tree: dict[Path, TfDir]) -> None:
    for d in tree.values():
        terraform_blocks = [b for doc in d.docs.values() for b in doc.get("terraform", [])]
        assert terraform_blocks, f"{d.path}: no terraform block"
        block = strip_markers(terraform_blocks[0])
        assert block["required_version"].startswith(">= 1.5"), d.path
        google = block["required_providers"][0]["google"]
        assert google["source"] == "hashicorp/google"
        version = google["version"]
        if d.path.parent.name == "envs":
            assert re.fullmatch(r"~> 6\.\d+", version), f"{d.path}: env roots pin google ~> 6.x, not {version}"
        else:
            assert re.fullmatch(r">= 6\.\d+", version), f"{d.path}: modules require google >= 6.x, not {version}"


def test_checkov_skips_are_justified() -> None:
    for path in tf_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.search(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?", line)
            if match:
                reason = (match.group(2) or "").strip()
                assert len(reason) >= 30, f"{path.relative_to(ROOT)}: skip of {match.group(1)} needs a reason"


# --- docs/deploy.md --------------------------------------------------------------------------------------


def test_deploy_doc_names_real_outputs_and_variables(tree: dict[Path, TfDir]) -> None:
    doc = DEPLOY_DOC.read_text(encoding="utf-8")
    root = env_root(tree, "dev")
    outputs, variables = set(root.outputs()), set(root.variables())
    named = set(re.findall(r"(?:terraform(?: -chdir=\S+)?|\$TF) output(?: -raw| -json)? ([a-z_]+)", doc))
    assert named, "docs/deploy.md should read values with `terraform output`"
    assert {"service_url", "image_repository", "workstation_env", "ingest_jobs"} <= named
    assert named <= outputs, f"docs/deploy.md reads outputs that do not exist: {sorted(named - outputs)}"
    for assigned in re.findall(r"^\s*([a-z_]+)\s*=\s*[\"\[{0-9tf]", doc, flags=re.M):
        if assigned not in {"bucket"}:  # backend.hcl
            assert assigned in variables, f"docs/deploy.md sets unknown variable {assigned}"
    for step in ("gcloud run jobs execute", "create-org", "create-key", "update-traffic", "gcloud firestore"):
        assert step in doc, f"docs/deploy.md does not explain `{step}`"
    assert "CLOUD_RUN_TASK_INDEX" in doc and "CLOUD_RUN_TASK_COUNT" in doc


# --- Dockerfile -----------------------------------------------------------------------------------------


def _dockerfile_stages() -> list[list[str]]:
    """Instructions (continuation lines joined, comments dropped) grouped by stage."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    stages: list[list[str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_dockerfile_is_multi_stage_slim_non_root_with_healthcheck() -> None:
    stages = _dockerfile_stages()
    assert len(stages) >= 2, "builder + runtime stages"
    final = stages[-1]
    assert re.match(r"FROM python:3\.11-slim", final[0]), f"final stage base: {final[0]}"
    final_text = "\n".join(final)
    users = [line.split()[1] for line in final if line.upper().startswith("USER ")]
    assert users and users[-1].split(":")[0] not in {"root", "0"}, "the final stage must run as a non-root user"
    assert not re.search(r"\b(gcc|g\+\+|build-essential|make|apt-get install)\b", final_text), "build tools in final"
    health = [line for line in final if line.upper().startswith("HEALTHCHECK")]
    assert health and "/healthz" in health[0] and "python" in health[0], "HEALTHCHECK asks /healthz with python"
    cmd = [line for line in final if line.upper().startswith("CMD ")][-1]
    assert "fluxori serve" in cmd and "--host 0.0.0.0" in cmd and "PORT" in cmd
    assert re.search(r"FLUXORI_MODE=gcp\b", final_text), "the image runs in gcp mode"
    for name in set(re.findall(r"\b(FLUXORI_[A-Z0-9_]+)=", final_text)):
        assert name in SETTING_ENV_NAMES, f"Dockerfile sets {name}, which is not a setting"
    builder = "\n".join(stages[0])
    assert "requirements.lock" in builder and "pip install --no-deps ." in builder
    assert "download.pytorch.org/whl/cpu" in builder, "torch==...+cpu comes from the PyTorch CPU index"
    assert "COPY --from=" in final_text


def test_dockerignore_keeps_local_state_out() -> None:
    patterns = {
        line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines() if line.strip()
    }
    for needed in (".git", ".venv*", ".fluxori", "test-artifacts", "*.tfstate", "terraform", ".env"):
        assert needed in patterns, f".dockerignore should exclude {needed}"
    for kept in ("README.md", "requirements.lock", "pyproject.toml"):
        assert kept not in patterns, f".dockerignore must not exclude {kept} (the Dockerfile copies it)"


# --- Tools ------------------------------------------------------------------------------------------------


def _terraform() -> str:
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("terraform is not installed (https://developer.hashicorp.com/terraform/install)")
    return binary


def _run(cmd: list[str], cwd: Path, timeout: int = 300, env: dict[str, str] | None = None):
    return subprocess.run(
        cmd,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_terraform_fmt() -> None:
    result = _run([_terraform(), "fmt", "-check", "-recursive", "-diff", "terraform"], ROOT, timeout=120)
    assert result.returncode == 0, f"run `terraform fmt -recursive terraform`:\n{result.stdout}{result.stderr}"


def _provider_dirs() -> list[Path]:
    """Where an offline `terraform init` could find providers: the implied local mirrors, TF_PLUGIN_CACHE_DIR,
    and the plugin_cache_dir / filesystem_mirror paths of the CLI configuration file."""
    candidates = [
        os.environ.get("TF_PLUGIN_CACHE_DIR", ""),
        "~/.terraform.d/plugins",
        "~/.local/share/terraform/plugins",
        "/usr/local/share/terraform/plugins",
        "/usr/share/terraform/plugins",
    ]
    config = Path(os.environ.get("TF_CLI_CONFIG_FILE") or "~/.terraformrc").expanduser()
    if config.is_file():
        text = config.read_text(encoding="utf-8", errors="replace")
        candidates += re.findall(r'plugin_cache_dir\s*=\s*"([^"]+)"', text)
        candidates += re.findall(r'filesystem_mirror\s*\{[^}]*?path\s*=\s*"([^"]+)"', text, flags=re.S)
    return [Path(c).expanduser() for c in candidates if c]


def _google_provider_mirror() -> Path | None:
    for path in _provider_dirs():
        google = path / "registry.terraform.io" / "hashicorp" / "google"
        if google.is_dir() and any(v.name.startswith("6.") for v in google.iterdir()):
            return path
    return None


@pytest.mark.parametrize("stage", ENVS)
def test_terraform_validate(stage: str, tmp_path: Path) -> None:
    terraform = _terraform()
    env_dir = TERRAFORM / "envs" / stage
    initialised = (env_dir / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp" / "google").is_dir()
    mirror = _google_provider_mirror()
    if initialised:
        workdir = env_dir
    elif mirror is not None:
        shutil.copytree(TERRAFORM, tmp_path / "terraform", ignore=shutil.ignore_patterns(".terraform"))
        workdir = tmp_path / "terraform" / "envs" / stage
        init = _run(
            [terraform, "init", "-backend=false", "-input=false", "-no-color", f"-plugin-dir={mirror}"], workdir
        )
        assert init.returncode == 0, init.stdout + init.stderr
    else:
        searched = ", ".join(str(p) for p in _provider_dirs())
        pytest.skip(
            f"terraform validate needs the hashicorp/google 6.x provider, which is not available offline here "
            f"(no terraform/envs/{stage}/.terraform, no mirror in: {searched}). On a machine with registry access: "
            f"terraform -chdir=terraform/envs/{stage} init -backend=false, then validate"
        )
    result = _run([terraform, "validate", "-no-color"], workdir)
    assert result.returncode == 0, result.stdout + result.stderr


def _checkov() -> Path:
    """checkov from .venv-checkov, installed by scripts/install-checkov.sh (idempotent) when missing; skipped
    only when it cannot be installed (no Python 3.11 venv support, no package index)."""
    binary = CHECKOV_VENV / "bin" / "checkov"
    try:
        result = _run(["bash", str(INSTALL_CHECKOV)], ROOT, timeout=900)
    except subprocess.TimeoutExpired:
        result = None
    if binary.exists() and result is not None and result.returncode == 0:
        return binary
    detail = "timed out" if result is None else (result.stderr or result.stdout)[-1500:]
    pytest.skip(f"checkov could not be installed by scripts/install-checkov.sh: {detail}")


class _CheckovResult(BaseModel):
    check_id: str
    file_path: str
    resource: str
    check_name: str = ""
    file_line_range: list[int] = []
    check_result: dict[str, Any] = {}


@pytest.mark.timeout(1200)
def test_checkov_reports_no_failed_checks() -> None:
    checkov = _checkov()
    result = _run(
        [
            str(checkov),
            "-d",
            "terraform",
            "--framework",
            "terraform",
            "--compact",
            "--skip-download",
            "--output",
            "json",
        ],
        ROOT,
        timeout=600,
        env={"BC_SKIP_MAPPING": "TRUE"},  # no calls to the Prisma Cloud platform
    )
    assert result.stdout.strip(), f"checkov printed nothing (exit {result.returncode}):\n{result.stderr[-3000:]}"
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    assert all(r.get("summary", {}).get("parsing_errors", 0) == 0 for r in reports), result.stdout[-3000:]
    passed = sum(r.get("summary", {}).get("passed", 0) for r in reports)
    failed = [_CheckovResult(**c) for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    skipped = [_CheckovResult(**c) for r in reports for c in r.get("results", {}).get("skipped_checks", [])]
    assert passed > 0, "checkov checked nothing: is terraform/ empty?"
    assert not failed, "checkov failed checks:\n" + "\n".join(
        f"  {c.check_id} {c.resource} ({c.file_path}:{c.file_line_range}): {c.check_name}" for c in failed
    )
    for check in skipped:
        reason = (check.check_result or {}).get("suppress_comment") or ""
        assert len(reason.strip()) >= 30, f"checkov skip of {check.check_id} in {check.file_path} has no reason"
