import type { Request, Response } from 'express';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import { DEFAULTS } from '../config/defaults.js';

export interface EventStream {
  send(event: string, data: unknown, id?: string): void;
  /** Runs when the client goes away. */
  onClose(cleanup: () => void): void;
}

/**
 * Starts a Server-Sent Events answer: `event: <name>`, `data: <JSON>`, one per
 * change. When `closing` aborts (the process is shutting down) the stream
 * ends at once: an open stream never finishes by itself, so waiting for it
 * would hold the shutdown for its whole grace period. Clients reconnect
 * (to another replica) and resume with `Last-Event-ID`.
 */
export function openEventStream(req: Request, res: Response, metrics: ServiceMetrics, closing?: AbortSignal): EventStream {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Accel-Buffering', 'no');
  // The connection ends with the stream instead of idling in keep-alive, so a closing server lets it go.
  res.setHeader('Connection', 'close');
  res.flushHeaders();
  res.write(': revocast change stream\n\n');
  metrics.changeStreams.inc();
  const cleanups: Array<() => void> = [];
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), DEFAULTS.keepaliveMs);
  keepalive.unref();
  const end = () => {
    if (!res.writableEnded) res.end();
  };
  if (closing?.aborted === true) queueMicrotask(end);
  else closing?.addEventListener('abort', end, { once: true });
  req.on('close', () => {
    closing?.removeEventListener('abort', end);
    clearInterval(keepalive);
    metrics.changeStreams.dec();
    for (const cleanup of cleanups) cleanup();
  });
  return {
    send(event, data, id) {
      // A change or a fleet read can land after the client went away.
      if (res.destroyed || res.writableEnded) return;
      res.write(`event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`);
    },
    onClose(cleanup) {
      cleanups.push(cleanup);
    },
  };
}
