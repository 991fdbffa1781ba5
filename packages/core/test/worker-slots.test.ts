import { threadId, Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerSlots } from '../src/worker-slots.js';

// A thread that answers { id, thread, value } after `delay` ms, or exits when asked.
const SOURCE = `
const { parentPort, threadId } = require('node:worker_threads');
parentPort.on('message', (job) => {
  if (job.exit) process.exit(3);
  setTimeout(() => parentPort.postMessage({ id: job.id, thread: threadId, value: job.value }), job.delay ?? 0);
});`;

type Reply = { id: number; thread: number; value: unknown };

describe('WorkerSlots', () => {
  let slots: WorkerSlots<Reply> | undefined;
  afterEach(async () => {
    await slots?.terminate();
  });

  it('sends each job to the least busy thread, starting threads up to the size', async () => {
    slots = new WorkerSlots<Reply>(2, () => new Worker(SOURCE, { eval: true }));
    expect(slots.count).toBe(0);
    const replies = await Promise.all([
      slots.run({ value: 'a', delay: 100 }),
      slots.run({ value: 'b', delay: 100 }),
      slots.run({ value: 'c', delay: 0 }),
    ]);
    expect(replies.map((reply) => reply?.value)).toEqual(['a', 'b', 'c']);
    expect(slots.count).toBe(2);
    // Two slow jobs went to two threads, not one after the other.
    expect(new Set(replies.slice(0, 2).map((reply) => reply?.thread)).size).toBe(2);
    expect(replies.every((reply) => reply?.thread !== threadId)).toBe(true);
  });

  it('answers the jobs of a thread that exits with undefined, and replaces the thread', async () => {
    slots = new WorkerSlots<Reply>(1, () => new Worker(SOURCE, { eval: true }));
    const pending = slots.run({ value: 'lost', delay: 10_000 });
    let post: ((message: object) => void) | undefined;
    const other = slots.run({ value: 'also lost', delay: 10_000 }, { posted: (next) => (post = next) });
    post!({ exit: true });
    expect(await pending).toBeUndefined();
    expect(await other).toBeUndefined();
    expect(slots.count).toBe(0);
    expect((await slots.run({ value: 'next' }))?.value).toBe('next');
  });

  it('reaches every running thread with each()', async () => {
    slots = new WorkerSlots<Reply>(2, () => new Worker(SOURCE, { eval: true }));
    await Promise.all([slots.run({ delay: 50 }), slots.run({ delay: 50 })]);
    const replies = await slots.each({ value: 'all' });
    expect(replies).toHaveLength(2);
    expect(new Set(replies.map((reply) => reply?.thread)).size).toBe(2);
  });
});
