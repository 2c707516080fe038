/**
 * Typed access to the mocha globals the test runner installs. `@types/mocha`
 * is not a dependency, and a global declaration here would clash with it the
 * day it is added, so the functions are re-exported from this module instead.
 */
interface TestContext {
  timeout(ms: number): void;
}
type TestFn = (this: TestContext) => void | Promise<void>;
interface MochaGlobals {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: TestFn): void;
  before(fn: TestFn): void;
  after(fn: TestFn): void;
  afterEach(fn: TestFn): void;
}
const mocha = globalThis as unknown as MochaGlobals;

export const describe = (name: string, fn: () => void): void => mocha.describe(name, fn);
export const it = (name: string, fn: TestFn): void => mocha.it(name, fn);
export const before = (fn: TestFn): void => mocha.before(fn);
export const after = (fn: TestFn): void => mocha.after(fn);
export const afterEach = (fn: TestFn): void => mocha.afterEach(fn);
