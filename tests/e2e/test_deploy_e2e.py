"""`dlt deploy` generates a scheduled GitHub workflow and an Airflow DAG for the CLI script after one local run.

dlt's deploy templates are normally cloned from GitHub; the tests use the vendored copy through `--location`.
"""

import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
import yaml

from tests.e2e.helpers import configure_env, run_cli
from tests.helpers import REPO_ROOT

TEMPLATES = REPO_ROOT.parent / "shared/vendor/dlt-deploy-template"
SCRIPT = "zoho_crm_pipeline.py"
pytestmark = pytest.mark.skipif(not TEMPLATES.is_dir(), reason=f"dlt deploy templates not found at {TEMPLATES}")


def dlt_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the `dlt` command of this environment (stdin closed: deploy must not prompt)."""
    dlt = Path(sys.executable).with_name("dlt")
    return subprocess.run(
        [str(dlt), *args], cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300
    )


@pytest.fixture
def repo(tmp_path: Path, emulator, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository on GitHub holding the CLI script, whose pipeline ran once locally against the emulator."""
    root = tmp_path / "crm-repo"
    root.mkdir()
    shutil.copy(REPO_ROOT / SCRIPT, root / SCRIPT)
    shutil.copytree(REPO_ROOT / ".dlt", root / ".dlt", ignore=shutil.ignore_patterns("secrets.toml"))
    for command in (["init", "-q"], ["remote", "add", "origin", "https://github.com/example/zoho-crm-mirror.git"]):
        subprocess.run(["git", *command], cwd=root, check=True)
    configure_env(monkeypatch, emulator)
    monkeypatch.chdir(root)
    code, _, err = run_cli("--modules", "Leads")
    assert code == 0, err
    return root


@pytest.mark.slow
def test_github_action_runs_the_script_on_schedule_with_zoho_secrets_from_repository_secrets(
    repo: Path, emulator
) -> None:
    result = dlt_cli(repo, "deploy", SCRIPT, "github-action", "--schedule", "0 */6 * * *", "--location", str(TEMPLATES))
    assert result.returncode == 0, result.stdout + result.stderr
    workflow_file = repo / ".github/workflows/run_zoho_crm_workflow.yml"
    text = workflow_file.read_text()
    workflow = yaml.safe_load(text)
    assert workflow["on"]["schedule"] == [{"cron": "0 */6 * * *"}]
    assert workflow["jobs"]["run_pipeline"]["steps"][-1]["run"] == f"python '{SCRIPT}'"
    env = workflow["env"]
    for key in ("SOURCES__ZOHO_CRM__CREDENTIALS__CLIENT_SECRET", "SOURCES__ZOHO_CRM__CREDENTIALS__REFRESH_TOKEN"):
        assert env[key] == "${{ secrets." + key + " }}"
    for secret in (emulator.client_secret, emulator.refresh_token):
        assert secret not in text
    assert (repo / "requirements_github_action.txt").read_text().count("dlt==") == 1
    assert "SOURCES__ZOHO_CRM__CREDENTIALS__CLIENT_SECRET" in result.stdout  # told which secrets to add


@pytest.mark.slow
def test_airflow_composer_gets_a_dag_and_a_cloud_build_file(repo: Path, emulator) -> None:
    result = dlt_cli(repo, "deploy", SCRIPT, "airflow-composer", "--location", str(TEMPLATES))
    assert result.returncode == 0, result.stdout + result.stderr
    dag = repo / "dags/dag_zoho_crm.py"
    assert "PipelineTasksGroup" in dag.read_text()
    assert "gsutil" in (repo / "build/cloudbuild.yaml").read_text()
    # the toml to paste into Composer's dlt_secrets_toml variable, read from the user's own configuration
    assert "[sources.zoho_crm.credentials]" in result.stdout
    assert f'refresh_token = "{emulator.refresh_token}"' in result.stdout
    assert emulator.refresh_token not in (repo / "dags/dag_zoho_crm.py").read_text()


def test_deploy_finds_exactly_one_literal_pipeline_name_in_the_script() -> None:
    from dlt._workspace.cli._deploy_command_helpers import get_visitors, parse_pipeline_info

    script = (REPO_ROOT / SCRIPT).read_text()
    pipelines: List = parse_pipeline_info(get_visitors(script, SCRIPT))
    assert {name for name, _ in pipelines} == {"zoho_crm"}
