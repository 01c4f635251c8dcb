import { AppError } from "../errors.ts";
import { createJwtAuthenticator, type JwtOptions } from "./jwt.ts";
import { type AuthUser, fromHandlerError, toAuthUser } from "./user.ts";

export type Authenticate = (request: Request) => Promise<AuthUser>;

/**
 * The request authenticator: a user `authenticate` handler when given (it may throw an
 * HTTPException), else JWT verification. Either way the result is an AuthUser or a 401.
 */
export function createAuthenticator(options: {
  jwt?: JwtOptions;
  custom?: (request: Request) => unknown;
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
    throw new AppError("unauthorized", "no authenticator is configured");
  };
}
