/**
 * Helpers for relays on a NATS cluster: relays in this process (on a bus the
 * test controls) or in a child process (to crash them), and the waits the
 * cluster tests share. Every wait is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NatsBus, type NatsBusOptions } from '../../server/bus/nats-bus.js';
import type { Relay, RelayOptions } from '../../server/relay.js';
import type { Health } from '../../server/http-routes.js';
import { startTestRelay, TestClient, waitFor } from '../server/helpers.js';
import { afterAll, beforeAll } from 'vitest';
import { killOnExit, NatsCluster, stopProcess, type NatsClusterOptions } from './nats-cluster.js';

/** Cluster timings for tests: heartbeats every 300 ms, so a silent node is gone in about a second. */
export const FAST: RelayOptions = { nodeHeartbeatMs: 300, rosterSyncTimeoutMs: 1000 };

/** A relay and the NATS bus it runs on (closed with it). */
export interface ClusterRelay extends Relay {
  readonly natsBus: NatsBus;
}

/**
 * A relay on `servers`, tried in that order (no randomizing), so a test knows
 * which NATS server each relay starts on.
 */
export async function startClusterRelay(
  servers: string[],
  options: RelayOptions = {},
  bus: Partial<NatsBusOptions> = {},
): Promise<ClusterRelay> {
  const natsBus = await NatsBus.connect({ servers, randomize: false, reconnectTimeWaitMs: 250, ...bus });
  const relay = await startTestRelay({ ...FAST, ...options, bus: natsBus });
  const close = relay.close.bind(relay);
  return {
    ...relay,
    natsBus,
    close: async () => {
      await close();
      await natsBus.close();
    },
  };
}

/** A relay in a child process, to be killed like a crash. */
export interface RelayProcess {
  readonly url: string;
  readonly wsUrl: string;
  readonly node: string;
  readonly child: ChildProcess;
  /** SIGKILL: no goodbye, no PeerLeft; the others must notice by themselves. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

const relayProcessEntry = fileURLToPath(new URL('./relay-process.ts', import.meta.url));

export async function startRelayProcess(options: RelayOptions): Promise<RelayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', relayProcessEntry, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const stop = (): Promise<void> => stopProcess(child, 'SIGKILL');
  killOnExit(child);
  try {
    await waitFor(() => out.includes('\n') || child.exitCode !== null, 20_000, 'the relay process to listen');
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}; stderr: ${err}`, { cause: e });
  }
  if (child.exitCode !== null) throw new Error(`relay process exited ${child.exitCode}: ${err}`);
  const ready = JSON.parse(out.split('\n')[0]) as { url: string; wsUrl: string; node: string };
  return {
    ...ready,
    child,
    crash: stop,
    stop: () => stopProcess(child, 'SIGTERM'),
  };
}

export async function health(relay: { url: string }): Promise<Health> {
  const res = await fetch(`${relay.url}/healthz`, { signal: AbortSignal.timeout(2000) });
  return (await res.json()) as Health;
}

export async function metricsText(relay: { url: string }): Promise<string> {
  const res = await fetch(`${relay.url}/metrics`, { signal: AbortSignal.timeout(2000) });
  return res.text();
}

/** Waits until every relay knows `n` live relay nodes (itself included). */
export async function waitForNodes(relays: { url: string }[], n: number, timeoutMs = 10_000): Promise<void> {
  const counts: (number | undefined)[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await Promise.all(relays.map((r) => health(r).then((h) => h.nodes)));
    counts.splice(0, counts.length, ...all);
    if (all.every((c) => c === n)) return;
    if (Date.now() > deadline)
      throw new Error(`relays know ${counts.join(', ')} nodes, not ${n}, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Sends numbered frames from `sender` every 20 ms until `receiver` got one whose
 * number is at least the first sent after the call, then stops: proves media flows
 * now (not just that old frames arrived). Rejects after `timeoutMs`.
 */
export async function mediaFlows(
  sender: TestClient,
  receiver: TestClient,
  tag: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let n = 0;
  for (;;) {
    sender.sendMedia(`${tag}-${n++}`);
    try {
      await receiver.nextMedia(`${tag}-`, 20);
      // Drop the rest of this probe so later waits see only new frames.
      for (let i = receiver.inbox.length - 1; i >= 0; i--)
        if (receiver.inbox[i].body === 'media') receiver.inbox.splice(i, 1);
      return;
    } catch {
      if (Date.now() > deadline)
        throw new Error(`no media from ${sender.label} reached ${receiver.label} within ${timeoutMs} ms`);
    }
  }
}

/** `list` starting at `i`: relay i tries NATS server i first, then the others. */
export const rotate = <T>(list: T[], i: number): T[] => [...list.slice(i), ...list.slice(0, i)];

/** A suite's NATS cluster with a relay on each server, and the clients its tests made. */
export interface RelayCluster {
  /** Set once the suite's `beforeAll` ran. */
  nats: NatsCluster;
  /** Filled in place by `beforeAll` (relay i starts on server i), so a suite may keep the array. */
  readonly relays: ClusterRelay[];
  /** Closed after the suite, before the relays. */
  readonly clients: TestClient[];
}

/**
 * Starts a NATS cluster (`options`, three servers by default) and one relay per
 * server before the suite's tests, once they all see each other, and stops
 * everything after them.
 */
export function useRelayCluster(options: NatsClusterOptions = {}, relayOptions: RelayOptions = {}): RelayCluster {
  const cluster = { relays: [], clients: [] } as unknown as RelayCluster;
  beforeAll(async () => {
    cluster.nats = await NatsCluster.start(options);
    const urls = cluster.nats.urls;
    cluster.relays.push(...(await Promise.all(urls.map((_, i) => startClusterRelay(rotate(urls, i), relayOptions)))));
    await waitForNodes(cluster.relays, urls.length);
  });
  afterAll(async () => {
    for (const c of cluster.clients) c.close();
    await Promise.all(cluster.relays.map((r) => r.close()));
    await cluster.nats?.stop();
  });
  return cluster;
}
