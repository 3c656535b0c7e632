//! The Docker image: built from the repository's Dockerfile, run against this run's PostgreSQL,
//! and asked `/healthz`. A build takes minutes and needs a Docker engine, so the test is marked
//! ignored: `cargo test` counts it apart ("ignored", never "passed"), and `make docker-test` runs
//! it with `--ignored`, where a missing engine is a failure that says what is missing.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{TestDb, TEST_MASTER_KEY};

const IMAGE: &str = "credvault:test";

/// Why no Docker engine is usable here, if none is.
fn no_engine() -> Option<String> {
    match Command::new("docker")
        .arg("info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
    {
        Err(e) => Some(format!("no `docker` command on PATH ({e})")),
        Ok(out) if !out.status.success() => Some(format!(
            "`docker info` failed, so no Docker engine is usable: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .rfind(|l| !l.trim().is_empty())
                .unwrap_or("no message")
        )),
        Ok(_) => None,
    }
}

fn docker(args: &[&str]) -> std::process::Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("run docker")
}

/// Removes the container however the test ends.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker(&["rm", "-f", &self.0]);
    }
}

#[tokio::test]
#[ignore = "builds the Docker image and needs a Docker engine: run `make docker-test`"]
async fn the_docker_image_builds_runs_and_answers_healthz() {
    if let Some(why) = no_engine() {
        panic!("the Docker image cannot be checked here: {why}; start a Docker engine, or do not ask for this test");
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let build = Command::new("docker")
        .args(["build", "-t", IMAGE, root])
        .status()
        .expect("run docker build");
    assert!(
        build.success(),
        "docker build failed (see its output above)"
    );

    // Host networking: the container reaches this run's PostgreSQL on 127.0.0.1.
    let db = TestDb::migrated().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let name = format!("credvault-test-{}", uuid::Uuid::now_v7().simple());
    let bind = format!("CREDVAULT_BIND=127.0.0.1:{port}");
    let database = format!("DATABASE_URL={}", db.url);
    let key = format!("CREDVAULT_MASTER_KEY={TEST_MASTER_KEY}");
    let run = docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--network",
        "host",
        "-e",
        &bind,
        "-e",
        &database,
        "-e",
        &key,
        IMAGE,
    ]);
    assert!(
        run.status.success(),
        "docker run: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let container = Container(name);

    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/healthz");
    for _ in 0..300 {
        if let Ok(res) = client.get(&url).send().await {
            assert_eq!(res.status(), 200);
            assert_eq!(res.text().await.expect("body"), r#"{"status":"ok"}"#);
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let logs = docker(&["logs", &container.0]);
    panic!(
        "the container did not answer {url} within 30 s; its log:\n{}{}",
        String::from_utf8_lossy(&logs.stdout),
        String::from_utf8_lossy(&logs.stderr)
    );
}
