/// <reference types="mocha" />
import { expect } from '@open-wc/testing';

describe('browser test harness', () => {
  it('runs in Chromium with WebCodecs', () => {
    expect(typeof VideoEncoder).to.equal('function');
  });
});
