export { main } from './main.js';
export type { CliIo, TextSink } from './cli-io.js';
export { CliUsageError, TollgateCliError } from './errors.js';
export { formatGoTime, formatKV, formatList } from './format.js';
export { formatToken } from './token-output.js';
export type { RunAgentCommand } from './commands/agent.js';
