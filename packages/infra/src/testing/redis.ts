import { connectRedis, type RedisConnections } from "../redis/connection.ts";

/** The Redis the integration tests use: TEST_REDIS_URL or REDIS_URL (`bun run test:all` provisions one). */
export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL;
  if (!url)
    throw new Error("Redis integration tests need TEST_REDIS_URL or REDIS_URL; `bun run test:all` provisions one");
  return url;
}

/** A pair of connections to the test Redis, as one process would hold them. */
export function testRedis(clientName?: string): Promise<RedisConnections> {
  return connectRedis(testRedisUrl(), { clientName });
}
