import { AppError, type ErrorCode } from "../errors.ts";

/** The caller, as authorization handlers and graphs see it (the LangGraph `BaseUser` shape). */
export interface AuthUser {
  identity: string;
  permissions: string[];
  is_authenticated: boolean;
  display_name: string;
  [field: string]: unknown;
}

/** What an `authenticate` handler may return: an identity string, or an object with `identity`. */
export function toAuthUser(value: unknown): AuthUser {
  if (typeof value === "string" && value.length > 0) {
    return { identity: value, permissions: [], is_authenticated: true, display_name: value };
  }
  if (value && typeof value === "object") {
    const object = value as Record<string, unknown>;
    const identity = object.identity ?? object.sub;
    if (typeof identity === "string" && identity.length > 0) {
      const permissions = Array.isArray(object.permissions) ? object.permissions.map(String) : [];
      return {
        ...object,
        identity,
        permissions,
        is_authenticated: object.is_authenticated !== false,
        display_name: typeof object.display_name === "string" ? object.display_name : identity,
      };
    }
  }
  throw new AppError("unauthorized", "authentication returned no identity");
}

const CODE_FOR_STATUS: Record<number, ErrorCode> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  422: "validation_failed",
};

/**
 * Errors thrown by user auth handlers (`HTTPException` from `@langchain/langgraph-sdk/auth`, or any
 * error with a 4xx `status`) become AppErrors with that status; anything else is a 500.
 */
export function fromHandlerError(error: unknown, fallback: ErrorCode): AppError {
  if (error instanceof AppError) return error;
  const status = (error as { status?: unknown })?.status;
  const message = (error as Error)?.message || "request refused";
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new AppError(CODE_FOR_STATUS[status] ?? fallback, message);
  }
  return new AppError("internal_error", "auth handler failed", { cause: error });
}
