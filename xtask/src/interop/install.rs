//! Installs the third-party clients under `target/interop/`: the official CLI from npm and the
//! Python SDK from PyPI, each version once (`latest` every time).

use std::process::Command;
use std::process::Stdio;

use super::CLI_VERSIONS;
use super::SDK_VERSIONS;
use super::codex_cli;
use super::dir;
use super::python;
use crate::run;

pub(super) fn install() -> Result<(), String> {
    for v in CLI_VERSIONS {
        let prefix = dir().join(format!("npm-{v}"));
        if v != &"latest" && codex_cli(v).exists() {
            continue;
        }
        let mut c = Command::new("npm");
        // npm's summary goes to stdout, which carries only the table.
        c.args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(format!("@openai/codex@{v}"))
            .stdout(Stdio::from(std::io::stderr()));
        run(c)?;
    }
    for v in SDK_VERSIONS {
        let venv = dir().join(format!("venv-{v}"));
        if !python(v).exists() {
            let mut c = Command::new("python3");
            c.args(["-m", "venv"]).arg(&venv);
            run(c)?;
        }
        if v != &"latest" && has_sdk(v) {
            continue;
        }
        let spec = if v == &"latest" {
            "codex-backend-sdk".to_owned()
        } else {
            format!("codex-backend-sdk=={v}")
        };
        let mut c = Command::new(python(v));
        c.args(["-m", "pip", "install", "-q", "--upgrade", &spec])
            .stdout(Stdio::from(std::io::stderr()));
        run(c)?;
    }
    Ok(())
}

fn has_sdk(v: &str) -> bool {
    Command::new(python(v))
        .args(["-c", "import codex_backend_sdk"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
