//! The change loads of `BENCH_ONLY=audit_scale` (a): create, update (PATCH) and rotate in one
//! workspace, CREATE_CONCURRENCY in flight. From wrk when it is installed, as the resolve load
//! is: a client that takes little of the CPU the server and PostgreSQL share with it; else from
//! this process.

use super::{Rig, CREATE_CONCURRENCY};

#[derive(Clone, Copy)]
pub enum Change {
    Create,
    Update,
    Rotate,
}

impl Change {
    /// The Lua that makes request number `n` of a wrk thread (`id`: a credential of the rig;
    /// `tag`: unique to this thread and run).
    fn lua(self) -> &'static str {
        match self {
            Change::Create => {
                r#"wrk.format("POST", "/v1/credentials", headers, string.format('{"name": "k-%s-%d", "service": "stripe", "type": "api_key", "data": {"key": "sk_test_%s%020d"}}', tag, n, tag, n))"#
            }
            Change::Update => {
                r#"wrk.format("PATCH", "/v1/credentials/" .. id, headers, string.format('{"service": "svc-%s-%d"}', tag, n))"#
            }
            Change::Rotate => {
                r#"wrk.format("POST", "/v1/credentials/" .. id .. "/rotate", headers, string.format('{"data": {"key": "sk_rot_%s%020d"}}', tag, n))"#
            }
        }
    }

    /// The status every request of this kind must answer.
    fn ok(self) -> u16 {
        match self {
            Change::Create => 201,
            Change::Update | Change::Rotate => 200,
        }
    }
}

/// `secs` of `change`: how many answered as they should, how many did not, and the seconds
/// until the last answer. `run` numbers the runs, so that no two create the same name.
pub async fn drive(
    rig: &Rig,
    wrk: Option<&str>,
    change: Change,
    secs: u64,
    run: u32,
) -> anyhow::Result<(usize, u64, f64)> {
    match wrk {
        Some(w) => by_wrk(rig, w, change, secs, run),
        None => in_process(rig, change, secs, run).await,
    }
}

async fn in_process(
    rig: &Rig,
    change: Change,
    secs: u64,
    run: u32,
) -> anyhow::Result<(usize, u64, f64)> {
    let (a, ids) = (rig.addr.clone(), std::sync::Arc::new(rig.ids.clone()));
    // Each task its own credentials in turn: no two changes wait on the same row.
    let id = move |t: usize, n: u64| ids[(t + CREATE_CONCURRENCY * n as usize) % ids.len()];
    rig.drive(secs, change.ok(), move |http, token, t, n| {
        let tag = format!("{run}-{t}");
        match change {
            Change::Create => http.post(format!("{a}/v1/credentials")).json(&serde_json::json!({"name": format!("k-{tag}-{n}"), "service": "stripe", "type": "api_key", "data": {"key": format!("sk_test_{tag}{n:020}")}})),
            Change::Update => http
                .patch(format!("{a}/v1/credentials/{}", id(t, n)))
                .json(&serde_json::json!({"service": format!("svc-{tag}-{n}")})),
            Change::Rotate => http
                .post(format!("{a}/v1/credentials/{}/rotate", id(t, n)))
                .json(&serde_json::json!({"data": {"key": format!("sk_rot_{tag}{n:020}")}})),
        }
        .bearer_auth(token)
    })
    .await
}

fn by_wrk(
    rig: &Rig,
    wrk: &str,
    change: Change,
    secs: u64,
    run: u32,
) -> anyhow::Result<(usize, u64, f64)> {
    let list: Vec<String> = rig.ids.iter().map(|i| format!("\"{i}\"")).collect();
    let script = format!(
        r#"local ids = {{ {ids} }}
local headers = {{ ["Authorization"] = "Bearer {token}", ["Content-Type"] = "application/json" }}
local n = 0
local threads = 0
setup = function(thread)
  thread:set("me", threads)
  threads = threads + 1
end
init = function(args)
  tag = "{run}-" .. me
end
-- Each thread walks its own credentials (the other's are every other one): no two changes in
-- flight wait on the same row.
request = function()
  n = n + 1
  local id = ids[(me + 2 * n) % #ids + 1]
  return {request}
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d\n", summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout, summary.duration))
end
"#,
        ids = list.join(", "),
        token = rig.owner_token,
        request = change.lua(),
    );
    let path =
        std::env::temp_dir().join(format!("credvault-wrk-changes-{}.lua", std::process::id()));
    std::fs::write(&path, script)?;
    let out = std::process::Command::new(wrk)
        .args(["-t", "2", "-c", &CREATE_CONCURRENCY.to_string()])
        .args(["-d", &format!("{secs}s"), "-s"])
        .arg(&path)
        .arg(&rig.addr)
        .output();
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&out?.stdout).to_string();
    let f: Vec<u64> = text
        .lines()
        .find_map(|l| l.strip_prefix("WRK "))
        .ok_or_else(|| anyhow::anyhow!("wrk said: {text}"))?
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let [requests, errors, duration_us] = f[..] else {
        anyhow::bail!("wrk said: {text}");
    };
    Ok((
        requests.saturating_sub(errors) as usize,
        errors,
        duration_us as f64 / 1e6,
    ))
}
