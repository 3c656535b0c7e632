// The TypeScript client against a live server (`make test` starts one and sets CREDVAULT_URL):
// sign up, create an API key credential, read it (typed `data`, masked), update it with If-Match
// from the read's ETag, register a workflow with an engine token, resolve. It type-checks with
// `tsc --noEmit` before it runs, so a change of the contract that breaks it fails there first.
import { createCredvaultClient, type Schemas } from "../src/index.js";

const baseUrl = process.env.CREDVAULT_URL ?? "http://127.0.0.1:8080";
const run = crypto.randomUUID().slice(0, 8);
const secret = `sk_live_ts_${run}_0042`;

type Answer<T> = { data?: T; error?: unknown; response: Response };

/** The body of a call that must answer `status`; anything else stops the scenario. */
function expect<T>(what: string, answer: Answer<T>, status: number): T {
  const got = answer.response.status;
  if (got !== status || answer.data === undefined) {
    throw new Error(`${what}: expected ${status}, got ${got}: ${JSON.stringify(answer.error)}`);
  }
  return answer.data;
}

/** Stops the scenario unless `ok`; an assertion, so `check(x.type === "api_key")` narrows `x`. */
function check(what: string, ok: boolean, detail: unknown = ""): asserts ok {
  if (!ok) throw new Error(`${what} ${JSON.stringify(detail)}`);
}

const anonymous = createCredvaultClient(baseUrl);
const signup = expect(
  "sign up",
  await anonymous.POST("/v1/workspaces", {
    body: {
      workspace_name: `SDK ${run}`,
      email: `ts-${run}@example.com`,
      password: "correct horse battery staple",
      display_name: "TypeScript SDK",
    },
  }),
  201,
);
const me: Schemas["User"] = signup.user;
const owner = createCredvaultClient(baseUrl, signup.tokens.access_token);

const created = expect(
  "create",
  await owner.POST("/v1/credentials", {
    params: { header: { "Idempotency-Key": `ts-${run}` } },
    body: {
      name: "Stripe (TypeScript SDK)",
      service: "stripe",
      type: "api_key",
      data: { key: secret, prefix: "Bearer " },
      tags: ["sdk"],
    },
  }),
  201,
);
const id = created.id;

const read = await owner.GET("/v1/credentials/{id}", { params: { path: { id } } });
const credential: Schemas["Credential"] = expect("read", read, 200);
const etag = read.response.headers.get("ETag");
check("the read carries an ETag", etag !== null);
check("the read is an api_key credential", credential.type === "api_key", credential.type);
const data = credential.data;
check("the read has data", data !== null && data !== undefined);
const masked = data.key;
check("the key reads masked", masked === `••••${secret.slice(-4)}`, masked);
check("no field reads in full", !JSON.stringify(data).includes(secret));

const stale = await owner.PATCH("/v1/credentials/{id}", {
  params: { path: { id }, header: { "If-Match": '"not-the-etag"' } },
  body: { name: "never stored" },
});
check("a stale If-Match is refused with 412", stale.response.status === 412, stale.error);

const updated = await owner.PATCH("/v1/credentials/{id}", {
  params: { path: { id }, header: { "If-Match": etag } },
  body: { name: "Stripe live (TypeScript SDK)", tags: ["sdk", "payments"] },
});
check("the update is stored", expect("update", updated, 200).name === "Stripe live (TypeScript SDK)");
check("the update changes the ETag", updated.response.headers.get("ETag") !== etag);

const engineToken = expect(
  "engine token",
  await owner.POST("/v1/tokens", {
    body: { name: `engine ${run}`, kind: "engine", scopes: ["credentials:resolve", "workflows:write"] },
  }),
  201,
);
const engine = createCredvaultClient(baseUrl, engineToken.token);
const workflowId = `ts-sdk-${run}`;
const workflow = expect(
  "register a workflow",
  await engine.PUT("/v1/workflows/{workflow_id}", {
    params: { path: { workflow_id: workflowId } },
    body: { name: "TypeScript SDK", owner_id: me.id, credential_ids: [id] },
  }),
  201,
);
check("the workflow is the owner's", workflow.owner.id === me.id, workflow.owner);

const resolved = expect(
  "resolve",
  await engine.POST("/v1/credentials/{id}/resolve", {
    params: { path: { id } },
    body: { workflow_id: workflowId, execution_id: `run-${run}` },
  }),
  200,
);
check("resolve answers an api_key credential", resolved.type === "api_key", resolved.type);
check("resolve answers the key in full", resolved.data.key === secret);
check("resolve answers the current version", resolved.version === created.version);

console.log(`typescript client: sign-up, create, read (masked), If-Match update, engine workflow, resolve: ok (${baseUrl})`);
