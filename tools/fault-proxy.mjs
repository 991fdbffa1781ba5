// A TCP fault proxy for tests, on 127.0.0.1 only: sits between a client and a
// real server and, per connection, can cut after N bytes, stall, reset, or
// flip a byte in flight. Faults are set (and changed) while it runs.
//
//   const proxy = await startFaultProxy({ targetPort: 2222 });
//   proxy.setFault({ mode: 'cut', afterBytes: 1_000_000, direction: 'up', connections: 1 });
//   ... client connects to proxy.port ...
//   await proxy.close();
import { connect, createServer } from 'node:net';

/**
 * fault: { mode: 'none'|'cut'|'reset'|'stall'|'corrupt', afterBytes = 0,
 *          direction: 'up' (client->server) | 'down' | 'both' = 'both',
 *          connections: how many connections it applies to (default all) }
 */
export async function startFaultProxy({ targetHost = '127.0.0.1', targetPort, port = 0 } = {}) {
  let fault = { mode: 'none' };
  let remaining = Number.POSITIVE_INFINITY;
  const sockets = new Set();
  const stats = { connections: 0, faulted: 0, bytesUp: 0, bytesDown: 0 };

  const server = createServer((client) => {
    stats.connections++;
    const active = remaining > 0 && fault.mode !== 'none' ? fault : { mode: 'none' };
    if (active.mode !== 'none') {
      remaining--;
      stats.faulted++;
    }
    const upstream = connect({ host: targetHost, port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const counted = { up: 0, down: 0 };
    let triggered = false;

    const pipe = (from, to, direction) => {
      from.on('data', (chunk) => {
        counted[direction] += chunk.length;
        if (direction === 'up') stats.bytesUp += chunk.length;
        else stats.bytesDown += chunk.length;
        const applies =
          active.mode !== 'none' && (active.direction ?? 'both') !== (direction === 'up' ? 'down' : 'up');
        if (applies && !triggered && counted[direction] > (active.afterBytes ?? 0)) {
          triggered = true;
          const keep = chunk.length - (counted[direction] - (active.afterBytes ?? 0));
          if (active.mode === 'corrupt') {
            const copy = Buffer.from(chunk);
            const at = Math.max(0, keep);
            copy[at] = (copy[at] ?? 0) ^ 0xff;
            to.write(copy);
            return;
          }
          if (keep > 0) to.write(chunk.subarray(0, keep));
          if (active.mode === 'cut') {
            client.end();
            upstream.end();
            setTimeout(() => {
              client.destroy();
              upstream.destroy();
            }, 10);
          } else if (active.mode === 'reset') {
            client.resetAndDestroy();
            upstream.resetAndDestroy();
          } else if (active.mode === 'stall') {
            from.pause(); // never resumes: the peer sees a stalled connection
          }
          return;
        }
        if (triggered && active.mode !== 'corrupt') return;
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
      from.on('end', () => to.end());
    };
    pipe(client, upstream, 'up');
    pipe(upstream, client, 'down');
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });

  return {
    port: server.address().port,
    stats,
    /** Set the fault for new connections; `connections` limits how many get it. */
    setFault(next) {
      fault = next;
      remaining = next.connections ?? Number.POSITIVE_INFINITY;
    },
    clearFault() {
      fault = { mode: 'none' };
    },
    /** Drop every open connection now. */
    dropAll() {
      for (const socket of sockets) socket.destroy();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
