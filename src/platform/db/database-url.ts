/** The URLs that select PostgreSQL (team mode). Kept apart from postgres.ts so that checking needs no `pg`. */
export function isPostgresUrl(url: string | undefined): url is string {
  return !!url && /^postgres(ql)?:\/\//i.test(url);
}
