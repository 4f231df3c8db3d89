import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** A running s3rver on 127.0.0.1 with one empty bucket, in its own temporary folder. */
export interface S3TestServer {
  /** `http://127.0.0.1:<port>`; use it with `forcePathStyle: true`. */
  endpoint: string;
  port: number;
  bucket: string;
  region: string;
  /** s3rver's fixed test key pair; requests signed with another secret are rejected. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Folder that holds the buckets' files. */
  directory: string;
  /** Stops the server, keeping its files, so `resume()` can bring the same objects back. */
  suspend(): Promise<void>;
  /** Starts the server again on the same port and folder after `suspend()`. */
  resume(): Promise<void>;
  /** Stops the server and deletes its folder. */
  stop(): Promise<void>;
}

/** Starts s3rver on a free loopback port with a bucket named `bucket` (default `sweep-test`). */
export async function startS3Server(options: { bucket?: string } = {}): Promise<S3TestServer> {
  const bucket = options.bucket ?? 'sweep-test';
  const directory = await mkdtemp(join(tmpdir(), 'sweep-s3rver-'));

  const create = (port: number): S3rver =>
    new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket }] });

  let server: S3rver | undefined = create(0);
  const { port } = await server.run();

  const close = async (): Promise<void> => {
    if (server === undefined) {
      return;
    }
    const running = server;
    server = undefined;
    // Drop keep-alive connections too, so clients see the server go away at once.
    running.httpServer?.closeAllConnections();
    await running.close();
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    directory,
    suspend: close,
    async resume() {
      if (server !== undefined) {
        return;
      }
      const next = create(port);
      await next.run();
      server = next;
    },
    async stop() {
      await close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
