//! A SoftHSM2 token of its own (a token directory and config file under the temp dir, removed on
//! drop), for the HSM tests and `make bench`'s hsm section. `make test` and `make bench` install
//! SoftHSM2 (`scripts/softhsm.sh`).

use std::path::{Path, PathBuf};

/// The token's label and user PIN.
pub const TOKEN_LABEL: &str = "credvault";
pub const PIN: &str = "1234";

/// The SoftHSM2 module: CREDVAULT_TEST_PKCS11_MODULE (set by `make test` and `make bench`),
/// else where Debian's package puts it.
pub fn module() -> Option<String> {
    std::env::var("CREDVAULT_TEST_PKCS11_MODULE")
        .ok()
        .into_iter()
        .chain([
            "/usr/lib/softhsm/libsofthsm2.so".to_string(),
            "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so".to_string(),
        ])
        .find(|p| Path::new(p).exists())
}

/// An initialized token labelled [`TOKEN_LABEL`] (user PIN [`PIN`]) in a directory of its own.
pub struct SoftHsm {
    dir: PathBuf,
    /// The path for SOFTHSM2_CONF.
    pub conf: String,
    /// The module's path, for CREDVAULT_PKCS11_MODULE.
    pub module: String,
}

impl SoftHsm {
    pub fn new() -> anyhow::Result<SoftHsm> {
        let module = module().ok_or_else(|| {
            anyhow::anyhow!(
                "SoftHSM2 is missing: `make test` installs it (apt-get install softhsm2)"
            )
        })?;
        let dir = std::env::temp_dir().join(format!("credvault-hsm-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(dir.join("tokens"))?;
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                dir.join("tokens").display()
            ),
        )?;
        let out = std::process::Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", TOKEN_LABEL])
            .args(["--pin", PIN, "--so-pin", "5678"])
            .env("SOFTHSM2_CONF", &conf)
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "softhsm2-util --init-token: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(SoftHsm {
            conf: conf.display().to_string(),
            dir,
            module,
        })
    }

    /// The token's settings for `credvault` (key label `kek`), with `extra` added or overriding.
    pub fn env<'a>(&'a self, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut env = vec![
            ("SOFTHSM2_CONF", self.conf.as_str()),
            ("CREDVAULT_PKCS11_MODULE", self.module.as_str()),
            ("CREDVAULT_PKCS11_TOKEN_LABEL", TOKEN_LABEL),
            ("CREDVAULT_PKCS11_PIN", PIN),
            ("CREDVAULT_PKCS11_KEY_LABEL", "kek"),
        ];
        for (k, v) in extra {
            env.retain(|(key, _)| key != k);
            env.push((k, v));
        }
        env
    }
}

impl Drop for SoftHsm {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
