import type { Worker } from 'node:worker_threads';

/** How a job is posted: buffers moved to the thread, and who learns where it went. */
export interface JobOptions {
  transfer?: ArrayBuffer[];
  /** Called once posted, with a way to message the same thread again and the job's id. */
  posted?: (post: (message: object) => void, id: number) => void;
}

interface Slot<Reply> {
  worker: Worker;
  pending: Map<number, (reply: Reply | undefined) => void>;
}

/**
 * Jobs spread over at most `size` worker threads, each to the thread with the
 * fewest in flight, so one stuck (on a hung mount, a stalled server) does not
 * hold the others up. Threads start on first use (`create`) and keep the
 * process alive only while they have jobs. A job's message gets an `id`,
 * which its reply carries back; a thread that fails or exits answers its jobs
 * with undefined. Used by the local-file threads and the SFTP upload threads.
 */
export class WorkerSlots<Reply extends { id: number }> {
  private readonly slots: Array<Slot<Reply>> = [];
  private nextId = 0;

  constructor(
    readonly size: number,
    private readonly create: () => Worker,
  ) {}

  /** Threads running now. */
  get count(): number {
    return this.slots.length;
  }

  /**
   * A job on the least busy thread: its reply, or undefined when the thread
   * ended first. `posted` gets a way to message that same thread again, and
   * the job's id (an abort, say).
   */
  run(message: Record<string, unknown>, options: JobOptions = {}): Promise<Reply | undefined> {
    return this.request(this.pick(), message, options);
  }

  /** `message` to every running thread; resolves when each has answered or ended. */
  each(message: Record<string, unknown>): Promise<Array<Reply | undefined>> {
    return Promise.all(this.slots.map((slot) => this.request(slot, message)));
  }

  /** Stop every thread; jobs in flight end with undefined. */
  async terminate(): Promise<void> {
    await Promise.all(this.slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  private request(
    slot: Slot<Reply>,
    message: Record<string, unknown>,
    options: JobOptions = {},
  ): Promise<Reply | undefined> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, resolve);
      slot.worker.postMessage({ ...message, id }, options.transfer ?? []);
      options.posted?.((next) => slot.worker.postMessage(next), id);
    });
  }

  private pick(): Slot<Reply> {
    let best: Slot<Reply> | undefined;
    for (const slot of this.slots) if (!best || slot.pending.size < best.pending.size) best = slot;
    if (best && (best.pending.size === 0 || this.slots.length >= this.size)) return best;
    return this.start();
  }

  private start(): Slot<Reply> {
    const worker = this.create();
    worker.unref();
    const slot: Slot<Reply> = { worker, pending: new Map() };
    const settle = (id: number, reply: Reply | undefined) => {
      const resolve = slot.pending.get(id);
      if (!resolve) return;
      slot.pending.delete(id);
      if (slot.pending.size === 0) worker.unref();
      resolve(reply);
    };
    worker.on('message', (reply: Reply) => settle(reply.id, reply));
    const fail = () => {
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      for (const id of [...slot.pending.keys()]) settle(id, undefined);
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    this.slots.push(slot);
    return slot;
  }
}
