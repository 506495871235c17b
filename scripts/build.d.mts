// Types of scripts/build.mjs for the TypeScript that calls it (the test run's global setup, the build test).
export interface BuildResult {
  /** Files in the output, besides the stamp. */
  files: number
  /** Files whose content changed (the others were left untouched). */
  written: number
  ms: number
}

export function build(options?: { root?: string; outdir?: string }): Promise<BuildResult>
