import type { TransferProgress } from '@stowage/core';
import cliProgress from 'cli-progress';

export interface ProgressReporter {
  update(progress: TransferProgress): void;
  stop(): void;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * A progress bar (bytes, frames, speed, ETA) on a TTY; plain lines at most once
 * a second otherwise; nothing with --json.
 */
export function createProgressReporter(
  label: string,
  options: { json?: boolean; quiet?: boolean } = {},
): ProgressReporter {
  if (options.json || options.quiet) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {done}/{total} | {files} files | {speed} | ETA {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    const begin = Date.now();
    return {
      update(progress) {
        if (!started) {
          bar.start(Math.max(progress.bytesTotal, 1), 0, {});
          started = true;
        }
        const seconds = Math.max((Date.now() - begin) / 1000, 0.001);
        bar.setTotal(Math.max(progress.bytesTotal, 1));
        bar.update(progress.bytesDone, {
          done: mib(progress.bytesDone),
          total: mib(progress.bytesTotal),
          files: `${progress.componentsDone}/${progress.componentsTotal}`,
          speed: `${mib(progress.bytesDone / seconds)}/s`,
        });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let lastPrint = 0;
  let last: TransferProgress | undefined;
  const print = (progress: TransferProgress) => {
    process.stderr.write(
      `${label}: ${mib(progress.bytesDone)} of ${mib(progress.bytesTotal)}, ${progress.componentsDone}/${progress.componentsTotal} components\n`,
    );
  };
  return {
    update(progress) {
      last = progress;
      const now = Date.now();
      if (now - lastPrint >= 1000) {
        lastPrint = now;
        print(progress);
      }
    },
    stop() {
      if (last && lastPrint !== 0) print(last);
    },
  };
}
