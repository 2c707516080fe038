/** Session ids (and node ids) are short base64url tokens: also valid bus subject tokens. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value);
}
