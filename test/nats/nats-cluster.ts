/**
 * Real `nats-server` clusters for tests, on loopback: writes one config per
 * server into a temporary directory (free ports picked here), starts the
 * servers with routes to each other, and waits until every server's `/routez`
 * shows its routes. Servers can be killed and restarted (same ports and config)
 * to test failover. Every process started here is killed by `stop()`, and on
 * process exit as a last resort: tests never leave servers behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian puts nats-server; else whatever `nats-server` is on the PATH. */
export const NATS_SERVER = existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server';

/** Bound of every wait here. */
const WAIT_MS = 10_000;

const running = new Set<ChildProcess>();
const dirs = new Set<string>();
const killAll = (): void => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
};
process.on('exit', killAll);
// Interrupted (Ctrl-C, a runner stopping its workers): kill the children, then die of the same signal.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

/** Kills `child` when this process exits or is interrupted, if it is still running then. */
export function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

export interface NatsClusterOptions {
  /** Servers in the cluster. Default 3. */
  size?: number;
  /** `max_payload` of every server, in bytes. Default NATS's own (1 MB). */
  maxPayload?: number;
}

/** One server of the cluster. */
export interface NatsServerNode {
  readonly name: string;
  /** Client URL, `nats://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly httpPort: number;
  readonly clusterPort: number;
  readonly config: string;
  process: ChildProcess | undefined;
  /** The server's last log lines (stderr), for failure messages. */
  log: string;
}

export class NatsCluster {
  private constructor(
    readonly dir: string,
    readonly servers: NatsServerNode[],
  ) {}

  /** Starts the cluster and resolves once every server has a route to every other. */
  static async start(options: NatsClusterOptions = {}): Promise<NatsCluster> {
    const size = options.size ?? 3;
    const dir = mkdtempSync(join(tmpdir(), 'vc-nats-'));
    dirs.add(dir);
    const ports = await freePorts(size * 3);
    const servers: NatsServerNode[] = [];
    for (let i = 0; i < size; i++) {
      const [port, httpPort, clusterPort] = ports.slice(i * 3, i * 3 + 3);
      servers.push({
        name: `n${i + 1}`,
        url: `nats://127.0.0.1:${port}`,
        port,
        httpPort,
        clusterPort,
        config: join(dir, `n${i + 1}.conf`),
        process: undefined,
        log: '',
      });
    }
    for (const server of servers) {
      const routes = servers
        .filter((other) => other !== server)
        .map((other) => `nats-route://127.0.0.1:${other.clusterPort}`);
      writeFileSync(
        server.config,
        [
          `server_name: ${server.name}`,
          `listen: 127.0.0.1:${server.port}`,
          `http: 127.0.0.1:${server.httpPort}`,
          options.maxPayload ? `max_payload: ${options.maxPayload}` : '',
          'cluster {',
          '  name: vc-test',
          `  listen: 127.0.0.1:${server.clusterPort}`,
          `  routes: [${routes.join(', ')}]`,
          '}',
          '',
        ].join('\n'),
      );
    }
    const cluster = new NatsCluster(dir, servers);
    try {
      for (const server of servers) cluster.spawn(server);
      await cluster.waitForRoutes();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Client URLs of every server, in order. */
  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }

  /** Kills server `i` (SIGKILL: no lame duck mode, clients see the connection drop) and waits until it is gone. */
  async kill(i: number): Promise<void> {
    const child = this.servers[i].process;
    if (!child) return;
    await stopProcess(child, 'SIGKILL');
    this.servers[i].process = undefined;
  }

  /** Starts server `i` again with its config and waits until the cluster has all its routes back. */
  async restart(i: number): Promise<void> {
    if (this.servers[i].process) throw new Error(`${this.servers[i].name} is running`);
    this.spawn(this.servers[i]);
    await this.waitForRoutes();
  }

  /** Routes server `i` reports in `/routez` now. */
  async routes(i: number): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${this.servers[i].httpPort}/routez`, {
      signal: AbortSignal.timeout(2000),
    });
    const body = (await res.json()) as { num_routes?: number };
    return body.num_routes ?? 0;
  }

  /** Waits until every running server has a route to every other running server. */
  async waitForRoutes(timeoutMs = WAIT_MS): Promise<void> {
    const up = this.servers.map((s, i) => (s.process ? i : -1)).filter((i) => i >= 0);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const counts = await Promise.all(up.map((i) => this.routes(i).catch(() => -1)));
      if (counts.every((n) => n >= up.length - 1)) return;
      if (Date.now() > deadline) {
        const last = counts.map((n, k) => `${this.servers[up[k]].name}: ${n}`).join(', ');
        const logs = up.map((i) => `--- ${this.servers[i].name}\n${this.servers[i].log.slice(-1500)}`).join('\n');
        throw new Error(`NATS routes not up after ${timeoutMs} ms (${last})\n${logs}`);
      }
      await sleep(50);
    }
  }

  /** Kills every server and removes the configs. Idempotent. */
  async stop(): Promise<void> {
    await Promise.all(
      this.servers.map(async (server) => {
        if (server.process) await stopProcess(server.process, 'SIGKILL');
        server.process = undefined;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
    dirs.delete(this.dir);
  }

  private spawn(server: NatsServerNode): void {
    const child = spawn(NATS_SERVER, ['-c', server.config], { stdio: ['ignore', 'ignore', 'pipe'] });
    killOnExit(child);
    child.once('error', (err) => (server.log += `\nspawn failed: ${err.message}`));
    child.stderr?.on('data', (d: Buffer) => {
      server.log = (server.log + d.toString()).slice(-8000);
    });
    server.process = child;
  }
}

/** Whether `nats-server` can be run here (the tests skip, saying so, when not). */
export function hasNatsServer(): boolean {
  if (existsSync('/usr/sbin/nats-server')) return true;
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, 'nats-server')));
}

/** `count` distinct free TCP ports on 127.0.0.1 (held open together, so no duplicates). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

/** Sends `signal` and waits (bounded) for the process to exit; SIGKILL if it will not. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals, timeoutMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
