import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { LeaderTasks } from './leader-tasks.js';
import type { LeaderTask } from './leader-tasks.js';

const silent = pino({ level: 'silent' });

/** A task that records its transitions; its start waits for `startGate` when given. */
function fake(name: string, log: string[], startGate?: Promise<void>): LeaderTask {
  return {
    name,
    async start() {
      log.push(`${name}:starting`);
      await startGate;
      log.push(`${name}:started`);
    },
    async stop() {
      log.push(`${name}:stopped`);
    },
  };
}

describe('LeaderTasks', () => {
  it('starts tasks only while leading, including ones added later, and stops them when leadership ends', async () => {
    const log: string[] = [];
    const tasks = new LeaderTasks(silent);
    tasks.add(fake('a', log));
    await tasks.settled();
    expect(log).toEqual([]);
    await tasks.setLeading(true);
    tasks.add(fake('b', log));
    await tasks.settled();
    expect(tasks.running).toEqual(['a', 'b']);
    await tasks.setLeading(false);
    expect(tasks.running).toEqual([]);
    expect(log).toEqual(['a:starting', 'a:started', 'b:starting', 'b:started', 'a:stopped', 'b:stopped']);
  });

  it('never stops a task before its start finished, however fast leadership flaps', async () => {
    const log: string[] = [];
    const tasks = new LeaderTasks(silent);
    let finishStart!: () => void;
    tasks.add(fake('slow', log, new Promise<void>((r) => (finishStart = r))));
    void tasks.setLeading(true);
    await vi.waitFor(() => expect(log).toEqual(['slow:starting'])); // start in progress (until finishStart)
    void tasks.setLeading(false);
    void tasks.setLeading(true);
    const last = tasks.setLeading(false);
    finishStart();
    await last;
    // The flaps queued behind the slow start collapse into the final state.
    expect(log).toEqual(['slow:starting', 'slow:started', 'slow:stopped']);
    expect(tasks.running).toEqual([]);
  });

  it('keeps a task whose start threw out of the running set and retries it on the next transition', async () => {
    let fail = true;
    const tasks = new LeaderTasks(silent);
    tasks.add({
      name: 'flaky',
      start() {
        if (fail) throw new Error('boom');
      },
      stop: async () => undefined,
    });
    await tasks.setLeading(true);
    expect(tasks.running).toEqual([]);
    fail = false;
    await tasks.setLeading(true);
    expect(tasks.running).toEqual(['flaky']);
  });

  it('stops a removed task, and stops everything for good on close', async () => {
    const log: string[] = [];
    const tasks = new LeaderTasks(silent);
    await tasks.setLeading(true);
    const remove = tasks.add(fake('a', log));
    tasks.add(fake('b', log));
    await tasks.settled();
    await remove();
    expect(tasks.running).toEqual(['b']);
    await tasks.close();
    await tasks.setLeading(true);
    expect(tasks.leading).toBe(false);
    expect(tasks.running).toEqual([]);
    expect(log.filter((l) => l.endsWith('stopped'))).toEqual(['a:stopped', 'b:stopped']);
  });

  it('refuses a task without start/stop', () => {
    const tasks = new LeaderTasks(silent);
    expect(() => tasks.add({ name: 'x' } as LeaderTask)).toThrow('task must have start() and stop()');
  });
});
