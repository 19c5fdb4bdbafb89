import type { DwsMetrics } from '../metrics/metrics.interface.js';
import { encodeEvent } from '../protocol/codec.js';
import { ReservedEvent } from '../protocol/frames.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { Connection } from './connection.js';

/**
 * Every `intervalMs`: terminates the connections that did not answer the previous ping, pings the
 * others and sends them the current reader positions (one frame built for all, except for a
 * connection whose session token `renewToken` renews: its frame carries the new token).
 * @returns the timer (unref'ed), for `clearInterval`.
 */
export function startHeartbeat(
  connections: ConnectionRegistry,
  intervalMs: number,
  currentPositions: () => string[],
  metrics: DwsMetrics,
  renewToken: (connection: Connection, now: number) => string | null,
): NodeJS.Timeout {
  const timer = setInterval(() => {
    // Positions advance even for clients whose topics were quiet, so that their next resume
    // starts from here and not from a position the retention window has since dropped.
    const current = currentPositions();
    const positions = Buffer.from(encodeEvent(ReservedEvent.Positions, { positions: current }));
    const now = Date.now();
    let sent = 0;
    for (const connection of connections.values()) {
      if (!connection.alive) {
        connection.ws.terminate();
        continue;
      }
      connection.alive = false;
      if (!connection.open) continue;
      connection.ws.ping();
      if (connection.held !== null) continue;
      const sessionToken = renewToken(connection, now);
      connection.send(
        sessionToken === null
          ? positions
          : encodeEvent(ReservedEvent.Positions, { positions: current, sessionToken }),
      );
      sent++;
    }
    metrics.framesSent('positions', sent);
  }, intervalMs);
  timer.unref();
  return timer;
}
