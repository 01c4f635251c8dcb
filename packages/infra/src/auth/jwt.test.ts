import { afterAll, describe, expect, test } from "bun:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { AppError } from "../errors.ts";
import { rejection } from "../storage/testing/rejection.ts";
import { bearerToken, createJwtAuthenticator } from "./jwt.ts";

const SECRET = "a-test-secret-of-at-least-32-bytes!!";
const key = new TextEncoder().encode(SECRET);
const now = () => Math.floor(Date.now() / 1000);

function sign(claims: Record<string, unknown>, options: { secret?: Uint8Array; alg?: string } = {}) {
  return new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? "HS256" }).sign(options.secret ?? key);
}

const request = (token?: string, header = "authorization") =>
  new Request(
    "http://x/threads",
    token ? { headers: { [header]: header === "authorization" ? `Bearer ${token}` : token } } : {},
  );

async function reason(authenticate: (r: Request) => Promise<unknown>, r: Request): Promise<string> {
  const error = await rejection(authenticate(r));
  expect(error).toBeInstanceOf(AppError);
  expect((error as unknown as AppError).status).toBe(401);
  return (error as Error).message;
}

describe("JWT authentication (HS256)", () => {
  const authenticate = createJwtAuthenticator({ secret: SECRET, issuer: "https://issuer.test", audience: "fractal" });
  const good = { sub: "user-1", iss: "https://issuer.test", aud: "fractal", exp: now() + 60 };

  test("a valid token gives the sub as identity, with permissions and display fields", async () => {
    const token = await sign({ ...good, permissions: ["admin"], email: "u1@example.com" });
    expect(await authenticate(request(token))).toEqual({
      identity: "user-1",
      permissions: ["admin"],
      is_authenticated: true,
      display_name: "u1@example.com",
      email: "u1@example.com",
    });
    // x-supabase-access-token is accepted instead of Authorization.
    expect((await authenticate(request(token, "x-supabase-access-token"))).identity).toBe("user-1");
  });

  test("each bad token is a 401 naming why, never echoing the token", async () => {
    const cases: Array<[string, Promise<string> | string]> = [
      ["token expired", sign({ ...good, exp: now() - 120 })],
      ["token not yet valid", sign({ ...good, nbf: now() + 600 })],
      ["token issuer is not accepted", sign({ ...good, iss: "https://evil.test" })],
      ["token audience is not accepted", sign({ ...good, aud: "someone-else" })],
      [
        "token signature is invalid",
        sign(good, { secret: new TextEncoder().encode("another-secret-of-32-bytes-length!!") }),
      ],
      ["token algorithm is not accepted", sign(good, { alg: "HS512" })],
      ["malformed token", "not.a.jwt"],
      ["malformed token", "garbage"],
      ["token has no sub claim", sign({ ...good, sub: undefined })],
    ];
    for (const [expected, tokenPromise] of cases) {
      const token = await tokenPromise;
      const message = await reason(authenticate, request(token));
      expect([expected, message]).toEqual([expected, expected]);
      expect(message).not.toContain(token);
    }
    const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    const body = Buffer.from(JSON.stringify(good)).toString("base64url");
    expect(await reason(authenticate, request(`${header}.${body}.`))).toBe("token algorithm is not accepted");
    const real = await sign(good);
    const [h, , s] = real.split(".");
    const forged = Buffer.from(JSON.stringify({ ...good, sub: "admin" })).toString("base64url");
    expect(await reason(authenticate, request(`${h}.${forged}.${s}`))).toBe("token signature is invalid");
    expect(await reason(authenticate, request())).toContain("missing bearer token");
    expect(await reason(authenticate, new Request("http://x", { headers: { authorization: "Basic abc" } }))).toContain(
      "missing bearer token",
    );
  });

  test("clock skew tolerance admits a token that expired within it", async () => {
    const lenient = createJwtAuthenticator({ secret: SECRET, clockToleranceSeconds: 30 });
    const token = await sign({ sub: "u", exp: now() - 10 });
    expect((await lenient(request(token))).identity).toBe("u");
    expect(await reason(createJwtAuthenticator({ secret: SECRET }), request(token))).toBe("token expired");
  });

  test("Supabase tokens work with their standard claims", async () => {
    const supabase = createJwtAuthenticator({
      secret: SECRET,
      issuer: "https://project.supabase.co/auth/v1",
      audience: "authenticated",
    });
    const token = await sign({
      sub: "0d3f9c1e-0000-4000-8000-000000000001",
      iss: "https://project.supabase.co/auth/v1",
      aud: "authenticated",
      role: "authenticated",
      email: "ada@example.com",
      exp: now() + 3600,
      app_metadata: { provider: "email" },
    });
    expect(await supabase(request(token))).toMatchObject({
      identity: "0d3f9c1e-0000-4000-8000-000000000001",
      role: "authenticated",
      email: "ada@example.com",
      display_name: "ada@example.com",
    });
  });

  test("bearerToken reads Authorization, else x-supabase-access-token", () => {
    expect(bearerToken(new Request("http://x", { headers: { authorization: "bearer abc" } }))).toBe("abc");
    expect(bearerToken(new Request("http://x", { headers: { "x-supabase-access-token": "xyz" } }))).toBe("xyz");
    expect(bearerToken(new Request("http://x"))).toBeUndefined();
  });
});

describe("JWT authentication (JWKS)", () => {
  let keys: Array<Record<string, unknown>> = [];
  let fetches = 0;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch() {
      fetches++;
      return Response.json({ keys });
    },
  });
  afterAll(() => server.stop(true));

  test("keys come from the JWKS URL, are cached, and an unknown kid fetches them again", async () => {
    const first = await generateKeyPair("RS256");
    const second = await generateKeyPair("RS256");
    keys = [{ ...(await exportJWK(first.publicKey)), kid: "k1", alg: "RS256" }];
    const authenticate = createJwtAuthenticator({
      jwksUrl: `http://127.0.0.1:${server.port}/jwks`,
      audience: "fractal",
      jwksCooldownMs: 0,
    });
    const signed = (privateKey: CryptoKey, kid: string, sub: string) =>
      new SignJWT({ sub, aud: "fractal", exp: now() + 60 }).setProtectedHeader({ alg: "RS256", kid }).sign(privateKey);
    expect((await authenticate(request(await signed(first.privateKey, "k1", "alice")))).identity).toBe("alice");
    expect((await authenticate(request(await signed(first.privateKey, "k1", "alice")))).identity).toBe("alice");
    expect(fetches).toBe(1);
    // Key rotation: a token with a new kid makes the verifier fetch the set again.
    keys = [...keys, { ...(await exportJWK(second.publicKey)), kid: "k2", alg: "RS256" }];
    expect((await authenticate(request(await signed(second.privateKey, "k2", "bob")))).identity).toBe("bob");
    expect(fetches).toBe(2);
    // An HS256 token cannot pass as a JWKS one (algorithm confusion).
    const hs = await sign({ sub: "mallory", aud: "fractal", exp: now() + 60 });
    expect(await reason(authenticate, request(hs))).toBe("token algorithm is not accepted");
  });
});
