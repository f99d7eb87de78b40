import { describe } from 'vitest';

/**
 * Team-mode tests run against the real PostgreSQL and Redis named by CRUCIBLE_TEST_POSTGRES_URL and
 * CRUCIBLE_TEST_REDIS_URL. Without them they skip on a laptop; with CI=true a missing one is an error,
 * so CI can never go green by skipping them.
 */
function required(name: string): string | undefined {
  const value = process.env[name];
  if (!value && process.env.CI === 'true') {
    throw new Error(`${name} must be set when CI=true: team-mode tests must run, not skip.`);
  }
  return value || undefined;
}

export const testPostgresUrl = required('CRUCIBLE_TEST_POSTGRES_URL');
export const testRedisUrl = required('CRUCIBLE_TEST_REDIS_URL');

/** `describe` when PostgreSQL is configured, else `describe.skip`. */
export const describeWithPostgres = testPostgresUrl ? describe : describe.skip;
/** `describe` when Redis is configured, else `describe.skip`. */
export const describeWithRedis = testRedisUrl ? describe : describe.skip;
