// The credvault client: the types are generated from openapi/openapi.json into schema.ts
// (`make sdk`; never edit that file), the requests are openapi-fetch's. This file only adds a
// constructor that sets the base URL and the bearer token.
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type { components, operations, paths } from "./schema.js";

/** Every schema of the contract by name: `Schemas["Credential"]`, `Schemas["Problem"]`, ... */
export type Schemas = components["schemas"];

/**
 * The media types a call's `data` and `error` are typed from: JSON (`application/json`,
 * `application/problem+json`), which openapi-fetch parses by default. An answer that is text
 * (resolve with `field`, `/metrics`) is read with `parseAs: "text"`, which types `data` as a string.
 */
export type JsonMedia = `${string}/${string}json`;

export type CredvaultClient = Client<paths, JsonMedia>;

/**
 * A client for the credvault server at `baseUrl` (e.g. `http://127.0.0.1:8080`), sending `token`
 * (a session access token or an API token) as `Authorization: Bearer`. Calls answer
 * `{ data, error, response }`: `data` on 2xx, `error` (a problem document) otherwise, and the
 * `Response` for its headers (`ETag`, `Location`, `X-Request-Id`).
 */
export function createCredvaultClient(
  baseUrl: string,
  token?: string,
  options: Omit<ClientOptions, "baseUrl"> = {},
): CredvaultClient {
  const client = createClient<paths, JsonMedia>({ ...options, baseUrl });
  if (token !== undefined) {
    client.use({
      onRequest({ request }) {
        request.headers.set("Authorization", `Bearer ${token}`);
      },
    });
  }
  return client;
}

export default createCredvaultClient;
