// Go's time.ParseDuration grammar: an optional sign, then one or more
// decimal numbers each with a unit; a bare "0" is also valid.
const GO_DURATION = /^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$/;

/**
 * True when `text` is a duration Go's `time.ParseDuration` accepts (`"90s"`,
 * `"1h30m"`, `"1.5h"`). The CLI only checks the syntax and sends the text on;
 * the agent converts it and enforces its TTL bounds.
 */
export function isGoDuration(text: string): boolean {
  return GO_DURATION.test(text);
}
