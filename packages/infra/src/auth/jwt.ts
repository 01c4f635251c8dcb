import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import { AppError } from "../errors.ts";
import type { AuthUser } from "./user.ts";

export interface JwtOptions {
  /** HS256 shared secret (Supabase's JWT secret, for example). */
  secret?: string;
  /** JWKS endpoint; keys are cached and fetched again when a token names an unknown `kid`. */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Allowed clock difference for `exp`/`nbf`, in seconds. */
  clockToleranceSeconds?: number;
  /** Least time between two JWKS fetches caused by unknown key ids (default 5 s). */
  jwksCooldownMs?: number;
}

const ASYMMETRIC = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/** The bearer token of a request: `Authorization: Bearer …`, else `x-supabase-access-token`. */
export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1];
  }
  return request.headers.get("x-supabase-access-token") ?? undefined;
}

/** A verifier of bearer JWTs; every failure is a 401 whose message names the reason, never the token. */
export function createJwtAuthenticator(options: JwtOptions): (request: Request) => Promise<AuthUser> {
  if (!options.secret && !options.jwksUrl) throw new Error("JWT auth needs a secret or a JWKS URL");
  const key: Uint8Array | JWTVerifyGetKey = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl), {
        cooldownDuration: options.jwksCooldownMs ?? 5000,
        cacheMaxAge: 10 * 60_000,
      })
    : new TextEncoder().encode(options.secret);
  const algorithms = options.jwksUrl ? ASYMMETRIC : ["HS256"];
  return async (request) => {
    const token = bearerToken(request);
    if (!token) throw new AppError("unauthorized", "missing bearer token (Authorization: Bearer <jwt>)");
    let payload: JWTPayload;
    try {
      const verified = await jwtVerify(token, key as Uint8Array, {
        algorithms,
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: options.clockToleranceSeconds ?? 0,
      });
      payload = verified.payload;
    } catch (error) {
      throw new AppError("unauthorized", reasonOf(error));
    }
    if (typeof payload.sub !== "string" || payload.sub.length === 0) {
      throw new AppError("unauthorized", "token has no sub claim");
    }
    return userFromClaims(payload);
  };
}

function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "token expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "nbf") return "token not yet valid";
    if (error.claim === "iss") return "token issuer is not accepted";
    if (error.claim === "aud") return "token audience is not accepted";
    return `token claim '${error.claim}' is invalid`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return "token algorithm is not accepted";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "token signature is invalid";
  if (error instanceof errors.JWKSNoMatchingKey) return "token key id is not in the key set";
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return "key set unavailable";
  if (error instanceof errors.JOSEError) return "malformed token";
  return "token could not be verified";
}

/** `sub` is the identity; permissions from a `permissions` array or a `scope` string; Supabase's email and role kept. */
function userFromClaims(claims: JWTPayload): AuthUser {
  const identity = claims.sub as string;
  const permissions = Array.isArray(claims.permissions)
    ? claims.permissions.map(String)
    : typeof claims.scope === "string"
      ? claims.scope.split(/\s+/).filter(Boolean)
      : [];
  const extra: Record<string, unknown> = {};
  for (const field of ["email", "role", "name"] as const) {
    if (typeof claims[field] === "string") extra[field] = claims[field];
  }
  const displayName = (extra.name ?? extra.email ?? identity) as string;
  return { ...extra, identity, permissions, is_authenticated: true, display_name: displayName };
}
