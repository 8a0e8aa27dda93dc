import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';

export interface PrefixProxy {
  /** The proxy's origin; the service answers under `${url}${prefix}/`. */
  readonly url: string;
  /** Drops every open connection and answers 502 until {@link resume}, like a service restart seen through the proxy. */
  cut(): void;
  /** Requests answered 502 while cut. */
  readonly refused: number;
  /** Serves again after {@link cut}. */
  resume(): void;
  close(): Promise<void>;
}

/**
 * A minimal reverse proxy that mounts `target` under `prefix` (as nginx's
 * `location /revocast/ { proxy_pass http://service/; }` does): it strips the
 * prefix and passes everything else through unchanged, Location headers
 * included, so only relative redirects keep working.
 */
export async function startPrefixProxy(target: string, prefix: string): Promise<PrefixProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  let down = false;
  let refused = 0;
  const server: Server = createServer((req, res) => {
    if (down) {
      // What nginx answers while the service behind it is down.
      refused += 1;
      res.writeHead(502, { 'content-type': 'text/plain', connection: 'close' }).end('bad gateway');
      return;
    }
    const url = req.url ?? '/';
    if (url !== prefix && !url.startsWith(`${prefix}/`) && !url.startsWith(`${prefix}?`)) {
      res.writeHead(404).end('not under the prefix');
      return;
    }
    const path = url.slice(prefix.length) || '/';
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: path.startsWith('/') ? path : `/${path}`,
        headers: req.headers,
      },
      (answer: IncomingMessage) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('socket', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get refused() {
      return refused;
    },
    cut() {
      down = true;
      for (const socket of sockets) socket.destroy();
    },
    resume() {
      down = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
