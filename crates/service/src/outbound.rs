//! The one HTTP client for calls to other services (connection tests, OAuth token endpoints).
//!
//! The outbound rules are enforced on the addresses every connection actually uses: host names
//! go through our own resolver, which drops refused addresses before the connector sees them (so
//! a name cannot resolve to one address for the check and another for the call), and literal
//! addresses are checked before the request and on every redirect. Every call here carries a
//! credential, so a redirect is followed only within the origin it was sent to (or from http to
//! https on the same host); any other ends the call. Proxies from the environment
//! are ignored; timeouts are 5 s to connect and 15 s in all (`CREDVAULT_OUTBOUND_TIMEOUT_SECS`); bodies are read up to 1 MiB.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use credvault_domain::outbound::refused_reason;
use futures_util::StreamExt;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{Method, StatusCode, Url};

use crate::net::Cidr;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BODY: usize = 1024 * 1024;
const MAX_REDIRECTS: usize = 5;

/// What `CREDVAULT_OUTBOUND_ALLOW` lets through although private or loopback.
#[derive(Debug, Default, Clone)]
pub struct Allow {
    hosts: Vec<String>,
    blocks: Vec<Cidr>,
}

impl Allow {
    pub fn new(entries: &[String]) -> Allow {
        let mut allow = Allow::default();
        for e in entries {
            match Cidr::parse(e) {
                Some(c) => allow.blocks.push(c),
                None => allow
                    .hosts
                    .push(e.trim().trim_end_matches('.').to_ascii_lowercase()),
            }
        }
        allow
    }

    fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.contains(&host)
    }

    /// Why `ip` (reached as `host`) is refused, or `None`.
    fn refusal(&self, host: &str, ip: IpAddr) -> Option<Refused> {
        let reason = refused_reason(ip)?;
        if self.host_allowed(host) || self.blocks.iter().any(|b| b.contains(ip)) {
            return None;
        }
        Some(Refused {
            host: host.to_string(),
            ip,
            reason,
        })
    }
}

/// A destination the outbound rules refuse.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{host} resolves to {ip}, {reason}, which outbound calls may not reach (allow it with CREDVAULT_OUTBOUND_ALLOW)")]
pub struct Refused {
    pub host: String,
    pub ip: IpAddr,
    pub reason: &'static str,
}

/// Why an outbound call produced no answer.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("refused by the outbound rules: {0}")]
    Refused(Refused),
    #[error("{host} did not answer within {secs} s")]
    Timeout { host: String, secs: u64 },
    #[error("cannot connect to {host}: {detail}")]
    Connect { host: String, detail: String },
    #[error("{host} sent more than {MAX_BODY} bytes")]
    TooLarge { host: String },
    #[error("{host} redirected more than {MAX_REDIRECTS} times")]
    TooManyRedirects { host: String },
    #[error("{host} redirected to another origin, {origin}; credvault does not follow a redirect that would take the credential elsewhere")]
    Redirected { host: String, origin: String },
}

/// An answer: status and body (at most 1 MiB).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
    pub latency: Duration,
}

struct CheckedResolver {
    allow: Arc<Allow>,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let kept: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match allow.refusal(&host, a.ip()) {
                    None => true,
                    Some(r) => {
                        refused.get_or_insert(r);
                        false
                    }
                })
                .collect();
            match (kept.is_empty(), refused) {
                (true, Some(r)) => Err(Box::new(r) as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(kept.into_iter()) as Addrs),
            }
        })
    }
}

/// The outbound client; cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    /// The same rules, but no redirect is followed (webhook deliveries: a 3xx is an answer).
    once: reqwest::Client,
    allow: Arc<Allow>,
    timeout: Duration,
}

impl Outbound {
    pub fn new(allow: &[String], timeout: Duration) -> anyhow::Result<Outbound> {
        let allow = Arc::new(Allow::new(allow));
        let redirect_allow = allow.clone();
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                return attempt.error(TooManyRedirects);
            }
            // Every call here carries a credential: it follows a redirect only where the
            // credential was meant to go (a 307/308 would re-send a token request's body too).
            if let Some(first) = attempt.previous().first() {
                if !same_destination(first, attempt.url()) {
                    let origin =
                        credvault_domain::credential::destinations::origin(attempt.url().as_str())
                            .unwrap_or_else(|| attempt.url().scheme().to_string());
                    return attempt.error(OtherOrigin { origin });
                }
            }
            match literal_refusal(&redirect_allow, attempt.url()) {
                Some(r) => attempt.error(r),
                None => attempt.follow(),
            }
        });
        let builder = || {
            reqwest::Client::builder()
                .no_proxy()
                .connect_timeout(CONNECT_TIMEOUT.min(timeout))
                .timeout(timeout)
                .dns_resolver(Arc::new(CheckedResolver {
                    allow: allow.clone(),
                }))
                .user_agent(concat!("credvault/", env!("CARGO_PKG_VERSION")))
        };
        let client = builder().redirect(policy).build()?;
        let once = builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Outbound {
            client,
            once,
            allow,
            timeout,
        })
    }

    /// Whether `url`'s host is named by `CREDVAULT_OUTBOUND_ALLOW` (a host name, or a literal
    /// address in a listed block): an operator's own service, trusted over plain http.
    pub fn listed(&self, url: &Url) -> bool {
        match url.host() {
            Some(url::Host::Domain(d)) => self.allow.host_allowed(d),
            Some(url::Host::Ipv4(v4)) => self.allow.blocks.iter().any(|b| b.contains(v4.into())),
            Some(url::Host::Ipv6(v6)) => self.allow.blocks.iter().any(|b| b.contains(v6.into())),
            None => false,
        }
    }

    /// A request to `url`, to be finished by the caller and sent with [`Outbound::send`].
    pub fn request(&self, method: Method, url: Url) -> reqwest::RequestBuilder {
        self.client.request(method, url)
    }

    /// A request to `url` that follows no redirect, sent with [`Outbound::send_once`].
    pub fn request_once(&self, method: Method, url: Url) -> reqwest::RequestBuilder {
        self.once.request(method, url)
    }

    /// Sends a request built with [`Outbound::request_once`] and reads its answer.
    pub async fn send_once(&self, req: reqwest::RequestBuilder) -> Result<Answer, OutboundError> {
        self.execute(&self.once, req).await
    }

    /// Why the rules refuse `url` as a destination people configure (a webhook): not https (http
    /// only to a host `CREDVAULT_OUTBOUND_ALLOW` lets through), or a name or address that
    /// resolves only to refused addresses. A name that does not resolve now is not refused here:
    /// every call checks again.
    pub async fn refusal_of(&self, url: &Url) -> Option<String> {
        let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
        let literal: Option<IpAddr> = host.parse().ok();
        let allowed_http = self.allow.host_allowed(host)
            || literal.is_some_and(|ip| self.allow.blocks.iter().any(|b| b.contains(ip)));
        match url.scheme() {
            "https" => {}
            "http" if allowed_http => {}
            _ => {
                return Some(
                    "must be an https URL (http only to a host CREDVAULT_OUTBOUND_ALLOW lists)"
                        .into(),
                )
            }
        }
        if host.is_empty() {
            return Some("must name a host".into());
        }
        if let Some(r) = literal_refusal(&self.allow, url) {
            return Some(r.to_string());
        }
        let port = url.port_or_known_default().unwrap_or(443);
        let found = tokio::time::timeout(
            CONNECT_TIMEOUT,
            tokio::net::lookup_host((host.to_string(), port)),
        )
        .await;
        let addrs: Vec<SocketAddr> = match found {
            Ok(Ok(a)) => a.collect(),
            _ => return None,
        };
        let refusals: Vec<Refused> = addrs
            .iter()
            .filter_map(|a| self.allow.refusal(host, a.ip()))
            .collect();
        match refusals.first() {
            Some(r) if refusals.len() == addrs.len() => Some(r.to_string()),
            _ => None,
        }
    }

    /// Sends a request built with [`Outbound::request`] and reads its answer.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Result<Answer, OutboundError> {
        self.execute(&self.client, req).await
    }

    async fn execute(
        &self,
        client: &reqwest::Client,
        req: reqwest::RequestBuilder,
    ) -> Result<Answer, OutboundError> {
        let req = req.build().map_err(|e| OutboundError::Connect {
            host: String::new(),
            detail: without_url(&e),
        })?;
        let host = req.url().host_str().unwrap_or_default().to_string();
        if let Some(r) = literal_refusal(&self.allow, req.url()) {
            return Err(OutboundError::Refused(r));
        }
        let started = Instant::now();
        let res = client
            .execute(req)
            .await
            .map_err(|e| classify(&host, e, self.timeout))?;
        let status = res.status();
        let host = res.url().host_str().unwrap_or(&host).to_string();
        let mut body = Vec::new();
        let mut stream = res.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| classify(&host, e, self.timeout))?;
            if body.len() + chunk.len() > MAX_BODY {
                return Err(OutboundError::TooLarge { host });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            body,
            latency: started.elapsed(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("too many redirects")]
struct TooManyRedirects;

#[derive(Debug, thiserror::Error)]
#[error("redirect to another origin ({origin})")]
struct OtherOrigin {
    origin: String,
}

/// Whether a redirect from `first` (the URL the call was made to) to `next` stays where the
/// credential was sent: the same origin, or the same host upgraded from http to https (on the
/// default port or the same one).
fn same_destination(first: &Url, next: &Url) -> bool {
    let same_host = first.host_str().map(str::to_ascii_lowercase)
        == next.host_str().map(str::to_ascii_lowercase);
    if !same_host {
        return false;
    }
    let (fp, np) = (first.port_or_known_default(), next.port_or_known_default());
    match (first.scheme(), next.scheme()) {
        (a, b) if a == b => fp == np,
        ("http", "https") => np == Some(443) || np == fp,
        _ => false,
    }
}

/// A URL whose host is a literal address the rules refuse.
fn literal_refusal(allow: &Allow, url: &Url) -> Option<Refused> {
    let ip = match url.host()? {
        url::Host::Ipv4(v4) => IpAddr::V4(v4),
        url::Host::Ipv6(v6) => IpAddr::V6(v6),
        url::Host::Domain(_) => return None,
    };
    allow.refusal(&ip.to_string(), ip)
}

/// Sorts a client error into our classes, looking through its causes for our own refusal.
fn classify(host: &str, e: reqwest::Error, timeout: Duration) -> OutboundError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(c) = cause {
        if let Some(r) = c.downcast_ref::<Refused>() {
            return OutboundError::Refused(r.clone());
        }
        if let Some(o) = c.downcast_ref::<OtherOrigin>() {
            return OutboundError::Redirected {
                host: host.to_string(),
                origin: o.origin.clone(),
            };
        }
        if c.downcast_ref::<TooManyRedirects>().is_some() {
            return OutboundError::TooManyRedirects {
                host: host.to_string(),
            };
        }
        cause = c.source();
    }
    if e.is_timeout() {
        return OutboundError::Timeout {
            host: host.to_string(),
            secs: timeout.as_secs(),
        };
    }
    OutboundError::Connect {
        host: host.to_string(),
        detail: without_url(&e),
    }
}

/// An error's causes as text, without the URL (which may carry a secret in its query).
fn without_url(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(c) = cause {
        parts.push(c.to_string());
        cause = c.source();
    }
    if parts.is_empty() {
        if e.is_connect() {
            "connection failed".to_string()
        } else {
            "request failed".to_string()
        }
    } else {
        parts.join(": ")
    }
}

#[cfg(test)]
mod tests;
