/// <reference types="mocha" />
import { expect, waitUntil } from '@open-wc/testing';
import type { VideocallRoomElement } from '../../../src/element/videocall-room.js';
import '../collect-garbage.js';

interface Relays {
  open: string;
}
const relays: Relays = await (await fetch('/__relays.json')).json();

/** A page in an iframe whose browser has no WebCodecs (removed before the bundle loads). */
async function pageWithoutWebCodecs(): Promise<HTMLIFrameElement> {
  const frame = document.createElement('iframe');
  frame.style.cssText = 'width: 640px; height: 480px; border: 0';
  const page = `<!doctype html><html lang="en"><head>
    <script>delete window.VideoEncoder; delete window.VideoDecoder;</script>
    <script type="module" src="${location.origin}/dist/videocall-room.js"></script></head><body></body></html>`;
  frame.src = URL.createObjectURL(new Blob([page], { type: 'text/html' }));
  const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  document.body.append(frame);
  await loaded;
  await waitUntil(() => frame.contentWindow!.customElements.get('videocall-room'), 'the bundle did not load');
  return frame;
}

describe('<videocall-room> in a browser without WebCodecs', () => {
  it('says so at once, with a stable error code, instead of a blank element', async () => {
    const frame = await pageWithoutWebCodecs();
    try {
      const doc = frame.contentDocument!;
      expect(typeof (frame.contentWindow as unknown as { VideoEncoder?: unknown }).VideoEncoder).to.equal('undefined');
      const errors: { code: string; fatal: boolean }[] = [];
      const el = doc.createElement('videocall-room') as VideocallRoomElement;
      el.setAttribute('server', relays.open);
      el.setAttribute('room', 'wtr-no-webcodecs');
      el.setAttribute('name', 'Ada');
      doc.body.append(el);
      // Listening right after adding it, as a page script does, still hears it.
      el.addEventListener('vc-error', (e) => errors.push({ code: e.code, fatal: e.fatal }));
      await waitUntil(() => errors.length > 0, 'no vc-error');
      await el.updateComplete;
      const overlay = el.shadowRoot!.querySelector<HTMLElement>('[part~="overlay"][part~="unsupported"]');
      expect(overlay, 'no message').to.not.equal(null);
      expect(overlay!.textContent).to.match(/cannot make video calls.*WebCodecs/);
      expect(overlay!.getAttribute('role')).to.equal('alert');
      // Nothing to retry: no button.
      expect(overlay!.querySelector('button')).to.equal(null);
      // Visible: the element has its size and the message is in it.
      const box = overlay!.getBoundingClientRect();
      expect(box.width).to.be.above(300);
      expect(box.height).to.be.above(200);
      const failure = await el.join().then(
        () => null,
        (error: { code?: string }) => error,
      );
      expect(failure?.code).to.equal('webcodecs-unsupported');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(errors).to.deep.equal([{ code: 'webcodecs-unsupported', fatal: true }]);
    } finally {
      frame.remove();
    }
  });
});
