export const CHROMIUM_PATH: string;
export function chromiumArgs(extra?: string[]): string[];
export function freshProfileDir(): string;
