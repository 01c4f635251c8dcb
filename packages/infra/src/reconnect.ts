/** Wait before reconnection attempt `attempt` (from 0): 50 ms, doubling, at most 5 s. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 10), 5_000);
}
