/** Error codes shared by every route; the HTTP layer maps each to a status. */
export type ErrorCode =
  | "bad_request"
  | "validation_failed"
  | "not_found"
  | "conflict"
  | "payload_too_large"
  | "unavailable"
  | "unauthorized"
  | "forbidden"
  | "internal_error";

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  validation_failed: 422,
  internal_error: 500,
  unavailable: 503,
};

/** A domain error with a stable code; packages throw it, the HTTP layer renders it. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options?: { details?: unknown; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = "AppError";
    this.code = code;
    this.details = options?.details;
  }

  get status(): number {
    return STATUS[this.code];
  }

  toJSON(): { error: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { error: this.code, message: this.message }
      : { error: this.code, message: this.message, details: this.details };
  }
}

/**
 * Unknown id of a resource: `notFound("thread", id)`. The texts follow the reference server's
 * (`Thread with ID <id> not found`, `Assistant not found`), which SDK users see as the error message.
 */
export function notFound(resource: string, id: string): AppError {
  if (resource === "assistant") return new AppError("not_found", `Assistant not found: '${id}'`);
  const name = resource.charAt(0).toUpperCase() + resource.slice(1);
  return new AppError("not_found", `${name} with ID ${id} not found`);
}

export function conflict(message: string, details?: unknown): AppError {
  return new AppError("conflict", message, { details });
}

export function badRequest(message: string, details?: unknown): AppError {
  return new AppError("bad_request", message, { details });
}

export function validationFailed(message: string, details?: unknown): AppError {
  return new AppError("validation_failed", message, { details });
}
