/**
 * Mouth-to-ear measurement: a known signal in at one page's microphone, detected
 * at the other page's audio output.
 *
 * - {@link syntheticMicrophoneScript} (sender): `getUserMedia`'s audio becomes a
 *   Web Audio track carrying a 40 ms 880 Hz burst every {@link BURST_PERIOD_MS},
 *   silence between. Each burst's start is recorded on the pages' shared clock
 *   (`performance.timeOrigin + performance.now()`) in `window.vcBursts`.
 * - {@link outputOnsetDetectorScript} (receiver): every connection a page makes to
 *   an `AudioContext`'s destination is also fed to a detector worklet, which reports
 *   the context time of each burst onset (the first sample over a threshold after
 *   silence); the page maps it to the shared clock in `window.vcOnsets`.
 *
 * Both sides map context time to the shared clock with `getOutputTimestamp()`,
 * which says when a rendered sample reaches the output device. The sender's burst
 * leaves through a MediaStream at render time, one output latency earlier than
 * that, so the sender subtracts its context's output latency; the receiver keeps
 * its own (the ear hears the sample when the device plays it). What is measured:
 * capture → Opus encode → send → relay → receive → decode → jitter buffer →
 * worklet → output, as a person would hear it.
 */

/** One burst every this many ms: far longer than any delay measured, so each onset pairs with one burst. */
export const BURST_PERIOD_MS = 500;
const BURST_MS = 40;

/** Sender init script (run before the page's own): the microphone plays bursts. */
export function syntheticMicrophoneScript(): string {
  const config = JSON.stringify({ period: BURST_PERIOD_MS / 1000, burst: BURST_MS / 1000 });
  return `(() => {
  const config = ${config};
  const md = navigator.mediaDevices;
  const original = md.getUserMedia.bind(md);
  window.vcBursts = [];
  let track = null;
  function start() {
    const ctx = new AudioContext({ sampleRate: 48000, latencyHint: 'interactive' });
    const osc = ctx.createOscillator();
    osc.frequency.value = 880;
    const gain = ctx.createGain();
    gain.gain.value = 0;
    const out = ctx.createMediaStreamDestination();
    osc.connect(gain).connect(out);
    osc.start();
    let next = 0;
    // Schedule bursts a little ahead on the audio clock (sample-exact, whatever the main thread does).
    function schedule() {
      if (ctx.state !== 'running') return;
      if (next < ctx.currentTime + 0.1) next = ctx.currentTime + 0.2;
      while (next < ctx.currentTime + 1) {
        gain.gain.setValueAtTime(0.5, next);
        gain.gain.setValueAtTime(0, next + config.burst);
        const stamp = ctx.getOutputTimestamp();
        const latency = (ctx.outputLatency || 0) + (ctx.baseLatency || 0);
        if (stamp.contextTime > 0)
          window.vcBursts.push(performance.timeOrigin + stamp.performanceTime + (next - stamp.contextTime - latency) * 1000);
        next += config.period;
      }
    }
    void ctx.resume();
    setInterval(schedule, 100);
    track = out.stream.getAudioTracks()[0];
    return track;
  }
  md.getUserMedia = async (constraints) => {
    if (!constraints || !constraints.audio || constraints.video) return original(constraints);
    const audio = (track && track.readyState === 'live' ? track : start()).clone();
    return new MediaStream([audio]);
  };
})();`;
}

/** The detector worklet's source: reports `{ onset: contextTime }` for each burst heard. */
const DETECTOR = `
class OnsetDetector extends AudioWorkletProcessor {
  constructor() { super(); this.quiet = 0; }
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) { this.quiet += 128; return true; }
    let first = -1;
    for (let i = 0; i < channel.length; i++) if (Math.abs(channel[i]) > 0.1) { first = i; break; }
    if (first >= 0) {
      // An onset only after 150 ms of quiet: one report per burst.
      if (this.quiet >= sampleRate * 0.15) this.port.postMessage({ onset: currentTime + first / sampleRate });
      this.quiet = 0;
    } else {
      this.quiet += channel.length;
    }
    return true;
  }
}
registerProcessor('vc-onset-detector', OnsetDetector);
`;

/** Receiver init script: detects burst onsets in everything the page plays. */
export function outputOnsetDetectorScript(): string {
  return `(() => {
  window.vcOnsets = [];
  const url = URL.createObjectURL(new Blob([${JSON.stringify(DETECTOR)}], { type: 'text/javascript' }));
  const detectors = new WeakMap();
  function detectorOf(ctx) {
    let entry = detectors.get(ctx);
    if (entry) return entry;
    entry = { node: null, pending: [] };
    detectors.set(ctx, entry);
    ctx.audioWorklet.addModule(url).then(() => {
      const node = new AudioWorkletNode(ctx, 'vc-onset-detector', { numberOfOutputs: 0 });
      node.port.onmessage = (event) => {
        const stamp = ctx.getOutputTimestamp();
        window.vcOnsets.push(performance.timeOrigin + stamp.performanceTime + (event.data.onset - stamp.contextTime) * 1000);
      };
      entry.node = node;
      for (const source of entry.pending) source.connect(node);
      entry.pending = [];
    });
    return entry;
  }
  const connect = AudioNode.prototype.connect;
  AudioNode.prototype.connect = function (destination, ...rest) {
    const result = connect.call(this, destination, ...rest);
    if (destination instanceof AudioDestinationNode) {
      const entry = detectorOf(destination.context);
      if (entry.node) connect.call(this, entry.node);
      else entry.pending.push(this);
    }
    return result;
  };
})();`;
}

/** Pairs each onset with the latest burst before it: mouth-to-ear delays in ms. */
export function mouthToEarDelays(bursts: number[], onsets: number[]): number[] {
  const sorted = [...bursts].sort((a, b) => a - b);
  const delays: number[] = [];
  for (const onset of onsets) {
    let best: number | undefined;
    for (const burst of sorted) {
      if (burst > onset) break;
      best = burst;
    }
    if (best !== undefined && onset - best < BURST_PERIOD_MS) delays.push(onset - best);
  }
  return delays;
}
