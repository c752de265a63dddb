from polyapprox.cli import main


def test_help_exits_zero(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    assert "polyapprox" in capsys.readouterr().out


def test_console_entry_in_a_subprocess() -> None:
    """One real process: `python -m polyapprox verify --only lemma1.identity --json` exits 0, all proved."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.run([sys.executable, "-m", "polyapprox", "verify", "--only", "lemma1.identity", "--json"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)  # --only is a prefix: lemma1.identity and lemma1.identity_relu2_box
    assert doc["proved"] == len(doc["checks"]) >= 1 and doc["failed"] == 0
