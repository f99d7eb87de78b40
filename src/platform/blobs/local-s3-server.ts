import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

/** A throwaway S3-compatible server for tests: s3rver on 127.0.0.1, a free port and a temp dir. */
export interface LocalS3Server {
  endpoint: string;
  /** Credentials s3rver accepts (it checks signatures against these fixed values). */
  accessKeyId: string;
  secretAccessKey: string;
  /** Where s3rver keeps buckets, objects and in-progress multipart parts. */
  directory: string;
  close(): Promise<void>;
}

/** Starts s3rver with the given buckets created; close() stops it and removes its files. Test use only (s3rver is a devDependency). */
export async function startLocalS3Server(buckets: string[]): Promise<LocalS3Server> {
  const directory = await mkdtemp(path.join(tmpdir(), 'crucible-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    directory,
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
