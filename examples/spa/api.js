// A small credvault client for the browser: plain fetch, bearer tokens, problem+json errors.
// The session's tokens live in sessionStorage (this tab only) so that they survive the trip to an
// OAuth provider and back; anything that can run script in this origin can read them, so serve
// a page like this one with a strict Content-Security-Policy and no third-party script.

const KEY = "credvault-spa";

/** An RFC 9457 problem answered by credvault, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || (status ? `http_${status}` : "network_error");
    this.requestId = problem.request_id || null;
    this.errors = problem.errors || [];
  }
}

export class Client {
  constructor() {
    const saved = JSON.parse(sessionStorage.getItem(KEY) || "{}");
    this.base = saved.base || "";
    this.tokens = saved.tokens || null;
  }

  get signedIn() {
    return this.tokens !== null;
  }

  save() {
    sessionStorage.setItem(KEY, JSON.stringify({ base: this.base, tokens: this.tokens }));
  }

  async signIn(base, email, password) {
    this.base = base.replace(/\/+$/, "");
    const { body } = await this.call("POST", "/v1/auth/login", { body: { email, password }, auth: false });
    this.tokens = body;
    this.save();
  }

  async signOut() {
    try {
      await this.call("POST", "/v1/auth/logout", { retry: false });
    } finally {
      this.tokens = null;
      this.save();
    }
  }

  /** One call: `{status, body, etag}`, or an ApiError. A 401 tries the refresh token once. */
  async call(method, path, { body, ifMatch, auth = true, retry = true } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth && this.tokens) headers.Authorization = `Bearer ${this.tokens.access_token}`;
    if (ifMatch) headers["If-Match"] = ifMatch;
    let res;
    try {
      res = await fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      // A refused connection and a CORS refusal look the same to a page: say where to look.
      throw new ApiError(0, { detail: `cannot reach ${this.base} (${e.message}); is it running, and is this page's origin in CREDVAULT_CORS_ORIGINS?` });
    }
    if (res.status === 401 && auth && retry && this.tokens) {
      if (await this.refresh()) return this.call(method, path, { body, ifMatch, auth, retry: false });
    }
    const text = await res.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = { detail: text.slice(0, 200) };
    }
    if (!res.ok) {
      if (res.status === 401 && auth) {
        this.tokens = null;
        this.save();
      }
      throw new ApiError(res.status, parsed || {});
    }
    // ETag is readable here only because credvault lists it in Access-Control-Expose-Headers.
    return { status: res.status, body: parsed, etag: res.headers.get("ETag") };
  }

  async refresh() {
    try {
      const { body } = await this.call("POST", "/v1/auth/refresh", {
        body: { refresh_token: this.tokens.refresh_token },
        auth: false,
      });
      this.tokens = body;
      this.save();
      return true;
    } catch {
      return false;
    }
  }

  listCredentials(cursor) {
    const q = new URLSearchParams({ limit: "50", sort: "name" });
    if (cursor) q.set("cursor", cursor);
    return this.call("GET", `/v1/credentials?${q}`);
  }

  getCredential(id) {
    return this.call("GET", `/v1/credentials/${encodeURIComponent(id)}`);
  }

  updateCredential(id, changes, etag) {
    return this.call("PATCH", `/v1/credentials/${encodeURIComponent(id)}`, { body: changes, ifMatch: etag });
  }

  /** Where to send the browser; the provider comes back to credvault, which sends it to returnTo. */
  authorize(id, returnTo) {
    return this.call("POST", `/v1/credentials/${encodeURIComponent(id)}/oauth/authorize`, {
      body: { return_to: returnTo },
    });
  }
}
