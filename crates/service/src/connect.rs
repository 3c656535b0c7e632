//! The connection test: the credential's test request, sent with the credential applied per its
//! type (an OAuth2 token refreshed first when it needs it), its outcome recorded as the
//! credential's status and as a `credential.tested` event.

use chrono::{DateTime, Utc};
use credvault_domain::credential::{destinations, CredentialData, TestSpec};
use credvault_domain::credential_access::CredentialAction;
use credvault_domain::events::StatusChangeReason;
use credvault_store::credentials as store;
use reqwest::{header, Method, Url};
use serde_json::Value;
use uuid::Uuid;

use crate::audit::Event;
use crate::credentials;
use crate::oauth::{freshness, Outcome, Trigger};
use crate::outbound::OutboundError;
use crate::{Principal, ServiceError, Services};

/// What a test found. No secret appears in it.
pub struct Tested {
    /// The service's HTTP status; `None` when no answer came.
    pub status_code: Option<u16>,
    pub latency_ms: Option<u64>,
    /// What went wrong, in words a person can act on; `None` when it passed.
    pub error: Option<String>,
    pub tested_at: DateTime<Utc>,
}

/// Tests credential `id`'s connection.
pub async fn test(
    services: &Services,
    caller: &Principal,
    id: Uuid,
) -> Result<Tested, ServiceError> {
    let (cred, _) =
        credentials::authorize(services, caller, id, CredentialAction::SeeConfiguration).await?;
    credentials::refuse_if_deleted(&cred)?;
    let mut spec = test_spec_of(&cred)?;
    let ws = caller.workspace_id;
    let mut data = {
        let client = services.pool.get().await?;
        credentials::current_data(services, &client, &cred).await?
    };
    let mut pre = None;
    if cred.kind == "oauth2" && freshness::token_needed(&data) {
        let needed = freshness::needs_refresh(cred.current_version);
        match crate::oauth::ensure_fresh(
            services,
            ws,
            cred.id,
            Trigger::Test,
            &caller.actor,
            &caller.origin,
            needed,
        )
        .await?
        {
            Outcome::Fresh { .. } => {
                let client = services.pool.get().await?;
                let fresh = store::get(&client, ws, cred.id)
                    .await?
                    .ok_or_else(|| ServiceError::NotFound("credential"))?;
                data = credentials::current_data(services, &client, &fresh).await?;
                // The test goes where the fresh row says, with the fresh row's secrets.
                spec = test_spec_of(&fresh)?;
            }
            Outcome::Failed(f) => {
                pre = Some(format!(
                    "no access token could be obtained: {}",
                    f.message()
                ))
            }
        }
    }
    let (status_code, latency_ms, result) = match pre {
        Some(e) => (None, None, Err(e)),
        None => run_test(services, &cred.kind, &spec, &data).await,
    };
    drop(data);
    let tested_at = Utc::now();
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    // The call carried the credential: it is on the record even if the credential was deleted
    // or purged meanwhile (then its status is left as it is and the answer says so).
    let mut status_event = None;
    let gone = match store::lock(&tx, ws, cred.id).await? {
        None => Some(ServiceError::NotFound("credential")),
        Some(now) if now.deleted_at.is_some() => credentials::refuse_if_deleted(&now).err(),
        Some(mut now) => {
            let (status, detail) = match &result {
                Ok(()) => ("active", None),
                Err(e) => ("error", Some(e.clone())),
            };
            // A test decides between active and error; it does not revive an expired credential.
            if now.status != "expired" && (now.status != status || now.status_detail != detail) {
                let reason = match result {
                    Ok(()) => StatusChangeReason::TestPassed,
                    Err(_) => StatusChangeReason::TestFailed,
                };
                status_event = crate::webhooks::status_changed(
                    cred.id,
                    &cred.name,
                    &now.status,
                    status,
                    reason,
                );
                now.status = status.into();
                now.status_detail = detail;
                store::update(&tx, &now).await?;
            }
            None
        }
    };
    let mut ev = Event::new("credential.tested")
        .target("credential", cred.id, Some(cred.name.clone()))
        .outcome(if result.is_ok() { "success" } else { "failure" })
        .detail("ok", result.is_ok())
        .detail("status_code", status_code)
        .detail("latency_ms", latency_ms);
    if let Err(e) = &result {
        ev = ev.detail("error", e.clone());
    }
    if gone.is_some() {
        ev = ev.detail("credential_deleted_meanwhile", true);
    }
    caller
        .record(&tx, std::iter::once(ev).chain(status_event))
        .await?;
    tx.commit().await?;
    if let Some(err) = gone {
        return Err(err);
    }
    Ok(Tested {
        status_code,
        latency_ms,
        error: result.err(),
        tested_at,
    })
}

fn hint(kind: &str) -> &'static str {
    match kind {
        "api_key" => "check the key",
        "basic_auth" => "check the username and password",
        "oauth2" => "the access token was refused: refresh or re-authorize the credential",
        _ => "check the secret fields",
    }
}

/// `{{field}}` in a custom credential's test URL becomes the field's value (URL-encoded).
fn fill_placeholders(url: &str, data: &CredentialData) -> String {
    let mut out = url.to_string();
    for (k, v) in data.config.iter().chain(data.secrets.iter()) {
        if let Some(s) = v.as_str() {
            let encoded: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            out = out.replace(&destinations::placeholder(k), &encoded);
        }
    }
    out
}

/// Calls the credential's test request with the credential applied per its type.
async fn run_test(
    services: &Services,
    kind: &str,
    spec: &TestSpec,
    data: &CredentialData,
) -> (Option<u16>, Option<u64>, Result<(), String>) {
    let s = |m: &CredentialData, k: &str| -> String {
        m.config
            .get(k)
            .or_else(|| m.secrets.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let raw_url = if kind == "custom" {
        fill_placeholders(&spec.url, data)
    } else {
        spec.url.clone()
    };
    let Ok(mut url) = Url::parse(&raw_url) else {
        return (
            None,
            None,
            Err("the test URL is not valid: fix the credential's test".into()),
        );
    };
    let host = url.host_str().unwrap_or_default().to_string();
    let method = Method::from_bytes(spec.method.as_bytes()).unwrap_or(Method::GET);
    if kind == "api_key" && s(data, "placement") == "query" {
        let value = format!("{}{}", s(data, "prefix"), s(data, "key"));
        url.query_pairs_mut().append_pair(&s(data, "name"), &value);
    }
    let mut req = services.outbound.request(method, url);
    match kind {
        "api_key" if s(data, "placement") != "query" => {
            let name = s(data, "name");
            let value = format!("{}{}", s(data, "prefix"), s(data, "key"));
            match (
                header::HeaderName::from_bytes(name.as_bytes()),
                header::HeaderValue::from_str(&value),
            ) {
                (Ok(n), Ok(mut v)) => {
                    v.set_sensitive(true);
                    req = req.header(n.as_str(), v.as_bytes());
                }
                _ => {
                    return (
                        None,
                        None,
                        Err(
                            "the key cannot be sent as a header: check the header name and key"
                                .into(),
                        ),
                    )
                }
            }
        }
        "basic_auth" => req = req.basic_auth(s(data, "username"), Some(s(data, "password"))),
        "oauth2" => req = req.bearer_auth(s(data, "access_token")),
        _ => {}
    }
    match services.outbound.send(req).await {
        Err(e) => {
            let msg = match &e {
                OutboundError::Refused(r) => format!("refused by the outbound rules: {r}"),
                other => other.to_string(),
            };
            (None, None, Err(msg))
        }
        Ok(answer) => {
            let code = answer.status.as_u16();
            let latency = Some(answer.latency.as_millis() as u64);
            let ok = match &spec.expected_status {
                Some(list) => list.contains(&code),
                None => answer.status.is_success(),
            };
            if ok {
                return (Some(code), latency, Ok(()));
            }
            let why = match code {
                401 | 403 => hint(kind).to_string(),
                404 => "check the test URL".to_string(),
                500..=599 => "the service is failing; try again later".to_string(),
                _ => match &spec.expected_status {
                    Some(list) => format!(
                        "expected {}",
                        list.iter()
                            .map(u16::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None => "expected a 2xx answer".to_string(),
                },
            };
            (
                Some(code),
                latency,
                Err(format!("{code} from {host}: {why}")),
            )
        }
    }
}

/// A credential's test request, or 422 when it has none.
fn test_spec_of(cred: &store::CredentialRow) -> Result<TestSpec, ServiceError> {
    cred.test
        .clone()
        .and_then(|t| serde_json::from_value(t).ok())
        .ok_or_else(|| {
            ServiceError::field(
                "test",
                "the credential has no test request: set one with PATCH /v1/credentials/{id} first",
            )
        })
}
