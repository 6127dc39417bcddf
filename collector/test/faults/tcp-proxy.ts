import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a ClickHouse HTTP endpoint that a test can break the
 * way a real outage does: `cut()` closes the listener (connections refused) and
 * resets every open connection; `loseResponses()` keeps forwarding requests but
 * resets the client's connection as soon as the server starts answering, so the
 * server has done the work and the client never hears of it. `hang()` takes
 * connections and never answers on them, as a host gone from the network
 * behind a load balancer or a firewall that drops packets does.
 */
export type ProxyMode = 'up' | 'down' | 'lose-responses' | 'hang';

export interface TcpProxy {
  readonly url: string;
  readonly port: number;
  readonly mode: ProxyMode;
  /** Connections reset because the upstream answered while responses were being lost. */
  readonly lostResponses: number;
  cut(): Promise<void>;
  loseResponses(): Promise<void>;
  hang(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let mode: ProxyMode = 'up';
  let lostResponses = 0;
  let port = 0;
  let server: Server | null = null;

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const onConnection = (client: Socket) => {
    track(client);
    if (mode === 'down') {
      client.resetAndDestroy();
      return;
    }
    if (mode === 'hang') {
      // Held open, read from, never answered.
      client.on('error', () => {});
      client.resume();
      return;
    }
    const upstream = createConnection(target);
    track(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (mode === 'lose-responses') {
        lostResponses++;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      if (!client.write(chunk)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
    });
    upstream.on('end', () => client.end());
    const fail = () => {
      if (!client.destroyed) client.resetAndDestroy();
      upstream.destroy();
    };
    client.on('error', fail);
    upstream.on('error', fail);
    client.on('close', () => upstream.destroy());
  };

  const listen = async () => {
    const next = createServer(onConnection);
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      // The same port on restore, so the client's configured URL works again.
      next.listen(port, '127.0.0.1', () => resolve());
    });
    server = next;
    const address = next.address();
    if (address && typeof address === 'object') port = address.port;
  };

  const stopListening = async () => {
    const current = server;
    server = null;
    if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
  };

  const resetAll = () => {
    for (const socket of sockets) socket.resetAndDestroy();
  };

  await listen();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get mode() {
      return mode;
    },
    get lostResponses() {
      return lostResponses;
    },
    async cut() {
      mode = 'down';
      const closed = stopListening();
      resetAll();
      await closed;
    },
    async loseResponses() {
      mode = 'lose-responses';
      resetAll();
      if (!server) await listen();
    },
    async hang() {
      mode = 'hang';
      // Open connections are reset, so the client's next request opens one that hangs.
      resetAll();
      if (!server) await listen();
    },
    async restore() {
      // Connections held by a hang would keep their requests waiting for the client's timeout.
      if (mode === 'hang') resetAll();
      mode = 'up';
      if (!server) await listen();
    },
    async close() {
      mode = 'down';
      const closed = stopListening();
      resetAll();
      await closed;
    },
  };
}
