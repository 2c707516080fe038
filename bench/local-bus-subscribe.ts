/**
 * What a join costs the in-process bus as the relay holds more rooms: a room's
 * subscriptions (media, presence, control, one targeted) subscribed and dropped
 * while R other rooms have published (so their subjects are cached). Before this
 * change every subscribe scanned every cached subject; now it walks only the
 * branch its pattern names. Baseline in the same run: the old scan, re-created
 * here as a LocalBus subclass would have done it (same cache, linear invalidate).
 *
 * Run: npx tsx bench/local-bus-subscribe.ts
 */
import { subjectMatches } from '../server/bus/bus.js';
import { LocalBus } from '../server/bus/local-bus.js';
import { subjects } from '../server/bus/subjects.js';

const payload = new Uint8Array(16);

/** Subscribes and drops one room's subscriptions `n` times; returns µs per join+leave. */
function joinLeave(bus: LocalBus, n: number): number {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const room = `bench-${i}`;
    const subs = [
      bus.subscribe(subjects.anyMedia(room, 'audio'), () => {}),
      bus.subscribe(subjects.presence(room), () => {}),
      bus.subscribe(subjects.roomControl(room), () => {}),
      bus.subscribe(subjects.to(room, 'abcdefghijkl'), () => {}),
    ];
    for (const s of subs) s.unsubscribe();
  }
  return ((performance.now() - start) * 1000) / n;
}

/** The cost the old invalidate had: a scan of every cached subject, split and matched. */
function oldScan(cached: string[], pattern: string[], n: number): number {
  const start = performance.now();
  let hits = 0;
  for (let i = 0; i < n; i++) {
    // 4 subscribes and 4 unsubscribes per join+leave, each one scan.
    for (let k = 0; k < 8; k++) for (const s of cached) if (subjectMatches(pattern, s.split('.'))) hits++;
  }
  if (hits < 0) console.log(hits);
  return ((performance.now() - start) * 1000) / n;
}

console.log('rooms cached | join+leave now (µs) | old scan alone (µs) | ratio');
for (const rooms of [10, 100, 1000, 5000]) {
  const bus = new LocalBus();
  const cached: string[] = [];
  for (let r = 0; r < rooms; r++) {
    const room = `room-${r}`;
    bus.subscribe(subjects.anyMedia(room, 'audio'), () => {});
    bus.subscribe(subjects.presence(room), () => {});
    for (const s of [
      subjects.media(room, 'p1', 'audio'),
      subjects.media(room, 'p2', 'audio'),
      subjects.presence(room),
    ]) {
      bus.publish(s, payload);
      cached.push(s);
    }
  }
  const n = 2000;
  joinLeave(bus, 200); // warm-up
  const now = joinLeave(bus, n);
  const scan = oldScan(
    cached,
    subjects.anyMedia('bench-x', 'audio').split('.'),
    Math.max(20, Math.floor(n / Math.max(1, rooms / 50))),
  );
  console.log(
    `${String(rooms).padStart(12)} | ${now.toFixed(2).padStart(19)} | ${scan.toFixed(2).padStart(19)} | ${(scan / now).toFixed(1)}x`,
  );
  await bus.close();
}
