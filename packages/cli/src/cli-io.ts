/** Anything text can be written to: `process.stdout`, a test buffer. */
export interface TextSink {
  write(chunk: string): unknown;
}

/**
 * The process boundary of one CLI run. `main` takes it as a parameter so
 * tests can run commands in-process with captured output, fake stdin and a
 * controlled environment.
 */
export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Read fully when a command is given `-` as a file (policy rules, bootstrap secret). */
  readonly stdin: AsyncIterable<string | Uint8Array>;
  /** Source of TOLLGATE_ / NOMAD_ ADDR, TOKEN and REGION. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where commands that write files (`tls ca create`) put them. @default process.cwd() */
  readonly cwd?: string;
}

/** The real process streams and environment; the default of `main`. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}
