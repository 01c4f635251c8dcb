/** The code of the error the embedded database's watchdog fails statements with. */
export const EMBEDDED_DATABASE_STUCK = "FRACTAL_EMBEDDED_DB_STUCK";

/** Socket and PostgreSQL error codes that mean "the database cannot be reached now", not a bad request. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EPIPE",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, shutting down)
  "57014", // query_canceled: the statement timeout
  EMBEDDED_DATABASE_STUCK,
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
]);

const UNREACHABLE_MESSAGES = [
  "Connection terminated",
  "timeout exceeded when trying to connect",
  "Client has encountered a connection error",
  "Connection ended unexpectedly",
];

/** Whether an error (or what caused it) says the database is unreachable or timed out. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === "string" && UNREACHABLE_CODES.has(code)) return true;
    if (typeof message === "string" && UNREACHABLE_MESSAGES.some((m) => message.includes(m))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
