/**
 * Fuzzing the relay's WebTransport entry points over the real HTTP/3 stack
 * (quiche on both sides, UDP on loopback): generated inputs (arbitrary bytes,
 * envelopes with arbitrary fields, mutated envelopes; see
 * test/server/fuzz-inputs.ts) go in on the control stream (length-prefixed or
 * raw), as datagrams, as whole unidirectional streams, on streams with a
 * made-up header, and on extra bidirectional streams, while a WebTransport and
 * a WebSocket participant keep a call going in the same room. The relay must
 * stay up, the pair undisturbed, and the bad input refused and counted.
 * Bounded by count (`FUZZ_WT_RUNS`; 600 in the suite, 20,000 in `npm run fuzz`).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lengthPrefixed, TrackKind } from '../../src/protocol/index.js';
import type { Relay } from '../../server/relay.js';
import { loadQuiche } from '../../server/webtransport/quic-binding.js';
import { input, lazySample, memoryMiB, SEED } from '../server/fuzz-inputs.js';
import { startTestRelay, TestClient, waitFor } from '../server/helpers.js';
import { WtTestParticipant } from './wt-test-participant.js';

/** Each input may cost a QUIC handshake (bad input closes the session), so fewer than the WebSocket pass: 20,000 in a long run. */
const RUNS = Number(process.env.FUZZ_WT_RUNS ?? (process.env.FUZZ_RUNS ? 20_000 : 600));

/** Where an input goes in. */
const carrier = fc.constantFrom('control', 'control-raw', 'datagram', 'stream', 'uni-raw', 'bidi');

const quiche = await loadQuiche();

describe.skipIf(!quiche.ok)('fuzzing WebTransport', () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startTestRelay({ joinsPerAddressPerMinute: 1_000_000, maxConnectionsPerAddress: 1000 });
  });
  afterAll(async () => {
    await relay.close();
  });

  it(
    `a live relay takes ${RUNS} generated inputs on WebTransport streams and datagrams; the call beside them goes on`,
    async () => {
      const a = await WtTestParticipant.joined(relay, 'wt-fuzz', 'a');
      const b = await TestClient.joined(relay, 'wt-fuzz', 'b');
      const memoryBefore = memoryMiB();
      const inputs = lazySample(fc.tuple(carrier, input, fc.nat()), RUNS, SEED);
      let fuzzer: WtTestParticipant | undefined;
      let sessions = 0;
      let uniRaw = 1000;
      // As the element does: a Ping on a timer, whatever the loop below is waiting for.
      const heartbeat = setInterval(() => {
        a.sendControl({ ping: { time: Date.now() } });
        if (b.isOpen) b.send({ ping: { time: Date.now() } });
      }, 2000);
      const started = Date.now();
      let longestStepMs = 0;
      let stepStarted = Date.now();
      let i = -1;
      for (const [via, data, n] of inputs) {
        i++;
        longestStepMs = Math.max(longestStepMs, Date.now() - stepStarted);
        stepStarted = Date.now();
        if (!fuzzer || fuzzer.client.closed || fuzzer.controlEnded) {
          await fuzzer?.close();
          fuzzer = await WtTestParticipant.connect(relay, `fuzzer${sessions++}`);
          // Half the time as a joined participant, to reach what only a joined one can send.
          if (sessions % 2 === 0) await fuzzer.join('wt-fuzz', 'fuzzer').catch(() => undefined);
        }
        try {
          switch (via) {
            case 'control':
              fuzzer.sendControlRaw(lengthPrefixed(data));
              break;
            case 'control-raw':
              fuzzer.sendControlRaw(data, n % 8 === 0);
              break;
            case 'datagram':
              if (data.length <= 1100) fuzzer.sendDatagram(data);
              break;
            case 'stream':
              fuzzer.sendStream(data, n % 5 !== 0);
              break;
            case 'uni-raw':
              // A client unidirectional stream with whatever header (0x54 or not) the bytes start with.
              uniRaw += 4;
              fuzzer.client.send(2 + uniRaw * 4, data.subarray(0, 1000), true);
              break;
            case 'bidi':
              fuzzer.openExtraBidi(data.subarray(0, 1000));
              break;
          }
        } catch {
          // The client's own limits (streams, flow control) or a session the relay closed: the next input reconnects.
          await fuzzer.close();
          fuzzer = undefined;
        }
        // Let the relay read as we go.
        if (i % 8 === 7) await new Promise((resolve) => setTimeout(resolve, 1));
        if (i % 200 === 199) {
          a.sendMedia(`tick-${i}`, { kind: TrackKind.AUDIO });
          await b.nextMedia(`tick-${i}`, 3000);
          b.sendMedia(`tock-${i}`, { kind: TrackKind.VIDEO, keyframe: true });
          await a.nextMedia(`tock-${i}`, 3000);
          // The fuzzer's joins and leaves pile up in the pair's inboxes: keep only what is checked at the end.
          for (const inbox of [a.inbox, b.inbox] as { body?: string }[][]) {
            const errors = inbox.filter((e) => e.body === 'error');
            inbox.splice(0, inbox.length, ...errors);
          }
        }
      }
      const elapsedMs = Date.now() - started;
      clearInterval(heartbeat);
      await fuzzer?.close();
      a.sendMedia('after-fuzz', { kind: TrackKind.VIDEO, keyframe: true }, 20_000);
      await b.nextMedia('after-fuzz');
      expect(a.inbox.filter((e) => e.body === 'error')).toEqual([]);
      expect(b.inbox.filter((e) => e.body === 'error')).toEqual([]);
      const stats = relay.stats();
      const errors = Object.values(stats.errors).reduce((x, v) => x + v, 0);
      const refusedStreams = Object.values(stats.webTransport.refusedStreams).reduce((x, v) => x + v, 0);
      expect(errors + refusedStreams).toBeGreaterThan(RUNS / 20);
      expect(stats.errors['internal'] ?? 0).toBe(0);
      expect((await fetch(`${relay.url}/healthz`)).status).toBe(200);
      // Nothing left behind: the fuzzer's sessions are all gone.
      await waitFor(() => relay.stats().webTransport.sessions === 1, 10_000, 'the fuzzer sessions closed');
      // A fresh session still joins.
      const c = await WtTestParticipant.joined(relay, 'wt-fuzz', 'c');
      await c.close();
      console.log(
        `fuzz (WebTransport): ${RUNS} inputs in ${(elapsedMs / 1000).toFixed(1)} s (longest step ${longestStepMs} ms), ${sessions} fuzzer sessions, ` +
          `${errors} errors and ${refusedStreams} refused streams counted; memory before ${memoryBefore}, after ${memoryMiB()}`,
      );
      await a.close();
      b.close();
    },
    Math.max(120_000, RUNS * 20),
  );
});
