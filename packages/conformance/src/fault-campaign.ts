import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Accessor,
  type CheckpointStore,
  type Component,
  type ComponentRecord,
  isTransientError,
  MemoryCheckpointStore,
  Session,
  type Structure,
} from '@stowage/core';

/**
 * Seeded runs of `addComponent` through a network fault: each run starts a
 * transfer (a large file or a sequence, alternately), breaks every connection
 * when a random number of bytes has been acknowledged, then checks what the
 * target and the registry show. A run either completes (after retries) with
 * identical bytes and availability 100, or fails with a transient-marked error
 * and leaves no registration and no partial file. Anything else is `corrupt`.
 */
export interface FaultCampaignOptions {
  /** Runs (default 50; CI may pass fewer). */
  runs?: number;
  /** Seed of the first run; run i uses seed + i (default 1). */
  seed?: number;
  /** A fresh accessor on the server through the fault proxy, rooted in an empty folder. */
  createAccessor: () => Accessor | Promise<Accessor>;
  /** Break every open connection now (e.g. the proxy's `dropAll`); called once per run at the cut. */
  interrupt: () => void;
  /**
   * Arrange a fault before a run starts (e.g. the proxy corrupting the next
   * connection after a random byte count); `random` is the run's seeded source.
   */
  beforeRun?: (run: { seed: number; random: () => number; totalBytes: number }) => void;
  /** Size of the file scenario (default 64 MiB). */
  fileSize?: number;
  /** Frames of the sequence scenario (default 100) and their size (default 64 KiB). */
  frames?: number;
  frameSize?: number;
  /** Files transferred at once (default 4). */
  concurrency?: number;
}

export interface FaultCampaignRun {
  seed: number;
  scenario: 'file' | 'sequence';
  cutAtBytes: number;
  cut: boolean;
  /** A retry continued a partial upload from its checkpoint (resumable targets, files >= 32 MiB). */
  resumed: boolean;
  outcome: 'completed' | 'failed-cleanly' | 'corrupt';
  /** Why a run is corrupt, or the error of a clean failure. */
  detail?: string;
}

export interface FaultCampaignReport {
  runs: number;
  cuts: number;
  completed: number;
  failedCleanly: number;
  corrupt: number;
  /** Runs in which a retry resumed from a checkpoint instead of starting over. */
  resumed: number;
  details: FaultCampaignRun[];
}

/** Where each component goes: `<id>` for files, `<id>/f.%04d.bin` for sequences. */
class CampaignStructure implements Structure {
  getResourceIdentifier(component: ComponentRecord): string {
    if (component.container) return `${component.container.id}/f.${component.name}${component.fileType}`;
    if (component.kind === 'sequence')
      return `${component.id}/f.%0${component.padding ?? 4}d${component.fileType}`;
    return `${component.id}${component.fileType}`;
  }
}

/** Deterministic [0, 1) numbers from a seed (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function sha256OfResource(accessor: Accessor, resourceIdentifier: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await accessor.createReadStream(resourceIdentifier)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Write `size` random bytes in 1 MiB pieces (memory stays small); returns their sha256. */
async function writeRandomFile(path: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'w');
  try {
    for (let written = 0; written < size; ) {
      const piece = randomBytes(Math.min(1024 * 1024, size - written));
      hash.update(piece);
      await handle.write(piece);
      written += piece.length;
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

interface Sources {
  dir: string;
  filePath: string;
  sequenceExpression: string;
  /** sha256 by source path. */
  hashes: Map<string, string>;
}

async function makeSources(
  options: Required<Pick<FaultCampaignOptions, 'fileSize' | 'frames' | 'frameSize'>>,
) {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-fault-campaign-'));
  const filePath = join(dir, 'large.bin');
  const hashes = new Map<string, string>();
  hashes.set(filePath, await writeRandomFile(filePath, options.fileSize));
  const framesDir = join(dir, 'frames');
  await mkdir(framesDir);
  for (let frame = 1; frame <= options.frames; frame++) {
    const path = join(framesDir, `plate.${String(frame).padStart(4, '0')}.bin`);
    const data = randomBytes(options.frameSize);
    await writeFile(path, data);
    hashes.set(path, createHash('sha256').update(data).digest('hex'));
  }
  const sources: Sources = {
    dir,
    filePath,
    sequenceExpression: join(framesDir, `plate.%04d.bin [1-${options.frames}]`),
    hashes,
  };
  return sources;
}

/** Files of a component: the component itself, or its members. */
function filesOf(component: Component): Component[] {
  return component.members?.length ? component.members : [component];
}

async function closeAccessor(accessor: Accessor): Promise<void> {
  const closable = accessor as Accessor & { close?: () => Promise<void> | void };
  await closable.close?.();
}

export async function runFaultCampaign(options: FaultCampaignOptions): Promise<FaultCampaignReport> {
  const runs = options.runs ?? 50;
  const firstSeed = options.seed ?? 1;
  const sizes = {
    fileSize: options.fileSize ?? 64 * 1024 * 1024,
    frames: options.frames ?? 100,
    frameSize: options.frameSize ?? 64 * 1024,
  };
  const sources = await makeSources(sizes);
  const details: FaultCampaignRun[] = [];
  try {
    for (let index = 0; index < runs; index++) {
      details.push(await runOnce(options, sources, firstSeed + index, index % 2 === 0 ? 'file' : 'sequence'));
    }
  } finally {
    await rm(sources.dir, { recursive: true, force: true });
  }
  return {
    runs,
    cuts: details.filter((run) => run.cut).length,
    completed: details.filter((run) => run.outcome === 'completed').length,
    failedCleanly: details.filter((run) => run.outcome === 'failed-cleanly').length,
    corrupt: details.filter((run) => run.outcome === 'corrupt').length,
    resumed: details.filter((run) => run.resumed).length,
    details,
  };
}

async function runOnce(
  options: FaultCampaignOptions,
  sources: Sources,
  seed: number,
  scenario: 'file' | 'sequence',
): Promise<FaultCampaignRun> {
  const next = random(seed);
  // Checkpoints of this run only; a load that finds one is a retry resuming.
  const store = new MemoryCheckpointStore();
  let resumed = false;
  const checkpoints: CheckpointStore = {
    load: async (key) => {
      const checkpoint = await store.load(key);
      if (checkpoint && Number(checkpoint.state.offset) > 0) resumed = true;
      return checkpoint;
    },
    save: (key, checkpoint) => store.save(key, checkpoint),
    remove: (key) => store.remove(key),
    lock: (key) => store.lock(key),
  };
  const session = new Session({ pluginPaths: [], checkpoints });
  const accessor = await options.createAccessor();
  const location = session.createLocation({
    name: 'fault-target',
    accessor,
    structure: new CampaignStructure(),
    priority: 10,
  });
  try {
    const component = await session.createComponent(
      scenario === 'file' ? sources.filePath : sources.sequenceExpression,
      {},
      null,
    );
    const total = filesOf(component).reduce((sum, file) => sum + (file.size ?? 0), 0);
    // Somewhere in the first 95 %, never at 0, so the cut lands mid-transfer.
    const cutAtBytes = 1 + Math.floor(next() * total * 0.95);
    options.beforeRun?.({ seed, random: next, totalBytes: total });
    let cut = false;
    const run = { seed, scenario, cutAtBytes } as const;
    let failure: unknown;
    try {
      await location.addComponent(component, session.origin, {
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
        onProgress: (progress) => {
          if (!cut && progress.bytesDone >= cutAtBytes) {
            cut = true;
            options.interrupt();
          }
        },
      });
    } catch (error) {
      failure = error;
    }
    const problem = await inspect(location, accessor, component, sources, failure === undefined);
    if (problem) return { ...run, cut, resumed, outcome: 'corrupt', detail: problem };
    if (failure === undefined) return { ...run, cut, resumed, outcome: 'completed' };
    if (!isTransientError(failure)) {
      return { ...run, cut, resumed, outcome: 'corrupt', detail: `untyped failure: ${String(failure)}` };
    }
    return { ...run, cut, resumed, outcome: 'failed-cleanly', detail: String(failure) };
  } finally {
    await closeAccessor(accessor);
  }
}

/** What is wrong with the target after a run, or undefined. */
async function inspect(
  location: ReturnType<Session['createLocation']>,
  accessor: Accessor,
  component: Component,
  sources: Sources,
  succeeded: boolean,
): Promise<string | undefined> {
  const availability = await location.getComponentAvailability(component);
  if (succeeded && availability !== 100) return `completed but availability ${availability}`;
  if (!succeeded && availability !== 0) return `failed but availability ${availability} registered`;
  const structure = new CampaignStructure();
  for (const file of filesOf(component)) {
    const ri = structure.getResourceIdentifier(file);
    const sourcePath = sourcePathOf(file, component, sources);
    const exists = await accessor.exists(ri);
    if (succeeded && !exists) return `${ri} missing after success`;
    // A file that is there must be whole and identical, success or not.
    if (exists && (await sha256OfResource(accessor, ri)) !== sources.hashes.get(sourcePath)) {
      return `${ri} differs from its source`;
    }
  }
  return undefined;
}

/** The source path of a file of the component (frames from the sequence's folder). */
function sourcePathOf(file: Component, component: Component, sources: Sources): string {
  if (file === component) return sources.filePath;
  const framesDir = join(sources.dir, 'frames');
  return join(framesDir, `plate.${file.name}${file.fileType}`);
}
