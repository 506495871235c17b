// Types of scripts/source-fingerprint.mjs for the TypeScript that calls it.
export const STAMP_FILE: string
export function sourceFingerprint(root: string): string
export function isTestFile(name: string): boolean
export function buildStatus(root: string, dist: string): 'fresh' | 'stale' | 'missing'
