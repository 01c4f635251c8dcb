/**
 * Polls `${url}/ok` until it answers 2xx; fails early when the server process exits, and after
 * `timeoutMs`. For tests and benchmarks that start a server as a child process.
 */
export async function waitForOk(
  url: string,
  proc: { exitCode: number | null },
  what: string,
  timeoutMs = 120_000,
  describe: () => string = () => "",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}${describe()}`);
    const ok = await fetch(`${url}/ok`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await Bun.sleep(250);
  }
  throw new Error(`${what} did not answer /ok within ${timeoutMs} ms${describe()}`);
}
