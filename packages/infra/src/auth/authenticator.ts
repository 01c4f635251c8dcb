import { AppError } from "../errors.ts";
import { type ApiKeyEntry, createApiKeyAuthenticator } from "./api-keys.ts";
import { createJwtAuthenticator, type JwtOptions } from "./jwt.ts";
import { type AuthUser, fromHandlerError, toAuthUser } from "./user.ts";

export type Authenticate = (request: Request) => Promise<AuthUser>;

/**
 * The request authenticator: an operator's API key (`x-api-key`) when keys are configured and the
 * request carries one; else a user `authenticate` handler when given (it may throw an
 * HTTPException), else JWT verification. Either way the result is an AuthUser or a 401.
 */
export function createAuthenticator(options: {
  jwt?: JwtOptions;
  custom?: (request: Request) => unknown;
  apiKeys?: ApiKeyEntry[];
}): Authenticate {
  const rest = otherAuthenticator(options);
  if (!options.apiKeys?.length) return rest;
  const byKey = createApiKeyAuthenticator(options.apiKeys);
  return async (request) => byKey(request) ?? rest(request);
}

function otherAuthenticator(options: {
  jwt?: JwtOptions;
  custom?: (request: Request) => unknown;
  apiKeys?: unknown[];
}): Authenticate {
  if (options.custom) {
    const custom = options.custom;
    return async (request) => {
      let result: unknown;
      try {
        result = await custom(request);
      } catch (error) {
        throw fromHandlerError(error, "unauthorized");
      }
      return toAuthUser(result);
    };
  }
  if (options.jwt) return createJwtAuthenticator(options.jwt);
  return async () => {
    throw new AppError(
      "unauthorized",
      options.apiKeys?.length ? "missing x-api-key" : "no authenticator is configured",
    );
  };
}
