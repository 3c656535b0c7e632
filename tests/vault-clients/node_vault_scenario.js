// node-vault against credvault's Vault-compatible read path (mount `kv`, KV version 2). Every
// read must be exactly one `credential.used` audit event; every refusal none. Run by
// scripts/vault-clients.sh with WORLD (world.py's JSON) and NODE_PATH at the pinned install.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const nodeVault = require('node-vault');

const w = JSON.parse(fs.readFileSync(process.env.WORLD, 'utf8'));
const WF = w.workflow;

async function api(method, path, body, token, base) {
  const res = await fetch((base || w.url) + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(res.ok, `${method} ${path}: ${res.status}`);
  return res.json();
}

async function used(cred) {
  const page = await api('GET', `/v1/audit?action=credential.used&credential_id=${cred}&limit=200`, undefined, w.owner);
  return page.items.length;
}

// The status a refused call answered, with Vault's error shape.
async function status(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(Array.isArray(e.response.body.errors), JSON.stringify(e.response.body));
    return e.response.statusCode;
  }
  assert.fail('expected a refusal');
}

async function main() {
  const vault = nodeVault({ endpoint: w.url, token: w.token });

  // Authenticate.
  const me = (await vault.tokenLookupSelf()).data;
  assert.equal(me.id, w.token_id);
  assert.ok(me.policies.includes('credentials:resolve'));
  assert.ok(!JSON.stringify(me).includes(w.token));
  const stranger = nodeVault({ endpoint: w.url, token: 'cvt_not_a_token' });
  assert.equal(await status(stranger.tokenLookupSelf()), 403);

  // Read, version, one credential.used per read.
  const before = await used(w.stripe);
  let secret = await vault.read(`kv/data/${WF}/${w.stripe}`);
  const version = secret.data.metadata.version;
  assert.ok(secret.data.data.key.startsWith('sk_live_vault_clients_'));
  assert.equal(secret.data.data.prefix, 'Bearer ');
  assert.equal(await used(w.stripe), before + 1);
  assert.equal(await status(vault.read(`kv/data/${WF}/${w.stripe}?version=${version + 5}`)), 400);
  assert.equal(await used(w.stripe), before + 1);

  // Rotated: new value, new version.
  const rotated = `sk_live_vault_clients_node_${crypto.randomBytes(4).toString('hex')}`;
  await api('POST', `/v1/credentials/${w.stripe}/rotate`, { data: { key: rotated } }, w.owner);
  secret = await vault.read(`kv/data/${WF}/${w.stripe}`);
  assert.equal(secret.data.data.key, rotated);
  assert.equal(secret.data.metadata.version, version + 1);
  assert.equal(await used(w.stripe), before + 2);

  // List, with the LIST method and with GET ?list=1.
  const keys = (await vault.list(`kv/metadata/${WF}`)).data.keys;
  assert.deepEqual([...keys].sort(), [...w.declared].sort());
  const plain = nodeVault({ endpoint: w.url, token: w.token, noCustomHTTPVerbs: true });
  assert.deepEqual((await plain.list(`kv/metadata/${WF}`)).data.keys.sort(), [...w.declared].sort());

  // Refusals: 403 for the owner's missing access and for a token without the scope, 404 for
  // unknown paths; none recorded as a use.
  assert.equal(await status(vault.read(`kv/data/${WF}/${w.forbidden}`)), 403);
  assert.equal(await used(w.forbidden), 0);
  assert.equal(await status(vault.read(`kv/data/${WF}/${crypto.randomUUID()}`)), 404);
  assert.equal(await status(vault.read(`kv/data/no-such-workflow/${w.stripe}`)), 404);
  assert.equal(await status(vault.list('kv/metadata/no-such-workflow')), 404);
  const weak = nodeVault({ endpoint: w.url, token: w.weak_token });
  assert.equal(await status(weak.read(`kv/data/${WF}/${w.stripe}`)), 403);
  assert.equal(await used(w.stripe), before + 2);

  // OAuth2: each read hands out the token the provider has just issued.
  const oauthBefore = await used(w.oauth);
  for (let i = 0; i < 2; i++) {
    const token = (await vault.read(`kv/data/${WF}/${w.oauth}`)).data.data.access_token;
    const issued = await api('GET', '/issued', undefined, undefined, w.provider);
    assert.equal(token, issued.last);
  }
  assert.equal(await used(w.oauth), oauthBefore + 2);

  console.log('node-vault: authenticate, read, version, rotation, list (LIST and ?list=1), 403, 404, scope, oauth2: all as Vault');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
