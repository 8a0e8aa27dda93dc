import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One address in front of several replicas, as a load balancer without sticky sessions. */
export interface RoundRobinProxy {
  readonly url: string;
  /** Requests forwarded to each target, in the order the targets were given. */
  readonly hits: readonly number[];
  close(): Promise<void>;
}

/** Forwards each request to the next target in turn, whatever connection or cookie it came with. */
export async function startRoundRobinProxy(targets: readonly string[]): Promise<RoundRobinProxy> {
  let next = 0;
  const hits = targets.map(() => 0);
  const server: Server = createServer((req, res) => {
    const index = next++ % targets.length;
    hits[index] = (hits[index] ?? 0) + 1;
    const target = new URL(targets[index] as string);
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
