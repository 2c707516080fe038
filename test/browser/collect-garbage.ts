/// <reference types="mocha" />
// Imported by the browser test files that open cameras: after each test, the page collects its
// garbage (the runner starts Chromium with --js-flags=--expose-gc).
//
// Why: the elements a test removed keep some of the fake camera's capture buffers until they are
// collected. Chromium shares one camera between the elements of a page (and the tests that follow),
// and once enough buffers wait for a collection the camera delivers no frames at all until one
// happens: on a loaded machine a test then saw no video for 10 s and more. Observed with two
// elements on one page under CPU load (camera off and on, then the next test's join); a collection
// brought the frames back at once.

const collect = (globalThis as { gc?: () => void }).gc;

afterEach(() => {
  collect?.();
});
