import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request seen by the proxy. */
export interface SeenRequest {
  method: string;
  /** Path and query string, for example `/bucket/key?partNumber=2&uploadId=…`. */
  url: string;
}

/** A rule that responds to matching requests with an error instead of forwarding them. */
export interface FaultRule {
  matches: (request: SeenRequest) => boolean;
  status: number;
  /** S3 error code written in the XML body, for example `SlowDown`. */
  code: string;
  /** How many matching requests fail; later ones pass. */
  times: number;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of an S3 test server. It records every
 * request and can respond to chosen ones with an S3 error, which s3rver itself
 * never does. Headers pass unchanged, so SigV4 signatures stay valid.
 */
export interface FaultProxy {
  endpoint: string;
  requests: SeenRequest[];
  addFault(rule: FaultRule): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const targetUrl = new URL(target);
  const requests: SeenRequest[] = [];
  const rules: FaultRule[] = [];

  const handle = (incoming: IncomingMessage, response: ServerResponse): void => {
    const seen = { method: incoming.method ?? 'GET', url: incoming.url ?? '/' };
    requests.push(seen);

    const rule = rules.find((candidate) => candidate.times > 0 && candidate.matches(seen));
    if (rule !== undefined) {
      rule.times -= 1;
      incoming.resume();
      incoming.on('end', () => {
        response.writeHead(rule.status, { 'content-type': 'application/xml' });
        response.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${rule.code}</Code><Message>injected by the test proxy</Message></Error>`);
      });
      return;
    }

    const forwarded = request(
      { host: targetUrl.hostname, port: targetUrl.port, method: seen.method, path: seen.url, headers: incoming.headers },
      (upstream) => {
        response.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(response);
      },
    );
    forwarded.on('error', () => response.destroy());
    incoming.pipe(forwarded);
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    addFault(rule) {
      rules.push(rule);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
